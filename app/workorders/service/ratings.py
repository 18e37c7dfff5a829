"""Customers' ratings of finished work orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.errors import Conflict, Forbidden
from app.workorders.models import Status, WorkOrder, WorkOrderRating
from app.workorders.service.timeline import record_event


def rate_work_order(session: Session, work_order: WorkOrder, *, score: int,
                    comment: str | None = None, actor: User) -> WorkOrderRating:
    """The customer rates a completed (or closed) order once; the unique row is the guard."""
    if actor.role != Role.customer or actor.customer_id != work_order.customer_id:
        raise Forbidden("Only the customer may rate its work order.")
    if work_order.status not in (Status.completed, Status.closed):
        raise Conflict("Only a completed work order can be rated.", error="not_completed")
    if session.scalar(select(WorkOrderRating.id)
                      .where(WorkOrderRating.work_order_id == work_order.id)) is not None:
        raise Conflict("This work order has already been rated.", error="already_rated")
    rating = WorkOrderRating(work_order_id=work_order.id, score=score, comment=comment,
                             rated_by_id=actor.id)
    session.add(rating)
    record_event(session, work_order, "rated", actor=actor,
                 data={"score": score, "comment": comment})
    session.flush()  # flush: a concurrent second rating hits the unique constraint here
    return rating


def ratings_summary(session: Session, *, customer_id: int | None = None) -> dict[str, Any]:
    """Count, average and distribution of ratings (for reporting)."""
    stmt = select(WorkOrderRating.score, func.count()).group_by(WorkOrderRating.score)
    if customer_id is not None:
        stmt = stmt.join(WorkOrder).where(WorkOrder.customer_id == customer_id)
    counts = {int(score): int(n) for score, n in session.execute(stmt)}
    total = sum(counts.values())
    average = (sum(s * n for s, n in counts.items()) / total) if total else None
    return {"count": total, "average": round(average, 2) if average is not None else None,
            "by_score": {str(s): counts.get(s, 0) for s in range(1, 6)}}
