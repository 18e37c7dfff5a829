"""The work-order state machine: one table of transitions with who may take them, and guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.config import Config
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidTransition, Phrase, Unprocessable
from app.inventory.service import release_reservations_for_work_order
from app.notifications.service import queue_notification
from app.workorders.models import (
    HOLD_REASON_VALUES,
    Channel,
    HoldReason,
    SlaPause,
    Status,
    WorkOrder,
    WorkOrderSkill,
)
from app.workorders.service import sla
from app.workorders.service.access import (
    check_version,
    flush_or_conflict,
    is_assignee,
    is_office,
    require_office,
)
from app.workorders.service.timeline import record_event

OFFICE, ASSIGNEE, CUSTOMER = "office", "assignee", "customer"


@dataclass(frozen=True)
class Rule:
    action: str
    who: frozenset[str]
    # The one way this step may be taken (None: any endpoint): arriving is a geofenced
    # check-in, completing is the phone's completion with its guards.
    via: str | None = None


def _rule(action: str, *who: str, via: str | None = None) -> Rule:
    return Rule(action, frozenset(who), via)


CHECK_IN, COMPLETION = "check_in", "completion"
_VIA_REFUSALS = {
    CHECK_IN: ("check_in_required", "Arrive by checking in at the site "
               "(POST /mobile/v1/jobs/<id>/check-in): position and geofence are checked there."),
    COMPLETION: ("completion_required", "Complete the job from the phone "
                 "(POST /mobile/v1/jobs/<id>/complete), after a check-in at the site."),
}


S = Status
# The one table: (from, to) -> what the step is called and who may take it. Guards below.
TRANSITIONS: dict[tuple[Status, Status], Rule] = {
    (S.new, S.scheduled): _rule("schedule", OFFICE),
    (S.new, S.on_hold): _rule("hold", OFFICE),
    (S.new, S.cancelled): _rule("cancel", OFFICE, CUSTOMER),
    (S.scheduled, S.dispatched): _rule("dispatch", OFFICE),
    (S.scheduled, S.new): _rule("unschedule", OFFICE),
    (S.scheduled, S.on_hold): _rule("hold", OFFICE),
    (S.scheduled, S.cancelled): _rule("cancel", OFFICE, CUSTOMER),
    (S.dispatched, S.en_route): _rule("depart", ASSIGNEE),
    (S.dispatched, S.scheduled): _rule("recall", OFFICE),
    (S.dispatched, S.on_hold): _rule("hold", OFFICE, ASSIGNEE),
    (S.dispatched, S.cancelled): _rule("cancel", OFFICE),
    (S.en_route, S.on_site): _rule("arrive", ASSIGNEE, via=CHECK_IN),
    (S.en_route, S.on_hold): _rule("hold", OFFICE, ASSIGNEE),
    (S.on_site, S.completed): _rule("complete", ASSIGNEE, via=COMPLETION),
    (S.on_site, S.on_hold): _rule("hold", OFFICE, ASSIGNEE),
    (S.on_hold, S.new): _rule("release", OFFICE),
    (S.on_hold, S.scheduled): _rule("resume", OFFICE),
    (S.on_hold, S.on_site): _rule("resume_on_site", ASSIGNEE),
    (S.on_hold, S.cancelled): _rule("cancel", OFFICE),
    (S.completed, S.closed): _rule("close", OFFICE),
    (S.completed, S.new): _rule("reopen", OFFICE, CUSTOMER),
    (S.closed, S.new): _rule("reopen", OFFICE, CUSTOMER),
}

# Statuses in which parts may be reserved for / issued to the job (inventory's seam). A new
# order takes reservations too: the warehouse holds the parts before the day is planned, so
# the planner can route the job to a van that has them (or past a warehouse pick-up).
ACCEPTS_PARTS = (S.new, S.scheduled, S.dispatched, S.en_route, S.on_site, S.on_hold)


def _parties(actor: User | None, work_order: WorkOrder) -> set[str]:
    parties = set()
    if is_office(actor):
        parties.add(OFFICE)
    if is_assignee(actor, work_order):
        parties.add(ASSIGNEE)
    if actor is not None and actor.role == Role.customer \
            and actor.customer_id == work_order.customer_id:
        parties.add(CUSTOMER)
    return parties


def allowed_transitions(work_order: WorkOrder, actor: User | None,
                        via: str | None = None) -> list[str]:
    """Targets the actor may move the order to from its current status (by `via`: steps
    with their own endpoint are offered only there)."""
    return list(_targets(work_order.status, frozenset(_parties(actor, work_order)), via))


@lru_cache(maxsize=512)
def _targets(status: str, parties: frozenset[str], via: str | None) -> tuple[str, ...]:
    # TRANSITIONS is fixed: the targets of a (status, parties, via) are worked out once, not
    # for each row of a page (the queue asks for every one of its 50 orders).
    return tuple(to.value for (frm, to), rule in TRANSITIONS.items()
                 if frm == status and rule.who & parties and rule.via in (None, via))


# Called when an order goes back to the queue (unschedule, release, unassign): packages
# above this one (dispatch) drop what they planned for it. Registered at import time.
UnplannedHook = Callable[[Session, WorkOrder], None]
_UNPLANNED_HOOKS: list[UnplannedHook] = []


def on_unplanned(hook: UnplannedHook) -> UnplannedHook:
    """Register `hook(session, work_order)`, run when an order loses its assignee."""
    if hook not in _UNPLANNED_HOOKS:
        _UNPLANNED_HOOKS.append(hook)
    return hook


def _unplanned(session: Session, work_order: WorkOrder) -> None:
    for hook in _UNPLANNED_HOOKS:
        hook(session, work_order)


def transition_work_order(session: Session, work_order: WorkOrder, to: str, *, actor: User | None,
                          reason: str | None = None, client_time: datetime | None = None,
                          data: dict[str, Any] | None = None,
                          version: int | None = None, via: str | None = None,
                          notify: bool = True) -> WorkOrder:
    """Move the order along TRANSITIONS: an unknown step is 409 naming the allowed ones, a
    known step by the wrong party 403, a step that has its own endpoint (check-in,
    completion) taken elsewhere 409; each step's guard and side effects are below.
    `notify=False`: the caller sends one message for many orders (a released day route)."""
    data = dict(data or {})
    check_version(work_order, version)
    try:
        target, current = Status(to), Status(work_order.status)
    except ValueError as exc:
        raise Unprocessable("Unknown status.", errors={"to": [str(to)]}) from exc
    rule = TRANSITIONS.get((current, target))
    allowed = allowed_transitions(work_order, actor, via)
    if rule is None:
        raise InvalidTransition(
            f"A work order cannot go from {current.value} to {target.value}.",
            current=current.value, allowed=allowed)
    if not rule.who & _parties(actor, work_order):
        who = " or ".join(sorted(rule.who)).replace(ASSIGNEE, "the assigned technician")
        raise Forbidden(f"Only {who} may {rule.action} this work order; you may move it to: "
                        f"{', '.join(allowed) or 'nothing'}.")
    if rule.via is not None and via != rule.via:
        error, message = _VIA_REFUSALS[rule.via]
        raise InvalidTransition(message, error=error, current=current.value, allowed=allowed)
    now = utcnow()
    event_data: dict[str, Any] = {"from": current.value, "to": target.value,
                                  "action": rule.action}
    if reason:
        event_data["reason"] = str(reason)
        if isinstance(reason, Phrase):  # said again in each reader's language
            event_data["reason_text"] = {"template": reason.template, "values": reason.values}
    # No autoflush until status and hold reason agree: loading the SLA pauses midway would
    # flush a half-changed row (the hold-reason check constraint refuses it).
    with session.no_autoflush:
        follow_up = _GUARDS_AND_EFFECTS[rule.action](session, work_order, target, actor,
                                                     reason, data, now, event_data)
        if current == S.on_hold:
            work_order.hold_reason = None
            sla.resume_clock(work_order, now)
        work_order.status = target
        record_event(session, work_order, "status_changed", actor=actor, data=event_data,
                     client_time=client_time)
    if notify:
        _notify(session, work_order, rule.action, current)
    flush_or_conflict(session)
    if follow_up is not None:
        _create_follow_up(session, work_order, follow_up, actor)
    return work_order


# --- guards and side effects per action -----------------------------------------------------


def _noop(*_args: Any) -> None:
    return None


def _needs_assignee(session: Session, wo: WorkOrder, target: Status, actor: User | None,
                    reason: str | None, data: dict[str, Any], now: datetime,
                    event: dict[str, Any]) -> None:
    if wo.assignee_user_id is None or wo.scheduled_start is None:
        raise Conflict("Assign a technician and a schedule first.", error="not_assigned")


def _hold(session: Session, wo: WorkOrder, target: Status, actor: User | None,
          reason: str | None, data: dict[str, Any], now: datetime,
          event: dict[str, Any]) -> None:
    hold_reason = data.get("hold_reason") or (reason if reason in HOLD_REASON_VALUES else None)
    if hold_reason not in HOLD_REASON_VALUES:
        raise Unprocessable("Say why the work order is on hold: parts, customer or access.",
                            errors={"hold_reason": [f"One of {', '.join(HOLD_REASON_VALUES)}."]})
    wo.hold_reason = hold_reason
    event["hold_reason"] = hold_reason
    if hold_reason == HoldReason.customer:  # waiting for the customer stops the SLA clocks
        sla.pause_clock(wo, "on_hold_customer", now)


def _back_to_queue(session: Session, wo: WorkOrder, target: Status, actor: User | None,
                   reason: str | None, data: dict[str, Any], now: datetime,
                   event: dict[str, Any]) -> None:
    """Unschedule / release: the order is new again, so it is nobody's and unplanned."""
    previous = wo.assignee_user_id
    if previous is None and wo.scheduled_start is None:
        return
    event["previous_assignee_user_id"] = previous
    wo.assignee_user_id = wo.scheduled_start = wo.scheduled_end = None
    if previous is not None:
        queue_notification(session, user_ids=[previous], kind="job_unassigned",
                           title=f"Job {wo.number} was taken off your plan", body=wo.title,
                           data={"work_order_id": wo.id}, work_order_id=wo.id)
    _unplanned(session, wo)


