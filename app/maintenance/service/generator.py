"""The preventive work-order generator: every active plan, every asset it covers, every
occurrence due inside the plan's rolling horizon gets one work order.

Idempotent and safe to run from several machines at once: an occurrence is first claimed
with `INSERT ... ON CONFLICT DO NOTHING` on its unique key (plan, asset, occurrence_key).
Only the claimant creates the work order; a concurrent generator's insert waits for the
claimant's commit (PostgreSQL unique index; SQLite serialises writers) and then does nothing.
Plans and assets are walked in id order, so two generators never wait on each other in a
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.assets.models import Asset, MeterReading
from app.db import table_of, utcnow
from app.errors import DomainError, InsufficientStock
from app.inventory import service as inventory
from app.maintenance.models import (
    Anchor,
    ChecklistTemplate,
    Inspection,
    MaintenancePlan,
    OccurrenceStatus,
    PlanOccurrence,
    ScheduleKind,
    Trigger,
)
from app.maintenance.service.forecast import forecast_threshold
from app.maintenance.service.plans import plan_assets
from app.maintenance.service.schedule import (
    CalendarRule,
    WorkingDays,
    due_dates,
    next_due_date,
    step_after,
)
from app.workorders import service as workorders
from app.workorders.models import (
    CLOSED_STATES,
    BusinessCalendar,
    Status,
    WorkOrder,
    WorkOrderSkill,
    WorkOrderType,
)

DEFAULT_TIMEZONE = "Europe/Berlin"
FORECAST_READINGS = 20  # the newest readings the meter trend is fitted to


@dataclass(frozen=True)
class Due:
    key: str
    due_date: date
    trigger: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerationReport:
    created: list[PlanOccurrence] = field(default_factory=list)
    already_there: int = 0

    @property
    def created_count(self) -> int:
        return len(self.created)


def _working_days(plan: MaintenancePlan, calendar: BusinessCalendar | None) -> WorkingDays:
    if calendar is None:
        return WorkingDays(frozenset(), frozenset())
    return WorkingDays.from_calendar(calendar.weekly_hours, calendar.holidays)


def _rule(plan: MaintenancePlan) -> CalendarRule:
    assert plan.interval_unit is not None and plan.interval_count is not None
    return CalendarRule(start=plan.start_date, unit=plan.interval_unit,
                        every=plan.interval_count, weekdays=tuple(plan.weekdays or ()),
                        day_of_month=plan.day_of_month)


def _occurrences_by_asset(session: Session, plan: MaintenancePlan, asset: Asset | None = None
                          ) -> dict[int, list[PlanOccurrence]]:
    """The plan's occurrences per asset (of one asset, if given), oldest first, in one query."""
    stmt = select(PlanOccurrence).where(PlanOccurrence.plan_id == plan.id)
    if asset is not None:
        stmt = stmt.where(PlanOccurrence.asset_id == asset.id)
    found: dict[int, list[PlanOccurrence]] = {}
    for row in session.scalars(stmt.order_by(PlanOccurrence.id)):
        found.setdefault(row.asset_id, []).append(row)
    return found


def _is_open(session: Session, occurrence: PlanOccurrence) -> bool:
    if occurrence.status == OccurrenceStatus.skipped or occurrence.work_order_id is None:
        return False
    status = session.scalar(select(WorkOrder.status)
                            .where(WorkOrder.id == occurrence.work_order_id))
    return status not in CLOSED_STATES


def _completed_at(session: Session, occurrence: PlanOccurrence | None) -> datetime | None:
    if occurrence is None or occurrence.work_order_id is None:
        return None
    return session.scalar(select(WorkOrder.completed_at).where(
        WorkOrder.id == occurrence.work_order_id,
        WorkOrder.status.in_((Status.completed, Status.closed))))


def _readings(session: Session, asset: Asset, meter: str) -> list[tuple[datetime, Decimal]]:
    rows = session.execute(select(MeterReading.read_at, MeterReading.value).where(
        MeterReading.asset_id == asset.id, MeterReading.meter == meter)
        .order_by(MeterReading.read_at.desc(), MeterReading.id.desc())
        .limit(FORECAST_READINGS)).all()
    return sorted((r.read_at, r.value) for r in rows)


def _service_reading(session: Session, asset: Asset, meter: str,
                     serviced_at: datetime | None) -> Decimal | None:
    """The meter at the last service (the newest reading by then), else its first reading."""
    stmt = select(MeterReading.value).where(MeterReading.asset_id == asset.id,
                                            MeterReading.meter == meter)
    if serviced_at is not None:
        stmt = stmt.where(MeterReading.read_at <= serviced_at).order_by(
            MeterReading.read_at.desc(), MeterReading.id.desc())
    else:
        stmt = stmt.order_by(MeterReading.read_at, MeterReading.id)
    return session.scalar(stmt.limit(1))


