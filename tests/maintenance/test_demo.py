"""`flask seed-demo` shows PMs due this week and an inspection that raised a repair."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import utcnow


def test_the_demo_has_pms_due_this_week_and_an_inspection_that_raised_a_repair(
        db_session: Any) -> None:
    from app.demo import seed_demo
    from app.maintenance.models import (
        FailureCode,
        InspectionResult,
        KnowledgeArticle,
        PlanOccurrence,
    )
    from app.workorders.models import WorkOrder

    summary = seed_demo(db_session, seed=7, size="small", force=True,
                        password_method="pbkdf2:sha256:1000")
    db_session.flush()
    assert summary is not None and summary.counts["maintenance_plans"] == 3
    today = utcnow().date()
    this_week = db_session.scalars(select(PlanOccurrence).where(
        PlanOccurrence.due_date >= today, PlanOccurrence.due_date <= today + timedelta(days=7))
    ).all()
    assert len(this_week) >= 3
    triggers = {o.trigger for o in this_week}
    assert "calendar" in triggers and "forecast" in triggers
    for occurrence in this_week:
        order = db_session.get(WorkOrder, occurrence.work_order_id)
        assert (order.type, order.status, order.priority) == ("preventive", "new", "P4")
    [failed] = db_session.scalars(select(InspectionResult).where(
        InspectionResult.outcome == "failed")).all()
    repair = db_session.get(WorkOrder, failed.corrective_work_order_id)
    assert (repair.type, repair.priority) == ("corrective", "P2")
    assert db_session.scalar(select(func.count()).select_from(FailureCode)) == 8
    assert db_session.scalar(select(func.count()).select_from(KnowledgeArticle)) == 3