def _resume_on_site(session: Session, wo: WorkOrder, target: Status, actor: User | None,
                    reason: str | None, data: dict[str, Any], now: datetime,
                    event: dict[str, Any]) -> None:
    if wo.responded_at is None:
        raise Conflict("The technician has not been on site yet.", error="not_on_site_yet")


def _cancel(session: Session, wo: WorkOrder, target: Status, actor: User | None,
            reason: str | None, data: dict[str, Any], now: datetime,
            event: dict[str, Any]) -> None:
    if not reason:
        raise Unprocessable("A cancellation needs a reason.", errors={"reason": ["Required."]})
    wo.closed_at = now
    event["reservations_released"] = release_parts_of_cancelled(session, wo, actor=actor,
                                                                reason=reason)


def _arrive(session: Session, wo: WorkOrder, target: Status, actor: User | None,
            reason: str | None, data: dict[str, Any], now: datetime,
            event: dict[str, Any]) -> None:
    if wo.responded_at is None:
        wo.responded_at = now  # the response clock stops at the first arrival


def _complete(session: Session, wo: WorkOrder, target: Status, actor: User | None,
              reason: str | None, data: dict[str, Any], now: datetime,
              event: dict[str, Any]) -> dict[str, Any] | None:
    validated: set[str] = set()  # code kinds another package's taxonomy has checked
    for check in COMPLETION_CHECKS:  # other packages' rules (e.g. an unfinished checklist)
        validated |= check(session, wo, data) or set()
    completion = data.get("completion") or {}
    errors: dict[str, list[str]] = {}
    if not completion.get("resolution_notes"):
        errors["resolution_notes"] = ["Required to complete."]
    if completion.get("labour_minutes") is None:
        errors["labour_minutes"] = ["Required to complete."]
    for kind in ("failure", "cause", "remedy"):
        code = completion.get(f"{kind}_code")
        known = completion_codes()[kind]
        if code is not None and code not in known and kind not in validated:
            errors[f"{kind}_code"] = [f"One of {', '.join(known)}."]
    partial = bool(completion.get("partial"))
    if partial and not completion.get("remaining_work"):
        errors["remaining_work"] = ["Describe the remaining work of a partial completion."]
    if errors:
        raise Unprocessable("Completion details are missing or invalid.",
                            errors={"completion": errors})
    wo.completed_at = now
    wo.resolution_notes = completion["resolution_notes"]
    wo.labour_minutes = completion["labour_minutes"]
    for kind in ("failure", "cause", "remedy"):
        setattr(wo, f"{kind}_code", completion.get(f"{kind}_code"))
    # A first-time fix: solved on the first visit, nothing left over, never reopened.
    wo.first_time_fix = (bool(completion.get("fixed_on_first_visit", True)) and not partial
                         and wo.reopen_count == 0)
    event.update({"resolution_notes": wo.resolution_notes, "labour_minutes": wo.labour_minutes,
                  "failure_code": wo.failure_code, "cause_code": wo.cause_code,
                  "remedy_code": wo.remedy_code, "first_time_fix": wo.first_time_fix,
                  "partial": partial})
    if partial:
        return {"remaining_work": completion["remaining_work"],
                "estimated_duration_min": completion.get("follow_up_duration_min")}
    return None


