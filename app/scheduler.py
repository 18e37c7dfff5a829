"""The in-process scheduler of the embedded default (`make run`): a daemon thread that runs
the SLA tick and the push/email delivery periodically, so a single `flask run` needs no cron
and no broker. With Celery (CELERY_BROKER_URL) beat runs the same jobs instead (app/worker.py).

It starts only when FIELDOPS_SCHEDULER is on (the Makefile's run target sets it), no broker is
configured, and the app is not TESTING (a test starts one itself when it needs it). Each job
runs in its own app context and session; an error is logged and the loop goes on. The jobs are
safe alongside other processes doing the same (conditional tick updates, claimed deliveries).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    interval_s: float
    run: Callable[[Flask], Any]
    next_at: float = 0.0
    runs: int = 0
    last_result: Any = None


def _sla_tick(app: Flask) -> Any:
    from app.workorders.cli import sla_tick_job

    return sla_tick_job()


def _deliver(app: Flask) -> Any:
    from app.extensions import db
    from app.notifications.runner import deliver_round

    return deliver_round(db.session, app.config).as_dict()


@dataclass
class Scheduler:
    app: Flask
    jobs: list[Job]
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> Scheduler:
        started = time.monotonic()
        for job in self.jobs:  # each job first runs one interval after the start
            job.next_at = started + job.interval_s
        self.thread = threading.Thread(target=self._loop, name="fieldops-scheduler",
                                       daemon=True)
        self.thread.start()
        log.info("in-process scheduler started: %s",
                 ", ".join(f"{j.name} every {j.interval_s:g} s" for j in self.jobs))
        return self

    def stop(self, timeout: float = 10) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=timeout)

    def run_due(self, now: float) -> None:
        from app.extensions import db

        for job in self.jobs:
            if now < job.next_at:
                continue
            job.next_at = now + job.interval_s
            with self.app.app_context():
                try:
                    job.last_result = job.run(self.app)
                    job.runs += 1
                except Exception:  # one failed round must not stop the background work
                    log.exception("scheduled job %s failed", job.name)
                    db.session.rollback()
                finally:
                    db.session.remove()

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.run_due(time.monotonic())
            self.stop_event.wait(0.5)


def make_scheduler(app: Flask) -> Scheduler:
    return Scheduler(app, [
        Job("sla-tick", float(app.config["SCHEDULER_SLA_TICK_SECONDS"]), _sla_tick),
        Job("deliver", float(app.config["SCHEDULER_DELIVERY_SECONDS"]), _deliver),
    ])


def maybe_start_scheduler(app: Flask) -> Scheduler | None:
    """Start the scheduler when the settings ask for it (see the module docstring)."""
    if not app.config.get("FIELDOPS_SCHEDULER") or app.config.get("TESTING"):
        return None
    if app.config.get("CELERY_BROKER_URL"):
        log.info("CELERY_BROKER_URL is set: Celery beat runs the periodic jobs")
        return None
    scheduler = make_scheduler(app).start()
    app.extensions["fieldops_scheduler"] = scheduler
    return scheduler
