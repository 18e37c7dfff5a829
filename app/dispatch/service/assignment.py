"""Assigning a work order to a technician by hand: skills, overlaps and the version."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.dispatch.models import Technician
from app.dispatch.service.availability import availability_on
from app.dispatch.service.candidates import (
    earliest_slot,
    missing_skills,
    schedule_of,
    start_position,
)
from app.dispatch.service.problem import local_day
from app.errors import Conflict, Unprocessable, VersionConflict
from app.workorders import service as workorders
from app.workorders.models import WorkOrder


def _technician_locked(session: Session, technician_id: int) -> Technician:
    """The technician row, locked on PostgreSQL so two assignments to the same technician
    check overlaps one after the other."""
    tech = session.scalar(select(Technician).where(Technician.id == technician_id)
                          .with_for_update())
    if tech is None or not tech.is_active:
        raise Unprocessable("No active technician with that id.",
                            errors={"technician_id": ["Not an active technician."]})
    return tech


def assign_technician(session: Session, work_order_id: int, *, technician_id: int,
                      start: datetime | None = None, version: int, override: bool = False,
                      reason: str | None = None, now: datetime, actor: User) -> WorkOrder:
    """A qualified technician (or an override with a reason, on the timeline), in a slot
    that overlaps none of its visits, on the version the dispatcher saw. Without `start`,
    the earliest free slot today."""
    wo = workorders.get_work_order_for(session, work_order_id, actor=actor)
    if version != wo.version:
        raise VersionConflict(
            "The work order was changed by someone else; reload it and try again.",
            current_version=wo.version)
    if override and not (reason or "").strip():
        raise Unprocessable("An override needs a reason.", errors={"reason": ["Required."]})
    tech = _technician_locked(session, technician_id)
    missing = missing_skills(tech, wo)
    if missing and not override:
        names = ", ".join(f"{m['skill']} level {m['required']} (has {m['have']})"
                          for m in missing)
        raise Conflict(f"The technician lacks required skills: {names}.",
                       error="missing_skill", missing_skills=missing)
    duration = timedelta(minutes=wo.estimated_duration_min)
    if start is None:
        day = local_day(now)
        avail = availability_on(session, tech, day)
        busy = schedule_of(session, tech, now - timedelta(hours=14), now + timedelta(hours=24),
                           exclude=wo.id)
        slot = earliest_slot(wo, avail, busy, now=now, home=start_position(tech, now, True))
        if slot is None:
            raise Conflict("The technician has no free slot left today; give a start.",
                           error="no_free_slot")
        start = slot.start
    end = start + duration
    outside = not _within_shift(session, tech, start, end)
    if outside and not override:
        raise Conflict("The slot lies outside the technician's working hours that day; "
                       "send override with a reason to book it anyway.",
                       error="outside_shift")
    clash = [w for w in schedule_of(session, tech, start - timedelta(days=1), end,
                                    exclude=wo.id) if w.start < end and w.end > start]
    if clash:
        numbers = [session.get(WorkOrder, b.work_order_id).number  # type: ignore[union-attr]
                   for b in clash]
        raise Conflict(f"The slot overlaps {', '.join(numbers)} of this technician.",
                       error="slot_overlap", overlapping=numbers)
    # The override reason is the office's: it goes only on internal entries (the customer
    # reads the `assigned` entry, never why the dispatcher overrode a rule).
    workorders.assign_work_order(session, wo, assignee_user_id=tech.user_id,
                                 scheduled_start=start, scheduled_end=end, version=version,
                                 actor=actor)
    if missing:
        workorders.record_event(session, wo, "skill_override", actor=actor, internal=True,
                                data={"technician_id": tech.id, "missing_skills": missing,
                                      "reason": reason})
    if outside:
        workorders.record_event(session, wo, "shift_override", actor=actor, internal=True,
                                data={"technician_id": tech.id, "start": start.isoformat(),
                                      "reason": reason})
    return wo


def _within_shift(session: Session, tech: Technician, start: datetime, end: datetime) -> bool:
    """The visit lies inside one of the technician's working windows of that local day."""
    windows = availability_on(session, tech, local_day(start)).windows
    return any(w_start <= start and end <= w_end for w_start, w_end in windows)
