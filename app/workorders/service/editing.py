"""Creating, editing and listing work orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal_column, or_, select
from sqlalchemy.orm import Session

from app.assets.models import Asset, Site, Skill
from app.auth.models import User
from app.db import matches_text, utcnow
from app.errors import Conflict, Unprocessable
from app.fields import tool_codes
from app.workorders.models import (
    OPEN_STATES,
    Channel,
    Status,
    WorkOrder,
    WorkOrderSkill,
    WorkOrderTimeWindow,
    finished_last,
    sla_queue_order,
    sla_urgency,
)
from app.workorders.service import sla
from app.workorders.service.access import (
    check_version,
    flush_or_conflict,
    require_office,
    visible_to,
)
from app.workorders.service.numbering import next_work_order_number
from app.workorders.service.timeline import record_event

MAX_TIME_WINDOWS = 20
# Orders no longer in anyone's queue: `unassigned=true` leaves them out.
FINISHED_STATUSES = (Status.completed, Status.closed, Status.cancelled)
OPEN_STATUS_VALUES = frozenset(str(s) for s in OPEN_STATES)
DEFAULT_DURATION_MIN = 60


def check_time_windows(windows: list[dict[str, datetime]], *, now: datetime | None = None
                       ) -> list[tuple[datetime, datetime]]:
    """Customer availability: each window ends after it starts and not in the past."""
    now = now or utcnow()
    errors: dict[int, list[str]] = {}
    result = []
    for n, window in enumerate(windows):
        start, end = window["start"], window["end"]
        if end <= start:
            errors[n] = ["A time window must end after it starts."]
        elif end <= now:
            errors[n] = ["A time window must not lie in the past."]
        result.append((start, end))
    if len(windows) > MAX_TIME_WINDOWS:
        raise Unprocessable("Too many time windows.",
                            errors={"time_windows": [f"At most {MAX_TIME_WINDOWS}."]})
    if errors:
        raise Unprocessable("Invalid time windows.", errors={"time_windows": errors})
    return sorted(result)


def _skills(session: Session, required: list[dict[str, int]]) -> list[WorkOrderSkill]:
    ids = [r["skill_id"] for r in required]
    if len(set(ids)) != len(ids):
        raise Unprocessable("A skill is listed twice.", errors={"required_skills": ["Twice."]})
    known = set(session.scalars(select(Skill.id).where(Skill.id.in_(ids)))) if ids else set()
    unknown = sorted(set(ids) - known)
    if unknown:
        raise Unprocessable("Unknown skill.", errors={"required_skills": [
            f"No skill {i}." for i in unknown]})
    return [WorkOrderSkill(skill_id=r["skill_id"], min_level=r.get("min_level", 1))
            for r in required]


def new_work_order(session: Session, *, site: Site, asset: Asset | None, title: str,
                   description: str, actor: User | None, channel: str = Channel.dispatcher,
                   type: str = "corrective", priority: str = "P3",
                   estimated_duration_min: int | None = None,
                   skills: list[WorkOrderSkill] | None = None,
                   time_windows: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
                   internal_notes: str | None = None, contact_name: str | None = None,
                   contact_phone: str | None = None,
                   follow_up_of_id: int | None = None,
                   required_tools: list[str] | None = None) -> WorkOrder:
    """Number, SLA due times, skills and duration defaulted from the equipment model, and the
    `created` timeline entry: everything a new work order gets, whatever its channel."""
    now = utcnow()
    model = asset.equipment_model if asset is not None else None
    if skills is None:
        skills = [WorkOrderSkill(skill_id=s.skill_id, min_level=s.min_level)
                  for s in (model.skills if model is not None else [])]
    work_order = WorkOrder(
        number=next_work_order_number(session, year=now.year), customer=site.customer,
        site=site, asset=asset, type=type, priority=priority, channel=channel,
        status=Status.new, title=title, description=description,
        contact_name=contact_name, contact_phone=contact_phone, internal_notes=internal_notes,
        estimated_duration_min=estimated_duration_min or (
            model.default_duration_min if model is not None else DEFAULT_DURATION_MIN),
        skills=skills, required_tools=tool_codes(required_tools or []),
        time_windows=[WorkOrderTimeWindow(start_at=a, end_at=b) for a, b in time_windows],
        follow_up_of_id=follow_up_of_id, created_by_id=actor.id if actor else None,
        created_at=now, updated_at=now,
    )
    with session.no_autoflush:  # one INSERT with the due times, not INSERT + UPDATE
        sla.apply_sla_policy(session, work_order)
    session.add(work_order)
    session.flush()  # flush: the timeline entry needs the new id
    record_event(session, work_order, "created", actor=actor,
                 data={"number": work_order.number, "channel": channel,
                       "priority": priority, "type": type,
                       **({"follow_up_of_id": follow_up_of_id} if follow_up_of_id else {})})
    return work_order


def _resolve_place(session: Session, *, site_id: int | None, asset_id: int | None
                   ) -> tuple[Site, Asset | None]:
    asset = session.get(Asset, asset_id) if asset_id is not None else None
    if asset_id is not None and asset is None:
        raise Unprocessable("Unknown asset.", errors={"asset_id": ["No such asset."]})
    if asset is not None:
        if site_id is not None and site_id != asset.site_id:
            raise Unprocessable("The asset is not at that site.",
                                errors={"asset_id": ["Not at site_id."]})
        return asset.site, asset
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None:
        raise Unprocessable("Name an existing site or asset.",
                            errors={"site_id": ["No such site (or give asset_id)."]})
    return site, None


def create_work_order(session: Session, *, title: str, description: str,
                      actor: User, site_id: int | None = None, asset_id: int | None = None,
                      type: str = "corrective", priority: str = "P3",
                      required_skills: list[dict[str, int]] | None = None,
                      estimated_duration_min: int | None = None,
                      time_windows: list[dict[str, datetime]] | None = None,
                      internal_notes: str | None = None, contact_name: str | None = None,
                      contact_phone: str | None = None,
                      required_tools: list[str] | None = None) -> WorkOrder:
    """Office staff create work orders for any site; skills default from the equipment model."""
    require_office(actor, "create work orders")
    site, asset = _resolve_place(session, site_id=site_id, asset_id=asset_id)
    return new_work_order(
        session, site=site, asset=asset, title=title, description=description, actor=actor,
        type=type, priority=priority, estimated_duration_min=estimated_duration_min,
        skills=_skills(session, required_skills) if required_skills is not None else None,
        time_windows=check_time_windows(time_windows or []), internal_notes=internal_notes,
        contact_name=contact_name, contact_phone=contact_phone, required_tools=required_tools)


# Fields an edit may change, and whether customers may see the change on the timeline.
EDITABLE = {"title": False, "description": False, "type": False, "priority": False,
            "estimated_duration_min": True, "internal_notes": True, "contact_name": False,
            "contact_phone": False, "required_tools": True}


def update_work_order(session: Session, work_order: WorkOrder, changes: dict[str, Any], *,
                      version: int | None, actor: User) -> WorkOrder:
    """Office edits with the optimistic lock; every changed field goes on the timeline with
    its old and new value. A priority change re-applies the SLA policy."""
    require_office(actor, "edit work orders")
    check_version(work_order, version)
    if version is None:
        raise Unprocessable("Send the version you edited (field `version` or If-Match).",
                            errors={"version": ["Required."]}, error="version_required")
    if work_order.status in (Status.closed, Status.cancelled):
        raise Conflict(f"A {work_order.status} work order cannot be edited.",
                       error="work_order_closed")
    with session.no_autoflush:  # one UPDATE (one version step) per edit
        changed = _apply_changes(session, work_order, changes, actor)
    if changed:  # also a change only to child rows (skills, windows) bumps the version
        work_order.updated_at = utcnow()
    flush_or_conflict(session)
    return work_order


def _apply_changes(session: Session, work_order: WorkOrder, changes: dict[str, Any],
                   actor: User) -> bool:
    changed = False
    if "required_tools" in changes:
        changes = {**changes, "required_tools": tool_codes(changes["required_tools"])}
    for field, internal in EDITABLE.items():
        if field in changes and changes[field] != getattr(work_order, field):
            changed = True
            record_event(session, work_order, "field_changed", actor=actor, internal=internal,
                         data={"field": field, "old": getattr(work_order, field),
                               "new": changes[field]})
            setattr(work_order, field, changes[field])
            if field == "priority":
                sla.apply_sla_policy(session, work_order)
    if "required_skills" in changes:
        new_skills = _skills(session, changes["required_skills"])
        old = [{"skill_id": s.skill_id, "min_level": s.min_level} for s in work_order.skills]
        new = sorted(({"skill_id": s.skill_id, "min_level": s.min_level} for s in new_skills),
                     key=lambda s: s["skill_id"])
        if old != new:
            changed = True
            record_event(session, work_order, "field_changed", actor=actor, internal=True,
                         data={"field": "required_skills", "old": old, "new": new})
            by_id = {s.skill_id: s for s in work_order.skills}
            wanted = {s.skill_id: s.min_level for s in new_skills}
            for skill in list(work_order.skills):  # in place: same keys, no delete + insert
                if skill.skill_id not in wanted:
                    work_order.skills.remove(skill)
                else:
                    skill.min_level = wanted[skill.skill_id]
            work_order.skills.extend(s for s in new_skills if s.skill_id not in by_id)
    if "time_windows" in changes:
        windows = check_time_windows(changes["time_windows"])
        old_w = [[w.start_at.isoformat(), w.end_at.isoformat()] for w in work_order.time_windows]
        new_w = [[a.isoformat(), b.isoformat()] for a, b in windows]
        if old_w != new_w:
            changed = True
            record_event(session, work_order, "field_changed", actor=actor,
                         data={"field": "time_windows", "old": old_w, "new": new_w})
            work_order.time_windows = [WorkOrderTimeWindow(start_at=a, end_at=b)
                                       for a, b in windows]
    return changed


SLA_STATES = ("ok", "warning", "breached", "paused", "none")




def list_work_orders(session: Session, *, actor: User, status: list[str] | None = None,
                     priority: list[str] | None = None, customer_id: int | None = None,
                     site_id: int | None = None, asset_id: int | None = None,
                     assignee_user_id: int | None = None, unassigned: bool | None = None,
                     sla_state: str | None = None, created_from: datetime | None = None,
                     created_to: datetime | None = None, due_from: datetime | None = None,
                     due_to: datetime | None = None, q: str | None = None,
                     sort: str = "sla") -> Any:
    """The orders the actor may see, filtered; `sla` sorts by least time remaining first.
    A select of the orders alone: callers that show them pass the rows to `load_shown`."""
    now = utcnow()
    stmt = visible_to(select(WorkOrder), actor)
    # Every open status asked for (the console's queue): the open orders are the leading
    # part of the SLA index, so its page is the index walked from the start, not all of
    # them read and sorted (SQLite took the status index and sorted: 13 ms on country data).
    every_open = {str(s) for s in status or ()} == OPEN_STATUS_VALUES
    if every_open:
        stmt = stmt.where(finished_last() == literal_column("0"))
    elif status:
        stmt = stmt.where(WorkOrder.status.in_(status))
    if priority:
        stmt = stmt.where(WorkOrder.priority.in_(priority))
    for column, value in ((WorkOrder.customer_id, customer_id), (WorkOrder.site_id, site_id),
                          (WorkOrder.asset_id, asset_id),
                          (WorkOrder.assignee_user_id, assignee_user_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if unassigned:  # the queue: open orders nobody has
        stmt = stmt.where(WorkOrder.assignee_user_id.is_(None),
                          WorkOrder.status.not_in(FINISHED_STATUSES))
    elif unassigned is not None:
        stmt = stmt.where(WorkOrder.assignee_user_id.is_not(None))
    if created_from is not None:
        stmt = stmt.where(WorkOrder.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(WorkOrder.created_at < created_to)
    urgency = sla_urgency()
    if due_from is not None:
        stmt = stmt.where(urgency >= due_from)
    if due_to is not None:
        stmt = stmt.where(urgency < due_to)
    if sla_state:
        stmt = stmt.where(_sla_state_filter(sla_state, now))
    if q:
        stmt = stmt.where(or_(matches_text(WorkOrder.title, q),
                              matches_text(WorkOrder.description, q),
                              matches_text(WorkOrder.number, q)))
    if sort == "sla":  # (open orders only: the first term is the same for all of them)
        stmt = stmt.order_by(*sla_queue_order()[1 if every_open else 0:])
    elif sort == "-created_at":
        stmt = stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())
    else:
        stmt = stmt.order_by(WorkOrder.created_at, WorkOrder.id)
    return stmt


def _sla_state_filter(state: str, now: datetime) -> Any:
    response_breached = and_(WorkOrder.response_due_at.is_not(None), or_(
        WorkOrder.response_breached_at.is_not(None),
        and_(WorkOrder.responded_at.is_(None), WorkOrder.response_due_at < now),
        and_(WorkOrder.responded_at.is_not(None),
             WorkOrder.responded_at > WorkOrder.response_due_at)))
    resolution_breached = and_(WorkOrder.resolution_due_at.is_not(None), or_(
        WorkOrder.resolution_breached_at.is_not(None),
        and_(WorkOrder.completed_at.is_(None), WorkOrder.closed_at.is_(None),
             WorkOrder.resolution_due_at < now),
        and_(WorkOrder.completed_at.is_not(None),
             WorkOrder.completed_at > WorkOrder.resolution_due_at)))
    breached = or_(response_breached, resolution_breached)
    warning = or_(WorkOrder.response_warned_at.is_not(None),
                  WorkOrder.resolution_warned_at.is_not(None))
    return {
        "none": WorkOrder.sla_policy_id.is_(None),
        "paused": WorkOrder.sla_paused_since.is_not(None),
        "breached": breached,
        "warning": and_(warning, ~breached),
        "ok": and_(WorkOrder.sla_policy_id.is_not(None), ~breached, ~warning),
    }[state]
