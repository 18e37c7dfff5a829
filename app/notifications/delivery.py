"""Delivering the notification outbox to phones, exactly once per device.

`deliver_pending` takes the due `pending` notifications and hands each to FCM for every active
device of its user that has not received it yet. Never twice to one device, even across
crashes: for each (notification, device) a delivery row is inserted as `claimed` (unique pair)
and committed BEFORE the HTTP send, and set to `sent` and committed right after it. A deliverer
killed between the two leaves a claim whose send is in doubt (FCM may or may not have it); no
later pass sends that pair again: once the claim is older than PUSH_CLAIM_LEASE_SECONDS (a
deliverer still alive finishes well within it) it is marked `in_doubt`, recorded as an attempt,
and counts as delivered. So a crash costs at most one in-doubt send per deliverer, never a
duplicate. FCM answers that say the message was not accepted (retryable errors, dropped tokens)
release the claim, so a retry round may send to that device again.

Every try is a NotificationAttempt. A round with a retryable error (UNAVAILABLE, INTERNAL,
quota) waits base * 2^(n-1) seconds (capped) before the next; tokens FCM answers UNREGISTERED or
INVALID_ARGUMENT are deactivated. A user without an active device (or a kind routed without
push) keeps the notification in the inbox only (status `inbox`). Without a client (no
credentials) the outbox is kept and logged.

The durability comes from `commit`: the CLI, the Celery task and the scheduler pass the
session's commit. Without it (the default) outcomes are only flushed and the caller commits
once, which is fine for tests but not crash-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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
    inbox: int = 0  # no device / push not routed: in the inbox only
    in_doubt: int = 0  # claims left by a deliverer that died mid-send (never re-sent)
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


Texts = Callable[[Notification], tuple[str, str]]


def deliver_pending(session: Session, *, now: datetime, client: PushClient | None,
                    limit: int = 100, commit: Callable[[], None] | None = None,
                    texts: Texts | None = None) -> DeliveryReport:
    """One delivery pass over the due outbox. `commit` makes each claim and each outcome
    durable as it happens (see the module docstring); without it the caller commits.
    `texts` says a notification's (title, body) in its recipient's language (default: as
    queued)."""
    checkpoint = commit or session.flush
    report = DeliveryReport()
    for notification in due_notifications(session, now=now, limit=limit):
        report.notification_ids.append(notification.id)
        if notification.channels and "push" not in notification.channels:
            notification.status = NotificationStatus.inbox
            report.inbox += 1
            continue
        if client is None:
            log.info("push not configured; kept notification %s (%s) for user %s: %s",
                     notification.id, notification.kind, notification.user_id,
                     notification.title)
            report.kept += 1
            continue
        _deliver_one(session, notification, now=now, client=client, report=report,
                     checkpoint=checkpoint, texts=texts)
    checkpoint()
    return report


def _deliver_one(session: Session, notification: Notification, *, now: datetime,
                 client: PushClient, report: DeliveryReport,
                 checkpoint: Callable[[], None], texts: Texts | None) -> None:
    notification_id = notification.id
    earlier = {row.device_id: row for row in session.scalars(
        select(NotificationDelivery).where(
            NotificationDelivery.notification_id == notification_id))}
    lease = timedelta(seconds=Config.PUSH_CLAIM_LEASE_SECONDS)
    devices = active_devices(session, notification.user_id)
    delivered = {d for d, row in earlier.items() if row.state in ("sent", "in_doubt")}
    unsettled = []  # claims younger than the lease: a live deliverer may still be sending
    for device_id, row in earlier.items():
        if row.state != "claimed":
            continue
        if row.claimed_at is None or row.claimed_at <= now - lease:
            row.state = "in_doubt"
            session.add(NotificationAttempt(
                notification_id=notification_id, device_id=device_id, attempted_at=now,
                outcome="in_doubt", error_message="the deliverer stopped during this send; "
                "not sent again"))
            delivered.add(device_id)
            report.in_doubt += 1
        else:
            unsettled.append(device_id)
    retry_errors = []
    for device in devices:
        if device.id in earlier:
            continue
        claim = _claim(session, notification_id, device.id, now)
        if claim is None:  # another deliverer claimed this pair meanwhile
            unsettled.append(device.id)
            continue
        checkpoint()  # the claim is durable before the message leaves
        outcome = _send(session, notification, device, claim, now=now, client=client,
                        texts=texts)
        checkpoint()  # the outcome is durable before the next send
        if outcome == "sent":
            delivered.add(device.id)
        elif outcome == "retry":
            retry_errors.append(device.id)
    notification.attempts += 1
    if unsettled and not retry_errors:
        notification.next_attempt_at = now + lease
        notification.last_error = f"send in progress or in doubt for device(s) {unsettled}"
        report.retrying += 1
    elif retry_errors and notification.attempts < Config.PUSH_MAX_ATTEMPTS:
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
    elif not devices and not earlier:
        notification.status = NotificationStatus.inbox
        report.inbox += 1
    else:
        notification.status = NotificationStatus.dropped
        notification.last_error = notification.last_error or "no active device"
        report.dropped += 1
    checkpoint()


def _claim(session: Session, notification_id: int, device_id: int,
           now: datetime) -> NotificationDelivery | None:
    """Insert the (notification, device) claim; None when another deliverer holds it."""
    claim = NotificationDelivery(notification_id=notification_id, device_id=device_id,
                                 state="claimed", claimed_at=now)
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()  # flush: the unique pair is the guard against a second send
    except IntegrityError:
        return None
    return claim


def _send(session: Session, notification: Notification, device: PushDevice,
          claim: NotificationDelivery, *, now: datetime, client: PushClient,
          texts: Texts | None) -> str:
    data = {str(k): str(v) for k, v in (notification.data or {}).items()}
    data.update({"kind": notification.kind, "notification_id": str(notification.id)})
    title, body = texts(notification) if texts else (notification.title, notification.body)
    message = PushMessage(token=device.token, title=title, body=body, data=data)
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
        session.delete(claim)  # FCM did not take it: a later round may send to this device
        return attempt.outcome
    attempt.outcome = "sent"
    session.add(attempt)
    claim.state, claim.sent_at, claim.message_id = "sent", now, attempt.message_id
    return "sent"