def _close(session: Session, wo: WorkOrder, target: Status, actor: User | None,
           reason: str | None, data: dict[str, Any], now: datetime,
           event: dict[str, Any]) -> None:
    wo.closed_at = now


def _reopen(session: Session, wo: WorkOrder, target: Status, actor: User | None,
            reason: str | None, data: dict[str, Any], now: datetime,
            event: dict[str, Any]) -> None:
    days = Config.WORK_ORDER_REOPEN_DAYS
    if wo.completed_at is None or now - wo.completed_at > timedelta(days=days):
        raise Conflict(f"A work order can be reopened only within {days} days of completion.",
                       error="reopen_window_passed")
    if not reason:
        raise Unprocessable("Say why the work order is reopened.",
                            errors={"reason": ["Required."]})
    # Time between completion and reopening does not count against the resolution target.
    wo.sla_pauses.append(SlaPause(reason="completed", started_at=wo.completed_at,
                                      ended_at=now))
    event.update({"previous_assignee_user_id": wo.assignee_user_id,
                  "reopen_count": wo.reopen_count + 1})
    wo.reopen_count += 1
    wo.first_time_fix = False  # a reopen within the window counts against first-time fix
    wo.completed_at = wo.closed_at = None
    wo.assignee_user_id = wo.scheduled_start = wo.scheduled_end = None
    sla.refresh_due_times(wo)


