"""Where plan runs are solved, chosen from the app's settings: Celery workers on Redis when
``CELERY_BROKER_URL`` is set, otherwise a bounded pool of threads in this web process
(``DISPATCH_MAX_PARALLEL_RUNS``, each solve in a worker process). Transport-side glue: the
service only gets callables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from app.dispatch import service
from app.extensions import db


def plan_run_launcher() -> Callable[[int], None]:
    """A callable that starts solving a committed, queued run by id."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("CELERY_BROKER_URL"):
        from app.worker import init_celery

        celery = app.extensions.get("celery") or init_celery(app)
        return lambda run_id: celery.send_task("fieldops.run_plan", args=[run_id])
    engine = db.engine
    limit = int(app.config.get("DISPATCH_MAX_PARALLEL_RUNS", 2))
    return lambda run_id: service.submit_run(engine, run_id, max_parallel=limit)


def plan_solver() -> service.Solver:
    """The solver for runs solved while the request waits: the pool's worker processes, so
    the search never holds this web process's GIL."""
    return service.pooled_solver(int(current_app.config.get("DISPATCH_MAX_PARALLEL_RUNS", 2)),
                                 purpose="inline")


def plan_replanner() -> Any:
    """The re-planner for re-plan runs solved while the request waits (same pool)."""
    return service.pooled_replanner(
        int(current_app.config.get("DISPATCH_MAX_PARALLEL_RUNS", 2)), purpose="inline")
