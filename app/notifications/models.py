from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import Model


class NotificationStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    dropped = "dropped"
    # Push was not wanted for this kind/role, or the user has no active device: the
    # notification is in the user's inbox (and email, when routed) only.
    inbox = "inbox"


NOTIFICATION_STATUS_VALUES = tuple(s.value for s in NotificationStatus)


class Notification(Model):
    """One message to one user, queued in the same transaction as the change it reports.

    A rolled-back change therefore notifies nobody; a delivery worker (later: firebase) picks
    up `pending` rows whose `next_attempt_at` has come and marks them sent, failed or dropped.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"status IN {NOTIFICATION_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("email_status IS NULL OR email_status IN "
                        "('pending', 'claimed', 'sent', 'failed', 'in_doubt')",
                        name="email_status_known"),
        # The delivery worker's queue scan.
        Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        # The email deliverer's queue scan; the inbox (a user's unread first).
        Index("ix_notifications_email_status_next", "email_status", "email_next_attempt_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Plain integer, not a foreign key: notifications sit below work orders in the layering.
    work_order_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Inbox: when the user marked it read (null = unread).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which channels carry it (push, email; the inbox always), from the routing table.
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Email channel: null = not by email; pending -> claimed -> sent | failed | in_doubt.
    email_status: Mapped[str | None] = mapped_column(String(10))
    email_to: Mapped[str | None] = mapped_column(String(320))
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(Text)


# --- push delivery (mobile API, issue 8) ----------------------------------------------------


class PushDevice(Model):
    """A phone's FCM registration token; deactivated when FCM says it is gone."""

    __tablename__ = "push_devices"
    __table_args__ = (
        CheckConstraint("platform IN ('android', 'ios', 'web')", name="platform_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(512), unique=True)
    platform: Mapped[str] = mapped_column(String(10))
    app_version: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(default=True)
    deactivated_reason: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationAttempt(Model):
    """One try to hand one notification to FCM for one device, with its outcome."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("push_devices.id",
                                                             ondelete="SET NULL"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sent | retry | token_dropped | failed | logged (no credentials configured)
    outcome: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))


class NotificationDelivery(Model):
    """A notification handed to FCM for a device: at most once per device (unique).

    The row is written and committed as `claimed` BEFORE the send and set to `sent` right
    after it; a deliverer that dies in between leaves a claim whose send is in doubt. A later
    pass never sends a claimed pair again: it marks the claim `in_doubt` (never twice is the
    promise; at most one in-doubt send per crash).
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "device_id",
                         name="uq_notification_deliveries_notification_device"),
        CheckConstraint("state IN ('claimed', 'sent', 'in_doubt')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("push_devices.id", ondelete="CASCADE"))
    message_id: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="sent")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
