"""Idempotency-Key replays and offline sync batches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.conftest import assert_error
from tests.mobile_api.test_visits import COMPLETION, at_site, timeline


def visits_of(db_session: Any, job: Any) -> int:
    from app.mobile_api.models import SiteVisit

    return db_session.scalar(select(func.count()).select_from(SiteVisit).where(
        SiteVisit.work_order_id == job.id))


def test_a_replayed_key_returns_the_first_answer_and_does_nothing_twice(
        db_session: Any, phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    headers = {"Idempotency-Key": "check-in-7f3a"}
    first = phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(), headers=headers)
    again = phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert visits_of(db_session, job) == 1
    # Without the key the same request is a new one (and refused: already checked in).
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site()), 409)


def test_the_same_key_with_another_body_is_refused(phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    headers = {"Idempotency-Key": "k-1"}
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(), headers=headers)
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(60),
                            headers=headers), 422, "idempotency_key_reused")


def test_a_refused_request_is_not_stored_and_may_be_fixed_under_the_same_key(
        phone: Any, make_job: Any) -> None:
    job = make_job(status="en_route")
    headers = {"Idempotency-Key": "k-2"}
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(2000),
                            headers=headers), 422, "outside_geofence")
    fixed = phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site(2000),
                       headers=headers)
    assert fixed.status_code == 422  # same request, evaluated again (nothing was stored)
    ok = phone.post(f"/mobile/v1/jobs/{job.id}/check-in",
                    json=at_site(2000, override_reason="Gate on the far side"), headers=headers)
    assert ok.status_code == 201


def test_keys_belong_to_their_user(login: Any, phone: Any, make_tech: Any,
                                   make_job: Any) -> None:
    mine = make_job(status="en_route")
    colleague = make_tech()
    theirs = make_job(status="en_route", assignee=colleague)
    headers = {"Idempotency-Key": "shared-key"}
    assert phone.post(f"/mobile/v1/jobs/{mine.id}/check-in", json=at_site(),
                      headers=headers).status_code == 201
    other = login(colleague).post(f"/mobile/v1/jobs/{theirs.id}/check-in", json=at_site(),
                                  headers=headers)
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers


def test_parts_used_replayed_issues_once(db_session: Any, phone: Any, tech: Any,
                                         make_job: Any, make_part: Any, van_of: Any,
                                         receive: Any, level_of: Any) -> None:
    job = make_job(status="on_site")
    part = make_part()
    receive(part, van_of(tech), 4)
    body = {"lines": [{"part_id": part.id, "qty": 3}]}
    headers = {"Idempotency-Key": "parts-1"}
    for _ in range(2):
        assert phone.post(f"/mobile/v1/jobs/{job.id}/parts-used", json=body,
                          headers=headers).status_code == 201
    assert level_of(part, van_of(tech)) == (1, 0)


def test_sync_applies_in_order_and_reports_a_mid_batch_conflict_per_operation(
        db_session: Any, phone: Any, login: Any, make_job: Any) -> None:
    from app.workorders import service as workorders

    dispatcher = login("dispatcher").user  # (logging in ends the app context: do it first)
    first, cancelled = make_job(status="dispatched"), make_job(status="dispatched")
    workorders.transition_work_order(db_session, cancelled, "cancelled", actor=dispatcher,
                                     reason="Customer fixed it")
    db_session.commit()
    operations = [
        {"key": "op-1", "op": "status", "job_id": first.id,
         "client_time": "2026-11-23T08:00:00+01:00",
         "body": {"to": "en_route", "position": {"lat": 48.14, "lng": 11.57}}},
        {"key": "op-2", "op": "check_in", "job_id": first.id,
         "client_time": "2026-11-23T08:20:00+01:00", "body": at_site()},
        {"key": "op-3", "op": "check_in", "job_id": cancelled.id,
         "client_time": "2026-11-23T09:30:00+01:00", "body": at_site()},
        {"key": "op-4", "op": "complete", "job_id": first.id,
         "client_time": "2026-11-23T09:10:00+01:00", "body": {"completion": COMPLETION}},
    ]
    response = phone.post("/mobile/v1/sync", json={"operations": operations})

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [(r["key"], r["status"]) for r in results] == [
        ("op-1", 200), ("op-2", 201), ("op-3", 409), ("op-4", 200)]
    assert results[2]["body"]["error"] == "invalid_transition"
    db_session.refresh(first)
    db_session.refresh(cancelled)
    assert (first.status, cancelled.status) == ("completed", "cancelled")
    check_in = next(e for e in timeline(db_session, first)
                    if e.kind == "status_changed" and e.data["to"] == "on_site")
    assert check_in.client_time.isoformat() == "2026-11-23T07:20:00+00:00"
    assert check_in.occurred_at != check_in.client_time  # server time kept next to it

    replay = phone.post("/mobile/v1/sync", json={"operations": operations}).get_json()
    assert [r["replayed"] for r in replay["results"]] == [True, True, False, True]
    assert [r["status"] for r in replay["results"]] == [200, 201, 409, 200]
    assert visits_of(db_session, first) == 1


def test_sync_reports_a_job_reassigned_meanwhile_as_not_found(
        db_session: Any, phone: Any, make_job: Any, make_tech: Any) -> None:
    job = make_job(status="dispatched")
    job.assignee_user_id = make_tech().id
    db_session.commit()
    response = phone.post("/mobile/v1/sync", json={"operations": [
        {"key": "a", "op": "check_in", "job_id": job.id,
         "client_time": "2026-11-23T08:20:00+01:00", "body": at_site()},
        {"key": "b", "op": "location", "client_time": "2026-11-23T08:21:00+01:00",
         "body": {"fixes": [{"lat": 48.1, "lng": 11.5}]}},
        {"key": "c", "op": "check_in", "client_time": "2026-11-23T08:22:00+01:00",
         "body": {"lat": 200}}]})
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [404, 200, 422]
