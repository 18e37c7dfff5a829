"""Reusable tools and warehouses in day plans: technicians' tools, work orders' required tools,
warehouses' tools and opening hours, through the API and into the optimizer's problem."""

from __future__ import annotations

from datetime import time

from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY
from tests.dispatch.test_plans import _plan, _validate


def test_tools_on_technicians_work_orders_and_warehouses_through_the_api(
        login, make_technician, make_order, make_stock_location):
    tech = make_technician()
    api = login("admin")
    r = api.patch(f"/api/v1/technicians/{tech.id}", json={"tools": ["ladder", " ladder ",
                                                                    "crimper"]})
    assert r.status_code == 200, r.get_json()
    assert api.get(f"/api/v1/technicians/{tech.id}").get_json()["tools"] == ["crimper", "ladder"]
    assert_error(api.patch(f"/api/v1/technicians/{tech.id}", json={"tools": ["x" * 41]}), 422)

    wo = make_order()
    body = api.get(f"/api/v1/work-orders/{wo.id}").get_json()
    assert body["required_tools"] == []
    r = api.patch(f"/api/v1/work-orders/{wo.id}", json={"version": body["version"],
                                                        "required_tools": ["ladder"]})
    assert r.status_code == 200, r.get_json()
    assert api.get(f"/api/v1/work-orders/{wo.id}").get_json()["required_tools"] == ["ladder"]

    wh = make_stock_location("warehouse")
    r = api.patch(f"/api/v1/stock-locations/{wh.id}", json={
        "tools": ["crimper"], "opens_at": "07:00", "closes_at": "16:30"})
    assert r.status_code == 200, r.get_json()
    got = api.get(f"/api/v1/stock-locations/{wh.id}").get_json()
    assert (got["tools"], got["opens_at"], got["closes_at"]) == (["crimper"], "07:00", "16:30")
    assert_error(api.patch(f"/api/v1/stock-locations/{wh.id}", json={"closes_at": "06:00"}), 422)


def test_a_job_needing_a_tool_goes_to_the_technician_who_has_it(
        db_session, login, make_technician, make_order):
    bare = make_technician(skills={"hvac": 2})
    equipped = make_technician(skills={"hvac": 2}, lat=48.20, lng=11.60, tools=["ladder"])
    wo = make_order(skills={"hvac": 2})
    wo.required_tools = ["ladder"]
    db_session.commit()
    run = _plan(login("dispatcher"), technician_ids=[bare.id, equipped.id],
                work_order_ids=[wo.id]).get_json()
    assert run["status"] == "done", run
    (route,) = [rt for rt in run["routes"] if any(v["work_order_id"] == wo.id
                                                 for v in rt["visits"])]
    assert route["technician_id"] == equipped.id
    assert _validate(db_session, run["id"]) == []


def test_a_missing_tool_is_fetched_at_an_open_warehouse_that_has_it(
        db_session, login, make_technician, make_order, make_stock_location):
    from app.dispatch.service.problem import build_day_problem

    tech = make_technician(skills={"hvac": 2})
    wo = make_order(skills={"hvac": 2})
    wo.required_tools = ["crimper"]
    far = make_stock_location("warehouse", lat=48.10, lng=11.40)
    wh = make_stock_location("warehouse", lat=48.14, lng=11.56)
    wh.tools, wh.opens_at, wh.closes_at = ["crimper"], time(10), time(15)
    db_session.commit()
    dp = build_day_problem(db_session, MONDAY, technician_ids=[tech.id])
    houses = {w.id: w for w in dp.problem.warehouses}
    assert houses[wh.id].tools == {"crimper"} and houses[far.id].tools == frozenset()
    assert houses[wh.id].hours is not None and houses[wh.id].hours.start == 10 * 3600
    assert dp.problem.allow_pickups
    run = _plan(login("dispatcher"), technician_ids=[tech.id], work_order_ids=[wo.id]).get_json()
    visits = run["routes"][0]["visits"]
    assert [v["kind"] for v in visits] == ["pickup", "job"]
    assert visits[0]["stock_location_id"] == wh.id
    assert _validate(db_session, run["id"]) == []
    # No warehouse has the tool: a clear reason. (A fresh copy: API calls detach objects.)
    from app.inventory.models import StockLocation

    db_session.get(StockLocation, wh.id, populate_existing=True).tools = []
    db_session.commit()
    body = _plan(login("dispatcher"), technician_ids=[tech.id],
                 work_order_ids=[wo.id]).get_json()
    assert [u["reason"] for u in body["unassigned"]] == ["tools_unavailable"]


def test_candidates_say_which_tools_are_missing_or_to_fetch(
        db_session, make_technician, make_order, make_stock_location):
    from app.dispatch.service.candidates import rank_candidates
    from tests.dispatch.factories import local

    equipped = make_technician(skills={"hvac": 2}, tools=["ladder", "crimper"])
    bare = make_technician(skills={"hvac": 2})
    wo = make_order(skills={"hvac": 2})
    wo.required_tools = ["crimper", "ladder"]
    wh = make_stock_location("warehouse")
    wh.tools = ["ladder"]
    db_session.commit()
    ranked = {c.technician.id: c for c in rank_candidates(db_session, wo, now=local(7),
                                                          day=MONDAY)}
    assert ranked[equipped.id].eligible
    assert not any("tools" in r for r in ranked[equipped.id].reasons)
    assert not ranked[bare.id].eligible
    assert "missing tools, in no warehouse: crimper" in ranked[bare.id].reasons
    wh.tools = ["crimper", "ladder"]
    db_session.commit()
    ranked = {c.technician.id: c for c in rank_candidates(db_session, wo, now=local(7),
                                                          day=MONDAY)}
    assert ranked[bare.id].eligible  # a detour to the warehouse, not a refusal
    assert "tools to fetch at a warehouse: crimper, ladder" in ranked[bare.id].reasons