_GUARDS_AND_EFFECTS: dict[str, Any] = {
    "schedule": _needs_assignee, "dispatch": _needs_assignee, "resume": _needs_assignee,
    "unschedule": _back_to_queue, "recall": _noop, "release": _back_to_queue,
    "depart": _noop,
    "hold": _hold, "resume_on_site": _resume_on_site, "cancel": _cancel, "arrive": _arrive,
    "complete": _complete, "close": _close, "reopen": _reopen,
}


# Rules of other packages that must hold before a completion: check(session, work_order, data)
# raises a DomainError to refuse, and may return the code kinds ("failure", "cause", "remedy")
# it validated against its own lists (a model's failure taxonomy) instead of the configured
# ones. Registered at import by the package that owns the rule, so work orders need not
# import it (maintenance builds on work orders, not the other way).
CompletionCheck = Callable[[Session, WorkOrder, dict[str, Any]], set[str] | None]
COMPLETION_CHECKS: list[CompletionCheck] = []


def register_completion_check(check: CompletionCheck) -> None:
    if check not in COMPLETION_CHECKS:
        COMPLETION_CHECKS.append(check)


def completion_codes() -> dict[str, tuple[str, ...]]:
    """The configurable failure / cause / remedy code lists (see app/config.py)."""
    return {"failure": Config.WORK_ORDER_FAILURE_CODES, "cause": Config.WORK_ORDER_CAUSE_CODES,
            "remedy": Config.WORK_ORDER_REMEDY_CODES}


def _notify(session: Session, wo: WorkOrder, action: str, previous: Status) -> None:
    if action == "dispatch":
        queue_notification(session, user_ids=[wo.assignee_user_id], kind="job_dispatched",
                           title=f"New job {wo.number}", body=f"{wo.priority} {wo.title}",
                           data={"work_order_id": wo.id}, work_order_id=wo.id)
    elif action == "cancel" and previous in (S.dispatched, S.scheduled, S.on_hold):
        queue_notification(session, user_ids=[wo.assignee_user_id], kind="job_cancelled",
                           title=f"Job {wo.number} cancelled", body=wo.title,
                           data={"work_order_id": wo.id}, work_order_id=wo.id)


def _create_follow_up(session: Session, parent: WorkOrder, follow_up: dict[str, Any],
                      actor: User | None) -> WorkOrder:
    from app.workorders.service.editing import new_work_order

    child = new_work_order(
        session, site=parent.site, asset=parent.asset, type=parent.type,
        priority=parent.priority, channel=Channel.follow_up,
        title=f"Follow-up to {parent.number}: {parent.title}"[:200],
        description=follow_up["remaining_work"],
        estimated_duration_min=follow_up.get("estimated_duration_min")
        or parent.estimated_duration_min,
        skills=[WorkOrderSkill(skill_id=s.skill_id, min_level=s.min_level)
                for s in parent.skills],
        contact_name=parent.contact_name, contact_phone=parent.contact_phone, actor=actor,
        follow_up_of_id=parent.id)
    record_event(session, parent, "follow_up_created", actor=actor,
                 data={"work_order_id": child.id, "number": child.number})
    return child


