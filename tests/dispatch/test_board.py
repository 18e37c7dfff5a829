"""Emergency insertion, the dispatch board and van pick lists."""

from datetime import time, timedelta

import pytest

from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY, local


def _apply_plan(db_session, user, tech_ids, order_ids):
    from app.dispatch import service

    run = service.request_plan(db_session, day=MONDAY, time_limit_s=1,
                               technician_ids=tech_ids, work_order_ids=order_ids, actor=user)
    db_session.commit()
    service.run_in_background(db_session.get_bind(), run.id)
    run = service.get_run(db_session, run.id, fresh=True)
    service.apply_run(db_session, run.id, actor=user)
    db_session.commit()
    return run


def _validate(run):
    import optimizer
    from app.dispatch.service.problem import plan_from_json, problem_from_json

    return optimizer.validate(problem_from_json(run.inputs["problem"]),
                              plan_from_json(run.result))


def test_insertion_keeps_started_visits_fixed(db_session, make_user, make_technician,
                                              make_order):
    from app.dispatch import service

    boss = make_user("dispatcher")
    tech = make_technician(skills={"hvac": 3})
    jobs = [make_order(skills={"hvac": 2}, lat=48.13 + i / 100, duration=90) for i in range(3)]
    base = _apply_plan(db_session, boss, [tech.id], [j.id for j in jobs])
    visits = sorted((v for v in base.visits if v.kind == "job"), key=lambda v: v.planned_start)
    started = visits[0]
    now = started.planned_start + timedelta(minutes=5)
    urgent = make_order(skills={"hvac": 1}, priority="P1", lat=48.14, duration=30)
    result = service.insert_emergency(db_session, urgent.id, now=now, actor=boss)
    assert result.technician_id == tech.id and result.reason is None
    assert result.start >= now and result.eta is not None
    new_visits = {v.work_order_id: v for v in result.run.visits if v.kind == "job"}
    assert new_visits[started.work_order_id].planned_start == started.planned_start
    assert started.work_order_id not in [m["work_order_id"] for m in result.moved]
    assert result.dropped == []
    assert result.run.kind == "insertion" and result.run.base_run_id == base.id
    assert _validate(result.run) == []
    service.apply_run(db_session, result.run.id, actor=boss)
    db_session.commit()
    assert urgent.assignee_user_id == tech.user_id and urgent.status == "scheduled"


def test_insertion_without_an_applied_plan_uses_empty_routes(db_session, login,
                                                            make_technician, make_order):
    from app.dispatch import service

    tech = make_technician(skills={"hvac": 3})
    urgent = make_order(skills={"hvac": 2}, priority="P1")
    api = login("dispatcher")
    result = service.insert_emergency(db_session, urgent.id, now=local(9), actor=api.user)
    assert result.technician_id == tech.id
    assert result.start >= local(9)


def test_insertion_of_a_job_nobody_can_do_says_why(db_session, make_user, make_technician,
                                                   make_order):
    from app.dispatch import service

    make_technician(skills={"hvac": 1})
    urgent = make_order(skills={"elevator": 5}, priority="P1")
    result = service.insert_emergency(db_session, urgent.id, now=local(9),
                                      actor=make_user("dispatcher"))
    assert result.technician_id is None and result.reason


def test_insertion_endpoint_refuses_assigned_orders_and_other_roles(login, make_technician,
                                                                    make_order):
    tech = make_technician()
    wo = make_order(assignee=tech, start=local(9))
    api = login("dispatcher")
    assert_error(api.post("/api/v1/dispatch/insertions", json={"work_order_id": wo.id}), 409,
                 "not_insertable")
    assert_error(api.post("/api/v1/dispatch/insertions", json={"work_order_id": 999999}), 404)
    for role in ("technician", "customer", "warehouse"):
        assert_error(login(role).post("/api/v1/dispatch/insertions",
                                      json={"work_order_id": wo.id}), 403)


def test_insertion_endpoint_answers_who_and_when(login, make_technician, make_order):
    make_technician(skills={}, shifts=[{"weekday": d, "starts": time(0), "ends": time(23, 59)}
                                       for d in range(7)])
    wo = make_order(priority="P1", duration=15)
    r = login("dispatcher").post("/api/v1/dispatch/insertions", json={"work_order_id": wo.id})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["work_order_id"] == wo.id and body["run"]["kind"] == "insertion"
    assert (body["technician_id"] is None) == (body["eta"] is None)


# --- board --------------------------------------------------------------------------------

def test_board_lists_visits_in_order_and_the_queue_by_urgency(db_session, login,
                                                              make_technician, make_order):
    from app.db import utcnow

    tech = make_technician()
    late = make_order(assignee=tech, start=local(13))
    early = make_order(assignee=tech, start=local(9))
    p4 = make_order(priority="P4")
    p1 = make_order(priority="P1")
    p4.response_due_at = utcnow() + timedelta(days=3)
    p1.response_due_at = utcnow() + timedelta(hours=1)
    db_session.commit()
    r = login("dispatcher").get("/api/v1/dispatch/board?date=2026-11-23")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    row = next(t for t in body["technicians"] if t["technician_id"] == tech.id)
    assert [v["work_order_id"] for v in row["visits"]] == [early.id, late.id]
    assert row["visits"][0]["status"] == "scheduled"
    assert row["windows"][0]["start"].startswith("2026-11-23T07:00")
    queue = [q["work_order_id"] for q in body["unassigned"]]
    assert queue.index(p1.id) < queue.index(p4.id)
    assert early.id not in queue


