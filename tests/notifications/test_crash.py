"""Exactly once per device per notification across crashes (issue 13, item 2).

The real deliverer (`python -m flask notifications deliver`) runs as a subprocess against a
scratch database and the local FCM-compatible server; it is killed with SIGKILL while FCM holds
its Nth request, then restarted. FCM's own log says what reached the phones: no
(notification, device) pair may arrive twice. The one send in flight at each kill is "in
doubt": it is never sent again (never twice is the promise), and the delivery row says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.conftest import build_app
from tests.notifications.conftest import PROJECT, FakeFcm, dispose

ROOT = Path(__file__).resolve().parents[2]
NOTIFICATIONS, DEVICES_PER_USER, USERS = 40, 2, 2


class HoldingFcm(FakeFcm):
    """Records every request; when `hold_at` requests have arrived, holds the answer of the
    last one until released (the test kills the deliverer meanwhile)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_at: int | None = None
        self.reached = threading.Event()
        self.release = threading.Event()
        handler = self.server.RequestHandlerClass
        fake = self
        original = handler.do_POST

        def do_post(request_handler: Any) -> None:
            with fake.lock:
                number = len(fake.requests) + 1
            if fake.hold_at is not None and number >= fake.hold_at:
                # Record it as received (FCM got it), then hang until the deliverer is dead.
                length = int(request_handler.headers.get("Content-Length") or 0)
                import json
                body = json.loads(request_handler.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append({"path": request_handler.path, "body": body,
                                          "headers": dict(request_handler.headers)})
                fake.reached.set()
                fake.release.wait(timeout=30)
                return
            original(request_handler)

        handler.do_POST = do_post  # type: ignore[method-assign]


def _deliverer(database_url: str, instance: Path, fcm_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLASK_APP": "app",
           "DATABASE_URL": database_url, "FIELDOPS_INSTANCE_DIR": str(instance),
           "SECRET_KEY": "crash-test", "FCM_PROJECT_ID": PROJECT, "FCM_ENDPOINT": fcm_url,
           "PUSH_CLAIM_LEASE_SECONDS": "0"}
    return subprocess.Popen([sys.executable, "-m", "flask", "notifications", "deliver",
                             "--batch", "50"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_deliverer_killed_mid_batch_never_sends_a_push_twice(scratch_databases: Any,
                                                                tmp_path: Any) -> None:
    from app.auth.models import User
    from app.extensions import db
    from app.notifications.models import NotificationDelivery, PushDevice
    from app.notifications.service import queue_notification

    database_url = scratch_databases.create()
    app = build_app(database_url, tmp_path)
    with app.app_context():
        users = [User(email=f"tech-{uuid.uuid4().hex[:8]}@example.test", full_name="Tech",
                      role="technician", password_hash="x") for _ in range(USERS)]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            db.session.add_all(PushDevice(user_id=user.id, platform="android",
                                          token=f"tok-{uuid.uuid4().hex}")
                               for _ in range(DEVICES_PER_USER))
        for n in range(NOTIFICATIONS):
            queue_notification(db.session, user_ids=[users[n % USERS].id], kind="job_assigned",
                               title=f"Job {n}", body="body")
        db.session.commit()
    expected = NOTIFICATIONS * DEVICES_PER_USER

    fcm = HoldingFcm()
    fcm.thread.start()
    kills = 0
    try:
        for hold_at in (17, 53):  # two crashes, both inside the first batch of 50
            fcm.hold_at, fcm.reached, fcm.release = hold_at, threading.Event(), threading.Event()
            process = _deliverer(database_url, tmp_path, fcm.url)
            assert fcm.reached.wait(timeout=120), process.communicate(timeout=5)[0].decode()
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
            kills += 1
            fcm.release.set()
        fcm.hold_at = None
        process = _deliverer(database_url, tmp_path, fcm.url)
        output = process.communicate(timeout=180)[0].decode()
        assert process.returncode == 0, output
    finally:
        fcm.server.shutdown()
        fcm.server.server_close()

    pairs = Counter((r["body"]["message"]["data"]["notification_id"],
                     r["body"]["message"].get("fid") or r["body"]["message"].get("token"))
                    for r in fcm.requests)
    duplicated = sum(count - 1 for count in pairs.values() if count > 1)
    lost = expected - len(pairs)
    print(f"crash test ({os.environ.get('TEST_DATABASE', 'spatialite')}): kills {kills}, "
          f"FCM requests {len(fcm.requests)}, distinct pairs {len(pairs)}, "
          f"duplicated {duplicated}, lost {lost}")
    assert duplicated == 0
    assert lost == 0  # the in-doubt sends did reach FCM here (it held their answers)
    with app.app_context():
        states = dict(db.session.execute(
            select(NotificationDelivery.state, func.count()).group_by(
                NotificationDelivery.state)).all())
    dispose(app)
    assert states == {"sent": expected - kills, "in_doubt": kills}
