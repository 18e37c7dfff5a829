"""`flask seed-demo` leaves PostgreSQL with planner statistics for what it loaded: without
them (autovacuum off, or not yet round) the planner guessed a few hundred work orders and
read the whole table for each technician's asset histories."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import TEST_DATABASE, build_app


@pytest.mark.skipif(TEST_DATABASE != "postgis", reason="planner statistics of PostgreSQL; "
                    "SQLite plans without them")
def test_seed_demo_leaves_planner_statistics(scratch_databases: Any, tmp_path: Any) -> None:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path)
    result = app.test_cli_runner().invoke(args=["seed-demo", "--size", "small"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        analysed = dict(db.session.execute(text(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('work_orders', 'assets', 'sites')")).all())
        db.session.remove()  # its connection back in the pool, which dispose() closes
        db.engine.dispose()
    assert analysed == {"work_orders": True, "assets": True, "sites": True}
