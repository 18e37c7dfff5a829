"""The rules of a visit hold whichever endpoint is used: on site only by check-in, completed
only by the phone's completion, and the customer hold pauses the SLA from every state."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assert_error
from tests.mobile_api.test_visits import COMPLETION, at_site

API = "/api/v1"


def _fresh(db_session: Any, job: Any) -> Any:
    from app.workorders.models import WorkOrder

    return db_session.get(WorkOrder, job.id, populate_existing=True)


def _transition(client: Any, job: Any, **body: Any) -> Any:
    return client.post(f"{API}/work-orders/{job.id}/transitions", json=body)


def test_the_office_api_cannot_arrive_without_a_check_in(db_session: Any, phone: Any,
                                                          make_job: Any) -> None:
    job = make_job(status="en_route")
    body = assert_error(_transition(phone, job, to="on_site"), 409, "check_in_required")
    assert "check" in body["message"].lower()
    job = _fresh(db_session, job)
    assert job.status == "en_route" and job.responded_at is None
    checked_in = phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site())
    assert checked_in.status_code == 201, checked_in.get_json()
    job = _fresh(db_session, job)
    assert job.status == "on_site"


def test_the_office_api_cannot_complete_past_the_phone(db_session: Any, phone: Any,
                                                       make_job: Any) -> None:
    job = make_job(status="en_route")
    assert phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site()).status_code == 201
    assert_error(_transition(phone, job, to="completed", completion=COMPLETION), 409,
                 "completion_required")
    job = _fresh(db_session, job)
    assert job.status == "on_site" and job.completed_at is None
    done = phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={"completion": COMPLETION})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"


def test_the_allowed_list_does_not_offer_what_only_the_phone_does(phone: Any,
                                                                  make_job: Any) -> None:
    job = make_job(status="en_route")
    body = phone.get(f"{API}/work-orders/{job.id}").get_json()
    assert "on_site" not in body["allowed_transitions"]
    assert "on_hold" in body["allowed_transitions"]


@pytest.mark.parametrize("status", ["new", "scheduled", "dispatched", "en_route", "on_site"])
def test_a_dispatcher_puts_the_job_on_hold_for_the_customer_and_the_clock_pauses(
        db_session: Any, login: Any, make_job: Any, status: str) -> None:
    job, api = make_job(status=status), login("dispatcher")
    r = _transition(api, job, to="on_hold", hold_reason="customer",
                    reason="Customer asks us to come back next week.")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["hold_reason"]) == ("on_hold", "customer")
    assert body["sla"]["paused"] is True
    job = _fresh(db_session, job)
    assert job.sla_paused_since is not None
    resumed = _transition(api, job, to="scheduled"
                          if job.assignee_user_id else "new")
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["sla"]["paused"] is False


@pytest.mark.parametrize("status", ["dispatched", "en_route", "on_site"])
def test_the_technician_puts_the_job_on_hold_for_the_customer_from_the_phone(
        db_session: Any, phone: Any, make_job: Any, status: str) -> None:
    job = make_job(status=status)
    r = phone.post(f"/mobile/v1/jobs/{job.id}/status",
                   json={"to": "on_hold", "hold_reason": "customer"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["hold_reason"] == "customer"
    job = _fresh(db_session, job)
    assert job.status == "on_hold" and job.sla_paused_since is not None
    if status == "on_site":
        back = phone.post(f"/mobile/v1/jobs/{job.id}/status", json={"to": "on_site"})
        assert back.status_code == 200, back.get_json()
        job = _fresh(db_session, job)
        assert job.sla_paused_since is None and job.hold_reason is None