# --- assignment (dispatch adds the HTTP endpoint) -------------------------------------------

ASSIGNABLE = (S.new, S.scheduled, S.dispatched, S.on_hold)


def assign_work_order(session: Session, work_order: WorkOrder, *, assignee_user_id: int | None,
                      scheduled_start: datetime | None, scheduled_end: datetime | None,
                      version: int | None, actor: User | None,
                      reason: str | None = None, notify: bool = True) -> WorkOrder:
    """Office staff (or the system, actor None) assign an active technician and a schedule;
    a new order becomes scheduled, removing the assignee makes it new again. Both the new and
    the previous assignee are notified (unless `notify=False`: the caller sends one route
    message per technician instead)."""
    if actor is not None:
        require_office(actor, "assign work orders")
    check_version(work_order, version)
    if work_order.status not in ASSIGNABLE:
        raise Conflict(f"A work order that is {work_order.status} cannot be reassigned.",
                       error="not_assignable")
    if assignee_user_id is not None:
        tech = session.get(User, assignee_user_id)
        if tech is None or tech.role != Role.technician or not tech.is_active:
            raise Unprocessable("The assignee must be an active technician.",
                                errors={"assignee_user_id": ["Not an active technician."]})
        if scheduled_start is None:
            raise Unprocessable("A schedule start is required.",
                                errors={"scheduled_start": ["Required with an assignee."]})
        scheduled_end = scheduled_end or scheduled_start + timedelta(
            minutes=work_order.estimated_duration_min)
        if scheduled_end <= scheduled_start:
            raise Unprocessable("The schedule must end after it starts.",
                                errors={"scheduled_end": ["Must be after scheduled_start."]})
    else:
        scheduled_start = scheduled_end = None
    previous = work_order.assignee_user_id
    before = {"assignee_user_id": previous,
              "scheduled_start": _iso(work_order.scheduled_start),
              "scheduled_end": _iso(work_order.scheduled_end)}
    work_order.assignee_user_id = assignee_user_id
    work_order.scheduled_start, work_order.scheduled_end = scheduled_start, scheduled_end
    after = {"assignee_user_id": assignee_user_id, "scheduled_start": _iso(scheduled_start),
             "scheduled_end": _iso(scheduled_end)}
    record_event(session, work_order, "assigned", actor=actor,
                 data={"old": before, "new": after, **({"reason": reason} if reason else {})})
    new_status = None
    if assignee_user_id is not None and work_order.status == S.new:
        new_status = S.scheduled
    elif assignee_user_id is None and work_order.status in (S.scheduled, S.dispatched):
        new_status = S.new
    if assignee_user_id is None and previous is not None:
        _unplanned(session, work_order)
    if new_status is not None:
        record_event(session, work_order, "status_changed", actor=actor,
                     data={"from": work_order.status, "to": new_status.value,
                           "action": "assign" if assignee_user_id else "unassign"})
        work_order.status = new_status
    if notify and previous != assignee_user_id:
        queue_notification(session, user_ids=[assignee_user_id], kind="job_assigned",
                           title=f"Job {work_order.number} assigned to you",
                           body=f"{work_order.priority} {work_order.title}",
                           data={"work_order_id": work_order.id}, work_order_id=work_order.id)
        queue_notification(session, user_ids=[previous], kind="job_unassigned",
                           title=f"Job {work_order.number} was reassigned",
                           body=work_order.title, data={"work_order_id": work_order.id},
                           work_order_id=work_order.id)
    elif notify and assignee_user_id is not None:
        queue_notification(session, user_ids=[assignee_user_id], kind="job_rescheduled",
                           title=f"Job {work_order.number} rescheduled",
                           body=f"Now {_iso(scheduled_start)}",
                           data={"work_order_id": work_order.id}, work_order_id=work_order.id)
    flush_or_conflict(session)
    return work_order


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- inventory seam -------------------------------------------------------------------------


def release_parts_of_cancelled(session: Session, work_order: WorkOrder, *, actor: User | None,
                               reason: str) -> int:
    """Give back the parts reserved for a cancelled job; the number of reservations released."""
    return release_reservations_for_work_order(session, work_order.id, actor=actor,
                                               reason=reason)
