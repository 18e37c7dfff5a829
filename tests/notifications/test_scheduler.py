"""The in-process scheduler of `make run`: the SLA tick and delivery run by themselves."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from tests.conftest import build_app
from tests.notifications.conftest import PROJECT, dispose


def test_the_scheduler_ticks_sla_and_pushes_by_itself(scratch_databases: Any, tmp_path: Any,
                                                      fcm: Any) -> None:
    from app.auth.models import User
    from app.db import utcnow
    from app.extensions import db
    from app.notifications.models import Notification, PushDevice
    from app.scheduler import make_scheduler
    from app.workorders import service

    app = build_app(scratch_databases.create(), tmp_path, FCM_PROJECT_ID=PROJECT,
                    FCM_ENDPOINT=fcm.url, SCHEDULER_SLA_TICK_SECONDS=1,
                    SCHEDULER_DELIVERY_SECONDS=1)
    with app.app_context():
        from app.assets.models import Customer, Site
        from app.geo import to_point

        dispatcher = User(email=f"d-{uuid.uuid4().hex[:8]}@example.test", full_name="D",
                          role="dispatcher", password_hash="x")
        customer = Customer(account_number=f"C-{uuid.uuid4().hex[:8]}", name="C",
                            sla_tier="silver")
        db.session.add_all([dispatcher, customer])
        db.session.flush()
        db.session.add(PushDevice(user_id=dispatcher.id, platform="web",
                                  token=f"tok-{uuid.uuid4().hex}"))
        site = Site(customer_id=customer.id, name="S", address_line="A", city="M",
                    postal_code="1", location=to_point(48.1, 11.5))
        db.session.add(site)
        db.session.flush()
        wo = service.new_work_order(db.session, site=site, asset=None, title="Lift stuck",
                                    description="Floor 3", actor=None, priority="P1")
        wo.response_due_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        number = wo.number
        dispatcher_id = dispatcher.id

    scheduler = make_scheduler(app).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not fcm.requests:
            time.sleep(0.2)
    finally:
        scheduler.stop()
    titles = [r["body"]["message"]["notification"]["title"] for r in fcm.requests]
    assert titles == [f"{number}: response SLA breached"]
    with app.app_context():
        note = db.session.query(Notification).filter_by(user_id=dispatcher_id).one()
        assert note.status == "sent"
    dispose(app)
    assert {j.name: j.runs >= 1 for j in scheduler.jobs} == {"sla-tick": True,
                                                             "deliver": True}


def test_the_scheduler_starts_only_when_asked_and_without_a_broker(app: Any,
                                                                   monkeypatch: Any) -> None:
    from app.scheduler import maybe_start_scheduler

    assert maybe_start_scheduler(app) is None  # off by default
    monkeypatch.setitem(app.config, "FIELDOPS_SCHEDULER", True)
    assert maybe_start_scheduler(app) is None  # never in tests unless a test starts one
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://127.0.0.1:6379/2")
    assert maybe_start_scheduler(app) is None  # Celery beat runs the jobs
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", None)
    monkeypatch.setitem(app.config, "SCHEDULER_SLA_TICK_SECONDS", 3600)
    monkeypatch.setitem(app.config, "SCHEDULER_DELIVERY_SECONDS", 3600)
    scheduler = maybe_start_scheduler(app)
    try:
        assert scheduler is not None and scheduler.thread.is_alive()
    finally:
        scheduler.stop()
        app.extensions.pop("fieldops_scheduler", None)
    assert not scheduler.thread.is_alive()
