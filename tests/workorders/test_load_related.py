"""app.db.load_related hands each parent what selectinload would have loaded.

Three orders (one with two time windows out of order, a rating and an SLA pause, one with
nothing, one with no SLA policy) are read back in a fresh session, loaded
through `load_related` and compared with the same rows loaded by selectinload in another
fresh session: lists in the relationship's order, a single object or None (uselist=False),
a many-to-one, an empty list, and a loaded relationship left as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from app.db import load_related, utcnow
from app.workorders.models import SlaPause, WorkOrder, WorkOrderRating, WorkOrderTimeWindow


def _orders(db_session: Any, make_work_order: Any, make_sla_policy: Any) -> list[int]:
    now = utcnow()
    make_sla_policy(priority="P3")  # the first two orders have a policy, the P2 one none
    full, empty, third = make_work_order(), make_work_order(), make_work_order(priority="P2")
    assert full.sla_policy_id is not None and third.sla_policy_id is None
    db_session.add_all([
        WorkOrderTimeWindow(work_order_id=full.id, start_at=now + timedelta(hours=5),
                            end_at=now + timedelta(hours=6)),
        WorkOrderTimeWindow(work_order_id=full.id, start_at=now + timedelta(hours=1),
                            end_at=now + timedelta(hours=2)),
        WorkOrderTimeWindow(work_order_id=third.id, start_at=now + timedelta(hours=3),
                            end_at=now + timedelta(hours=4)),
        WorkOrderRating(work_order_id=full.id, score=4, comment="Quick"),
        SlaPause(work_order_id=full.id, reason="customer", started_at=now),
    ])
    db_session.commit()
    return [full.id, empty.id, third.id]


def _shape(orders: list[WorkOrder]) -> list[dict[str, Any]]:
    return [{"id": wo.id,
             "windows": [(w.id, w.start_at) for w in wo.time_windows],
             "pauses": [p.id for p in wo.sla_pauses],
             "rating": wo.rating.score if wo.rating is not None else None,
             "policy": wo.sla_policy.id if wo.sla_policy is not None else None}
            for wo in orders]


def _fresh(db_session: Any) -> Session:
    """Another session on the test's connection (sees its rows, has its own identity map)."""
    return Session(bind=db_session.connection(), join_transaction_mode="create_savepoint")


def test_load_related_matches_selectinload(db_session: Any, make_work_order: Any,
                                           make_sla_policy: Any) -> None:
    ids = _orders(db_session, make_work_order, make_sla_policy)
    conn = db_session.connection()
    relations = (WorkOrder.time_windows, WorkOrder.sla_pauses, WorkOrder.rating,
                 WorkOrder.sla_policy)
    with _fresh(db_session) as expected_session:
        expected = list(expected_session.scalars(
            select(WorkOrder).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.id)
            .options(*(selectinload(r) for r in relations))))
        want = _shape(expected)
        assert len(want) == 3
    with _fresh(db_session) as session:
        orders = list(session.scalars(
            select(WorkOrder).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.id)))
        statements: list[str] = []
        listen = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listen)
        try:
            for relation in relations:
                load_related(session, orders, relation)
            got = _shape(orders)  # nothing more is read while looking
        finally:
            event.remove(conn, "before_cursor_execute", listen)
        assert got == want
        assert len(statements) == len(relations)  # one query per relation, all orders
        assert got[0]["windows"][0][1] < got[0]["windows"][1][1]  # relationship's order
        assert got[0]["rating"] == 4 and got[1]["rating"] is None
        assert got[1]["windows"] == [] and got[1]["policy"] is not None
        assert not session.dirty  # handed over as loaded, not as changes


def test_a_loaded_relationship_is_kept(db_session: Any, make_work_order: Any,
                                       make_sla_policy: Any) -> None:
    ids = _orders(db_session, make_work_order, make_sla_policy)
    with _fresh(db_session) as session:
        orders = list(session.scalars(
            select(WorkOrder).where(WorkOrder.id.in_(ids)).order_by(WorkOrder.id)))
        third = orders[2]
        kept = third.time_windows  # loaded (lazily) before
        load_related(session, orders, WorkOrder.time_windows)
        assert third.time_windows is kept and len(kept) == 1
        assert len(orders[0].time_windows) == 2
