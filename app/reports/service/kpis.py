"""Service KPIs for a period, in total and broken down by customer, site, equipment model,
technician or territory.

Every figure is an aggregate computed by the database (one grouped query per KPI family);
Python only merges the groups and turns counts into rates. The definitions are in
`docs/kpis.md` and in `KPI_DEFINITIONS` below, which the API publishes with the figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from app.assets.models import Asset, Customer, EquipmentModel, Site
from app.auth.models import User
from app.db import UTCDateTime
from app.dispatch.models import Technician, Territory, WeeklyShift
from app.errors import Unprocessable
from app.inventory.models import MovementKind, StockMovement
from app.mobile_api.models import SiteVisit
from app.reports.service.sql import minutes_between
from app.workorders.models import (
    OPEN_STATES,
    Status,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderRating,
    WorkOrderTimeWindow,
    WorkOrderType,
)

GROUPS = ("customer", "site", "equipment_model", "technician", "territory")
# An arrival counts as on time up to this long after the scheduled start (no customer window).
ARRIVAL_GRACE_MIN = 15
BACKLOG_AGE_BUCKETS_DAYS = (1, 3, 7, 30)
MAX_SERIES_BUCKETS = 92

KPI_DEFINITIONS: dict[str, str] = {
    "created": "Work orders created in the period.",
    "completed": "Work orders completed in the period.",
    "mttr_minutes": "Mean time to repair: mean minutes from report (creation) to completion "
                    "of corrective work orders completed in the period.",
    "mean_labour_minutes": "Mean labour minutes booked on work orders completed in the period.",
    "first_time_fix_rate": "Share of corrective work orders completed in the period that were "
                           "fixed on the first visit (of those with the flag recorded).",
    "response_sla_rate": "Share of work orders (not cancelled) whose response was due in the "
                         "period (up to now) that had a technician on site by the due time.",
    "resolution_sla_rate": "Share of work orders (not cancelled) whose resolution was due in "
                           "the period (up to now) that were completed by the due time.",
    "pm_compliance_rate": "Share of preventive work orders due in the period (up to now) "
                          "completed by their due time.",
    "on_time_arrival_rate": "Share of check-ins in the period inside the customer's time "
                            "window (by its latest end), or, without a window, at most "
                            f"{ARRIVAL_GRACE_MIN} minutes after the scheduled start.",
    "travel_minutes": "Minutes from 'en route' to the check-in, for check-ins in the period.",
    "on_site_minutes": "Minutes from check-in to check-out, for check-ins in the period.",
    "travel_share": "travel_minutes / (travel_minutes + on_site_minutes).",
    "utilisation": "on_site_minutes / rostered minutes (weekly shifts less breaks, over the "
                   "period's days in each technician's time zone); technicians and "
                   "territories only.",
    "csat_average": "Mean customer rating (1-5) given in the period.",
    "csat_rate": "Share of ratings given in the period that are 4 or 5.",
    "ratings": "Ratings given in the period.",
    "parts_quantity": "Units issued to work orders in the period, less units returned.",
    "parts_cost": "Value of those units at their ledger cost (a decimal string).",
    "backlog": "Open work orders now (created before the period's end).",
    "backlog_mean_age_hours": "Mean age of the backlog now, in hours.",
    "backlog_by_age": "Backlog counted by age: <1 d, 1-3 d, 3-7 d, 7-30 d, >=30 d.",
    "mtbf_hours": "Mean time between failures: asset-hours in the period (assets installed "
                  "before its end) per corrective work order (not cancelled) created in it on an "
                  "asset; customers, sites and equipment models only.",
}


@dataclass(frozen=True)
class Scope:
    """What the figures cover: a period, an optional breakdown and an optional account; or,
    for a series, several periods at once (`periods`), each one group of the same queries.

    The queries read the period's bounds from `lo`, `hi`, `due_hi` and `hi_date`: plain
    values for one period; for a series, the columns of a derived table with one row per
    period, joined to the rows counted, so a row falls in every period whose conditions it
    meets (a work order created in one period and completed in another counts in both, an
    open one in the backlog of every period after its creation) and the number of statements
    does not depend on the number of periods.
    """

    start: datetime
    end: datetime
    now: datetime
    group_by: str | None = None
    customer_id: int | None = None
    periods: tuple[tuple[datetime, datetime], ...] | None = None

    @cached_property
    def table(self) -> Any:
        """The series' periods as rows: idx, lo, hi, due_hi (targets after now cannot be
        judged yet) and hi_date (the date of its end, for dates such as install dates)."""
        assert self.periods is not None
        rows = [select(literal(i, Integer()).label("idx"),
                       _literal_time(lo).label("lo"), _literal_time(hi).label("hi"),
                       _literal_time(min(hi, self.now)).label("due_hi"),
                       literal(hi.date(), Date()).label("hi_date"))
                for i, (lo, hi) in enumerate(self.periods)]
        return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("periods")

    @property
    def lo(self) -> Any:
        return self.start if self.periods is None else self.table.c.lo

    @property
    def hi(self) -> Any:
        return self.end if self.periods is None else self.table.c.hi

    @property
    def due_hi(self) -> Any:
        """Targets falling after now cannot be judged yet."""
        return min(self.end, self.now) if self.periods is None else self.table.c.due_hi

    @property
    def hi_date(self) -> Any:
        return self.end.date() if self.periods is None else self.table.c.hi_date


def _group_key(scope: Scope) -> Any:
    if scope.periods is not None:
        return scope.table.c.idx
    return {
        None: None,
        "customer": WorkOrder.customer_id,
        "site": WorkOrder.site_id,
        "equipment_model": Asset.equipment_model_id,
        "technician": WorkOrder.assignee_user_id,
        "territory": Technician.territory_id,
    }[scope.group_by]


def _scoped(stmt: Select[Any], scope: Scope) -> Select[Any]:
    """Add the breakdown key's joins, the account filter and GROUP BY to a query over
    work orders (its first column is the key when grouped)."""
    if scope.group_by == "equipment_model":
        stmt = stmt.outerjoin(Asset, Asset.id == WorkOrder.asset_id)
    elif scope.group_by == "territory":
        stmt = stmt.outerjoin(Technician, Technician.user_id == WorkOrder.assignee_user_id)
    elif scope.periods is not None:
        stmt = stmt.join(scope.table, true())
    if scope.customer_id is not None:
        stmt = stmt.where(WorkOrder.customer_id == scope.customer_id)
    key = _group_key(scope)
    if key is not None:
        stmt = stmt.group_by(key)
    return stmt


def _cols(scope: Scope, *aggregates: Any) -> list[Any]:
    key = _group_key(scope)
    return [key if key is not None else null(), *aggregates]


def _rate(numerator: Any, denominator: Any) -> float | None:
    if not denominator:
        return None
    return round(float(numerator or 0) / float(denominator), 4)


def _minutes(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _in(column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _completion_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    corrective = WorkOrder.type == WorkOrderType.corrective
    done = _in(WorkOrder.completed_at, scope.lo, scope.hi)
    created = _in(WorkOrder.created_at, scope.lo, scope.hi)
    stmt = _scoped(select(*_cols(
        scope,
        func.sum(case((created, 1), else_=0)),
        func.sum(case((done, 1), else_=0)),
        func.avg(case((and_(done, corrective),
                       minutes_between(WorkOrder.completed_at, WorkOrder.created_at)))),
        func.avg(case((done, WorkOrder.labour_minutes))),
        func.sum(case((and_(done, corrective, WorkOrder.first_time_fix.is_(True)), 1),
                      else_=0)),
        func.sum(case((and_(done, corrective, WorkOrder.first_time_fix.is_not(None)), 1),
                      else_=0)),
    )).select_from(WorkOrder).where(or_(created, done)), scope)
    for key, n_created, n_done, mttr, labour, ftf, ftf_known in session.execute(stmt):
        row = out[key]
        row.update(created=int(n_created or 0), completed=int(n_done or 0),
                   mttr_minutes=_minutes(mttr), mean_labour_minutes=_minutes(labour),
                   first_time_fix_rate=_rate(ftf, ftf_known))


def _sla_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    response_due = and_(_in(WorkOrder.response_due_at, scope.lo, scope.due_hi),
                        WorkOrder.status != Status.cancelled)
    resolution_due = and_(_in(WorkOrder.resolution_due_at, scope.lo, scope.due_hi),
                          WorkOrder.status != Status.cancelled)
    pm_due = and_(resolution_due, WorkOrder.type == WorkOrderType.preventive)
    resolved_in_time = and_(WorkOrder.completed_at.is_not(None),
                            WorkOrder.completed_at <= WorkOrder.resolution_due_at)
    stmt = _scoped(select(*_cols(
        scope,
        func.sum(case((response_due, 1), else_=0)),
        func.sum(case((and_(response_due, WorkOrder.responded_at.is_not(None),
                            WorkOrder.responded_at <= WorkOrder.response_due_at), 1), else_=0)),
        func.sum(case((resolution_due, 1), else_=0)),
        func.sum(case((and_(resolution_due, resolved_in_time), 1), else_=0)),
        func.sum(case((pm_due, 1), else_=0)),
        func.sum(case((and_(pm_due, resolved_in_time), 1), else_=0)),
    )).select_from(WorkOrder).where(or_(response_due, resolution_due)), scope)
    for key, resp_due, resp_met, res_due, res_met, pm_n, pm_met in session.execute(stmt):
        row = out[key]
        row.update(response_sla_rate=_rate(resp_met, resp_due),
                   resolution_sla_rate=_rate(res_met, res_due),
                   pm_compliance_rate=_rate(pm_met, pm_n))


def _visit_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    window_end = (select(func.max(WorkOrderTimeWindow.end_at))
                  .where(WorkOrderTimeWindow.work_order_id == SiteVisit.work_order_id)
                  .scalar_subquery())
    en_route = aliased(WorkOrderEvent)
    left_at = (select(func.max(en_route.occurred_at))
               .where(en_route.work_order_id == SiteVisit.work_order_id,
                      en_route.kind == "status_changed",
                      en_route.data["to"].as_string() == Status.en_route.value,
                      en_route.occurred_at <= SiteVisit.check_in_at)
               .scalar_subquery())
    on_time = case(
        (window_end.is_not(None), case((SiteVisit.check_in_at <= window_end, 1), else_=0)),
        (WorkOrder.scheduled_start.is_not(None),
         case((minutes_between(SiteVisit.check_in_at, WorkOrder.scheduled_start)
               <= ARRIVAL_GRACE_MIN, 1), else_=0)))
    judged = case((or_(window_end.is_not(None), WorkOrder.scheduled_start.is_not(None)), 1),
                  else_=0)
    stmt = _scoped(select(*_cols(
        scope,
        func.sum(on_time), func.sum(judged),
        func.sum(minutes_between(SiteVisit.check_in_at, left_at)),
        func.sum(minutes_between(SiteVisit.check_out_at, SiteVisit.check_in_at)),
    )).select_from(SiteVisit).join(WorkOrder, WorkOrder.id == SiteVisit.work_order_id)
        .where(_in(SiteVisit.check_in_at, scope.lo, scope.hi)), scope)
    for key, n_on_time, n_judged, travel, on_site in session.execute(stmt):
        row = out[key]
        travel_min, site_min = float(travel or 0), float(on_site or 0)
        row.update(on_time_arrival_rate=_rate(n_on_time, n_judged),
                   travel_minutes=round(travel_min, 1), on_site_minutes=round(site_min, 1),
                   travel_share=_rate(travel_min, travel_min + site_min))


def _rating_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    stmt = _scoped(select(*_cols(
        scope, func.count(WorkOrderRating.id), func.avg(WorkOrderRating.score),
        func.sum(case((WorkOrderRating.score >= 4, 1), else_=0)),
    )).select_from(WorkOrderRating).join(WorkOrder, WorkOrder.id == WorkOrderRating.work_order_id)
        .where(_in(WorkOrderRating.created_at, scope.lo, scope.hi)), scope)
    for key, count, average, satisfied in session.execute(stmt):
        out[key].update(ratings=int(count or 0),
                        csat_average=None if average is None else round(float(average), 2),
                        csat_rate=_rate(satisfied, count))


def _parts_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    sign = case((StockMovement.kind == MovementKind.issue, 1), else_=-1)
    stmt = _scoped(select(*_cols(
        scope, func.sum(sign * StockMovement.quantity),
        func.sum(sign * StockMovement.quantity * StockMovement.unit_cost),
    )).select_from(StockMovement).join(WorkOrder, WorkOrder.id == StockMovement.work_order_id)
        .where(StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
               _in(StockMovement.created_at, scope.lo, scope.hi)), scope)
    for key, quantity, cost in session.execute(stmt):
        out[key].update(parts_quantity=int(quantity or 0),
                        parts_cost=str(Decimal(cost or 0).quantize(Decimal("0.01"))))


def _backlog_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    age = minutes_between(_literal_time(scope.now), WorkOrder.created_at)
    stmt = _scoped(select(*_cols(scope, func.count(WorkOrder.id), func.avg(age),
                                 *_age_buckets(age)))
                   .select_from(WorkOrder)
                   .where(WorkOrder.status.in_([s.value for s in OPEN_STATES]),
                          WorkOrder.created_at < scope.hi), scope)
    labels = _bucket_labels()
    for key, count, mean_age, *counts in session.execute(stmt):
        out[key].update(backlog=int(count or 0),
                        backlog_mean_age_hours=None if mean_age is None
                        else round(float(mean_age) / 60.0, 1),
                        backlog_by_age=dict(zip(labels, (int(c or 0) for c in counts),
                                                strict=True)))


def _literal_time(value: datetime) -> Any:
    return literal(value, UTCDateTime())


def _age_buckets(age_minutes: Any) -> list[Any]:
    days = age_minutes / 1440.0
    edges = (0, *BACKLOG_AGE_BUCKETS_DAYS)
    sums = []
    for i, low in enumerate(edges):
        high = BACKLOG_AGE_BUCKETS_DAYS[i] if i < len(BACKLOG_AGE_BUCKETS_DAYS) else None
        cond = days >= low if high is None else and_(days >= low, days < high)
        sums.append(func.sum(case((cond, 1), else_=0)))
    return sums


def _bucket_labels() -> list[str]:
    edges = (0, *BACKLOG_AGE_BUCKETS_DAYS)
    labels = [f"{low}-{high}d" for low, high in zip(edges, BACKLOG_AGE_BUCKETS_DAYS, strict=False)]
    return [*labels, f">={BACKLOG_AGE_BUCKETS_DAYS[-1]}d"]


def _reliability_kpis(session: Session, scope: Scope, out: dict[Any, dict[str, Any]]) -> None:
    """MTBF per customer, site or equipment model (asset-hours per failure); n/a otherwise."""
    if scope.group_by in ("technician", "territory"):
        return
    key = {None: None, "customer": Site.customer_id, "site": Asset.site_id,
           "equipment_model": Asset.equipment_model_id}[scope.group_by]
    if scope.periods is not None:
        key = scope.table.c.idx
    in_service = and_(Asset.created_at < scope.hi, Asset.status != "retired",
                      or_(Asset.install_date.is_(None), Asset.install_date < scope.hi_date))
    assets = (select(key if key is not None else null(), func.count(Asset.id))
              .select_from(Asset).join(Site, Site.id == Asset.site_id).where(in_service))
    if scope.periods is not None:
        assets = assets.join(scope.table, true())
    if scope.customer_id is not None:
        assets = assets.where(Site.customer_id == scope.customer_id)
    if key is not None:
        assets = assets.group_by(key)
    failures = _scoped(select(*_cols(scope, func.count(WorkOrder.id)))
                       .select_from(WorkOrder)
                       .where(WorkOrder.type == WorkOrderType.corrective,
                              WorkOrder.status != Status.cancelled,
                              WorkOrder.asset_id.is_not(None),
                              _in(WorkOrder.created_at, scope.lo, scope.hi)), scope)
    failure_counts = {k: int(n) for k, n in session.execute(failures)}
    for group, count in session.execute(assets):
        n = failure_counts.get(group, 0)
        lo, hi = (scope.start, scope.end) if scope.periods is None else scope.periods[group]
        hours = (hi - lo).total_seconds() / 3600.0
        out[group]["mtbf_hours"] = round(count * hours / n, 1) if n else None


def _rostered_minutes(session: Session, scope: Scope) -> dict[Any, float]:
    """Shift minutes less breaks per technician user (or territory, or series period) over
    the period's days."""
    rows = session.execute(
        select(Technician.user_id, Technician.territory_id, Technician.timezone,
               WeeklyShift.weekday, WeeklyShift.starts, WeeklyShift.ends,
               WeeklyShift.break_minutes)
        .join(WeeklyShift, WeeklyShift.technician_id == Technician.id)
        .where(Technician.is_active.is_(True)))
    per_weekday: dict[tuple[Any, Any, str], dict[int, float]] = defaultdict(dict)
    for user_id, territory_id, tz, weekday, starts, ends, break_min in rows:
        span = (datetime.combine(date.min, ends) - datetime.combine(date.min, starts))
        minutes = max(span.total_seconds() / 60.0 - (break_min or 0), 0.0)
        week = per_weekday[(user_id, territory_id, tz)]
        week[weekday] = week.get(weekday, 0.0) + minutes
    totals: dict[Any, float] = defaultdict(float)
    periods = dict(enumerate(scope.periods)) if scope.periods is not None else {
        None: (scope.start, scope.end)}
    for (user_id, territory_id, tz), week in per_weekday.items():
        zone = ZoneInfo(tz)
        for idx, (start, end) in periods.items():
            day = start.astimezone(zone).date()
            last = (end - timedelta(microseconds=1)).astimezone(zone).date()
            minutes = 0.0
            while day <= last:
                minutes += week.get(day.weekday(), 0.0)
                day += timedelta(days=1)
            key = idx if scope.periods is not None else {
                None: None, "technician": user_id, "territory": territory_id}.get(
                scope.group_by, "n/a")
            totals[key] += minutes
    return totals


