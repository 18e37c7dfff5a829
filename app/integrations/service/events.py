"""Which changes become webhook events, captured in the transaction of the change.

Every change to a work order is already written to its timeline in the same transaction
(ARCHITECTURE: cross-cutting rules), so the timeline is the one source of events: a session
hook turns each new timeline entry (and each applied plan) into delivery rows for the
subscriptions that want it. A rolled-back change therefore never reaches a receiver, and no
service has to remember to call us.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.dispatch.models import OptimizationRun
from app.integrations.models import WebhookDelivery, WebhookSubscription
from app.workorders.models import Status, WorkOrder, WorkOrderEvent

PAYLOAD_VERSION = 1

EVENT_TYPES: dict[str, str] = {
    "work_order.created": "A work order was opened (any channel).",
    "work_order.status_changed": "A work order moved to another state.",
    "work_order.completed": "A work order was completed.",
    "work_order.assigned": "A work order was assigned, reassigned or unassigned.",
    "work_order.commented": "A customer-visible note was added.",
    "fault_report.received": "A customer reported a fault (new order or merged).",
    "sla.warning": "A work order reached 75 % of an SLA target.",
    "sla.breached": "A work order breached an SLA target.",
    "plan.applied": "A dispatcher applied a day plan.",
    "ping": "A test event sent on request.",
    "automation.rule_fired": "An automation rule's webhook action (to its subscription only).",
}

_BY_TIMELINE_KIND = {
    "created": "work_order.created",
    "status_changed": "work_order.status_changed",
    "assigned": "work_order.assigned",
    "customer_report": "fault_report.received",
    "sla_warning": "sla.warning",
    "sla_breached": "sla.breached",
}


def event_types_of(entry: WorkOrderEvent) -> list[str]:
    """The event types a timeline entry stands for (none for most internal entries)."""
    if entry.kind == "note":
        return [] if entry.internal else ["work_order.commented"]
    kind = _BY_TIMELINE_KIND.get(entry.kind)
    if kind is None:
        return []
    if kind == "work_order.status_changed" and (entry.data or {}).get("to") == Status.completed:
        return [kind, "work_order.completed"]
    return [kind]


def _work_order_view(order: WorkOrder | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {"id": order.id, "number": order.number, "status": order.status,
            "priority": order.priority, "type": order.type, "customer_id": order.customer_id,
            "site_id": order.site_id, "asset_id": order.asset_id,
            "assignee_user_id": order.assignee_user_id,
            "resolution_due_at": _iso(order.resolution_due_at)}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def envelope(event_type: str, data: dict[str, Any], occurred_at: datetime) -> dict[str, Any]:
    return {"type": event_type, "version": PAYLOAD_VERSION,
            "occurred_at": occurred_at.isoformat(), "data": data}


def queue_delivery(session: Session, subscription: WebhookSubscription, event_type: str,
                   payload: dict[str, Any], *, redelivery_of: WebhookDelivery | None = None
                   ) -> WebhookDelivery:
    delivery = WebhookDelivery(
        delivery_key=redelivery_of.delivery_key if redelivery_of else str(uuid.uuid4()),
        subscription_id=subscription.id, event_type=event_type, payload=payload,
        status="pending", attempts=0, next_attempt_at=utcnow(),
        redelivery_of_id=redelivery_of.id if redelivery_of else None)
    session.add(delivery)
    return delivery


def _pending_events(session: Session) -> list[tuple[str, dict[str, Any], datetime]]:
    found: list[tuple[str, dict[str, Any], datetime]] = []
    for obj in list(session.new):
        if isinstance(obj, WorkOrderEvent):
            order = session.get(WorkOrder, obj.work_order_id) if obj.work_order_id else None
            for event_type in event_types_of(obj):
                data = {"work_order": _work_order_view(order),
                        "event": {"kind": obj.kind, "data": obj.data or {}}}
                found.append((event_type, data, obj.occurred_at or utcnow()))
    for obj in list(session.dirty):
        if isinstance(obj, OptimizationRun) and obj.applied_at is not None:
            history = inspect(obj).attrs.applied_at.history
            if history.added and not history.deleted:
                data = {"run": {"id": obj.id, "plan_date": obj.plan_date.isoformat(),
                                "kpis": obj.kpis or {}, "applied_by_id": obj.applied_by_id}}
                found.append(("plan.applied", data, obj.applied_at))
    return found


# Built once (its cache key with it): read by every flush that writes a timeline entry.
_ACTIVE_SUBSCRIPTIONS = select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True))


def _capture(session: Session, _flush_context: Any, _instances: Any) -> None:
    if not any(isinstance(o, WorkOrderEvent) for o in session.new) and not any(
            isinstance(o, OptimizationRun) for o in session.dirty):
        return
    with session.no_autoflush:
        events = _pending_events(session)
        if not events:
            return
        subscriptions = list(session.scalars(_ACTIVE_SUBSCRIPTIONS))
        for subscription in subscriptions:
            wanted = set(subscription.events or [])
            for event_type, data, occurred_at in events:
                if event_type in wanted or "*" in wanted:
                    queue_delivery(session, subscription, event_type,
                                   envelope(event_type, data, occurred_at))


def install_webhook_capture() -> None:
    """Listen on every session (idempotent)."""
    if not sa_event.contains(Session, "before_flush", _capture):
        sa_event.listen(Session, "before_flush", _capture)
