"""Sending webhook deliveries: signed, claimed before sending, settled right after.

Each due row is claimed with a conditional UPDATE (pending -> sending) and committed before
the request leaves, and its outcome is committed right after. Two deliverers therefore never
send the same row, and a deliverer that dies mid-send leaves the row `sending`: after the
lease it becomes `unknown` and is never re-sent by itself (an operator may redeliver it; the
receiver de-duplicates on `X-FieldOps-Delivery`). A failed attempt is retried after
base * 2^(n-1) seconds (capped) until `max_attempts`; a subscription whose receiver fails
`disable_after` attempts in a row is disabled.

Signature: `X-FieldOps-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`;
receivers recompute it and refuse timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import Unprocessable
from app.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.integrations.service.subscriptions import check_target

log = logging.getLogger(__name__)
USER_AGENT = "FieldOps-Webhooks/1"


@dataclass(frozen=True)
class WebhookSettings:
    timeout_s: float = 5.0
    max_attempts: int = 8
    backoff_base_s: int = 30
    backoff_max_s: int = 3600
    disable_after: int = 20
    lease_s: int = 300
    allow_private: bool = False


def settings_from(config: Mapping[str, Any]) -> WebhookSettings:
    """The deliverer's settings from the app's configuration (see app/config.py)."""
    return WebhookSettings(
        timeout_s=float(config.get("WEBHOOK_TIMEOUT_S", 5.0)),
        max_attempts=int(config.get("WEBHOOK_MAX_ATTEMPTS", 8)),
        backoff_base_s=int(config.get("WEBHOOK_BACKOFF_BASE_SECONDS", 30)),
        backoff_max_s=int(config.get("WEBHOOK_BACKOFF_MAX_SECONDS", 3600)),
        disable_after=int(config.get("WEBHOOK_DISABLE_AFTER", 20)),
        lease_s=int(config.get("WEBHOOK_LEASE_SECONDS", 300)),
        allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)))


@dataclass(frozen=True)
class HttpOutcome:
    status: int | None
    error: str | None
    elapsed_ms: int


@dataclass
class WebhookRound:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0


Poster = Callable[[str, bytes, dict[str, str], float], HttpOutcome]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def http_post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> HttpOutcome:
    """POST without following redirects; any answer but 2xx, and any error, is a failure."""
    import requests

    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout_s,
                                 allow_redirects=False)
        response.close()
        status, error = response.status_code, None
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except requests.Timeout:
        status, error = None, f"timeout after {timeout_s:g} s"
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {str(exc)[:200]}"
    return HttpOutcome(status, error, int((time.monotonic() - started) * 1000))


def backoff(attempts: int, settings: WebhookSettings) -> timedelta:
    seconds = settings.backoff_base_s * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.backoff_max_s))


def _settle_abandoned(session: Session, now: datetime, settings: WebhookSettings) -> int:
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.sending,
               WebhookDelivery.claimed_at < now - timedelta(seconds=settings.lease_s))
        .values(status=DeliveryStatus.unknown,
                last_error="the deliverer stopped during the request; not re-sent "
                           "automatically (redeliver by hand if the receiver lacks it)"))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    result = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id,
               WebhookDelivery.status == DeliveryStatus.pending)
        .values(status=DeliveryStatus.sending, claimed_at=now,
                attempts=WebhookDelivery.attempts + 1))
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _request(delivery: WebhookDelivery, subscription: WebhookSubscription,
             now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": delivery.delivery_key, **delivery.payload}, ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    return body, {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        "X-FieldOps-Event": delivery.event_type, "X-FieldOps-Delivery": delivery.delivery_key,
        "X-FieldOps-Signature": sign(subscription.secret, timestamp, body)}


def _record(delivery: WebhookDelivery, subscription: WebhookSubscription,
            outcome: HttpOutcome, now: datetime, settings: WebhookSettings,
            report: WebhookRound) -> None:
    delivery.response_status, delivery.response_ms = outcome.status, outcome.elapsed_ms
    if outcome.error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = (
            DeliveryStatus.delivered, now, None)
        subscription.consecutive_failures = 0
        report.delivered += 1
        return
    delivery.last_error = outcome.error
    subscription.consecutive_failures += 1
    if subscription.consecutive_failures >= settings.disable_after:
        subscription.is_active = False
        subscription.disabled_reason = (f"disabled after {subscription.consecutive_failures} "
                                        f"failed attempts in a row (last: {outcome.error})")
    if delivery.attempts >= settings.max_attempts or not subscription.is_active:
        delivery.status = DeliveryStatus.failed
        report.failed += 1
    else:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = now + backoff(delivery.attempts, settings)
        report.retrying += 1


def deliver_due_webhooks(session: Session, *, now: datetime, settings: WebhookSettings,
                         limit: int = 50, post: Poster = http_post) -> WebhookRound:
    """Send the due deliveries, oldest first; each claimed and settled in its own commit."""
    report = WebhookRound(unknown=_settle_abandoned(session, now, settings))
    due = list(session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == DeliveryStatus.pending,
               WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id).limit(limit)))
    for delivery_id in due:
        if not _claim(session, delivery_id, now):
            continue  # another deliverer has it
        delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
        assert delivery is not None
        subscription = delivery.subscription
        if not subscription.is_active:
            delivery.status, delivery.last_error = DeliveryStatus.failed, "subscription disabled"
            report.failed += 1
            session.commit()
            continue
        body, headers = _request(delivery, subscription, now)
        try:
            check_target(subscription.url, allow_private=settings.allow_private)
            outcome = post(subscription.url, body, headers, settings.timeout_s)
        except Unprocessable as exc:
            outcome = HttpOutcome(None, exc.message, 0)
        _record(delivery, subscription, outcome, now, settings, report)
        session.commit()
        log.info("webhook %s %s -> %s", delivery.event_type, subscription.url,
                 outcome.status or outcome.error)
    return report