DEFAULTS: dict[str, Any] = {
    "created": 0, "completed": 0, "mttr_minutes": None, "mean_labour_minutes": None,
    "first_time_fix_rate": None, "response_sla_rate": None, "resolution_sla_rate": None,
    "pm_compliance_rate": None, "on_time_arrival_rate": None, "travel_minutes": 0.0,
    "on_site_minutes": 0.0, "travel_share": None, "utilisation": None, "csat_average": None,
    "csat_rate": None, "ratings": 0, "parts_quantity": 0, "parts_cost": "0.00", "backlog": 0,
    "backlog_mean_age_hours": None, "backlog_by_age": None, "mtbf_hours": None,
}


def _no_figures() -> dict[str, Any]:
    """What a period without any rows shows."""
    return {**DEFAULTS, "backlog_by_age": dict.fromkeys(_bucket_labels(), 0)}


def _figures(session: Session, scope: Scope) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = defaultdict(dict)
    for family in (_completion_kpis, _sla_kpis, _visit_kpis, _rating_kpis, _parts_kpis,
                   _backlog_kpis, _reliability_kpis):
        family(session, scope, out)
    if scope.customer_id is None and scope.group_by in (None, "technician", "territory"):
        for key, minutes in _rostered_minutes(session, scope).items():
            if key in out or scope.group_by is None:
                out[key]["utilisation"] = _rate(out[key].get("on_site_minutes", 0.0), minutes)
    return {key: {**_no_figures(), **figures} for key, figures in out.items()}


