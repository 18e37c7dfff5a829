"""Delivering the notification outbox to phones.

`deliver_pending` takes the due `pending` notifications and hands each to FCM for every active
device of its user that has not received it yet (the unique (notification, device) delivery
row: never twice to one device, even across retries). Every try is a NotificationAttempt. A
round with a retryable error (UNAVAILABLE, INTERNAL, quota) waits base * 2^(n-1) seconds
(capped) before the next; tokens FCM answers UNREGISTERED or INVALID_ARGUMENT are deactivated.
Without a client (no credentials) the outbox is kept and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Config
from app.notifications.devices import active_devices
from app.notifications.fcm import PushError, PushMessage
from app.notifications.models import (
    Notification,
    NotificationAttempt,
    NotificationDelivery,
    NotificationStatus,
    PushDevice,
)

log = logging.getLogger(__name__)


class PushClient(Protocol):
    def send(self, message: PushMessage) -> str: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    dropped: int = 0
    kept: int = 0  # no client configured: left pending
    notification_ids: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Wait before the next round after `attempts` failed rounds."""
    seconds = Config.PUSH_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, Config.PUSH_BACKOFF_MAX_SECONDS))


def due_notifications(session: Session, *, now: datetime, limit: int) -> list[Notification]:
    """Pending and due, oldest first; rows another deliverer holds are skipped (PostgreSQL)."""
    return list(session.scalars(
        select(Notification)
        .where(Notification.status == NotificationStatus.pending,
               Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)))


def deliver_pending(session: Session, *, now: datetime, client: PushClient | None,
                    limit: int = 100) -> DeliveryReport:
    """One delivery pass over the due outbox (the caller commits)."""
    report = DeliveryReport()
    for notification in due_notifications(session, now=now, limit=limit):
        report.notification_ids.append(notification.id)
        if client is None:
            log.info("push not configured; kept notification %s (%s) for user %s: %s",
                     notification.id, notification.kind, notification.user_id,
                     notification.title)
            report.kept += 1
            continue
        _deliver_one(session, notification, now=now, client=client, report=report)
    return report


def _deliver_one(session: Session, notification: Notification, *, now: datetime,
                 client: PushClient, report: DeliveryReport) -> None:
    delivered = set(session.scalars(select(NotificationDelivery.device_id).where(
        NotificationDelivery.notification_id == notification.id)))
    devices = [d for d in active_devices(session, notification.user_id)
               if d.id not in delivered]
    retry_errors = []
    for device in devices:
        outcome = _send(session, notification, device, now=now, client=client)
        if outcome == "sent":
            delivered.add(device.id)
        elif outcome == "retry":
            retry_errors.append(device.id)
    notification.attempts += 1
    if retry_errors and notification.attempts < Config.PUSH_MAX_ATTEMPTS:
        notification.next_attempt_at = now + backoff(notification.attempts)
        notification.last_error = f"retryable error for device(s) {retry_errors}"
        report.retrying += 1
    elif retry_errors:
        notification.status = NotificationStatus.failed
        notification.last_error = f"gave up after {notification.attempts} attempts"
        report.failed += 1
    elif delivered:
        notification.status = NotificationStatus.sent
        notification.sent_at = now
        report.sent += 1
    else:
        notification.status = NotificationStatus.dropped
        notification.last_error = notification.last_error or "no active device"
        report.dropped += 1


def _send(session: Session, notification: Notification, device: PushDevice, *, now: datetime,
          client: PushClient) -> str:
    data = {str(k): str(v) for k, v in (notification.data or {}).items()}
    data.update({"kind": notification.kind, "notification_id": str(notification.id)})
    message = PushMessage(token=device.token, title=notification.title,
                          body=notification.body, data=data)
    attempt = NotificationAttempt(notification_id=notification.id, device_id=device.id,
                                  attempted_at=now)
    try:
        attempt.message_id = client.send(message)
    except PushError as exc:
        attempt.error_code, attempt.error_message = exc.code, exc.message[:2000]
        if exc.kind in ("unregistered", "invalid"):
            attempt.outcome = "token_dropped"
            device.is_active = False
            device.deactivated_reason = exc.code[:60]
            notification.last_error = f"device {device.id}: {exc.code}"
        elif exc.kind == "retry":
            attempt.outcome = "retry"
        else:
            attempt.outcome = "failed"
            notification.last_error = f"device {device.id}: {exc.code}"
        session.add(attempt)
        return attempt.outcome
    attempt.outcome = "sent"
    session.add(attempt)
    session.add(NotificationDelivery(notification_id=notification.id, device_id=device.id,
                                     message_id=attempt.message_id, sent_at=now))
    session.flush()  # flush: the unique delivery row is the guard against a second send
    return "sent"