def meter_due(session: Session, plan: MaintenancePlan, asset: Asset, *, today: date,
              horizon_end: date, serviced_at: datetime | None) -> Due | None:
    """Due now when the meter has reached the last service reading plus the interval; due
    earlier than the calendar when the trend forecasts the threshold inside the horizon."""
    assert plan.meter is not None and plan.meter_interval is not None
    base = _service_reading(session, asset, plan.meter, serviced_at)
    if base is None:
        return None
    threshold = base + plan.meter_interval
    readings = _readings(session, asset, plan.meter)
    current = readings[-1][1] if readings else base
    details: dict[str, Any] = {"meter": plan.meter, "service_reading": str(base),
                               "threshold": str(threshold), "current": str(current)}
    if current >= threshold:
        return Due("", today, Trigger.meter, details)
    forecast = forecast_threshold(readings, threshold)
    if forecast is None or forecast.likely_at is None:
        return None
    details["forecast"] = forecast.as_dict()
    likely = forecast.likely_at.date()
    if likely > horizon_end:
        return None
    return Due("", max(today, likely), Trigger.forecast, details)


def _calendar_due(plan: MaintenancePlan, working: WorkingDays,
                  last: PlanOccurrence | None, completed_at: datetime | None) -> date:
    rule = _rule(plan)
    if last is None:
        return working.shift(plan.start_date, plan.shift)
    if plan.anchor == Anchor.floating:
        base = completed_at.date() if completed_at is not None else last.due_date
        return working.shift(step_after(base, rule.unit, rule.every), plan.shift)
    return next_due_date(rule, working, plan.shift, after=last.due_date)


def due_occurrences(session: Session, plan: MaintenancePlan, asset: Asset, *, today: date,
                    calendar: BusinessCalendar | None,
                    existing: list[PlanOccurrence] | None = None) -> list[Due]:
    """What is due for this asset under this plan up to the horizon, not yet generated.
    `existing`: the asset's occurrences of the plan, when the caller has read them."""
    horizon_end = today + timedelta(days=plan.horizon_days)
    working = _working_days(plan, calendar)
    if existing is None:
        existing = _occurrences_by_asset(session, plan, asset).get(asset.id, [])
    if plan.schedule_kind == ScheduleKind.calendar and plan.anchor == Anchor.fixed:
        # Every schedule date in the horizon, each named by its date. (The schedule itself
        # starts at start_date; a date moved to the previous working day may lie before it.)
        after = max([today - timedelta(days=1)] + [o.due_date for o in existing])
        return [Due(f"d:{d.isoformat()}", d, Trigger.calendar)
                for d in due_dates(_rule(plan), working, plan.shift, after=after,
                                   until=horizon_end)]
    # Floating or meter-driven: one open occurrence at a time, named by its sequence number.
    if any(_is_open(session, o) for o in existing):
        return []
    last = existing[-1] if existing else None
    completed_at = _completed_at(session, last)
    candidates: list[Due] = []
    if plan.schedule_kind != ScheduleKind.meter:
        candidates.append(Due("", _calendar_due(plan, working, last, completed_at),
                              Trigger.calendar))
    if plan.schedule_kind != ScheduleKind.calendar:
        by_meter = meter_due(session, plan, asset, today=today, horizon_end=horizon_end,
                             serviced_at=completed_at)
        if by_meter is not None:  # a forecast date moves to a working day like a calendar one
            candidates.append(replace(by_meter, due_date=working.shift(by_meter.due_date,
                                                                       plan.shift)))
    if not candidates:
        return []
    first = min(candidates, key=lambda d: d.due_date)
    if first.due_date > horizon_end:
        return []
    return [Due(f"n:{len(existing) + 1}", first.due_date, first.trigger, first.details)]


def _window(plan: MaintenancePlan, due: date, tz: ZoneInfo, now: datetime
            ) -> tuple[datetime, datetime]:
    """The plan's window around the due date (local days), never starting in the past."""
    start = datetime.combine(due - timedelta(days=plan.window_before_days), time(), tz)
    end = datetime.combine(due + timedelta(days=plan.window_after_days + 1), time(), tz)
    start = max(start, now)
    return start, max(end, start + timedelta(days=1))


def _claim(session: Session, plan: MaintenancePlan, asset: Asset, due: Due,
           window: tuple[datetime, datetime]) -> int | None:
    """Insert the occurrence unless it exists; its id when this call created it."""
    table = table_of(PlanOccurrence)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(
        plan_id=plan.id, asset_id=asset.id, occurrence_key=due.key, due_date=due.due_date,
        window_start=window[0], window_end=window[1], trigger=due.trigger,
        status=OccurrenceStatus.generated, parts_reserved=False, details=due.details,
        created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["plan_id", "asset_id", "occurrence_key"]
                             ).returning(table.c.id)
    return session.execute(stmt).scalar()


def current_template(session: Session, template_id: int) -> ChecklistTemplate | None:
    """The newest version of a template's checklist (plans follow new versions)."""
    template = session.get(ChecklistTemplate, template_id)
    if template is None:
        return None
    return session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.code == template.code).order_by(ChecklistTemplate.version.desc())
        .limit(1))


