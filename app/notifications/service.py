"""Queueing notifications. Delivery (push via firebase) is a later issue and lives here too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.models import Notification

MAX_TITLE = 200


def queue_notification(session: Session, *, user_ids: Iterable[int | None], kind: str,
                       title: str, body: str, data: dict[str, Any] | None = None,
                       work_order_id: int | None = None) -> list[Notification]:
    """Queue one pending notification per distinct recipient, in the caller's transaction."""
    now = utcnow()
    recipients = list(dict.fromkeys(uid for uid in user_ids if uid is not None))
    rows = [
        Notification(user_id=uid, kind=kind, title=title[:MAX_TITLE], body=body,
                     data=dict(data or {}), work_order_id=work_order_id, status="pending",
                     attempts=0, next_attempt_at=now, created_at=now)
        for uid in recipients
    ]
    session.add_all(rows)
    return rows