def _labels(session: Session, group_by: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if not ids:
        return {}
    column: Any = {
        "customer": (Customer.id, Customer.name), "site": (Site.id, Site.name),
        "equipment_model": (EquipmentModel.id,
                            EquipmentModel.manufacturer + " " + EquipmentModel.model),
        "technician": (User.id, User.full_name), "territory": (Territory.id, Territory.name),
    }[group_by]
    rows = session.execute(select(*column).where(column[0].in_(ids)))
    return {key: str(label) for key, label in rows}


def _check_period(start: datetime, end: datetime, max_days: int = 366) -> None:
    if end <= start:
        raise Unprocessable("The period must end after it starts.",
                            errors={"to": ["must be after from"]}, error="invalid_period")
    if end - start > timedelta(days=max_days):
        raise Unprocessable(f"A period spans at most {max_days} days.",
                            errors={"to": [f"at most {max_days} days after from"]},
                            error="invalid_period")


def kpi_report(session: Session, *, start: datetime, end: datetime, now: datetime,
               group_by: str | None = None, customer_id: int | None = None) -> dict[str, Any]:
    """The KPIs of a period in total and per group (customers: only their own account)."""
    _check_period(start, end)
    if group_by is not None and group_by not in GROUPS:
        raise Unprocessable("Unknown breakdown.", errors={"group_by": list(GROUPS)},
                            error="invalid_group")
    total = _figures(session, Scope(start, end, now, None, customer_id)).get(None)
    groups: list[dict[str, Any]] = []
    if group_by is not None:
        figures = _figures(session, Scope(start, end, now, group_by, customer_id))
        labels = _labels(session, group_by, list(figures))
        groups = [{"key": key, "label": labels.get(key), **values}
                  for key, values in sorted(figures.items(),
                                            key=lambda kv: (kv[0] is None, kv[0] or 0))]
    return {"from": start, "to": end, "group_by": group_by, "total": total or _no_figures(),
            "groups": groups, "definitions": KPI_DEFINITIONS}


def kpi_series(session: Session, *, start: datetime, end: datetime, now: datetime,
               interval: str, timezone: str = "UTC",
               customer_id: int | None = None) -> dict[str, Any]:
    """The total KPIs per day or per week (weeks start on Monday) in `timezone`."""
    _check_period(start, end)
    zone = ZoneInfo(timezone)
    step = timedelta(days=7 if interval == "week" else 1)
    local = start.astimezone(zone)
    first = local.date() - (timedelta(days=local.weekday()) if interval == "week"
                            else timedelta(0))
    bounds: list[datetime] = []
    day = first
    while datetime.combine(day, datetime.min.time(), zone) < end:
        bounds.append(datetime.combine(day, datetime.min.time(), zone))
        day += step
    if len(bounds) > MAX_SERIES_BUCKETS:
        raise Unprocessable(f"At most {MAX_SERIES_BUCKETS} buckets per series.",
                            errors={"interval": ["too many buckets for this period"]},
                            error="invalid_period")
    periods = tuple((max(lo, start), min(datetime.combine(lo.date() + step,
                                                          datetime.min.time(), zone), end))
                    for lo in bounds)
    figures = _figures(session, Scope(start, end, now, None, customer_id, periods))
    points = [{"from": lo, "to": hi, **figures.get(idx, _no_figures())}
              for idx, (lo, hi) in enumerate(periods)]
    return {"interval": interval, "timezone": timezone, "points": points,
            "definitions": KPI_DEFINITIONS}
