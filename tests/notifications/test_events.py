"""The live event stream (SSE) read by a real HTTP client from the app served on a real port;
fanned out through Redis pub/sub between two app instances."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import build_app, redis_url
from tests.notifications.conftest import dispose

REDIS = redis_url(14)


class Served:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Stream:
    """Reads SSE events from a streaming response in a thread."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = None, None
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                if raw.startswith("event: "):
                    name = raw[7:]
                elif raw.startswith("data: "):
                    data = json.loads(raw[6:])
                elif raw == "" and name is not None:
                    self.events.put((name, data or {}))
                    name, data = None, None
        except (requests.RequestException, ValueError, AttributeError):
            return

    def next(self, timeout: float = 10) -> tuple[str, dict]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.response.close()


def make_world(app: Any) -> dict[str, Any]:
    from flask_jwt_extended import create_access_token

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        users = {role: User(email=f"{role}-{uuid.uuid4().hex[:8]}@example.test",
                            full_name=f"Test {role}", role=role, password_hash="x")
                 for role in ("dispatcher", "technician")}
        db.session.add_all(users.values())
        db.session.commit()
        return {role: (user.id, create_access_token(identity=str(user.id),
                                                    additional_claims={"role": role}))
                for role, user in users.items()}


def queue_fault(app: Any, user_id: int, number: str, *, commit: bool = True) -> None:
    from app.extensions import db
    from app.notifications.service import queue_notification

    with app.app_context():
        queue_notification(db.session, user_ids=[user_id], kind="fault_reported",
                           title=f"{number}: new fault report", body="Leak",
                           data={"number": number})
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        db.session.remove()


@pytest.fixture
def served(scratch_databases: Any, tmp_path: Any) -> Iterator[Served]:
    app = build_app(scratch_databases.create(), tmp_path, EVENTS_KEEPALIVE_SECONDS=1)
    server = Served(app)
    yield server
    server.close()
    dispose(app)


