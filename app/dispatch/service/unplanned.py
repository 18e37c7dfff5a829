"""An order that goes back to the queue (unschedule, release, unassign) leaves the applied
plans: its planned visit would otherwise still show on the board and the technician's route."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.dispatch.models import OptimizationRun, PlannedVisit, RunStatus
from app.workorders import service as workorders
from app.workorders.models import WorkOrder


@workorders.on_unplanned
def drop_planned_visits(session: Session, work_order: WorkOrder) -> None:
    """Remove the order's visits from applied plans (proposals keep theirs: applying one
    later is refused as stale, since the order's version has moved on)."""
    applied = select(OptimizationRun.id).where(OptimizationRun.status == RunStatus.applied)
    session.execute(delete(PlannedVisit).where(PlannedVisit.work_order_id == work_order.id,
                                               PlannedVisit.run_id.in_(applied))
                    .execution_options(synchronize_session="fetch"))
