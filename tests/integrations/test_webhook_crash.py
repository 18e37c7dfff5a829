"""A real deliverer process killed with SIGKILL in the middle of a send, then restarted: every
delivery reaches the receiver at most once (none twice), and none is lost silently (the one in
flight is marked `unknown`). Real commits on a scratch database, both databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import build_app
from tests.integrations.test_webhooks import Receiver

DELIVERIES = 8
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def separate(scratch_databases: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    from app.extensions import db

    url = scratch_databases.create()
    app = build_app(url, tmp_path)
    yield app, url
    with app.app_context():
        db.engine.dispose()


def run_deliverer(url: str, tmp_path: Path, log: str, **env: str) -> subprocess.Popen[bytes]:
    environ = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "app",
               "PYTHONPATH": str(ROOT), "FIELDOPS_INSTANCE_DIR": str(tmp_path),
               "SECRET_KEY": "test-secret", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
               "WEBHOOK_TIMEOUT_S": "30", **env}
    with open(tmp_path / log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "webhooks", "deliver"],
                                cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT)


def test_killed_mid_send_and_restarted_sends_nothing_twice(separate, tmp_path):
    from app.auth.models import User
    from app.extensions import db
    from app.integrations import service
    from app.integrations.models import WebhookDelivery

    app, url = separate
    receiver = Receiver()
    receiver.server.block_on_close = False
    receiver.script = [200, 200, 200, 5.0]  # the 4th request hangs: the kill lands there
    try:
        with app.app_context():
            admin = User(email="admin@example.test", full_name="Admin", role="admin",
                         password_hash="x")
            db.session.add(admin)
            db.session.flush()  # flush: the subscription's creator
            subscription = service.create_subscription(
                db.session, url=receiver.url, events=["ping"], description=None,
                allow_private=True, actor=admin)
            for _ in range(DELIVERIES):
                service.ping(db.session, subscription)
            db.session.commit()

        first = run_deliverer(url, tmp_path, "first.log")
        deadline = time.monotonic() + 60
        while len(receiver.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receiver.requests) == 4, (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        second = run_deliverer(url, tmp_path, "second.log", WEBHOOK_LEASE_SECONDS="0")
        assert second.wait(timeout=60) == 0, (tmp_path / "second.log").read_text()

        keys = Counter(r["headers"]["X-FieldOps-Delivery"] for r in receiver.requests)
        with app.app_context():
            rows = list(db.session.scalars(select(WebhookDelivery)))
            statuses = Counter(d.status for d in rows)
            all_keys = {d.delivery_key for d in rows}
        sent, duplicated = len(keys), sum(n - 1 for n in keys.values())
        lost = len(all_keys - set(keys))
        print(f"webhook crash test: sent {sent}, duplicated {duplicated}, lost {lost}, "
              f"statuses {dict(statuses)}")
        assert duplicated == 0
        assert lost == 0
        assert statuses == {"delivered": DELIVERIES - 1, "unknown": 1}
    finally:
        receiver.close()
