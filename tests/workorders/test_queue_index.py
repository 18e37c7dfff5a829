"""The dispatcher's queue in SLA order is read from ix_work_orders_sla_queue (migration
0107speed), not sorted: the statement the API runs walks the index on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.workorders import service


def _plan(session: Any, stmt: Any) -> str:
    bind = session.get_bind()
    sql = str(stmt.limit(50).compile(dialect=bind.dialect,
                                     compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        return "\n".join(str(row) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    # A test database is small: forbid the alternatives so the plan shows whether the index
    # can serve the order at all (on city data the planner picks it by cost).
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))


def test_the_sla_order_comes_from_the_index(db_session: Any, make_user: Any) -> None:
    dispatcher = make_user("dispatcher")
    stmt = service.list_work_orders(db_session, actor=dispatcher)  # sort="sla" by default
    plan = _plan(db_session, stmt)
    assert "ix_work_orders_sla_queue" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan  # SQLite: no separate sort step
