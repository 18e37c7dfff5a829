"""Webhook subscriptions: who receives which events, and the rules for their URLs."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.integrations.service.events import EVENT_TYPES, envelope, queue_delivery


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_target(url: str, *, allow_private: bool) -> None:
    """http(s) only; loopback, private and link-local addresses only when allowed (a
    subscription must not become a way into the operator's own network)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("The URL must be http(s)://host/…", errors={"url": [url[:100]]},
                            error="invalid_webhook_url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise Unprocessable("The URL's host does not resolve.", errors={"url": [str(exc)]},
                            error="invalid_webhook_url") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Unprocessable("The URL points into a private network.",
                                errors={"url": [str(address)]}, error="webhook_url_private")


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES) - {"*"})
    if unknown or not events:
        raise Unprocessable("Unknown or no event types.",
                            errors={"events": unknown or ["at least one"]},
                            error="unknown_event_type")
    return sorted(set(events))


def create_subscription(session: Session, *, url: str, events: list[str],
                        description: str | None, allow_private: bool,
                        actor: User) -> WebhookSubscription:
    """A new active subscription with a fresh secret (the caller shows it once)."""
    check_target(url, allow_private=allow_private)
    subscription = WebhookSubscription(url=url, events=_check_events(events),
                                       description=description, secret=new_secret(),
                                       created_by_id=actor.id, is_active=True,
                                       consecutive_failures=0)
    session.add(subscription)
    session.flush()  # flush: the caller answers with the new id
    return subscription


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("Webhook subscription not found.")
    return subscription


def list_subscriptions() -> Select[tuple[WebhookSubscription]]:
    return select(WebhookSubscription).order_by(WebhookSubscription.id)


def update_subscription(session: Session, subscription: WebhookSubscription, *,
                        changes: dict[str, Any], allow_private: bool) -> WebhookSubscription:
    """Change URL, events, description or activity; re-enabling forgets past failures."""
    if "url" in changes:
        check_target(changes["url"], allow_private=allow_private)
        subscription.url = changes["url"]
    if "events" in changes:
        subscription.events = _check_events(changes["events"])
    if "description" in changes:
        subscription.description = changes["description"]
    if changes.get("is_active") is True and not subscription.is_active:
        subscription.is_active, subscription.disabled_reason = True, None
        subscription.consecutive_failures = 0
    elif changes.get("is_active") is False:
        subscription.is_active, subscription.disabled_reason = False, "disabled by hand"
    return subscription


def rotate_secret(subscription: WebhookSubscription) -> WebhookSubscription:
    subscription.secret = new_secret()
    return subscription


def delete_subscription(session: Session, subscription: WebhookSubscription) -> None:
    session.delete(subscription)


def ping(session: Session, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a test event for this subscription only."""
    return queue_delivery(session, subscription, "ping",
                          envelope("ping", {"subscription_id": subscription.id}, utcnow()))


def list_deliveries(subscription: WebhookSubscription, *,
                    status: str | None) -> Select[tuple[WebhookDelivery]]:
    stmt = (select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
            .order_by(WebhookDelivery.id.desc()))
    return stmt if status is None else stmt.where(WebhookDelivery.status == status)


def redeliver(session: Session, subscription: WebhookSubscription,
              delivery_id: int) -> WebhookDelivery:
    """Queue a settled delivery again, with the same payload and de-duplication key."""
    original = session.get(WebhookDelivery, delivery_id)
    if original is None or original.subscription_id != subscription.id:
        raise NotFound("Delivery not found.")
    if original.status in (DeliveryStatus.pending, DeliveryStatus.sending):
        raise Conflict("This delivery is still queued or in flight.",
                       error="delivery_in_progress")
    if not subscription.is_active:
        raise Conflict("Re-enable the subscription first.", error="subscription_disabled")
    return queue_delivery(session, subscription, original.event_type, original.payload,
                          redelivery_of=original)
