"""`flask seed-demo` gives work orders in every state with timelines that add up."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.workorders.models import STATUS_VALUES, WorkOrder, WorkOrderEvent


def test_demo_work_orders_cover_every_state_with_consistent_timelines(db_session):
    from app.demo import seed_demo

    seed_demo(db_session, seed=7, size="small", force=True,
              password_method="pbkdf2:sha256:1000")
    db_session.flush()
    orders = {wo.id: wo for wo in db_session.scalars(select(WorkOrder))}
    assert {wo.status for wo in orders.values()} == set(STATUS_VALUES)
    assert len({wo.number for wo in orders.values()}) == len(orders)
    timelines = defaultdict(list)
    for event in db_session.scalars(select(WorkOrderEvent).order_by(WorkOrderEvent.id)):
        timelines[event.work_order_id].append(event)
    now = utcnow()
    for wo_id, wo in orders.items():
        events = timelines[wo_id]
        assert events[0].kind == "created", wo.number
        times = [e.occurred_at for e in events]
        assert times == sorted(times) and times[-1] <= now, wo.number
        moves = [e.data for e in events if e.kind == "status_changed"]
        if moves:
            assert moves[-1]["to"] == wo.status, (wo.number, moves)
            assert all(a["to"] == b["from"] for a, b in pairwise(moves))
        else:
            assert wo.status == "new", wo.number
        if wo.status in ("scheduled", "dispatched", "en_route", "on_site"):
            assert wo.assignee_user_id is not None and wo.scheduled_start is not None
        if wo.status in ("completed", "closed"):
            assert wo.resolution_notes and wo.completed_at is not None
        assert wo.sla_policy_id is None or wo.resolution_due_at is not None


# Late evening UTC on a weekday, a Sunday morning, a Sunday late evening (Monday in Munich)
# and a working morning on the hour (the demo's clock is the hour begun: an order reported a
# few minutes before it was unassigned half an hour later, in the future): the demo must
# never write an event after "now", whatever the hour.
PINNED = ["2026-11-30T21:30:00+00:00", "2026-11-30T23:30:00+00:00",
          "2026-11-29T20:30:00+00:00", "2026-11-29T23:30:00+00:00",
          "2026-11-30T09:00:00+00:00"]


@pytest.mark.parametrize("pinned", PINNED)
def test_the_demo_writes_no_event_in_the_future_at_any_hour(db_session, clock, pinned):
    from app.demo import seed_demo
    from app.workorders.models import WorkOrderRating

    now = clock.pin(datetime.fromisoformat(pinned))
    seed_demo(db_session, seed=7, size="small", force=True,
              password_method="pbkdf2:sha256:1000")
    db_session.flush()
    latest = db_session.scalar(select(func.max(WorkOrderEvent.occurred_at)))
    assert latest is not None and latest <= utcnow()
    future = db_session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.occurred_at > now + timedelta(minutes=5))).all()
    assert [(e.kind, e.occurred_at) for e in future] == []
    rated = db_session.scalars(select(WorkOrderRating)).all()
    assert rated and all(r.created_at <= utcnow() for r in rated)
    orders = db_session.scalars(select(WorkOrder)).all()
    assert all(wo.created_at <= utcnow() for wo in orders)
    assert all(wo.completed_at is None or wo.completed_at <= utcnow() for wo in orders)
