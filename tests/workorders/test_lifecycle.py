"""The state machine: every transition in the table, by the right party and refused otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, Unprocessable, VersionConflict
from app.workorders import service
from app.workorders.models import Status, WorkOrderEvent
from app.workorders.service.lifecycle import ASSIGNEE, CUSTOMER, OFFICE, TRANSITIONS

COMPLETION = {"resolution_notes": "Replaced the HP switch.", "labour_minutes": 50,
              "failure_code": "electrical", "cause_code": "wear_and_tear",
              "remedy_code": "replaced_part"}


def _payload(action):
    return {
        "hold": {"reason": "waiting", "data": {"hold_reason": "parts"}},
        "cancel": {"reason": "Customer fixed it themselves."},
        "reopen": {"reason": "Same alarm again."},
        "complete": {"data": {"completion": COMPLETION}},
    }.get(action, {})


@pytest.fixture
def parties(make_user, technician):
    def for_order(work_order):
        return {OFFICE: make_user("dispatcher"), ASSIGNEE: technician,
                CUSTOMER: make_user("customer", customer_id=work_order.customer_id)}
    return for_order


def _events(db_session, work_order):
    from sqlalchemy import select

    return list(db_session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == work_order.id).order_by(WorkOrderEvent.id)))


@pytest.mark.parametrize(("frm", "to"), list(TRANSITIONS), ids=lambda s: s.value)
def test_every_transition_in_the_table_works_for_its_parties(db_session, make_work_order,
                                                             technician, parties, frm, to):
    rule = TRANSITIONS[(frm, to)]
    work_order = make_work_order(status=frm.value, assignee=technician,
                                 responded_at=utcnow() if frm == Status.on_hold else None)
    who = parties(work_order)
    actor = who[sorted(rule.who)[0]]
    payload = _payload(rule.action)
    service.transition_work_order(db_session, work_order, to.value, actor=actor,
                                  reason=payload.get("reason"), data=payload.get("data"),
                                  via=rule.via)
    db_session.commit()
    assert work_order.status == to
    last = [e for e in _events(db_session, work_order) if e.kind == "status_changed"][-1]
    assert (last.data["from"], last.data["to"], last.actor_user_id) == (frm, to, actor.id)


@pytest.mark.parametrize(("frm", "to"), list(TRANSITIONS), ids=lambda s: s.value)
def test_every_transition_is_refused_to_the_other_parties(db_session, make_work_order,
                                                          technician, parties, frm, to):
    rule = TRANSITIONS[(frm, to)]
    work_order = make_work_order(status=frm.value, assignee=technician)
    others = [u for p, u in parties(work_order).items() if p not in rule.who]
    payload = _payload(rule.action)
    for actor in others:
        with pytest.raises(Forbidden):
            service.transition_work_order(db_session, work_order, to.value, actor=actor,
                                          reason=payload.get("reason"),
                                          data=payload.get("data"), via=rule.via)
    assert work_order.status == frm


ILLEGAL = [(a, b) for a in Status for b in Status if a != b and (a, b) not in TRANSITIONS]


@pytest.mark.parametrize(("frm", "to"), ILLEGAL, ids=lambda s: s.value)
def test_transitions_outside_the_table_are_invalid_and_name_the_allowed_ones(
        db_session, make_work_order, make_user, technician, frm, to):
    work_order = make_work_order(status=frm.value, assignee=technician)
    dispatcher = make_user("dispatcher")
    with pytest.raises(InvalidTransition) as refused:
        service.transition_work_order(db_session, work_order, to.value, actor=dispatcher,
                                      reason="x")
    expected = sorted(t.value for (f, t), r in TRANSITIONS.items() if f == frm and OFFICE in r.who)
    assert sorted(refused.value.details["allowed"]) == expected
    assert work_order.status == frm


def test_another_technician_cannot_move_the_job(db_session, make_work_order, make_user,
                                                technician):
    work_order = make_work_order(status="dispatched", assignee=technician)
    with pytest.raises(Forbidden):
        service.transition_work_order(db_session, work_order, "en_route",
                                      actor=make_user("technician"))


def test_scheduling_needs_an_assignee(db_session, make_work_order, make_user):
    work_order = make_work_order(status="new")
    with pytest.raises(Conflict) as refused:
        service.transition_work_order(db_session, work_order, "scheduled",
                                      actor=make_user("dispatcher"))
    assert refused.value.error == "not_assigned"


def test_hold_needs_a_known_reason_and_cancel_a_reason(db_session, make_work_order, make_user):
    work_order = make_work_order(status="new")
    dispatcher = make_user("dispatcher")
    with pytest.raises(Unprocessable):
        service.transition_work_order(db_session, work_order, "on_hold", actor=dispatcher,
                                      reason="because")
    with pytest.raises(Unprocessable):
        service.transition_work_order(db_session, work_order, "cancelled", actor=dispatcher)
    service.transition_work_order(db_session, work_order, "on_hold", actor=dispatcher,
                                  reason="access")
    assert (work_order.status, work_order.hold_reason) == ("on_hold", "access")


def test_completion_records_resolution_and_first_time_fix(db_session, make_work_order,
                                                          technician):
    work_order = make_work_order(status="on_site", assignee=technician)
    with pytest.raises(Unprocessable):
        service.transition_work_order(db_session, work_order, "completed", actor=technician,
                                      data={"completion": {"resolution_notes": "done"}},
                                      via="completion")
    with pytest.raises(Unprocessable):
        service.transition_work_order(db_session, work_order, "completed", actor=technician,
                                      data={"completion": {**COMPLETION,
                                                           "failure_code": "gremlins"}},
                                      via="completion")
    service.transition_work_order(db_session, work_order, "completed", actor=technician,
                                  data={"completion": COMPLETION}, via="completion")
    db_session.commit()
    assert work_order.status == "completed" and work_order.completed_at is not None
    assert (work_order.failure_code, work_order.labour_minutes) == ("electrical", 50)
    assert work_order.first_time_fix is True


def test_partial_completion_creates_a_linked_follow_up(db_session, make_work_order, technician):
    from sqlalchemy import select

    from app.workorders.models import WorkOrder

    work_order = make_work_order(status="on_site", assignee=technician)
    service.transition_work_order(
        db_session, work_order, "completed", actor=technician,
        data={"completion": {**COMPLETION, "partial": True,
                             "remaining_work": "Replace the condenser fan next week.",
                             "follow_up_duration_min": 120}}, via="completion")
    db_session.commit()
    follow_up = db_session.scalar(select(WorkOrder).where(
        WorkOrder.follow_up_of_id == work_order.id))
    assert follow_up is not None and follow_up.status == "new"
    assert follow_up.description == "Replace the condenser fan next week."
    assert follow_up.estimated_duration_min == 120 and follow_up.asset_id == work_order.asset_id
    assert follow_up.number != work_order.number
    assert work_order.first_time_fix is False
    kinds = [e.kind for e in _events(db_session, work_order)]
    assert "follow_up_created" in kinds


def test_reopen_within_the_window_counts_against_first_time_fix(db_session, make_work_order,
                                                                make_user, technician):
    work_order = make_work_order(status="completed", assignee=technician, first_time_fix=True)
    customer = make_user("customer", customer_id=work_order.customer_id)
    service.transition_work_order(db_session, work_order, "new", actor=customer,
                                  reason="Alarm is back.")
    db_session.commit()
    assert work_order.status == "new" and work_order.reopen_count == 1
    assert work_order.first_time_fix is False
    assert work_order.assignee_user_id is None and work_order.completed_at is None


def test_reopen_after_the_window_is_refused(db_session, make_work_order, make_user):
    work_order = make_work_order(status="closed",
                                 completed_at=utcnow() - timedelta(days=15))
    with pytest.raises(Conflict) as refused:
        service.transition_work_order(db_session, work_order, "new",
                                      actor=make_user("dispatcher"), reason="again")
    assert refused.value.error == "reopen_window_passed"
    assert work_order.status == "closed"


def test_a_stale_version_is_refused_and_changes_nothing(db_session, make_work_order,
                                                        make_user):
    work_order = make_work_order()
    dispatcher = make_user("dispatcher")
    seen = work_order.version
    service.update_work_order(db_session, work_order, {"title": "First edit"}, version=seen,
                              actor=dispatcher)
    db_session.commit()
    with pytest.raises(VersionConflict):
        service.update_work_order(db_session, work_order, {"title": "Second edit"},
                                  version=seen, actor=dispatcher)
    assert work_order.title == "First edit"


def test_assignment_schedules_and_notifies_new_and_previous_assignee(
        db_session, make_work_order, make_user, technician):
    from sqlalchemy import select

    from app.notifications.models import Notification

    work_order = make_work_order()
    dispatcher, other = make_user("dispatcher"), make_user("technician")
    start = utcnow() + timedelta(hours=3)
    service.assign_work_order(db_session, work_order, assignee_user_id=technician.id,
                              scheduled_start=start, scheduled_end=None,
                              version=work_order.version, actor=dispatcher)
    db_session.commit()
    assert work_order.status == "scheduled"
    assert work_order.scheduled_end == start + timedelta(
        minutes=work_order.estimated_duration_min)
    service.assign_work_order(db_session, work_order, assignee_user_id=other.id,
                              scheduled_start=start, scheduled_end=None,
                              version=work_order.version, actor=dispatcher)
    db_session.commit()
    notes = db_session.scalars(select(Notification).where(
        Notification.work_order_id == work_order.id)).all()
    assert {(n.user_id, n.kind) for n in notes} == {
        (technician.id, "job_assigned"), (other.id, "job_assigned"),
        (technician.id, "job_unassigned")}
    kinds = [e.kind for e in _events(db_session, work_order)]
    assert kinds.count("assigned") == 2
    with pytest.raises(Unprocessable):
        service.assign_work_order(db_session, work_order, assignee_user_id=dispatcher.id,
                                  scheduled_start=start, scheduled_end=None,
                                  version=work_order.version, actor=dispatcher)
    with pytest.raises(Forbidden):
        service.assign_work_order(db_session, work_order, assignee_user_id=technician.id,
                                  scheduled_start=start, scheduled_end=None,
                                  version=work_order.version, actor=technician)


def test_numbers_follow_the_year_pattern_and_differ(make_work_order):
    import re

    first, second = make_work_order(), make_work_order()
    assert re.fullmatch(r"WO-\d{4}-\d{6}", first.number)
    assert first.number != second.number
    assert int(second.number[-6:]) > int(first.number[-6:])
