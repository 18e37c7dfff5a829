"""The customer tracking view: what the holder of a fault report's tracking token (or the
logged-in customer) may see of one work order.

Only a hash of the token is stored. The view is built from a whitelist: status, the
customer-safe timeline (non-internal entries of customer-facing kinds, each with only the
status it reached or the note's text; never the raw event data, which may hold positions or
override reasons), the technician's first name, an ETA window once en route, and a summary
once done. Never the technician's position, contact or full name, nor any other order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.db import utcnow
from app.errors import DomainError, Forbidden, NotFound
from app.workorders.models import FaultReport, WorkOrder, WorkOrderEvent
from app.workorders.service.access import get_work_order_for, is_office

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# Timeline kinds a customer may see (when not internal).
CUSTOMER_KINDS = ("created", "customer_report", "assigned", "status_changed", "note",
                  "checked_in", "checked_out", "customer_signed", "rated")
ETA_ROUND_MINUTES = 30
ETA_WINDOW_MINUTES = 60
DONE_STATES = ("completed", "closed")


# The technician's live arrival at an en-route order (None: no fresh position), from the
# dispatch route; handed in by the caller, as workorders does not import dispatch.
LiveArrival = Callable[[WorkOrder], "datetime | None"]


class TrackingRevoked(DomainError):
    code, error = 410, "tracking_revoked"


def _report_for_token(session: Session, token: str) -> FaultReport:
    if not TOKEN_SHAPE.match(token or ""):
        raise NotFound("No work order is tracked with this link.")
    digest = hashlib.sha256(token.encode()).hexdigest()
    report = session.scalar(select(FaultReport).where(
        FaultReport.tracking_token_sha256 == digest))
    if report is None:
        raise NotFound("No work order is tracked with this link.")
    if report.tracking_revoked_at is not None:
        raise TrackingRevoked("This tracking link has been revoked.")
    return report


def tracking_by_token(session: Session, token: str, *,
                      live_arrival: LiveArrival | None = None) -> dict[str, Any]:
    """The public view for a tracking token (404 unknown, 410 revoked)."""
    report = _report_for_token(session, token)
    work_order = session.get(WorkOrder, report.work_order_id)
    if work_order is None:  # the order was deleted (cascade removes the report too)
        raise NotFound("No work order is tracked with this link.")
    return tracking_view(session, work_order, live_arrival=live_arrival)


def tracking_for(session: Session, work_order_id: int, *, actor: User,
                 live_arrival: LiveArrival | None = None) -> dict[str, Any]:
    """The same view for a logged-in user who may see the order (customers: their own)."""
    return tracking_view(session, get_work_order_for(session, work_order_id, actor=actor),
                         live_arrival=live_arrival)


def revoke_token(session: Session, token: str) -> None:
    """The holder of a link revokes it (idempotent for a revoked one)."""
    try:
        report = _report_for_token(session, token)
    except TrackingRevoked:
        return
    report.tracking_revoked_at = utcnow()


def revoke_work_order_links(session: Session, work_order_id: int, *, actor: User) -> int:
    """Office roles, or the order's customer, revoke every tracking link of an order."""
    if not (is_office(actor) or actor.role == Role.customer):
        raise Forbidden("Your role may not do this.")
    work_order = get_work_order_for(session, work_order_id, actor=actor)
    result: Any = session.execute(
        update(FaultReport).where(FaultReport.work_order_id == work_order.id,
                                  FaultReport.tracking_revoked_at.is_(None))
        .values(tracking_revoked_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def eta_window(start: datetime) -> dict[str, datetime]:
    """A window around the expected arrival: from the half hour at or before it, one hour."""
    floor = start.replace(minute=start.minute - start.minute % ETA_ROUND_MINUTES, second=0,
                          microsecond=0)
    return {"from": floor, "to": floor + timedelta(minutes=ETA_WINDOW_MINUTES)}


def tracking_view(session: Session, work_order: WorkOrder, *,
                  live_arrival: LiveArrival | None = None) -> dict[str, Any]:
    technician = None
    if work_order.assignee_user_id is not None and work_order.status not in ("new",
                                                                              "cancelled"):
        user = session.get(User, work_order.assignee_user_id)
        first = (user.full_name or "").split()[0] if user and user.full_name else None
        technician = {"first_name": first} if first else None
    window = None
    if work_order.status == "en_route":
        # The live arrival from the technician's last fix; the schedule when there is none.
        arrival = (live_arrival(work_order) if live_arrival is not None else None) \
            or work_order.scheduled_start
        window = eta_window(arrival) if arrival is not None else None
    done = None
    if work_order.status in DONE_STATES and work_order.completed_at is not None:
        done = {"completed_at": work_order.completed_at, "remedy_code": work_order.remedy_code,
                "summary": work_order.resolution_notes}
    events = session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == work_order.id, WorkOrderEvent.internal.is_(False),
        WorkOrderEvent.kind.in_(CUSTOMER_KINDS)).order_by(WorkOrderEvent.id))
    timeline = []
    for event in events:
        item: dict[str, Any] = {"kind": event.kind, "at": event.occurred_at}
        data = event.data or {}
        if event.kind == "status_changed" and isinstance(data.get("to"), str):
            item["status"] = data["to"]
        elif event.kind == "note" and isinstance(data.get("text"), str):
            item["text"] = data["text"]
        timeline.append(item)
    return {"id": work_order.id, "number": work_order.number, "title": work_order.title,
            "status": work_order.status, "created_at": work_order.created_at,
            "technician": technician, "eta_window": window, "done": done,
            "timeline": timeline}
