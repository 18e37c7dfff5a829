"""Status, geofenced check-in/out, parts used and completion from the phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import MUNICH, assert_error
from tests.mobile_api.conftest import offset_m

COMPLETION = {"resolution_notes": "Replaced the HP switch.", "labour_minutes": 40,
              "failure_code": "electrical", "cause_code": "wear_and_tear",
              "remedy_code": "replaced_part", "fixed_on_first_visit": True}


def at_site(north_m: float = 40, accuracy_m: float = 10, **extra: Any) -> dict[str, Any]:
    lat, lng = offset_m(*MUNICH, north_m)
    return {"lat": lat, "lng": lng, "accuracy_m": accuracy_m, **extra}


def timeline(db_session: Any, wo: Any) -> list[Any]:
    from app.workorders.models import WorkOrderEvent

    return list(db_session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == wo.id).order_by(WorkOrderEvent.id)))


@pytest.mark.parametrize("path", ["status", "check-in", "check-out", "parts-used", "complete"])
def test_another_technicians_job_is_not_found(phone: Any, make_job: Any, make_tech: Any,
                                              path: str) -> None:
    job = make_job(assignee=make_tech())
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/{path}", json={}), 422)  # body first
    body = {"status": {"to": "on_hold", "hold_reason": "parts"}, "check-in": at_site(),
            "check-out": at_site(), "parts-used": {"lines": [{"part_id": 1, "qty": 1}]},
            "complete": {"completion": COMPLETION}}[path]
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/{path}", json=body), 404, "not_found")


def test_en_route_needs_the_position_and_moves_the_technician_on_the_map(
        db_session: Any, phone: Any, tech: Any, make_job: Any) -> None:
    from app.dispatch import service as dispatch

    job = make_job()
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/status", json={"to": "en_route"}), 422)
    response = phone.post(f"/mobile/v1/jobs/{job.id}/status", json={
        "to": "en_route", "position": {"lat": 48.15, "lng": 11.56, "accuracy_m": 8,
                                        "at": "2026-11-23T08:05:00+01:00"},
        "client_time": "2026-11-23T08:05:00+01:00"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "en_route"
    profile = dispatch.get_technician_for_user(db_session, tech.id)
    assert profile.last_position_accuracy_m == 8
    change = [e for e in timeline(db_session, job) if e.kind == "status_changed"][-1]
    assert change.client_time is not None and change.data["to"] == "en_route"


def test_arriving_is_a_check_in_and_holds_need_a_reason(phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/status", json={"to": "on_site"}), 409,
                 "check_in_required")
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/status", json={"to": "on_hold"}), 422)
    held = phone.post(f"/mobile/v1/jobs/{job.id}/status",
                      json={"to": "on_hold", "hold_reason": "access"})
    assert held.status_code == 200 and held.get_json()["hold_reason"] == "access"


def test_check_in_inside_the_geofence_puts_the_job_on_site(db_session: Any, phone: Any,
                                                           make_job: Any) -> None:
    job = make_job(status="en_route")
    response = phone.post(f"/mobile/v1/jobs/{job.id}/check-in",
                          json=at_site(120, at="2026-11-23T09:00:00+01:00"))
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert visit["check_in_inside_geofence"] is True and visit["flagged"] is False
    assert 115 < visit["check_in_distance_m"] < 125
    db_session.refresh(job)
    assert job.status == "on_site" and job.responded_at is not None
    assert "checked_in" in [e.kind for e in timeline(db_session, job)]
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site()), 409,
                 "already_checked_in")


def test_check_in_from_dispatched_departs_first(db_session: Any, phone: Any,
                                               make_job: Any) -> None:
    job = make_job(status="dispatched")
    assert phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site()).status_code == 201
    steps = [e.data["to"] for e in timeline(db_session, job) if e.kind == "status_changed"]
    assert steps[-2:] == ["en_route", "on_site"]


def test_check_in_outside_the_geofence_is_refused_with_the_distance(db_session: Any, phone: Any,
                                                                   make_job: Any) -> None:
    job = make_job(status="en_route")
    body = assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(1000)),
                        422, "outside_geofence")
    assert 990 < body["distance_m"] < 1010 and body["allowed_m"] == 160
    # A poor fix widens the fence only up to the cap: 150 m + at most 100 m.
    far = assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in",
                                  json=at_site(400, accuracy_m=5000)), 422, "outside_geofence")
    assert far["allowed_m"] == 250
    db_session.refresh(job)
    assert job.status == "en_route"


def test_check_in_outside_with_an_override_is_recorded_and_flagged(db_session: Any, phone: Any,
                                                                  make_job: Any) -> None:
    job = make_job(status="en_route")
    response = phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(
        1000, override_reason="Site entrance is on the back road; GPS is off here."))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["flagged"] is True
    override = [e for e in timeline(db_session, job) if e.kind == "geofence_override"]
    assert len(override) == 1 and override[0].internal is True
    assert override[0].data["reason"].startswith("Site entrance")


def test_check_out_gives_the_time_on_site(phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-out", json=at_site()), 409,
                 "not_checked_in")
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in",
               json=at_site(at="2026-11-23T09:00:00+01:00"))
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-out", json=at_site(900)), 422,
                 "outside_geofence")
    out = phone.post(f"/mobile/v1/jobs/{job.id}/check-out",
                     json=at_site(at="2026-11-23T09:45:00+01:00"))
    assert out.status_code == 200, out.get_json()
    assert out.get_json()["minutes_on_site"] == 45


def test_parts_used_come_out_of_the_van_through_the_ledger(
        db_session: Any, phone: Any, tech: Any, make_job: Any, make_part: Any, van_of: Any,
        receive: Any, level_of: Any, warehouse_user: Any) -> None:
    from app.inventory import service as inventory
    from app.inventory.models import StockMovement

    job = make_job(status="on_site")
    part, other = make_part(), make_part()
    van = van_of(tech)
    receive(part, van, 5)
    receive(other, van, 1)
    inventory.reserve_parts(db_session, work_order_id=job.id, location_id=van.id,
                            lines=[(part.id, 2)], actor=warehouse_user)
    db_session.commit()

    short = phone.post(f"/mobile/v1/jobs/{job.id}/parts-used", json={
        "lines": [{"part_id": part.id, "qty": 3}, {"part_id": other.id, "qty": 2}]})
    body = assert_error(short, 409, "insufficient_stock")
    assert [s["part_id"] for s in body["shortages"]] == [other.id]
    assert level_of(part, van) == (5, 2) and level_of(other, van) == (1, 0)

    used = phone.post(f"/mobile/v1/jobs/{job.id}/parts-used",
                      json={"lines": [{"part_id": part.id, "qty": 3}]})
    assert used.status_code == 201, used.get_json()
    assert level_of(part, van) == (2, 0)  # the reservation was consumed first
    issued = db_session.scalars(select(StockMovement).where(
        StockMovement.work_order_id == job.id)).all()
    assert [(m.kind, m.quantity, m.from_location_id) for m in issued] == [("issue", 3, van.id)]


def test_complete_is_refused_before_check_in_and_records_the_resolution(
        db_session: Any, phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete",
                            json={"completion": COMPLETION}), 409, "not_checked_in")
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site())
    bad = {**COMPLETION, "failure_code": "gremlins"}
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={"completion": bad}),
                 422)
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete",
                            json={"completion": COMPLETION, "signature_photo_id": 999999}),
                 422)
    done = phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={"completion": COMPLETION})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["first_time_fix"] is True
    db_session.refresh(job)
    assert (job.remedy_code, job.labour_minutes) == ("replaced_part", 40)


def test_location_batches_keep_the_newest_fix(db_session: Any, phone: Any, tech: Any) -> None:
    from app.dispatch import service as dispatch

    response = phone.post("/mobile/v1/me/location", json={"fixes": [
        {"lat": 48.2, "lng": 11.6, "accuracy_m": 5, "at": "2026-11-22T09:10:00+00:00"},
        {"lat": 48.1, "lng": 11.5, "accuracy_m": 9, "at": "2026-11-22T09:00:00+00:00"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"accepted": 2, "position_updated": True}
    profile = dispatch.get_technician_for_user(db_session, tech.id)
    assert profile.last_position_accuracy_m == 5


def test_devices_register_and_move_between_users(db_session: Any, phone: Any, login: Any,
                                                 make_tech: Any) -> None:
    from app.notifications.models import PushDevice

    token = "fcm-token-" + "x" * 40
    first = phone.put("/mobile/v1/devices", json={"token": token, "platform": "android"})
    assert first.status_code == 200, first.get_json()
    other = login(make_tech())
    again = other.put("/mobile/v1/devices", json={"token": token, "platform": "android",
                                                  "app_version": "2.1.0"})
    assert again.get_json()["id"] == first.get_json()["id"]
    device = db_session.get(PushDevice, first.get_json()["id"])
    assert device.user_id == other.user.id and device.is_active


def test_check_out_outside_with_an_override_flags_the_visit(db_session: Any, phone: Any,
                                                          make_job: Any) -> None:
    job = make_job(status="en_route")
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site())
    out = phone.post(f"/mobile/v1/jobs/{job.id}/check-out", json=at_site(
        700, override_reason="Forgot to check out; already at the next customer."))
    assert out.status_code == 200, out.get_json()
    assert out.get_json()["flagged"] is True
    assert out.get_json()["check_out_inside_geofence"] is False
    steps = [e.data["step"] for e in timeline(db_session, job) if e.kind == "geofence_override"]
    assert steps == ["check_out"]
