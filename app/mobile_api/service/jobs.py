"""The technician's day: its jobs in order, with what to know and what to bring."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session, joinedload

from app import geo
from app.assets.models import Asset, Skill
from app.auth.models import Role, User
from app.config import Config
from app.db import ids_param, load_related, utcnow
from app.dispatch import service as dispatch
from app.errors import Forbidden
from app.inventory import service as inventory
from app.inventory.models import Part, Reservation, ReservationStatus, StockLocation
from app.mobile_api.models import SiteVisit
from app.workorders import service as workorders
from app.workorders.models import CLOSED_STATES, Status, WorkOrder, WorkOrderSkill

DEFAULT_TIMEZONE = "Europe/Berlin"
HISTORY_LENGTH = 3

# The day's statements, built once: a statement built per request costs more Python than
# reading its rows (the clauses, then the cache key SQLAlchemy computes for each new one).
# The technician's jobs scheduled to start in [start, end), each with whether it has a site
# visit (checked in), and its site, asset and model joined in (a query apiece cost more).
_DAY_ORDERS = (
    select(WorkOrder, exists().where(SiteVisit.work_order_id == WorkOrder.id))
    .where(WorkOrder.assignee_user_id == bindparam("user_id"),
           WorkOrder.scheduled_start >= bindparam("start"),
           WorkOrder.scheduled_start < bindparam("end"),
           WorkOrder.status != Status.cancelled)
    .options(joinedload(WorkOrder.site),
             joinedload(WorkOrder.asset).joinedload(Asset.equipment_model))
    .order_by(WorkOrder.scheduled_start, WorkOrder.id))
# The jobs' open reservations, with the part's SKU and name and the location's code (the
# columns shown, not reservation, part and location objects).
_OPEN_RESERVATIONS = (
    select(Reservation.work_order_id, Reservation.part_id, Reservation.location_id,
           Reservation.open_quantity, Part.sku, Part.name, StockLocation.code)
    .join(Part, Part.id == Reservation.part_id)
    .join(StockLocation, StockLocation.id == Reservation.location_id)
    .where(Reservation.work_order_id.in_(ids_param("ids")),
           Reservation.status == ReservationStatus.active)
    .order_by(Reservation.id))
_HISTORY_RANK = (
    select(WorkOrder.id, func.row_number().over(
        partition_by=WorkOrder.asset_id,
        order_by=(WorkOrder.completed_at.desc(), WorkOrder.id.desc())).label("rank"))
    .where(WorkOrder.asset_id.in_(ids_param("asset_ids")),
           WorkOrder.completed_at.is_not(None))
    .subquery())
_HISTORIES = (
    select(WorkOrder.id, WorkOrder.asset_id, WorkOrder.number, WorkOrder.title,
           WorkOrder.completed_at, WorkOrder.failure_code, WorkOrder.remedy_code,
           WorkOrder.resolution_notes)
    .join(_HISTORY_RANK, _HISTORY_RANK.c.id == WorkOrder.id)
    .where(_HISTORY_RANK.c.rank <= HISTORY_LENGTH + 1)
    .order_by(WorkOrder.asset_id, WorkOrder.completed_at.desc(), WorkOrder.id.desc()))
# The skills each job needs, as the codes and levels shown (not skill objects).
_SKILL_NEEDS = (select(WorkOrderSkill.work_order_id, Skill.code, WorkOrderSkill.min_level)
                .join(Skill, Skill.id == WorkOrderSkill.skill_id)
                .where(WorkOrderSkill.work_order_id.in_(ids_param("ids")))
                .order_by(WorkOrderSkill.work_order_id, WorkOrderSkill.skill_id))


def get_job(session: Session, job_id: int, *, actor: User) -> WorkOrder:
    """A job of the calling technician; any other work order is a 404 (not a 403). The
    phone's writes answer with the job's own columns (JobOut, VisitOut...): the relations
    the API shows of a work order are not read up front, only those a change touches."""
    if actor.role != Role.technician:
        raise Forbidden("Only technicians use the mobile API.")
    return workorders.get_work_order_for(session, job_id, actor=actor, shown=False)


@dataclass
class PartToBring:
    part_id: int
    sku: str
    name: str
    quantity: int
    reserved_at: str
    in_van: bool


@dataclass
class DayJob:
    work_order: WorkOrder
    sequence: int
    eta: datetime | None
    history: list[dict[str, Any]]  # HistoryEntry's columns
    parts: list[PartToBring]
    checked_in: bool
    required_skills: list[dict[str, Any]] = field(default_factory=list)  # code, min_level
    eta_source: str = "schedule"
    planned_arrival: datetime | None = None
    planned_start: datetime | None = None
    running_late: bool = False

    @property
    def all_parts_in_van(self) -> bool:
        return all(p.in_van for p in self.parts)


@dataclass
class PartToCollect:
    part_id: int
    sku: str
    name: str
    quantity: int


@dataclass
class RouteStop(dispatch.Stop):
    """A stop of the dispatch route, with the parts to collect at a pick-up (a copy of the
    stop: the answer reads its attributes directly, not each through a __getattr__)."""

    collect: list[PartToCollect] = field(default_factory=list)


@dataclass
class Day:
    date: date
    timezone: str
    van_code: str | None
    jobs: list[DayJob] = field(default_factory=list)
    route: list[RouteStop] = field(default_factory=list)
    position_at: datetime | None = None


def technician_day(session: Session, *, day: date | None, actor: User,
                   now: datetime | None = None) -> Day:
    """The actor's jobs scheduled to start on `day` (its local date; default today), in
    order, and the day's route: pick-ups with the parts to collect, jobs, the break, with
    travel between them. A job's ETA is the live one (last GPS fix), else its planned
    arrival, else its scheduled start. Parts to bring are the jobs' open reservations, each
    marked in the van when held there or when the van's free stock covers it (in route
    order)."""
    if actor.role != Role.technician:
        raise Forbidden("Only technicians use the mobile API.")
    now = now or utcnow()
    profile = dispatch.get_technician_for_user(session, actor.id)
    tz = ZoneInfo(profile.timezone if profile is not None else DEFAULT_TIMEZONE)
    day = day or now.astimezone(tz).date()
    start = datetime.combine(day, time(), tz)
    end = start + timedelta(days=1)
    rows = session.execute(_DAY_ORDERS, {"user_id": actor.id, "start": start,
                                         "end": end}).all()
    orders = [wo for wo, _ in rows]
    visited = {wo.id for wo, seen in rows if seen}
    load_related(session, orders, WorkOrder.time_windows)
    needs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if orders:
        for wo_id, code, level in session.execute(_SKILL_NEEDS,
                                                  {"ids": [wo.id for wo in orders]}):
            needs[wo_id].append({"code": code, "min_level": level})
    van, free = inventory.van_with_stock(session, actor.id)
    reservations = _open_reservations(session, [wo.id for wo in orders])
    history = _asset_histories(session, orders)
    result = Day(date=day, timezone=tz.key, van_code=van.code if van is not None else None)
    # In the dispatch time zone the route's day holds the same orders: not read twice.
    route = dispatch.technician_route(
        session, profile, day, now=now,
        orders=orders if tz.key == Config.DISPATCH_TIMEZONE else None) \
        if profile is not None else None
    if route is not None:
        result.route = _route_stops(session, route)
        result.position_at = route.position_at
    for sequence, wo in enumerate(orders, start=1):
        parts = []
        for r in reservations.get(wo.id, []):
            if van is not None and r.location_id == van.id:
                in_van = True
            elif wo.status not in CLOSED_STATES and free.get(r.part_id, 0) >= r.open_quantity:
                free[r.part_id] -= r.open_quantity
                in_van = True
            else:
                in_van = False
            parts.append(PartToBring(part_id=r.part_id, sku=r.sku, name=r.name,
                                     quantity=r.open_quantity, reserved_at=r.code,
                                     in_van=in_van))
        stop = route.stop_of(wo.id) if route is not None else None
        result.jobs.append(DayJob(
            work_order=wo, sequence=sequence,
            eta=stop.eta if stop is not None and stop.eta is not None else wo.scheduled_start,
            history=history(wo), parts=parts, checked_in=wo.id in visited,
            required_skills=needs.get(wo.id, []),
            eta_source=stop.eta_source if stop is not None else "schedule",
            planned_arrival=stop.planned_arrival if stop is not None else None,
            planned_start=stop.planned_start if stop is not None else None,
            running_late=stop.running_late if stop is not None else False))
    return result


def _route_stops(session: Session, route: dispatch.DayRoute) -> list[RouteStop]:
    part_ids = {p for s in route.stops for p in s.picked}
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))} \
        if part_ids else {}
    out = []
    for s in route.stops:
        stop = RouteStop.__new__(RouteStop)  # the stop's fields as they are (a plain copy)
        stop.__dict__.update(s.__dict__)
        stop.collect = [PartToCollect(pid, parts[pid].sku, parts[pid].name, qty)
                        for pid, qty in sorted(s.picked.items()) if pid in parts and qty > 0]
        out.append(stop)
    return out


def _open_reservations(session: Session, work_order_ids: list[int]
                       ) -> dict[int, list[Any]]:
    """Work order id -> its open reservations as rows: work_order_id, part_id, location_id,
    open_quantity, sku, name (the part's), code (the location's)."""
    rows = session.execute(_OPEN_RESERVATIONS, {"ids": work_order_ids}) \
        if work_order_ids else ()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.work_order_id].append(row)
    return grouped


def _asset_histories(session: Session, orders: list[WorkOrder]
                     ) -> Callable[[WorkOrder], list[dict[str, Any]]]:
    """Each asset's last finished jobs, newest first (what was done there before), for all
    the day's assets in one query: the newest HISTORY_LENGTH + 1 per asset, so that leaving
    out the job itself still leaves HISTORY_LENGTH. The columns shown, not whole work
    orders (up to four per job, each with some fifty columns)."""
    asset_ids = {wo.asset_id for wo in orders if wo.asset_id is not None}
    by_asset: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if asset_ids:
        rows = session.execute(_HISTORIES, {"asset_ids": sorted(asset_ids)})
        for row in rows:
            by_asset[row.asset_id].append(row._asdict())

    def history(wo: WorkOrder) -> list[dict[str, Any]]:
        if wo.asset_id is None:
            return []
        return [h for h in by_asset[wo.asset_id] if h["id"] != wo.id][:HISTORY_LENGTH]

    return history


def site_point(wo: WorkOrder) -> dict[str, float]:
    point = geo.to_latlng(wo.site.location)
    assert point is not None  # sites always have a point (NOT NULL)
    return point

