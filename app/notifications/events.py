"""The live event stream's fan-out: what office roles see as Server-Sent Events.

Producers do not talk to the bus directly: `publish_after_commit(session, notification)` (called
by queue_notification) and `emit_after_commit(session, event)` keep the event on the session
and hand it to the bus only when that transaction commits, so a rolled-back change streams
nothing. One event per (type, work order) per transaction, however many recipients.

The bus is per app (`app.extensions["fieldops_events"]`): in-process queues, one per open
stream; with EVENTS_REDIS_URL (default: REDIS_URL, else a redis:// CELERY_BROKER_URL) events are
published on a Redis channel and every web process fans out what it receives to its own
streams, so several workers share them.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.routing import STREAMED_KINDS

log = logging.getLogger(__name__)
_PENDING = "fieldops_pending_events"
CHANNEL = "fieldops:events"


class Subscription:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1000)

    def get(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.bus.unsubscribe(self)


class EventBus:
    """In-process fan-out to every open stream of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    def publish(self, event: dict[str, Any]) -> None:
        self.fan_out(event)

    def fan_out(self, event: dict[str, Any]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.queue.put_nowait(event)
            except queue.Full:  # a stalled client loses events rather than stalling others
                log.warning("event stream queue full; event dropped for one client")

    def close(self) -> None:
        return None


class RedisEventBus(EventBus):
    """Publishes on a Redis channel; a listener thread fans out what any process published."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        import redis

        self.channel = channel
        self._redis = redis.Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(channel)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="fieldops-events",
                                        daemon=True)
        self._thread.start()

    def publish(self, event: dict[str, Any]) -> None:
        self._redis.publish(self.channel, json.dumps(event))

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._pubsub.get_message(timeout=0.5)
            except Exception:  # connection lost: keep trying (redis-py reconnects)
                log.warning("event stream: Redis listener error", exc_info=True)
                self._stop.wait(1.0)
                continue
            if message and message.get("type") == "message":
                try:
                    self.fan_out(json.loads(message["data"]))
                except ValueError:
                    log.warning("event stream: unreadable message on %s", self.channel)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pubsub.close()
        self._redis.close()


def make_bus(config: Any) -> EventBus:
    url = config.get("EVENTS_REDIS_URL") or config.get("REDIS_URL")
    broker = config.get("CELERY_BROKER_URL") or ""
    if not url and broker.startswith("redis"):
        url = broker
    if not url:
        return EventBus()
    return RedisEventBus(url, config.get("EVENTS_CHANNEL") or default_channel(url))


def default_channel(url: str) -> str:
    """``fieldops:events:<database number>``: Redis pub/sub is server-wide, whatever database
    the URL names, so the number keeps deployments that share a server apart."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    number = parts.path.strip("/") or parse_qs(parts.query).get("db", ["0"])[0]
    return f"{CHANNEL}:{number}"


def current_bus() -> EventBus | None:
    try:
        from flask import current_app

        bus = current_app.extensions.get("fieldops_events")
    except RuntimeError:  # no app context (a plain script): nobody can be listening here
        return None
    return bus if isinstance(bus, EventBus) else None


# --- producers ------------------------------------------------------------------------------


def emit_after_commit(session: Session, event: dict[str, Any]) -> None:
    """Stream `event` ({"type", ...}) to office roles once this transaction commits."""
    pending: dict[tuple[Any, ...], dict[str, Any]] = session.info.setdefault(_PENDING, {})
    event = {"at": utcnow().isoformat(), **event}
    pending.setdefault((event["type"], event.get("work_order_id"), event.get("key")), event)


def publish_after_commit(session: Session, notification: Any) -> None:
    if notification.kind not in STREAMED_KINDS:
        return
    emit_after_commit(session, {
        "type": notification.kind, "work_order_id": notification.work_order_id,
        "title": notification.title, "body": notification.body,
        "data": dict(notification.data or {})})


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bus = current_bus()
    if bus is None:
        return
    for event in pending.values():
        try:
            bus.publish(event)
        except Exception:  # the change is committed; a lost live event is not an error
            log.warning("could not publish event %s", event.get("type"), exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def iter_events(sub: Subscription, *, keepalive_s: float = 15.0,
                kinds: tuple[str, ...] = STREAMED_KINDS) -> Iterator[str]:
    """Server-Sent Events text: each event, and a comment line as keep-alive."""
    yield "retry: 3000\n\n"
    try:
        while True:
            event = sub.get(timeout=keepalive_s)
            if event is None:
                yield ": keep-alive\n\n"
                continue
            if event.get("type") not in kinds:
                continue
            yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
    finally:
        sub.close()
