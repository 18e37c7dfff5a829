"""The generator as `flask maintenance generate` and as the Celery beat task on real Redis."""

from __future__ import annotations

from typing import Any

from app.db import utcnow
from tests.maintenance.conftest import occurrences_of
from tests.test_worker import worker  # noqa: F401  (the fixture: a real Celery worker)


def test_the_cli_generates_once(app: Any, db_session: Any, make_asset: Any,
                                make_plan: Any) -> None:
    plan = make_plan(asset=make_asset(), interval_unit="day", interval_count=1,
                     start_date=utcnow().date(), horizon_days=2)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["maintenance", "generate"])
    again = runner.invoke(args=["maintenance", "generate"])
    assert first.exit_code == 0, first.output
    assert "3 work orders created" in first.output  # today and the next two days
    assert "0 work orders created" in again.output
    assert len(occurrences_of(db_session, plan)) == 3


def test_the_beat_task_generates_once(worker: Any, db_session: Any,  # noqa: F811
                                      make_asset: Any, make_plan: Any) -> None:
    assert "generate-preventive" in worker.conf.beat_schedule
    plan = make_plan(asset=make_asset(), interval_unit="week", interval_count=1,
                     start_date=utcnow().date(), horizon_days=6)
    first = worker.send_task("fieldops.generate_preventive").get(timeout=60)
    again = worker.send_task("fieldops.generate_preventive").get(timeout=60)
    assert first["created"] >= 1 and again["created"] == 0
    assert len(occurrences_of(db_session, plan)) == 1
