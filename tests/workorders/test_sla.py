"""SLA due times on work orders, the customer-hold pause, and the tick recording each event once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.notifications.models import Notification
from app.workorders import service
from app.workorders.models import WorkOrderEvent


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour - 1, minute, tzinfo=UTC)  # December: UTC+1


@pytest.fixture
def office_hours(make_calendar, make_sla_policy):
    calendar = make_calendar(holidays=["2026-12-25"])
    return make_sla_policy(sla_tier="silver", priority="P2", response_minutes=240,
                           resolution_minutes=16 * 60, calendar=calendar)


def _sla_events(db_session, work_order):
    return [(e.kind, e.data["clock"]) for e in db_session.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == work_order.id,
                                     WorkOrderEvent.kind.in_(("sla_warning", "sla_breached")))
        .order_by(WorkOrderEvent.id))]


def test_due_times_follow_the_business_calendar_across_weekend_and_holiday(
        db_session, make_work_order, office_hours):
    # Created Thursday 24 Dec 15:00: 2 h Thursday, Friday holiday, weekend, then Monday.
    work_order = make_work_order(priority="P2", created_at=berlin(24, 15))
    service.apply_sla_policy(db_session, work_order)
    assert work_order.response_due_at == berlin(28, 10)
    assert work_order.resolution_due_at == berlin(29, 13)  # 16 h: Thu 2 + Mon 9 + Tue 5
    assert work_order.response_warn_at == berlin(28, 9)  # 75 % of 4 h = 3 h


def test_customer_hold_pauses_the_clock_and_moves_the_due_times(
        db_session, make_work_order, make_user, office_hours, monkeypatch):
    from app.workorders.service import lifecycle, sla

    work_order = make_work_order(priority="P2", created_at=berlin(24, 15))
    service.apply_sla_policy(db_session, work_order)
    dispatcher = make_user("dispatcher")
    clock = iter([berlin(28, 9), berlin(28, 11)])  # hold Monday 09:00, resume 11:00
    monkeypatch.setattr(lifecycle, "utcnow", lambda: next(clock))
    service.transition_work_order(db_session, work_order, "on_hold", actor=dispatcher,
                                  reason="customer")
    assert work_order.sla_paused_since == berlin(28, 9)
    state = sla.sla_state(work_order, now=berlin(28, 16))  # frozen while paused
    assert state.paused and state.response_remaining_min == 240 - 180
    service.transition_work_order(db_session, work_order, "new", actor=dispatcher)
    db_session.commit()
    assert work_order.sla_paused_since is None
    assert work_order.response_due_at == berlin(28, 12)  # two paused hours later
    assert sla.sla_state(work_order, now=berlin(28, 11, 30)).response_remaining_min == 30


def test_a_parts_hold_does_not_pause(db_session, make_work_order, make_user, office_hours):
    work_order = make_work_order(priority="P2")
    due = work_order.resolution_due_at
    service.transition_work_order(db_session, work_order, "on_hold",
                                  actor=make_user("dispatcher"), reason="parts")
    assert work_order.sla_paused_since is None and work_order.resolution_due_at == due


def test_the_tick_warns_at_75_percent_and_records_breach_once(
        db_session, make_work_order, make_user, make_sla_policy):
    make_sla_policy(sla_tier="silver", priority="P1", response_minutes=60,
                    resolution_minutes=240)
    dispatchers = [make_user("dispatcher"), make_user("dispatcher")]
    created = utcnow() - timedelta(minutes=50)
    work_order = make_work_order(priority="P1", created_at=created)
    service.apply_sla_policy(db_session, work_order)
    db_session.commit()
    for _ in range(3):
        service.run_sla_tick(db_session, now=created + timedelta(minutes=50))
    assert _sla_events(db_session, work_order) == [("sla_warning", "response")]
    for _ in range(3):
        service.run_sla_tick(db_session, now=created + timedelta(minutes=70))
    for _ in range(3):
        service.run_sla_tick(db_session, now=created + timedelta(minutes=190))
    db_session.commit()
    assert _sla_events(db_session, work_order) == [
        ("sla_warning", "response"), ("sla_breached", "response"),
        ("sla_warning", "resolution")]
    notified = db_session.scalars(select(Notification).where(
        Notification.work_order_id == work_order.id)).all()
    assert sorted((n.user_id, n.kind) for n in notified if n.user_id in
                  {d.id for d in dispatchers}) == sorted(
        (d.id, kind) for d in dispatchers
        for kind in ("sla_warning", "sla_breached", "sla_warning"))
    state = service.sla_state(work_order, now=created + timedelta(minutes=190))
    assert state.response_breached and not state.resolution_breached


def test_a_late_tick_records_the_breach_without_a_warning_after_it(
        db_session, make_work_order, make_sla_policy):
    make_sla_policy(sla_tier="silver", priority="P1", response_minutes=60,
                    resolution_minutes=240)
    created = utcnow() - timedelta(hours=2)
    work_order = make_work_order(priority="P1", created_at=created)
    service.apply_sla_policy(db_session, work_order)
    db_session.commit()
    service.run_sla_tick(db_session, now=created + timedelta(hours=2))
    service.run_sla_tick(db_session, now=created + timedelta(hours=2, minutes=5))
    assert _sla_events(db_session, work_order) == [("sla_breached", "response")]


def test_the_tick_skips_finished_paused_and_responded_clocks(
        db_session, make_work_order, make_sla_policy, technician):
    make_sla_policy(sla_tier="silver", priority="P1", response_minutes=60,
                    resolution_minutes=240)
    created = utcnow() - timedelta(hours=5)
    finished = make_work_order(priority="P1", status="completed", created_at=created)
    responded = make_work_order(priority="P1", status="on_site", assignee=technician,
                                created_at=created)
    paused = make_work_order(priority="P1", status="on_hold", hold_reason="customer",
                             created_at=created, sla_paused_since=created)
    for wo in (finished, responded, paused):
        service.apply_sla_policy(db_session, wo)
    db_session.commit()
    service.run_sla_tick(db_session)
    assert _sla_events(db_session, finished) == []
    assert _sla_events(db_session, paused) == []
    assert _sla_events(db_session, responded) == [("sla_breached", "resolution")]


def test_an_order_without_policy_has_no_clock(db_session, make_work_order):
    from app.workorders.models import SlaPolicy

    work_order = make_work_order(priority="P4")
    db_session.execute(SlaPolicy.__table__.delete())
    service.apply_sla_policy(db_session, work_order)
    assert work_order.resolution_due_at is None
    assert service.sla_state(work_order).resolution_remaining_min is None


def test_flask_sla_tick_records_and_reports_once(app, db_session, make_work_order,
                                                 make_sla_policy):
    make_sla_policy(sla_tier="silver", priority="P1", response_minutes=60,
                    resolution_minutes=240)
    work_order = make_work_order(priority="P1", created_at=utcnow() - timedelta(hours=3.5))
    service.apply_sla_policy(db_session, work_order)
    db_session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sla", "tick"])
    assert first.exit_code == 0, first.output
    assert "1 warnings, 1 breaches" in first.output  # response breached, resolution at 75 %
    second = runner.invoke(args=["sla", "tick"])
    assert "0 warnings, 0 breaches" in second.output
    assert _sla_events(db_session, work_order) == [("sla_breached", "response"),
                                                   ("sla_warning", "resolution")]
