"""Webhooks against a real HTTP receiver on 127.0.0.1: signed payloads, only the events asked
for, nothing for a rolled-back change, retries with backoff, timeouts, a receiver that stays
down, redelivery, and a deliverer that dies mid-send."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import assert_error


class Receiver:
    """A webhook receiver: records every request; answers from a script of statuses (an
    int) or delays (a float: sleep that long, then 200); 200 when the script runs out."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[int | float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                step = receiver.script.pop(0) if receiver.script else 200
                if isinstance(step, float):
                    time.sleep(step)
                    step = 200
                self.send_response(step)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                """Quiet: the tests read the recorded requests, not the access log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def allow_local(app: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_TARGETS", True)


def settings(**overrides: Any) -> Any:
    from app.integrations.service import WebhookSettings

    return WebhookSettings(**{"allow_private": True, "timeout_s": 2.0, "backoff_base_s": 30,
                              "disable_after": 20, "max_attempts": 8, **overrides})


def deliver(db_session: Any, now: Any = None, **overrides: Any) -> Any:
    from app.db import utcnow
    from app.integrations.service import deliver_due_webhooks

    return deliver_due_webhooks(db_session, now=now or utcnow(), settings=settings(**overrides))


def subscribe(admin: Any, url: str, events: list[str]) -> dict[str, Any]:
    response = admin.post("/api/v1/webhooks", json={"url": url, "events": events,
                                                    "description": "ERP"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(db_session: Any) -> list[Any]:
    from app.integrations.models import WebhookDelivery

    db_session.expire_all()
    return list(db_session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_new_work_order_reaches_the_receiver_signed(db_session, login, receiver, allow_local,
                                                      make_work_order):
    admin = login("admin")
    created = subscribe(admin, receiver.url, ["work_order.created", "work_order.completed"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in admin.get(f"/api/v1/webhooks/{created['id']}").get_json()

    order = make_work_order()
    report = deliver(db_session)

    assert report.delivered == 1 and len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    signature = dict(p.split("=", 1) for p in headers["X-FieldOps-Signature"].split(","))
    timestamp, mac = signature["t"], signature["v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert abs(int(timestamp) - time.time()) < 120
    payload = json.loads(body)
    assert payload["type"] == "work_order.created" and payload["version"] == 1
    assert payload["id"] == headers["X-FieldOps-Delivery"]
    assert payload["data"]["work_order"]["number"] == order.number
    assert headers["X-FieldOps-Event"] == "work_order.created"

    log = admin.get(f"/api/v1/webhooks/{created['id']}/deliveries").get_json()
    assert [(d["status"], d["response_status"], d["attempts"]) for d in log] == [
        ("delivered", 200, 1)]


def test_only_the_events_asked_for_and_nothing_for_a_rolled_back_change(
        db_session, login, receiver, allow_local, make_work_order):
    from app.workorders import service as workorders

    subscribe(login("admin"), receiver.url, ["work_order.completed"])
    order = make_work_order(status="on_site")
    assert deliveries(db_session) == []  # `created` was not asked for

    savepoint = db_session.begin_nested()
    workorders.record_event(db_session, order, "status_changed", actor=None,
                            data={"from": "on_site", "to": "completed"})
    db_session.flush()
    assert [d.event_type for d in deliveries(db_session)] == ["work_order.completed"]
    savepoint.rollback()
    assert deliveries(db_session) == []  # the change never happened: no event
    assert deliver(db_session).delivered == 0 and receiver.requests == []


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(db_session, login,
                                                                     receiver, allow_local):
    from app.db import utcnow

    admin = login("admin")
    sub = subscribe(admin, receiver.url, ["*"])
    receiver.script = [500]
    assert admin.post(f"/api/v1/webhooks/{sub['id']}/ping").status_code == 202
    now = utcnow()

    first = deliver(db_session, now)
    (delivery,) = deliveries(db_session)
    assert first.retrying == 1 and delivery.status == "pending"
    assert (delivery.attempts, delivery.response_status) == (1, 500)
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert deliver(db_session, now + timedelta(seconds=10)).delivered == 0  # not due yet
    assert deliver(db_session, now + timedelta(seconds=31)).delivered == 1
    assert len(receiver.requests) == 2
    keys = {r["headers"]["X-FieldOps-Delivery"] for r in receiver.requests}
    assert len(keys) == 1  # the receiver can de-duplicate the retry


def test_a_slow_receiver_times_out_and_is_retried(db_session, login, receiver, allow_local):
    sub = subscribe(login("admin"), receiver.url, ["ping"])
    receiver.script = [1.5]
    login("admin").post(f"/api/v1/webhooks/{sub['id']}/ping")

    report = deliver(db_session, timeout_s=0.3)
    (delivery,) = deliveries(db_session)
    assert report.retrying == 1
    assert delivery.status == "pending" and "timeout" in delivery.last_error


def test_a_receiver_that_stays_down_disables_the_subscription(db_session, login, allow_local,
                                                              make_work_order):
    from app.db import utcnow

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/down"
    admin = login("admin")
    sub = subscribe(admin, url, ["ping", "work_order.created"])
    admin.post(f"/api/v1/webhooks/{sub['id']}/ping")
    now = utcnow()
    for offset in (0, 31, 92):  # backoff 30 s, then 60 s
        deliver(db_session, now + timedelta(seconds=offset), disable_after=3)

    state = admin.get(f"/api/v1/webhooks/{sub['id']}").get_json()
    assert state["is_active"] is False and "3 failed attempts" in state["disabled_reason"]
    assert [d.status for d in deliveries(db_session)] == ["failed"]
    make_work_order()
    assert len(deliveries(db_session)) == 1  # a disabled subscription queues nothing

    again = admin.patch(f"/api/v1/webhooks/{sub['id']}", json={"is_active": True})
    assert again.get_json()["is_active"] is True
    assert again.get_json()["consecutive_failures"] == 0


def test_a_send_cut_short_by_a_crash_is_never_resent_by_itself(db_session, login, receiver,
                                                               allow_local):
    from app.db import utcnow
    from app.integrations.models import WebhookDelivery

    admin = login("admin")
    sub = subscribe(admin, receiver.url, ["ping"])
    admin.post(f"/api/v1/webhooks/{sub['id']}/ping")
    now = utcnow()
    # What a deliverer killed after its claim leaves behind: claimed, no outcome.
    db_session.execute(update(WebhookDelivery).values(
        status="sending", attempts=1, claimed_at=now - timedelta(minutes=10)))
    db_session.commit()

    report = deliver(db_session, now, lease_s=300)
    (stuck,) = deliveries(db_session)
    assert report.unknown == 1 and stuck.status == "unknown" and receiver.requests == []

    redo = admin.post(f"/api/v1/webhooks/{sub['id']}/deliveries/{stuck.id}/redeliver")
    assert redo.status_code == 202 and redo.get_json()["redelivery_of_id"] == stuck.id
    assert deliver(db_session).delivered == 1
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["headers"]["X-FieldOps-Delivery"] == stuck.delivery_key
    pending = admin.post(f"/api/v1/webhooks/{sub['id']}/deliveries/{stuck.id}/redeliver")
    assert pending.status_code == 202  # settled again, so it may be redelivered again


def test_targets_and_roles_are_checked(login):
    admin = login("admin")
    assert_error(admin.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                      "events": ["ping"]}),
                 422, "webhook_url_private")
    assert_error(admin.post("/api/v1/webhooks", json={"url": "ftp://example.com/x",
                                                      "events": ["ping"]}), 422)
    assert_error(admin.post("/api/v1/webhooks", json={"url": "https://example.com/x",
                                                      "events": ["nope"]}), 422)
    assert_error(login("dispatcher").get("/api/v1/webhooks"), 403)
    assert_error(admin.get("/api/v1/webhooks/999999"), 404, "not_found")
    types = admin.get("/api/v1/webhooks/event-types").get_json()
    assert {"work_order.completed", "sla.breached", "plan.applied"} <= {t["type"] for t in types}
