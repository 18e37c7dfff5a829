"""The append-only timeline of a work order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.db import utcnow
from app.errors import Forbidden, Unprocessable
from app.notifications.service import emit_event
from app.workorders.models import WorkOrder, WorkOrderEvent

CUSTOMER_NOTES_FORBIDDEN = "Warehouse notes are internal; send internal: true."

# Kinds other packages record (check-ins, photos, parts) are free-form but short and plain.
_KIND_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def record_event(session: Session, work_order: WorkOrder, kind: str, *, actor: User | None,
                 data: dict[str, Any] | None = None, internal: bool = False,
                 client_time: datetime | None = None) -> WorkOrderEvent:
    """Append one entry to the timeline, in the caller's transaction (never on its own)."""
    if not kind or len(kind) > 40 or not set(kind) <= _KIND_CHARS:
        raise Unprocessable("Unknown timeline entry kind.", errors={"kind": [kind]})
    entry = WorkOrderEvent(work_order_id=work_order.id, kind=kind,
                           actor_user_id=actor.id if actor is not None else None,
                           internal=internal, data=dict(data or {}), occurred_at=utcnow(),
                           client_time=client_time)
    session.add(entry)
    if kind == "status_changed" and work_order.assignee_user_id is not None:
        # Office roles watch the field live (SSE, after commit).
        emit_event(session, {
            "type": "technician_status", "work_order_id": work_order.id,
            "key": entry.data.get("to"), "number": work_order.number,
            "technician_user_id": work_order.assignee_user_id,
            "from": entry.data.get("from"), "to": entry.data.get("to")})
    return entry


def timeline_query(work_order: WorkOrder, *, actor: User) -> Any:
    """The timeline in order; customers get the customer-safe view (no internal entries)."""
    stmt = (select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == work_order.id)
            .order_by(WorkOrderEvent.id))
    if actor.role == Role.customer:
        stmt = stmt.where(WorkOrderEvent.internal.is_(False))
    return stmt


def add_note(session: Session, work_order: WorkOrder, *, text: str, internal: bool,
             actor: User) -> WorkOrderEvent:
    """Anyone who sees the order may comment; customers' notes are never internal, and
    warehouse staff write only internal notes (the customer hears from the office and the
    technician)."""
    if actor.role == Role.customer:
        internal = False
    elif actor.role == Role.warehouse and not internal:
        raise Forbidden(CUSTOMER_NOTES_FORBIDDEN)
    return record_event(session, work_order, "note", actor=actor, internal=internal,
                        data={"text": text})
