"""A local FCM-compatible HTTP server (real HTTP on 127.0.0.1) with a script of answers, so the
real firebase-admin client is exercised end to end."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

PROJECT = "fieldops-test"


def fcm_error(http: int, status: str, error_code: str | None = None) -> tuple[int, dict]:
    details = ([{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                 "errorCode": error_code}] if error_code else [])
    return http, {"error": {"code": http, "message": f"{status} (scripted)", "status": status,
                            "details": details}}


SUCCESS = "success"
UNAVAILABLE = fcm_error(503, "UNAVAILABLE")
INTERNAL = fcm_error(500, "INTERNAL", "INTERNAL")
QUOTA = fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED")
UNREGISTERED = fcm_error(404, "NOT_FOUND", "UNREGISTERED")
INVALID_ARGUMENT = fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT")


class FakeFcm:
    """Answers each POST with the next scripted answer (SUCCESS when the script is empty)."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append({"path": self.path, "body": body,
                                          "headers": dict(self.headers)})
                    answer = fake.script.pop(0) if fake.script else SUCCESS
                if answer == SUCCESS:
                    status, payload = 200, {
                        "name": f"projects/{PROJECT}/messages/{uuid.uuid4().hex}"}
                else:
                    status, payload = answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sent_tokens(self) -> list[str]:
        return [r["body"]["message"].get("token") or r["body"]["message"].get("fid")
                for r in self.requests]


@pytest.fixture
def fcm() -> Iterator[FakeFcm]:
    fake = FakeFcm()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        fake.thread.join(timeout=5)


@pytest.fixture
def push_client(fcm: FakeFcm) -> Any:
    from app.notifications.fcm import FcmClient

    return FcmClient(project_id=PROJECT, endpoint=fcm.url)


@pytest.fixture
def make_device(db_session: Any) -> Any:
    from app.notifications.models import PushDevice

    def make(user: Any, **overrides: Any) -> Any:
        device = PushDevice(**{"user_id": user.id, "platform": "android",
                               "token": f"token-{uuid.uuid4().hex}", **overrides})
        db_session.add(device)
        db_session.commit()
        return device

    return make


@pytest.fixture
def make_notification(db_session: Any) -> Any:
    from app.notifications.service import queue_notification

    def make(user: Any, **overrides: Any) -> Any:
        (row,) = queue_notification(db_session, user_ids=[user.id], **{
            "kind": "job_assigned", "title": "Job WO-2026-000123 assigned to you",
            "body": "P2 Chiller trips on high pressure", "data": {"work_order_id": 123},
            "work_order_id": 123, **overrides})
        db_session.commit()
        return row

    return make


def dispose(app: Any) -> None:
    """Close a separately built app's database connections (no ResourceWarning later)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