def _create_order(session: Session, plan: MaintenancePlan, asset: Asset,
                  occurrence: PlanOccurrence, template: ChecklistTemplate | None) -> WorkOrder:
    skills = ([WorkOrderSkill(skill_id=s["skill_id"], min_level=s.get("min_level", 1))
               for s in plan.required_skills] if plan.required_skills else None)
    work_order = workorders.new_work_order(
        session, site=asset.site, asset=asset, actor=None, type=WorkOrderType.preventive,
        priority=plan.priority, title=f"PM {plan.name}: {asset.tag}"[:200],
        description=(plan.description or plan.name)
        + f"\nDue {occurrence.due_date.isoformat()} ({occurrence.trigger}).",
        estimated_duration_min=plan.estimated_duration_min, skills=skills,
        time_windows=[(occurrence.window_start, occurrence.window_end)])
    occurrence.work_order_id = work_order.id
    if template is not None:
        session.add(Inspection(work_order_id=work_order.id, template_id=template.id,
                               requires_signature=plan.requires_signature))
    if plan.parts and plan.parts_location_id is not None:
        try:
            inventory.reserve_parts(session, work_order_id=work_order.id,
                                    location_id=plan.parts_location_id,
                                    lines=[(p["part_id"], p["quantity"]) for p in plan.parts],
                                    actor=None)
            occurrence.parts_reserved = True
        except InsufficientStock as exc:  # the order still comes; the office sees the gap
            occurrence.details = {**occurrence.details,
                                  "parts_shortage": exc.details.get("shortages", [])}
        except DomainError as exc:  # e.g. the location was closed since the plan was made
            occurrence.details = {**occurrence.details, "parts_error": exc.error}
    workorders.record_event(session, work_order, "preventive_generated", actor=None, data={
        "plan_id": plan.id, "occurrence_id": occurrence.id, "due_date":
        occurrence.due_date.isoformat(), "trigger": occurrence.trigger,
        "parts_reserved": occurrence.parts_reserved})
    return work_order


def generate_preventive_orders(session: Session, *, today: date | None = None,
                               now: datetime | None = None,
                               plan_ids: list[int] | None = None) -> GenerationReport:
    """Create the preventive work orders due within each active plan's horizon, once each."""
    now = now or utcnow()
    report = GenerationReport()
    stmt = select(MaintenancePlan).where(MaintenancePlan.active.is_(True)) \
        .order_by(MaintenancePlan.id)
    if plan_ids is not None:
        stmt = stmt.where(MaintenancePlan.id.in_(plan_ids))
    for plan in session.scalars(stmt).all():
        calendar = (session.get(BusinessCalendar, plan.calendar_id)
                    if plan.calendar_id is not None else None)
        tz = ZoneInfo(calendar.timezone if calendar is not None else DEFAULT_TIMEZONE)
        plan_today = today or now.astimezone(tz).date()
        # Read once per plan, not once per asset or order (949 orders in the city demo).
        template = (current_template(session, plan.checklist_template_id)
                    if plan.checklist_template_id is not None else None)
        existing = _occurrences_by_asset(session, plan)
        for asset in plan_assets(session, plan):
            for due in due_occurrences(session, plan, asset, today=plan_today,
                                       calendar=calendar, existing=existing.get(asset.id, [])):
                occurrence_id = _claim(session, plan, asset, due, _window(plan, due.due_date,
                                                                          tz, now))
                if occurrence_id is None:
                    report.already_there += 1
                    continue
                occurrence = session.get_one(PlanOccurrence, occurrence_id)
                _create_order(session, plan, asset, occurrence, template)
                report.created.append(occurrence)
    session.flush()  # flush: the work-order links, before the caller commits
    return report


@dataclass
class AssetForecast:
    asset_id: int
    tag: str
    threshold: Decimal | None
    current: Decimal | None
    forecast: dict[str, Any] | None  # see MeterForecast.as_dict; None: too few readings


def plan_forecasts(session: Session, plan: MaintenancePlan) -> list[AssetForecast]:
    """For a meter plan: per asset, the next threshold and when the trend reaches it (with
    the earliest and latest dates from the spread of the readings)."""
    if plan.meter is None or plan.meter_interval is None:
        return []
    found = []
    occurrences = _occurrences_by_asset(session, plan)
    for asset in plan_assets(session, plan):
        existing = occurrences.get(asset.id, [])
        completed = _completed_at(session, existing[-1] if existing else None)
        base = _service_reading(session, asset, plan.meter, completed)
        readings = _readings(session, asset, plan.meter)
        threshold = base + plan.meter_interval if base is not None else None
        forecast = (forecast_threshold(readings, threshold) if threshold is not None
                    else None)
        found.append(AssetForecast(asset.id, asset.tag, threshold,
                                   readings[-1][1] if readings else None,
                                   forecast.as_dict() if forecast is not None else None))
    return found
