"""SLA clocks of work orders: due times from the policy, pauses, and the periodic tick."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.db import table_of, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.notifications.service import Recipient, queue_notification
from app.workorders.models import (
    OPEN_STATES,
    BusinessCalendar,
    SlaPause,
    SlaPolicy,
    Status,
    WorkOrder,
)
from app.workorders.service.timeline import record_event
from app.workorders.sla_clock import (
    MAX_HORIZON_DAYS,
    WEEKDAYS,
    Calendar,
    add_business_minutes,
    elapsed_business_minutes,
    parse_clock,
)

WARNING_FRACTION = 0.75
_work_orders = table_of(WorkOrder)


def calendar_of(policy: SlaPolicy | None) -> Calendar:
    if policy is None or policy.calendar is None:
        return _ALWAYS
    cal = policy.calendar
    return _parsed_calendar(cal.timezone, json.dumps(cal.weekly_hours, sort_keys=True),
                            tuple(cal.holidays or ()))


_ALWAYS = Calendar.twenty_four_seven()


@lru_cache(maxsize=256)
def _parsed_calendar(timezone: str, weekly_hours: str, holidays: tuple[str, ...]) -> Calendar:
    """Parsed once per distinct calendar (a page of the queue shares a handful), keyed by the
    stored values themselves, so an edited calendar is parsed anew."""
    return Calendar.from_config(timezone, json.loads(weekly_hours), holidays)


def _pauses(work_order: WorkOrder) -> list[tuple[datetime, datetime | None]]:
    return [(p.started_at, p.ended_at) for p in work_order.sla_pauses]


def apply_sla_policy(session: Session, work_order: WorkOrder) -> None:
    """Attach the policy of the customer's tier and the order's priority; compute due times."""
    policy = session.scalar(select(SlaPolicy).where(
        SlaPolicy.sla_tier == work_order.customer.sla_tier,
        SlaPolicy.priority == work_order.priority))
    work_order.sla_policy = policy
    work_order.response_target_min = policy.response_minutes if policy else None
    work_order.resolution_target_min = policy.resolution_minutes if policy else None
    refresh_due_times(work_order)


def refresh_due_times(work_order: WorkOrder) -> None:
    """Recompute due and 75 % warning instants from the start, targets and closed pauses.

    While a pause is open the stored instants stay as they were (the tick skips paused orders);
    they are recomputed when the pause ends.
    """
    policy = work_order.sla_policy
    if policy is None or work_order.response_target_min is None:
        work_order.response_due_at = work_order.resolution_due_at = None
        work_order.response_warn_at = work_order.resolution_warn_at = None
        return
    calendar, start, pauses = calendar_of(policy), work_order.created_at, _pauses(work_order)
    if any(end is None for _, end in pauses):
        return
    for clock, minutes in (("response", work_order.response_target_min),
                           ("resolution", work_order.resolution_target_min or 0)):
        due: datetime | None
        warn: datetime | None
        try:
            due = add_business_minutes(calendar, start, minutes, pauses)
            warn = add_business_minutes(calendar, start, minutes * WARNING_FRACTION, pauses)
        except ValueError:
            # A policy written before targets were checked against its calendar: no due time
            # rather than a failed order.
            due = warn = None
        setattr(work_order, f"{clock}_due_at", due)
        setattr(work_order, f"{clock}_warn_at", warn)


def pause_clock(work_order: WorkOrder, reason: str, at: datetime) -> None:
    if work_order.sla_paused_since is None:
        work_order.sla_pauses.append(SlaPause(reason=reason, started_at=at))
        work_order.sla_paused_since = at


def resume_clock(work_order: WorkOrder, at: datetime) -> None:
    if work_order.sla_paused_since is None:
        return
    for pause in work_order.sla_pauses:
        if pause.ended_at is None:
            pause.ended_at = at
    work_order.sla_paused_since = None
    refresh_due_times(work_order)


@dataclass(frozen=True)
class SlaState:
    response_remaining_min: int | None
    resolution_remaining_min: int | None
    response_breached: bool
    resolution_breached: bool
    paused: bool


def sla_state(work_order: WorkOrder, now: datetime | None = None) -> SlaState:
    """Remaining running-clock minutes (negative once breached); clocks stop when met."""
    policy = work_order.sla_policy
    paused = work_order.sla_paused_since is not None
    if (work_order.response_target_min is None or work_order.resolution_target_min is None
            or work_order.created_at is None):
        return SlaState(None, None, False, False, paused)
    now = now or utcnow()
    calendar, pauses = calendar_of(policy), _pauses(work_order)
    ended = work_order.closed_at if work_order.status == Status.cancelled else None
    remaining = {}
    for clock, minutes, stopped_at in (
            ("response", work_order.response_target_min, work_order.responded_at or ended),
            ("resolution", work_order.resolution_target_min,
             work_order.completed_at or work_order.closed_at)):
        elapsed = elapsed_business_minutes(calendar, work_order.created_at, stopped_at or now,
                                           pauses)
        remaining[clock] = minutes - elapsed
    return SlaState(round(remaining["response"]), round(remaining["resolution"]),
                    remaining["response"] < 0, remaining["resolution"] < 0, paused)


# --- the tick ------------------------------------------------------------------------------


@dataclass
class TickResult:
    warnings: int = 0
    breaches: int = 0


def _active_dispatcher() -> tuple[Any, ...]:
    return User.role == Role.dispatcher, User.is_active.is_(True)


def _dispatcher_ids(session: Session) -> list[int]:
    return list(session.scalars(select(User.id).where(*_active_dispatcher()).order_by(User.id)))


# Built once (its cache key with it): every fault report reads it. The columns a
# notification reads of its recipient, not whole users.
_ACTIVE_DISPATCHERS = select(User.id, User.role, User.email).where(
    *_active_dispatcher()).order_by(User.id)


def active_dispatchers(session: Session) -> list[Recipient]:
    """The dispatchers who are notified of faults and SLA events: id, role and e-mail."""
    return cast(list[Recipient], list(session.execute(_ACTIVE_DISPATCHERS)))


def _claim(session: Session, work_order_id: int, values: dict[str, Any], unset: str) -> bool:
    """Set the marker only if nobody has yet: exactly one tick records each SLA event."""
    result = session.execute(update(_work_orders)
                             .where(_work_orders.c.id == work_order_id,
                                    _work_orders.c[unset].is_(None))
                             .values(**values))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def run_sla_tick(session: Session, *, now: datetime | None = None) -> TickResult:
    """Record `sla_warning` at 75 % of a target and `sla_breached` past it, each once per clock,
    and queue a notification to the dispatchers. Safe to run concurrently and repeatedly."""
    now = now or utcnow()
    result = TickResult()
    dispatchers: list[int] | None = None
    running = and_(WorkOrder.status.in_(OPEN_STATES), WorkOrder.sla_paused_since.is_(None))
    for clock in ("response", "resolution"):
        due = getattr(WorkOrder, f"{clock}_due_at")
        warn = getattr(WorkOrder, f"{clock}_warn_at")
        warned = getattr(WorkOrder, f"{clock}_warned_at")
        breached = getattr(WorkOrder, f"{clock}_breached_at")
        clock_running = running if clock == "resolution" else and_(
            running, WorkOrder.responded_at.is_(None))
        candidates = session.scalars(select(WorkOrder).where(clock_running, or_(
            and_(breached.is_(None), due <= now),
            and_(warned.is_(None), warn <= now),
        )).order_by(WorkOrder.id)).all()
        for work_order in candidates:
            is_breach = getattr(work_order, f"{clock}_due_at") <= now
            if is_breach:
                values = {f"{clock}_breached_at": now}
                if getattr(work_order, f"{clock}_warned_at") is None:
                    values[f"{clock}_warned_at"] = now  # no late warning after a breach
                if not _claim(session, work_order.id, values, f"{clock}_breached_at"):
                    continue
                kind, result.breaches = "sla_breached", result.breaches + 1
            else:
                if not _claim(session, work_order.id, {f"{clock}_warned_at": now},
                              f"{clock}_warned_at"):
                    continue
                kind, result.warnings = "sla_warning", result.warnings + 1
            session.expire(work_order, [f"{clock}_warned_at", f"{clock}_breached_at"])
            due_at = getattr(work_order, f"{clock}_due_at")
            record_event(session, work_order, kind, actor=None, internal=True,
                         data={"clock": clock, "due_at": due_at.isoformat()})
            if dispatchers is None:
                dispatchers = _dispatcher_ids(session)
            verb = "breached" if kind == "sla_breached" else "at 75 %"
            queue_notification(
                session, user_ids=dispatchers, kind=kind, work_order_id=work_order.id,
                title=f"{work_order.number}: {clock} SLA {verb}",
                body=f"{work_order.priority} {work_order.title} — {clock} due "
                     f"{due_at.isoformat(timespec='minutes')}",
                data={"work_order_id": work_order.id, "clock": clock,
                      "number": work_order.number, "priority": work_order.priority,
                      "wo_title": work_order.title,
                      "due_at": due_at.isoformat(timespec="minutes")})
    return result


# --- policies and calendars (admin) ---------------------------------------------------------


def _check_weekly_hours(weekly_hours: dict[str, list[list[str]]]) -> None:
    errors: dict[str, list[str]] = {}
    for day, spans in weekly_hours.items():
        if day not in WEEKDAYS:
            errors[day] = ["Not a weekday (mon..sun)."]
            continue
        for span in spans:
            try:
                opens, closes = (parse_clock(v) for v in span)
            except (TypeError, ValueError):
                errors[day] = ["Each interval is [\"HH:MM\", \"HH:MM\"]."]
                continue
            if closes <= opens:
                errors[day] = ["An interval must end after it starts."]
    if errors:
        raise Unprocessable("Invalid weekly hours.", errors={"weekly_hours": errors})
    if not any(weekly_hours.values()):
        raise Unprocessable("A calendar needs business hours on at least one weekday.",
                            errors={"weekly_hours": ["No business hours."]})


def create_business_calendar(session: Session, *, name: str, timezone: str,
                             weekly_hours: dict[str, list[list[str]]], holidays: list[Any],
                             actor: User) -> BusinessCalendar:
    """Calendars need valid hours on at least one weekday and a known time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Unprocessable("Unknown time zone.", errors={"timezone": [timezone]}) from exc
    _check_weekly_hours(weekly_hours)
    if session.scalar(select(BusinessCalendar.id).where(BusinessCalendar.name == name)):
        raise Conflict("A calendar with this name exists.", error="calendar_exists")
    calendar = BusinessCalendar(name=name, timezone=timezone, weekly_hours=weekly_hours,
                                holidays=sorted({d.isoformat() for d in holidays}))
    session.add(calendar)
    session.flush()  # flush: the caller returns the new id
    return calendar


