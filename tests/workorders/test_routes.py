"""The HTTP API of work orders: roles, ownership, optimistic locking, timeline views, intake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.workorders.models import WorkOrder
from tests.conftest import assert_error

API = "/api/v1"


def _count(db_session):
    return db_session.scalar(select(func.count()).select_from(WorkOrder))


@pytest.fixture
def customer_setup(db_session, make_user, make_site, make_asset, make_customer):
    account = make_customer()
    user = make_user("customer", customer_id=account.id)
    site = make_site(customer=account)
    return user, site, make_asset(site=site)


def test_dispatcher_creates_a_work_order_with_defaults(login, make_asset, make_skill,
                                                       make_equipment_model):
    skill = make_skill()
    asset = make_asset(equipment_model=make_equipment_model(skills={skill: 2},
                                                            default_duration_min=75))
    start = utcnow() + timedelta(days=1)
    r = login("dispatcher").post(f"{API}/work-orders", json={
        "asset_id": asset.id, "title": "Annual inspection", "description": "Check all.",
        "type": "inspection", "priority": "P4", "internal_notes": "Key at reception",
        "time_windows": [{"start": start.isoformat(),
                          "end": (start + timedelta(hours=4)).isoformat()}]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["number"].startswith("WO-") and body["status"] == "new"
    assert body["site_id"] == asset.site_id and body["estimated_duration_min"] == 75
    assert [(s["skill_id"], s["min_level"]) for s in body["required_skills"]] == [(skill.id, 2)]
    assert body["time_windows"][0]["start"].endswith("+00:00")
    assert body["version"] == 1 and body["internal_notes"] == "Key at reception"


@pytest.mark.parametrize("role", ["customer", "technician", "warehouse"])
def test_only_office_staff_create(login, make_asset, role):
    r = login(role).post(f"{API}/work-orders", json={
        "asset_id": make_asset().id, "title": "x", "description": "y"})
    assert_error(r, 403, "forbidden")


def test_bad_input_is_a_4xx_and_writes_nothing(db_session, login, make_asset):
    client, asset = login("dispatcher"), make_asset()
    before = _count(db_session)
    past = utcnow() - timedelta(days=2)
    cases = [
        {"asset_id": asset.id, "title": "x", "description": "y",
         "time_windows": [{"start": past.isoformat(),
                           "end": (past + timedelta(hours=1)).isoformat()}]},
        {"asset_id": asset.id, "title": "x", "description": "y",
         "time_windows": [{"start": (past + timedelta(days=4)).isoformat(),
                           "end": (past + timedelta(days=3)).isoformat()}]},
        {"asset_id": asset.id, "title": "x", "description": "d" * 4001},
        {"asset_id": asset.id, "title": "x", "description": "y", "priority": "P9"},
        {"title": "x", "description": "y"},
        {"asset_id": 999999, "title": "x", "description": "y"},
        {"asset_id": asset.id, "title": "x", "description": "y",
         "required_skills": [{"skill_id": 999999}]},
        {"asset_id": asset.id, "title": "x", "description": "y", "surprise": 1},
        {"asset_id": asset.id, "title": "x", "description": "y",
         "time_windows": [{"start": "2026-01-01T10:00:00", "end": "2026-01-01T12:00:00"}]},
    ]
    for body in cases:
        r = client.post(f"{API}/work-orders", json=body)
        assert r.status_code == 422, (body, r.get_json())
        assert_error(r, 422)
    assert _count(db_session) == before


def test_customers_see_only_their_account_and_no_internal_notes(login, customer_setup,
                                                                make_work_order):
    user, _site, asset = customer_setup
    own = make_work_order(asset=asset, internal_notes="Difficult customer")
    foreign = make_work_order()
    client = login(user)
    r = client.get(f"{API}/work-orders/{own.id}")
    assert r.status_code == 200 and "internal_notes" not in r.get_json()
    assert_error(client.get(f"{API}/work-orders/{foreign.id}"), 404, "not_found")
    listed = client.get(f"{API}/work-orders").get_json()
    assert [w["id"] for w in listed] == [own.id]
    staff = login("dispatcher").get(f"{API}/work-orders/{own.id}").get_json()
    assert staff["internal_notes"] == "Difficult customer"


def test_technicians_see_only_their_assigned_orders(login, make_work_order, technician):
    mine = make_work_order(status="dispatched", assignee=technician)
    other = make_work_order()
    client = login(technician)
    assert client.get(f"{API}/work-orders/{mine.id}").status_code == 200
    assert_error(client.get(f"{API}/work-orders/{other.id}"), 404)
    assert_error(client.get(f"{API}/work-orders/{other.id}/timeline"), 404)
    assert [w["id"] for w in client.get(f"{API}/work-orders").get_json()] == [mine.id]


def test_edit_with_version_records_old_and_new_and_stale_edit_is_409(db_session, login,
                                                                      make_work_order):
    work_order = make_work_order(priority="P3")
    client = login("dispatcher")
    r = client.patch(f"{API}/work-orders/{work_order.id}",
                     json={"version": 1, "priority": "P1", "title": "Now urgent"})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    stale = client.patch(f"{API}/work-orders/{work_order.id}",
                         json={"version": 1, "title": "Lost update"})
    body = assert_error(stale, 409, "version_conflict")
    assert body["current_version"] == 2
    db_session.expire_all()
    assert db_session.get(WorkOrder, work_order.id).title == "Now urgent"
    via_header = client.patch(f"{API}/work-orders/{work_order.id}", json={"title": "Header"},
                              headers={"If-Match": '"2"'})
    assert via_header.status_code == 200 and via_header.get_json()["version"] == 3
    assert_error(client.patch(f"{API}/work-orders/{work_order.id}", json={"title": "No v"}),
                 422, "version_required")
    timeline = client.get(f"{API}/work-orders/{work_order.id}/timeline").get_json()
    changes = [(e["data"]["field"], e["data"]["old"], e["data"]["new"])
               for e in timeline if e["kind"] == "field_changed"]
    assert ("priority", "P3", "P1") in changes and ("title", "Now urgent", "Header") in changes


def test_transitions_over_http(login, make_work_order, technician):
    work_order = make_work_order(status="dispatched", assignee=technician)
    dispatcher = login("dispatcher")
    refused = dispatcher.post(f"{API}/work-orders/{work_order.id}/transitions",
                              json={"to": "completed"})
    body = assert_error(refused, 409, "invalid_transition")
    assert sorted(body["allowed"]) == ["cancelled", "on_hold", "scheduled"]
    assert_error(dispatcher.post(f"{API}/work-orders/{work_order.id}/transitions",
                                 json={"to": "en_route"}), 403, "forbidden")
    tech = login(technician)
    assert tech.get(f"{API}/work-orders/{work_order.id}").get_json()[
        "allowed_transitions"] == ["en_route", "on_hold"]
    r = tech.post(f"{API}/work-orders/{work_order.id}/transitions", json={"to": "en_route"})
    assert r.status_code == 200 and r.get_json()["status"] == "en_route"
    # Arriving and completing have their own endpoints with their guards (the phone's
    # geofenced check-in and completion): the generic one refuses them.
    r = tech.post(f"{API}/work-orders/{work_order.id}/transitions", json={"to": "on_site"})
    assert_error(r, 409, "check_in_required")
    r = tech.post(f"{API}/work-orders/{work_order.id}/transitions", json={
        "to": "completed", "completion": {"resolution_notes": "Reset the controller.",
                                          "labour_minutes": 20, "remedy_code": "reset"}})
    assert_error(r, 409, "invalid_transition")
    assert tech.get(f"{API}/work-orders/{work_order.id}").get_json()["status"] == "en_route"


def test_timeline_is_customer_safe_for_customers(login, customer_setup, make_work_order):
    user, _site, asset = customer_setup
    work_order = make_work_order(asset=asset)
    staff = login("dispatcher")
    staff.post(f"{API}/work-orders/{work_order.id}/notes", json={"text": "Internal only"})
    staff.post(f"{API}/work-orders/{work_order.id}/notes",
               json={"text": "We will call you", "internal": False})
    customer = login(user)
    r = customer.post(f"{API}/work-orders/{work_order.id}/notes",
                      json={"text": "Door code 1234", "internal": True})
    assert r.status_code == 201 and r.get_json()["internal"] is False
    seen = customer.get(f"{API}/work-orders/{work_order.id}/timeline").get_json()
    texts = [e["data"].get("text") for e in seen if e["kind"] == "note"]
    assert texts == ["We will call you", "Door code 1234"]
    everything = staff.get(f"{API}/work-orders/{work_order.id}/timeline").get_json()
    assert everything[0]["kind"] == "created"
    assert "Internal only" in [e["data"].get("text") for e in everything]
    assert all(e["occurred_at"].endswith("+00:00") for e in everything)


def test_list_filters_and_sla_sort(login, make_work_order, make_sla_policy):
    make_sla_policy(sla_tier="silver", priority="P1", response_minutes=60,
                    resolution_minutes=120)
    make_sla_policy(sla_tier="silver", priority="P4", response_minutes=2000,
                    resolution_minutes=5000)
    relaxed = make_work_order(priority="P4", title="Relaxed filter change")
    urgent = make_work_order(priority="P1", title="Urgent lift stuck")
    done = make_work_order(priority="P1", status="completed")
    client = login("dispatcher")
    ids = [w["id"] for w in client.get(f"{API}/work-orders",
                                       query_string={"page_size": 500}).get_json()]
    assert ids.index(urgent.id) < ids.index(relaxed.id) < ids.index(done.id)
    found = client.get(f"{API}/work-orders", query_string={"q": "lift stuck"}).get_json()
    assert [w["id"] for w in found] == [urgent.id]
    by_status = client.get(f"{API}/work-orders", query_string={
        "status": "completed", "priority": "P1", "page_size": 500}).get_json()
    assert done.id in [w["id"] for w in by_status] and urgent.id not in [
        w["id"] for w in by_status]
    ok = client.get(f"{API}/work-orders", query_string={"sla_state": "ok",
                                                        "page_size": 500}).get_json()
    assert urgent.id in [w["id"] for w in ok]
    sla = next(w for w in ok if w["id"] == urgent.id)["sla"]
    assert 0 < sla["response_remaining_min"] <= 60 and sla["response_breached"] is False


def test_customer_fault_report_and_merge(db_session, login, customer_setup):
    user, _site, asset = customer_setup
    client = login(user)
    first = client.post(f"{API}/fault-reports", json={"asset_tag": asset.tag,
                                                      "description": "Water on the floor"})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["merged"] is False and body["tracking_number"] == body["work_order"]["number"]
    assert body["tracking_token"] and "internal_notes" not in body["work_order"]
    second = client.post(f"{API}/fault-reports", json={"asset_id": asset.id,
                                                       "description": "More water"})
    assert second.get_json()["merged"] is True
    assert second.get_json()["tracking_number"] == body["tracking_number"]


def test_fault_report_bad_input(db_session, login, customer_setup, make_asset):
    user, _site, _asset = customer_setup
    client = login(user)
    before = _count(db_session)
    foreign = client.post(f"{API}/fault-reports", json={"asset_tag": make_asset().tag,
                                                        "description": "x"})
    unknown = client.post(f"{API}/fault-reports", json={"asset_tag": "ZZ-NOPE",
                                                        "description": "x"})
    assert assert_error(foreign, 422, "unknown_asset") == assert_error(unknown, 422)
    assert_error(client.post(f"{API}/fault-reports", json={"asset_tag": "ZZ-NOPE",
                                                           "description": "d" * 4001}), 422)
    assert_error(client.post(f"{API}/fault-reports", json={"description": "x"}), 422)
    assert_error(login("dispatcher").post(f"{API}/fault-reports", json={
        "asset_tag": "x", "description": "x"}), 403)
    assert _count(db_session) == before


def test_public_report_answers_only_tracking_and_is_rate_limited(app, client, make_asset,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_FAULT_REPORT_LIMIT", 2)
    asset = make_asset()
    r = client.post(f"{API}/public/fault-reports", json={"tag": asset.tag,
                                                         "description": "Burning smell"})
    assert r.status_code == 201
    assert set(r.get_json()) == {"tracking_number", "tracking_token", "merged"}
    # A refused attempt counts too, so tags cannot be probed without limit.
    assert_error(client.post(f"{API}/public/fault-reports",
                             json={"tag": "NOPE", "description": "x"}), 422, "unknown_asset")
    limited = client.post(f"{API}/public/fault-reports", json={"tag": asset.tag,
                                                               "description": "again"})
    assert_error(limited, 429, "rate_limited")


def test_label_page_is_self_contained_and_reveals_only_the_tag(client, make_asset):
    asset = make_asset(name="Secret Chiller Room B", serial_number="SN-123")
    r = client.get(f"/r/{asset.tag}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert asset.tag in html and "/api/v1/public/fault-reports" in html
    assert "Secret Chiller" not in html and "SN-123" not in html
    assert "http://" not in html and "https://" not in html  # no external assets
    unknown = client.get("/r/NOT-A-TAG<script>")
    assert unknown.status_code == 404 and "not recognised" in unknown.get_data(as_text=True)
    assert "<script>" not in unknown.get_data(as_text=True).split("<body>")[1]


def test_rating_rules_over_http(login, customer_setup, make_work_order, make_user):
    user, _site, asset = customer_setup
    open_order = make_work_order(asset=asset, status="on_site")
    done = make_work_order(asset=asset, status="completed")
    client = login(user)
    assert_error(client.post(f"{API}/work-orders/{open_order.id}/rating", json={"score": 5}),
                 409, "not_completed")
    r = client.post(f"{API}/work-orders/{done.id}/rating", json={"score": 5,
                                                                 "comment": "Great"})
    assert r.status_code == 201 and r.get_json()["score"] == 5
    assert_error(client.post(f"{API}/work-orders/{done.id}/rating", json={"score": 1}),
                 409, "already_rated")
    assert_error(client.post(f"{API}/work-orders/{done.id}/rating", json={"score": 6}), 422)
    other = login("customer")
    assert_error(other.post(f"{API}/work-orders/{done.id}/rating", json={"score": 1}), 404)
    assert_error(login("dispatcher").post(f"{API}/work-orders/{done.id}/rating",
                                          json={"score": 1}), 403)
    summary = client.get(f"{API}/ratings/summary").get_json()
    assert summary["count"] == 1 and summary["average"] == 5.0


def test_sla_policies_and_calendars_are_admin_settings(login):
    admin, dispatcher = login("admin"), login("dispatcher")
    bad = admin.post(f"{API}/business-calendars", json={
        "name": "Bad", "weekly_hours": {"mon": [["17:00", "08:00"]]}})
    assert_error(bad, 422)
    cal = admin.post(f"{API}/business-calendars", json={
        "name": "Munich office", "weekly_hours": {"mon": [["08:00", "17:00"]]},
        "holidays": ["2026-12-25"]})
    assert cal.status_code == 201
    r = admin.put(f"{API}/sla-policies", json={
        "sla_tier": "gold", "priority": "P2", "response_minutes": 120,
        "resolution_minutes": 480, "calendar_id": cal.get_json()["id"]})
    assert r.status_code == 200 and r.get_json()["calendar_id"] == cal.get_json()["id"]
    assert_error(dispatcher.put(f"{API}/sla-policies", json={
        "sla_tier": "gold", "priority": "P2", "response_minutes": 1,
        "resolution_minutes": 2}), 403)
    assert_error(admin.put(f"{API}/sla-policies", json={
        "sla_tier": "gold", "priority": "P2", "response_minutes": 100,
        "resolution_minutes": 50}), 422)
    listed = dispatcher.get(f"{API}/sla-policies").get_json()
    assert any(p["sla_tier"] == "gold" and p["priority"] == "P2" for p in listed)


def test_label_page_views_are_rate_limited_too(app, client, make_asset, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_LABEL_PAGE_LIMIT", 2)
    asset = make_asset()
    assert client.get(f"/r/{asset.tag}").status_code == 200
    assert client.get("/r/PROBE-1").status_code == 404
    limited = client.get(f"/r/{asset.tag}")
    assert limited.status_code == 429 and limited.mimetype == "text/html"


PER_ORDER = [("get", "", None), ("get", "/timeline", None),
             ("post", "/notes", {"text": "hello"}),
             ("post", "/transitions", {"to": "cancelled", "reason": "x"}),
             ("post", "/rating", {"score": 5})]


@pytest.mark.parametrize(("method", "suffix", "body"), PER_ORDER)
def test_another_accounts_or_technicians_order_is_404_everywhere(
        login, make_work_order, make_user, technician, method, suffix, body):
    work_order = make_work_order(status="completed", assignee=technician)
    outsiders = [login("customer"), login("technician")]
    for client in outsiders:
        call = getattr(client, method)
        r = call(f"{API}/work-orders/{work_order.id}{suffix}", json=body) if body else call(
            f"{API}/work-orders/{work_order.id}{suffix}")
        if r.status_code == 403:  # the role may not use this endpoint at all (rating)
            continue
        assert_error(r, 404, "not_found")
