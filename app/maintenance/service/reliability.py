"""Reliability figures, computed in SQL: failures (corrective work orders, by the time they
were reported), MTBF, MTTR, failure counts by code, PM compliance; assets whose failure rate
is rising.

- MTBF: per asset, the time from its first to its last failure in the period divided by the
  gaps between them (n - 1); for a model, the assets' spans added up over their gaps added up.
- MTTR: the mean time from the first arrival on site to completion of the failures repaired.
- PM compliance: preventive occurrences due in the period (not skipped), and of those the
  ones completed before their window closed.
- Rising: at least RISING_MIN failures in the recent half of the period and more than twice
  as many as in the earlier half.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.assets.models import Asset, EquipmentModel
from app.auth.models import User
from app.db import utcnow
from app.errors import N_, NotFound
from app.maintenance.models import OccurrenceStatus, PlanOccurrence
from app.maintenance.service.plans import require_planner
from app.workorders.models import Status, WorkOrder, WorkOrderType

RISING_MIN = 3


@dataclass
class Reliability:
    scope: str  # asset | equipment_model
    id: int
    since: datetime
    until: datetime
    failures: int
    mtbf_hours: float | None
    mttr_hours: float | None
    failures_by_code: dict[str, int] = field(default_factory=dict)
    pm_due: int = 0
    pm_on_time: int = 0

    @property
    def pm_compliance(self) -> float | None:
        return round(self.pm_on_time / self.pm_due, 4) if self.pm_due else None


@dataclass
class RisingAsset:
    asset_id: int
    tag: str
    earlier: int
    recent: int


def _hours(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * 24.0


def _failures(asset_ids: Any, since: datetime, until: datetime) -> list[Any]:
    return [WorkOrder.asset_id.in_(asset_ids), WorkOrder.type == WorkOrderType.corrective,
            WorkOrder.status != Status.cancelled, WorkOrder.created_at >= since,
            WorkOrder.created_at < until]


def _figures(session: Session, scope: str, scope_id: int, asset_ids: Any, since: datetime,
             until: datetime) -> Reliability:
    where = _failures(asset_ids, since, until)
    per_asset = (select(func.count().label("n"),
                        _hours(session, func.max(WorkOrder.created_at),
                               func.min(WorkOrder.created_at)).label("span"))
                 .where(*where).group_by(WorkOrder.asset_id).subquery())
    failures, span, gaps = session.execute(select(
        func.coalesce(func.sum(per_asset.c.n), 0), func.sum(per_asset.c.span),
        func.sum(per_asset.c.n - 1))).one()
    mttr = session.scalar(select(func.avg(_hours(session, WorkOrder.completed_at,
                                                 WorkOrder.responded_at)))
                          .where(*where, WorkOrder.completed_at.is_not(None),
                                 WorkOrder.responded_at.is_not(None)))
    by_code = {str(code): int(n) for code, n in session.execute(
        select(WorkOrder.failure_code, func.count()).where(
            *where, WorkOrder.failure_code.is_not(None))
        .group_by(WorkOrder.failure_code).order_by(WorkOrder.failure_code))}
    due, on_time = session.execute(
        select(func.count(), func.coalesce(func.sum(case(
            (and_(WorkOrder.completed_at.is_not(None),
                  WorkOrder.completed_at <= PlanOccurrence.window_end), 1), else_=0)), 0))
        .select_from(PlanOccurrence)
        .outerjoin(WorkOrder, WorkOrder.id == PlanOccurrence.work_order_id)
        .where(PlanOccurrence.asset_id.in_(asset_ids),
               PlanOccurrence.status != OccurrenceStatus.skipped,
               PlanOccurrence.due_date >= since.date(),
               PlanOccurrence.due_date <= min(until, utcnow()).date())).one()
    mtbf = round(float(span) / int(gaps), 2) if gaps else None
    return Reliability(scope=scope, id=scope_id, since=since, until=until,
                       failures=int(failures), mtbf_hours=mtbf,
                       mttr_hours=round(float(mttr), 2) if mttr is not None else None,
                       failures_by_code=by_code,
                       pm_due=int(due), pm_on_time=int(on_time))


def _period(since: datetime | None, until: datetime | None,
            days: int) -> tuple[datetime, datetime]:
    until = until or utcnow()
    return since or until - timedelta(days=days), until


def asset_reliability(session: Session, asset_id: int, *, actor: User,
                      since: datetime | None = None, until: datetime | None = None,
                      days: int = 365) -> Reliability:
    """An asset's figures over the period (default: the last `days`)."""
    require_planner(actor, "see reliability figures")
    if session.get(Asset, asset_id) is None:
        raise NotFound(N_("No such asset."))
    since, until = _period(since, until, days)
    return _figures(session, "asset", asset_id, [asset_id], since, until)


def model_reliability(session: Session, model_id: int, *, actor: User,
                      since: datetime | None = None, until: datetime | None = None,
                      days: int = 365) -> Reliability:
    """An equipment model's figures over all its assets."""
    require_planner(actor, "see reliability figures")
    if session.get(EquipmentModel, model_id) is None:
        raise NotFound(N_("No such equipment model."))
    since, until = _period(since, until, days)
    assets = select(Asset.id).where(Asset.equipment_model_id == model_id)
    return _figures(session, "equipment_model", model_id, assets, since, until)


def rising_failure_rates(session: Session, *, actor: User, until: datetime | None = None,
                         days: int = 180) -> list[RisingAsset]:
    """Assets failing clearly more often in the recent half of the period than before."""
    require_planner(actor, "see reliability figures")
    since, until = _period(None, until, days)
    middle = since + (until - since) / 2
    recent = func.sum(case((WorkOrder.created_at >= middle, 1), else_=0))
    earlier = func.sum(case((WorkOrder.created_at < middle, 1), else_=0))
    rows = session.execute(
        select(Asset.id, Asset.tag, earlier.label("earlier"), recent.label("recent"))
        .join(WorkOrder, WorkOrder.asset_id == Asset.id)
        .where(*_failures(select(Asset.id), since, until))
        .group_by(Asset.id, Asset.tag)
        .having(and_(recent >= RISING_MIN, recent > 2 * earlier))
        .order_by((recent - earlier).desc(), Asset.id)).all()
    return [RisingAsset(r.id, r.tag, int(r.earlier), int(r.recent)) for r in rows]
