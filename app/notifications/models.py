from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class NotificationStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    dropped = "dropped"


NOTIFICATION_STATUS_VALUES = tuple(s.value for s in NotificationStatus)


class Notification(db.Model):
    """One message to one user, queued in the same transaction as the change it reports.

    A rolled-back change therefore notifies nobody; a delivery worker (later: firebase) picks
    up `pending` rows whose `next_attempt_at` has come and marks them sent, failed or dropped.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"status IN {NOTIFICATION_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The delivery worker's queue scan.
        Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
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