def test_a_dispatcher_reads_live_events_over_http(served: Served) -> None:
    world = make_world(served.app)
    dispatcher_id, token = world["dispatcher"]
    response = requests.get(f"{served.url}/api/v1/events/stream", stream=True, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    stream = Stream(response)
    try:
        queue_fault(served.app, dispatcher_id, "WO-2026-000101", commit=False)  # rolled back
        queue_fault(served.app, dispatcher_id, "WO-2026-000102")
        name, data = stream.next()
        assert name == "fault_reported"
        assert data["data"]["number"] == "WO-2026-000102"  # the rolled-back one never came
    finally:
        stream.close()


def test_the_stream_takes_a_query_token_and_refuses_other_roles(served: Served) -> None:
    world = make_world(served.app)
    dispatcher_id, token = world["dispatcher"]
    _, tech_token = world["technician"]
    url = f"{served.url}/api/v1/events/stream"
    assert requests.get(url, timeout=10).status_code == 401
    refused = requests.get(url, headers={"Authorization": f"Bearer {tech_token}"}, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert requests.get(url, params={"access_token": "nonsense"}, timeout=10).status_code == 401
    response = requests.get(url, params={"access_token": token}, stream=True, timeout=30)
    assert response.status_code == 200
    stream = Stream(response)
    try:
        queue_fault(served.app, dispatcher_id, "WO-2026-000103")
        assert stream.next()[1]["data"]["number"] == "WO-2026-000103"
    finally:
        stream.close()


def _local_redis() -> None:
    """Redis runs here and in CI (`.ci/run` starts it); a machine without it skips, saying so."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.RedisError:
        pytest.skip("needs the local Redis at " + REDIS)


def _dispatchers_stream(app: Any, reader: Served) -> tuple[int, Stream]:
    """A dispatcher made in ``app``'s database and their event stream read from ``reader``."""
    dispatcher_id, token = make_world(app)["dispatcher"]
    response = requests.get(f"{reader.url}/api/v1/events/stream", stream=True, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return dispatcher_id, Stream(response)


def test_events_reach_the_streams_of_another_web_process_through_redis(
        scratch_databases: Any, tmp_path: Any) -> None:
    _local_redis()
    channel = f"fieldops-test:{uuid.uuid4().hex}"
    url = scratch_databases.create()
    settings = {"EVENTS_REDIS_URL": REDIS, "EVENTS_CHANNEL": channel,
                "EVENTS_KEEPALIVE_SECONDS": 1}
    writer = build_app(url, tmp_path / "a", **settings)
    reader = Served(build_app(url, tmp_path / "b", **settings))
    try:
        dispatcher_id, stream = _dispatchers_stream(writer, reader)
        try:
            queue_fault(writer, dispatcher_id, "WO-2026-000104")  # committed in the other app
            name, data = stream.next()
            assert (name, data["data"]["number"]) == ("fault_reported", "WO-2026-000104")
        finally:
            stream.close()
    finally:
        reader.close()
        for app in (writer, reader.app):
            app.extensions["fieldops_events"].close()
            dispose(app)


def test_two_deployments_on_one_redis_server_never_see_each_others_events(
        scratch_databases: Any, tmp_path: Any) -> None:
    """Redis pub/sub ignores the database number: staging on db N and production on db N+1
    of one server must still keep their live events (names, numbers) to themselves."""
    _local_redis()
    from urllib.parse import urlsplit

    mine = int(urlsplit(REDIS).path.strip("/") or 0)
    other = REDIS.rsplit("/", 1)[0] + f"/{(mine + 1) % 16}"
    url = scratch_databases.create()
    keepalive = {"EVENTS_KEEPALIVE_SECONDS": 1, "EVENTS_CHANNEL": None}
    staging = build_app(url, tmp_path / "a", EVENTS_REDIS_URL=other, **keepalive)
    production = build_app(url, tmp_path / "b", EVENTS_REDIS_URL=REDIS, **keepalive)
    reader = Served(build_app(url, tmp_path / "c", EVENTS_REDIS_URL=REDIS, **keepalive))
    try:
        dispatcher_id, stream = _dispatchers_stream(production, reader)
        try:
            queue_fault(staging, dispatcher_id, "WO-2026-000901")  # the other deployment
            queue_fault(production, dispatcher_id, "WO-2026-000902")
            name, data = stream.next()
            assert (name, data["data"]["number"]) == ("fault_reported", "WO-2026-000902")
        finally:
            stream.close()
    finally:
        reader.close()
        for app in (staging, production, reader.app):
            app.extensions["fieldops_events"].close()
            dispose(app)


def test_technician_status_changes_are_streamed(served: Served) -> None:
    from datetime import timedelta

    from app.assets.models import Customer, Site
    from app.db import utcnow
    from app.extensions import db
    from app.geo import to_point
    from app.workorders import service

    world = make_world(served.app)
    _, token = world["dispatcher"]
    tech_id, _ = world["technician"]
    response = requests.get(f"{served.url}/api/v1/events/stream", stream=True, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    stream = Stream(response)
    try:
        with served.app.app_context():
            customer = Customer(account_number=f"C-{uuid.uuid4().hex[:8]}", name="C",
                                sla_tier="silver")
            db.session.add(customer)
            db.session.flush()
            site = Site(customer_id=customer.id, name="S", address_line="A", city="M",
                        postal_code="1", location=to_point(48.1, 11.5))
            db.session.add(site)
            db.session.flush()
            wo = service.new_work_order(db.session, site=site, asset=None, title="Leak",
                                        description="Water", actor=None)
            service.assign_work_order(db.session, wo, assignee_user_id=tech_id,
                                      scheduled_start=utcnow() + timedelta(hours=1),
                                      scheduled_end=None, version=None, actor=None)
            db.session.commit()
            number = wo.number
            db.session.remove()
        name, data = stream.next()
        assert (name, data["number"], data["to"], data["technician_user_id"]) == (
            "technician_status", number, "scheduled", tech_id)
    finally:
        stream.close()
