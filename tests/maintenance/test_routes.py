"""The maintenance API: plans, the generator, occurrences, checklists; who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.db import utcnow
from tests.conftest import assert_error
from tests.maintenance.conftest import ITEMS


def plan_body(asset: Any, **extra: Any) -> dict[str, Any]:
    return {"name": "Monthly chiller service", "asset_id": asset.id,
            "start_date": utcnow().date().isoformat(), "interval_unit": "month",
            "interval_count": 1, **extra}


def test_a_dispatcher_creates_reads_and_edits_a_plan(login: Any, make_asset: Any) -> None:
    office = login("dispatcher")
    asset = make_asset()
    created = office.post("/api/v1/maintenance/plans", json=plan_body(
        asset, priority="P3", window_after_days=5, schedule_kind="both", meter="hours",
        meter_interval="500.00"))
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert (plan["priority"], plan["meter_interval"], plan["anchor"]) == ("P3", "500.00", "fixed")
    edited = office.patch(f"/api/v1/maintenance/plans/{plan['id']}",
                          json={"anchor": "floating", "active": False})
    assert edited.status_code == 200 and edited.get_json()["anchor"] == "floating"
    listed = office.get("/api/v1/maintenance/plans?active=false").get_json()
    assert [p["id"] for p in listed] == [plan["id"]]


@pytest.mark.parametrize(("extra", "field"), [
    ({"asset_id": None}, "target"),
    ({"site_id": 1}, "target"),
    ({"interval_unit": None}, "interval_unit"),
    ({"schedule_kind": "meter", "interval_unit": None}, "meter"),
    ({"weekdays": ["mon"]}, "weekdays"),
    ({"shift": "next"}, "shift"),
    ({"checklist_template_id": 999_999}, "checklist_template_id"),
    ({"parts": [{"part_id": 999_999, "quantity": 1}], "parts_location_id": None}, "parts"),
    ({"required_skills": [{"skill_id": 999_999}]}, "required_skills"),
])
def test_an_invalid_plan_is_a_422_naming_the_field(login: Any, make_asset: Any,
                                                   extra: dict[str, Any], field: str) -> None:
    office = login("dispatcher")
    body = assert_error(office.post("/api/v1/maintenance/plans",
                                    json=plan_body(make_asset(), **extra)), 422)
    assert field in body["errors"], body


@pytest.mark.parametrize("body", [
    {"start_date": "9999-12-31"}, {"interval_count": 0}, {"priority": "P9"},
    {"weekdays": ["someday"]}, {"meter_interval": "NaN"}, {"horizon_days": 5000},
])
def test_out_of_range_values_are_422(login: Any, make_asset: Any, body: dict[str, Any]) -> None:
    office = login("dispatcher")
    assert_error(office.post("/api/v1/maintenance/plans",
                             json={**plan_body(make_asset()), **body}), 422)


def test_only_admins_and_dispatchers_manage_plans_and_checklists(login: Any,
                                                                 make_asset: Any) -> None:
    asset = make_asset()
    for role in ("technician", "customer", "warehouse"):
        client = login(role)
        assert_error(client.post("/api/v1/maintenance/plans", json=plan_body(asset)), 403)
        assert_error(client.post("/api/v1/maintenance/generate", json={}), 403)
        assert_error(client.post("/api/v1/maintenance/checklist-templates", json={
            "code": "X1", "name": "X", "items": ITEMS}), 403)
    assert login("admin").post("/api/v1/maintenance/plans",
                               json=plan_body(asset)).status_code == 201


def test_generate_over_http_then_occurrences_and_skip(db_session: Any, login: Any,
                                                      make_asset: Any) -> None:
    office = login("dispatcher")
    asset = make_asset()
    plan = office.post("/api/v1/maintenance/plans", json=plan_body(
        asset, interval_unit="day", interval_count=7, horizon_days=13)).get_json()
    run = office.post("/api/v1/maintenance/generate", json={"plan_ids": [plan["id"]]})
    assert run.status_code == 200 and run.get_json()["created"] == 2
    assert office.post("/api/v1/maintenance/generate",
                       json={"plan_ids": [plan["id"]]}).get_json()["created"] == 0
    listed = office.get(f"/api/v1/maintenance/occurrences?plan_id={plan['id']}").get_json()
    assert [o["state"] for o in listed] == ["planned", "planned"]
    first = listed[0]
    order = office.get(f"/api/v1/work-orders/{first['work_order_id']}").get_json()
    assert (order["type"], order["priority"]) == ("preventive", "P4")

    skipped = office.post(f"/api/v1/maintenance/occurrences/{first['id']}/skip",
                          json={"reason": "Customer on holiday"})
    assert skipped.status_code == 200 and skipped.get_json()["state"] == "skipped"
    assert skipped.get_json()["work_order_status"] == "cancelled"
    assert_error(office.post(f"/api/v1/maintenance/occurrences/{first['id']}/skip",
                             json={"reason": "again"}), 409, "already_skipped")
    assert_error(office.post("/api/v1/maintenance/occurrences/999999/skip",
                             json={"reason": "x"}), 404)
    assert_error(office.post(f"/api/v1/maintenance/occurrences/{first['id']}/skip",
                             json={}), 422)


def test_customers_see_the_pm_occurrences_of_their_own_assets_only(
        db_session: Any, login: Any, make_user: Any, make_asset: Any, make_site: Any,
        make_customer: Any, make_plan: Any, generate: Any) -> None:
    mine, theirs = make_customer(), make_customer()
    me = login(make_user("customer", customer_id=mine.id))
    my_asset = make_asset(site=make_site(customer=mine))
    today = utcnow().date()
    make_plan(asset=my_asset, horizon_days=1, start_date=today)
    make_plan(asset=make_asset(site=make_site(customer=theirs)), horizon_days=1,
              start_date=today)
    generate(today=today)
    seen = me.get("/api/v1/maintenance/occurrences").get_json()
    assert [o["asset_id"] for o in seen] == [my_asset.id]
    order = me.get(f"/api/v1/work-orders/{seen[0]['work_order_id']}")
    assert order.status_code == 200 and order.get_json()["type"] == "preventive"
    assert_error(me.get("/api/v1/maintenance/plans"), 403)


def test_overdue_filter_over_http(db_session: Any, login: Any, make_asset: Any,
                                  make_plan: Any, generate: Any) -> None:
    office = login("dispatcher")
    plan = make_plan(asset=make_asset(), horizon_days=1,
                     start_date=utcnow().date() - timedelta(days=14))
    generate(today=utcnow().date() - timedelta(days=14))
    late = office.get(f"/api/v1/maintenance/occurrences?overdue=true&plan_id={plan.id}")
    assert [o["state"] for o in late.get_json()] == ["overdue"]
    assert date.fromisoformat(late.get_json()[0]["due_date"]) < utcnow().date()


def test_checklist_templates_are_versioned(login: Any, make_equipment_model: Any) -> None:
    office = login("dispatcher")
    model = make_equipment_model()
    created = office.post("/api/v1/maintenance/checklist-templates", json={
        "code": "CHILLER-A", "name": "Chiller A", "equipment_model_id": model.id,
        "items": ITEMS})
    assert created.status_code == 201, created.get_json()
    v1 = created.get_json()
    assert [i["kind"] for i in v1["items"]] == ["pass_fail", "number", "choice", "text"]
    assert v1["items"][1]["min_value"] == "3.000"
    assert_error(office.post("/api/v1/maintenance/checklist-templates", json={
        "code": "CHILLER-A", "name": "again", "items": ITEMS}), 409, "checklist_code_taken")
    v2 = office.post(f"/api/v1/maintenance/checklist-templates/{v1['id']}/versions", json={
        "items": ITEMS[:1]}).get_json()
    assert (v2["version"], v2["code"], len(v2["items"])) == (2, "CHILLER-A", 1)
    latest = office.get(f"/api/v1/maintenance/checklist-templates?equipment_model_id={model.id}")
    assert [t["version"] for t in latest.get_json()] == [2]
    every = office.get("/api/v1/maintenance/checklist-templates?code=CHILLER-A&all_versions=true")
    assert [t["version"] for t in every.get_json()] == [1, 2]
    # The first version is unchanged.
    assert len(office.get(f"/api/v1/maintenance/checklist-templates/{v1['id']}")
               .get_json()["items"]) == 4


@pytest.mark.parametrize("item", [
    {"label": "Choice", "kind": "choice"},
    {"label": "Choice", "kind": "choice", "choices": ["a"], "failing_choices": ["b"]},
    {"label": "Pass", "kind": "pass_fail", "min_value": "1"},
    {"label": "Number", "kind": "number", "min_value": "5", "max_value": "1"},
    {"label": "Odd", "kind": "barometer"},
])
def test_invalid_checklist_items_are_422(login: Any, item: dict[str, Any]) -> None:
    office = login("dispatcher")
    assert_error(office.post("/api/v1/maintenance/checklist-templates", json={
        "code": "BAD", "name": "Bad", "items": [item]}), 422)


def test_attach_a_checklist_to_a_work_order(login: Any, make_work_order: Any,
                                           make_template: Any) -> None:
    office = login("dispatcher")
    order = make_work_order()
    template = make_template()
    assert_error(office.get(f"/api/v1/work-orders/{order.id}/checklist"), 404, "no_checklist")
    attached = office.put(f"/api/v1/work-orders/{order.id}/checklist",
                          json={"template_id": template.id, "requires_signature": True})
    assert attached.status_code == 200, attached.get_json()
    assert attached.get_json()["requires_signature"] is True
    assert len(attached.get_json()["missing_item_ids"]) == 3
    assert_error(office.put(f"/api/v1/work-orders/{order.id}/checklist",
                            json={"template_id": 999_999}), 404)


def test_nul_characters_are_refused_not_a_server_error(login: Any, make_asset: Any) -> None:
    office = login("dispatcher")
    assert_error(office.post("/api/v1/maintenance/plans",
                             json=plan_body(make_asset(), name="Service\x00")), 400)
    assert_error(office.post("/api/v1/maintenance/articles",
                             json={"title": "T", "body": "a\x00b"}), 400)
    assert_error(office.get("/api/v1/maintenance/articles?q=%00"), 400)


def test_maintenance_refusals_read_in_the_readers_language(login: Any) -> None:
    """The `message` follows Accept-Language; the `error` key stays the same."""
    office = login("dispatcher")
    zh = {"Accept-Language": "zh-CN"}
    missing = assert_error(office.post("/api/v1/maintenance/occurrences/999999/skip",
                                       json={"reason": "x"}, headers=zh), 404)
    assert missing["message"] == "没有此保养计划实例。"
    refused = assert_error(office.get("/api/v1/maintenance/articles/999999", headers=zh),
                           404)
    assert refused["message"] == "没有此文章。"
    english = assert_error(office.get("/api/v1/maintenance/articles/999999",
                                      headers={"Accept-Language": "en"}), 404)
    assert english["message"] == "No such article."
    assert refused["error"] == english["error"] == "not_found"
