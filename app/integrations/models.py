"""Webhook subscriptions and their delivery log (an outbox of its own)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import Model


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    sending = "sending"  # claimed by a deliverer, request in flight
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # out of attempts, or the subscription was disabled
    unknown = "unknown"  # the deliverer stopped mid-send: never re-sent by itself


DELIVERY_STATUS_VALUES = tuple(s.value for s in DeliveryStatus)


class WebhookSubscription(Model):
    """An integration's endpoint and the event types it wants, signed with its own secret."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    # HMAC-SHA256 key; shown once when created or rotated, never answered again.
    secret: Mapped[str] = mapped_column(String(80))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(Model):
    """One event for one subscription: queued in the transaction of the change it reports,
    claimed before it is sent and settled right after, so a crash never sends it twice."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_webhook_deliveries_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The receiver's de-duplication key (X-FieldOps-Delivery); a redelivery keeps it.
    delivery_key: Mapped[str] = mapped_column(String(36), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None]
    response_ms: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    redelivery_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription: Mapped[WebhookSubscription] = relationship()


class InboundStatus(StrEnum):
    fault_report = "fault_report"  # became a fault report (a new order, or attached to one)
    comment = "comment"  # a reply naming one of the sender's work orders: a visible note
    held = "held"  # waiting for a dispatcher: unknown sender, order or site
    filed = "filed"  # a held message a dispatcher turned into a work order
    rejected = "rejected"  # a held message a dispatcher dismissed


INBOUND_STATUS_VALUES = tuple(s.value for s in InboundStatus)


class InboundEmail(Model):
    """A message to the service address and what became of it (one row per Message-ID)."""

    __tablename__ = "inbound_emails"
    __table_args__ = (
        CheckConstraint(f"status IN {INBOUND_STATUS_VALUES!r}", name="status_known"),
        Index("ix_inbound_emails_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))  # why it is held
    # Images carried for a held message, filed with it later (name, content type, base64).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    skipped_attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AutomationRule(Model):
    """When <event> and <conditions> then <actions>, evaluated in the event's transaction."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(60), index=True)
    # {"priority": ["P1"], "customer_tier": ["gold"], "site_ids": [..], ...}: all must hold.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"type": "assign_best"}, {"type": "notify", "role": "dispatcher"}, ...], in order.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationFiring(Model):
    """One evaluation of a rule that matched: what its actions did, or why they failed."""

    __tablename__ = "automation_firings"
    __table_args__ = (
        CheckConstraint("outcome IN ('done', 'failed')", name="outcome_known"),
        Index("ix_automation_firings_rule_id_id", "rule_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    event_type: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
