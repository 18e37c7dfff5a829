"""Background work for scale-out: a Celery app on Redis running the same service functions
the CLI runs (SLA ticks, push delivery) and long optimizer runs.

Without a broker nothing here is needed: the embedded default solves plans in a bounded pool
of worker processes (DISPATCH_MAX_PARALLEL_RUNS) and the CLI commands (`flask sla tick`,
`flask notifications deliver --loop`) from cron. With Redis:

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/celery -A app.celery_worker worker -B

runs a worker with the beat schedule below (SLA tick and the expiry of plan runs whose worker
stopped every minute, push every 15 s).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from app.db import utcnow
from app.extensions import db

celery = Celery("fieldops")


def init_celery(flask_app: Flask, **overrides: Any) -> Celery:
    """Bind the Celery app to a Flask app: config from its settings, tasks in its context."""
    celery.conf.update(
        broker_url=flask_app.config["CELERY_BROKER_URL"],
        result_backend=flask_app.config.get("CELERY_RESULT_BACKEND"),
        task_ignore_result=False,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "sla-tick": {"task": "fieldops.sla_tick", "schedule": 60.0},
            "deliver-push": {"task": "fieldops.deliver_notifications", "schedule": 15.0},
            "expire-plan-runs": {"task": "fieldops.expire_plan_runs", "schedule": 60.0},
            "deliver-webhooks": {"task": "fieldops.deliver_webhooks", "schedule": 5.0},
            "generate-preventive": {"task": "fieldops.generate_preventive", "schedule": 3600.0},
        },
        **overrides,
    )

    class AppContextTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with flask_app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery.Task = AppContextTask
    flask_app.extensions["celery"] = celery
    return celery


@celery.task(name="fieldops.sla_tick")
def sla_tick() -> dict[str, int]:
    """Record SLA warnings and breaches once each (see workorders.run_sla_tick)."""
    from app.workorders.service import run_sla_tick

    result = run_sla_tick(db.session, now=utcnow())
    db.session.commit()
    return {"warnings": result.warnings, "breaches": result.breaches}


@celery.task(name="fieldops.deliver_notifications")
def deliver_notifications(limit: int = 100) -> dict[str, int]:
    """One pass over the due push and email outbox (claims committed before each send)."""
    from flask import current_app

    from app.notifications.runner import deliver_round

    return deliver_round(db.session, current_app.config, limit=limit).as_dict()


@celery.task(name="fieldops.run_plan")
def run_plan(run_id: int) -> None:
    """Solve a queued optimization run (claims it first, so a duplicate delivery is harmless).
    The web process queues it after committing the run when CELERY_BROKER_URL is set."""
    from app.dispatch.service.plans import run_in_background

    run_in_background(db.engine, run_id)


@celery.task(name="fieldops.solve_part")
def solve_part(problem: dict[str, Any], time_limit_s: float, seed: int = 0) -> dict[str, Any]:
    """Solve one territory of a day split across workers (app.dispatch.service.country):
    problem JSON in; plan JSON, this worker's name and its wall and CPU seconds out."""
    from app.dispatch.service.country import solve_part_json

    return solve_part_json(problem, time_limit_s, seed)


@celery.task(name="fieldops.expire_plan_runs")
def expire_plan_runs() -> int:
    """Mark plan runs whose worker stopped as failed (see dispatch expire_abandoned_runs)."""
    from app.dispatch.service import expire_abandoned_runs

    expired = expire_abandoned_runs(db.session, now=utcnow())
    db.session.commit()
    return expired


@celery.task(name="fieldops.deliver_webhooks")
def deliver_webhooks(limit: int = 100) -> dict[str, int]:
    """One pass over the due webhook deliveries (each claimed and settled in its own commit)."""
    from flask import current_app

    from app.integrations.service import deliver_due_webhooks, settings_from

    report = deliver_due_webhooks(db.session, now=utcnow(), limit=limit,
                                  settings=settings_from(current_app.config))
    return {"delivered": report.delivered, "retrying": report.retrying,
            "failed": report.failed, "unknown": report.unknown}
@celery.task(name="fieldops.generate_preventive")
def generate_preventive() -> dict[str, int]:
    """Preventive work orders for the plans' horizons; concurrent runs create each once."""
    from app.maintenance.service import generate_preventive_orders

    report = generate_preventive_orders(db.session)
    db.session.commit()
    return {"created": report.created_count, "already_there": report.already_there}