def _check_reachable(calendar: Calendar, minutes: int) -> None:
    """Every accepted target has a due date: the clock reaches it within its horizon."""
    try:
        add_business_minutes(calendar, utcnow(), minutes)
    except ValueError as exc:
        raise Unprocessable(
            "This calendar has too few business hours to reach the target within "
            f"{MAX_HORIZON_DAYS // 366} years.", error="sla_unreachable",
            errors={"resolution_minutes": ["Unreachable on this calendar."]}) from exc


def save_sla_policy(session: Session, *, sla_tier: str, priority: str, response_minutes: int,
                    resolution_minutes: int, calendar_id: int | None,
                    actor: User) -> SlaPolicy:
    """One policy per tier and priority (create or replace); applies to new work orders."""
    if resolution_minutes < response_minutes:
        raise Unprocessable("Resolution target is shorter than the response target.",
                            errors={"resolution_minutes": ["Must be >= response_minutes."]})
    calendar = session.get(BusinessCalendar, calendar_id) if calendar_id is not None else None
    if calendar_id is not None and calendar is None:
        raise Unprocessable("Unknown calendar.", errors={"calendar_id": ["No such calendar."]})
    if calendar is not None:
        _check_reachable(Calendar.from_config(calendar.timezone, calendar.weekly_hours,
                                              calendar.holidays), resolution_minutes)
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.sla_tier == sla_tier,
                                                    SlaPolicy.priority == priority))
    if policy is None:
        policy = SlaPolicy(sla_tier=sla_tier, priority=priority)
        session.add(policy)
    policy.response_minutes = response_minutes
    policy.resolution_minutes = resolution_minutes
    policy.calendar_id = calendar_id
    session.flush()  # flush: the caller returns the id
    return policy


def get_sla_policy(session: Session, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound("SLA policy not found.")
    return policy


def sla_policies_query() -> Any:
    return select(SlaPolicy).order_by(SlaPolicy.sla_tier, SlaPolicy.priority)


def business_calendars_query() -> Any:
    return select(BusinessCalendar).order_by(BusinessCalendar.id)