@pytest.mark.parametrize("role", ["technician", "customer", "warehouse"])
def test_board_only_for_planners(login, role):
    assert_error(login(role).get("/api/v1/dispatch/board?date=2026-11-23"), 403)


# --- pick lists ---------------------------------------------------------------------------

def test_pick_list_nets_out_van_stock_and_names_the_warehouse(
        db_session, login, make_technician, make_order, make_part, make_stock_location):
    part, other = make_part("PS-1"), make_part("FLT-2")
    tech = make_technician()
    wo = make_order(assignee=tech, start=local(9))
    van = make_stock_location("van", owner=tech, stock={part: 1, other: 5})
    near = make_stock_location("warehouse", lat=48.14, lng=11.57, stock={part: 10})
    make_stock_location("warehouse", lat=48.30, lng=11.80, stock={part: 10})
    reserved_at = make_stock_location("warehouse", lat=48.25, lng=11.65, stock={part: 3},
                                      reserve={wo: {part: 3}})
    make_stock_location("warehouse", stock={other: 1}, reserve={wo: {other: 1}})
    r = login("warehouse").get("/api/v1/dispatch/pick-lists?date=2026-11-23")
    assert r.status_code == 200, r.get_json()
    (plist,) = [p for p in r.get_json() if p["technician_id"] == tech.id]
    assert plist["van_id"] == van.id and plist["work_order_ids"] == [wo.id]
    assert plist["needed"] == {str(part.id): 3, str(other.id): 1}
    assert plist["in_van"] == {str(part.id): 1, str(other.id): 1}
    # 3 needed, 1 already in the van: 2 to load, from where the job's stock is reserved.
    assert plist["lines"] == [{"part_id": part.id, "sku": "PS-1", "quantity": 2,
                               "warehouse_id": reserved_at.id,
                               "warehouse_code": reserved_at.code, "reserved": True,
                               "planned": False}]
    assert near.id != reserved_at.id


def test_fulfilment_moves_stock_and_reservations_into_the_van(
        db_session, login, make_technician, make_order, make_part, make_stock_location):
    from app.inventory import service as inventory

    part = make_part()
    tech = make_technician()
    wo = make_order(assignee=tech, start=local(9))
    van = make_stock_location("van", owner=tech)
    wh = make_stock_location("warehouse", stock={part: 4}, reserve={wo: {part: 2}})
    api = login("warehouse")
    r = api.post("/api/v1/dispatch/pick-lists/fulfilment",
                 json={"date": "2026-11-23", "technician_id": tech.id})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["lines"] == []
    assert r.get_json()["in_van"] == {str(part.id): 2}
    assert inventory.available_stock(db_session, wh.id) == {part.id: 2}
    assert inventory.available_stock(db_session, van.id).get(part.id, 0) == 0  # reserved
    again = api.post("/api/v1/dispatch/pick-lists/fulfilment",
                     json={"date": "2026-11-23", "technician_id": tech.id})
    assert again.status_code == 200 and again.get_json()["lines"] == []


def test_pick_list_without_warehouse_stock_shows_the_shortage(
        login, make_technician, make_order, make_part, make_stock_location):
    part = make_part()
    tech = make_technician()
    wo = make_order(assignee=tech, start=local(9))
    make_stock_location("van", owner=tech)
    other = make_technician()
    make_stock_location("van", owner=other, stock={part: 1}, reserve={wo: {part: 1}})
    plists = login("dispatcher").get("/api/v1/dispatch/pick-lists?date=2026-11-23").get_json()
    (plist,) = [p for p in plists if p["technician_id"] == tech.id]
    assert plist["lines"][0]["warehouse_id"] is None and plist["lines"][0]["quantity"] == 1
    r = login("admin").post("/api/v1/dispatch/pick-lists/fulfilment",
                            json={"date": "2026-11-23", "technician_id": tech.id})
    assert_error(r, 409, "insufficient_stock")


def test_pick_list_roles(login, make_technician):
    tech = make_technician()
    for role in ("technician", "customer"):
        assert_error(login(role).get("/api/v1/dispatch/pick-lists?date=2026-11-23"), 403)
    assert_error(login("dispatcher").post("/api/v1/dispatch/pick-lists/fulfilment",
                                          json={"date": "2026-11-23",
                                                "technician_id": tech.id}), 403)
    assert_error(login("warehouse").post("/api/v1/dispatch/pick-lists/fulfilment",
                                         json={"date": "2026-11-23",
                                               "technician_id": 999999}), 404)
    assert_error(login("warehouse").post("/api/v1/dispatch/pick-lists/fulfilment",
                                         json={"date": "2026-11-23",
                                               "technician_id": tech.id}), 409,
                 "nothing_to_pick")
