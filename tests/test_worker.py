"""The Celery worker runs the same service functions against a real Redis broker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import redis_url

REDIS = redis_url(14)


@pytest.fixture
def worker(app: Any, db_session: Any) -> Any:
    from celery.contrib.testing.worker import start_worker

    from app.worker import init_celery

    app.config["CELERY_BROKER_URL"] = REDIS
    app.config["CELERY_RESULT_BACKEND"] = REDIS
    celery = init_celery(app)
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      loglevel="WARNING"):
        yield celery


def test_sla_tick_task_records_a_breach_once(worker, db_session, make_asset, make_user):
    from app.db import utcnow
    from app.workorders import service
    from app.workorders.models import WorkOrder, WorkOrderEvent

    make_user("dispatcher")
    asset = make_asset()
    work_order = service.new_work_order(
        db_session, site=asset.site, asset=asset, title="Lift stuck", description="Floor 3",
        actor=None, priority="P1", type="corrective")
    work_order.response_due_at = utcnow() - timedelta(minutes=5)
    db_session.commit()

    first = worker.send_task("fieldops.sla_tick").get(timeout=60)
    again = worker.send_task("fieldops.sla_tick").get(timeout=60)
    assert first["breaches"] >= 1 and again["breaches"] == 0
    kinds = list(db_session.scalars(select(WorkOrderEvent.kind).where(
        WorkOrderEvent.work_order_id == work_order.id)))
    assert kinds.count("sla_breached") == 1
    assert db_session.get(WorkOrder, work_order.id).id == work_order.id


def test_push_task_keeps_outbox_without_credentials(worker, db_session, make_user):
    from app.notifications.models import Notification
    from app.notifications.service import queue_notification

    user = make_user("technician")
    [note] = queue_notification(db_session, user_ids=[user.id], kind="assignment",
                                title="New job", body="WO-2026-000001")
    db_session.commit()
    report = worker.send_task("fieldops.deliver_notifications").get(timeout=60)
    assert report["kept"] >= 1 and report["sent"] == 0
    assert db_session.get(Notification, note.id).status == "pending"


def test_beat_expires_plan_runs_whose_worker_stopped(worker, db_session):
    from app.db import utcnow
    from app.dispatch.models import OptimizationRun

    assert "expire-plan-runs" in worker.conf.beat_schedule
    now = utcnow()
    run = OptimizationRun(plan_date=now.date(), status="running", time_limit_s=60, inputs={},
                          inputs_digest="0" * 64, created_at=now - timedelta(hours=2),
                          started_at=now - timedelta(hours=2))
    db_session.add(run)
    db_session.commit()
    run_id = run.id
    assert worker.send_task("fieldops.expire_plan_runs").get(timeout=60) >= 1
    assert worker.send_task("fieldops.expire_plan_runs").get(timeout=60) == 0
    after = db_session.get(OptimizationRun, run_id, populate_existing=True)
    assert after.status == "failed" and after.error.startswith("abandoned")
