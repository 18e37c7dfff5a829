"""The one place where database rows become `optimizer` dataclasses and plans come back.

Time origin: local midnight of the plan date in `DISPATCH_TIMEZONE`; every optimizer time is
whole seconds since that instant and is converted from/to UTC here only (`DayClock`).
Ids: technicians by `technicians.id`, jobs by `work_orders.id`, warehouses by
`stock_locations.id`, parts by `str(parts.id)`.

Parts: a job's parts are its active inventory reservations (work orders model no other part
list). A technician's van stock is what the van has available plus what is reserved *in the
van* for jobs of this problem; a warehouse's stock likewise. Pick-ups are the optimizer's
optional warehouse visit before the job (`Problem.allow_pickups`): the van is refilled there.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

import optimizer as opt
from app import geo
from app.config import Config
from app.db import ids_param, load_related
from app.dispatch.models import Technician, TechnicianSkill
from app.dispatch.service.availability import Availability, availability_on, exceptions_on
from app.inventory import service as inventory
from app.inventory.models import LocationKind, Reservation, ReservationStatus, StockLocation
from app.workorders.models import Status, WorkOrder, WorkOrderSkill

BREAK_ID = "break"


@dataclass(frozen=True)
class DayClock:
    """Seconds since local midnight of `day` <-> UTC instants."""

    day: date
    zone: ZoneInfo
    origin: datetime  # UTC

    def seconds(self, at: datetime) -> int:
        return int((at - self.origin).total_seconds())

    def instant(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)

    @property
    def end(self) -> datetime:
        """Local midnight after `day` (23 or 25 hours later on a DST change)."""
        return datetime.combine(self.day + timedelta(days=1), time(0), self.zone).astimezone(UTC)


def day_clock(day: date) -> DayClock:
    zone = ZoneInfo(Config.DISPATCH_TIMEZONE)
    return DayClock(day, zone, datetime.combine(day, time(0), zone).astimezone(UTC))


def local_day(at: datetime) -> date:
    """The dispatch date of an instant."""
    return at.astimezone(ZoneInfo(Config.DISPATCH_TIMEZONE)).date()


def point_of(value: Any) -> opt.Point:
    latlng = geo.to_latlng(value)
    assert latlng is not None
    return opt.Point(latlng["lat"], latlng["lng"])


# --- parts ----------------------------------------------------------------------------------

# Statements built once (their cache keys with them): the candidates of a work order read
# them on every request.
_RESERVATIONS_OF = select(
    Reservation.work_order_id, Reservation.part_id, Reservation.location_id,
    Reservation.open_quantity).where(Reservation.work_order_id.in_(ids_param("ids")),
                                     Reservation.status == ReservationStatus.active)
_WAREHOUSES = select(StockLocation).where(
    StockLocation.kind == LocationKind.warehouse, StockLocation.is_active.is_(True),
    StockLocation.location.is_not(None)).order_by(StockLocation.id)
_ACTIVE_TECHNICIANS = (select(Technician).where(Technician.is_active.is_(True))
                       .options(joinedload(Technician.user), joinedload(Technician.territory))
                       .order_by(Technician.id))


def reservations_of(session: Session, work_order_ids: Iterable[int]
                    ) -> list[tuple[int, int, int, int]]:
    """(work_order_id, part_id, location_id, open quantity) of active reservations."""
    ids = list(work_order_ids)
    if not ids:
        return []
    rows = session.execute(_RESERVATIONS_OF, {"ids": ids})
    return [(w, p, loc, q) for w, p, loc, q in rows]


def job_parts(reservations: list[tuple[int, int, int, int]]) -> dict[int, dict[int, int]]:
    """work order id -> part id -> quantity the job needs."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for wo_id, part_id, _loc, qty in reservations:
        out[wo_id][part_id] = out[wo_id].get(part_id, 0) + qty
    return out


def stock_for_jobs(session: Session, location_id: int,
                   reservations: list[tuple[int, int, int, int]]) -> dict[int, int]:
    """Available at a location plus what is reserved there for the jobs at hand."""
    return stock_with_reservations(inventory.available_stock(session, location_id),
                                   location_id, reservations)


def stock_with_reservations(available: dict[int, int], location_id: int,
                            reservations: list[tuple[int, int, int, int]]) -> dict[int, int]:
    """`available` at a location plus what is reserved there for the jobs at hand."""
    stock = dict(available)
    for _wo, part_id, loc, qty in reservations:
        if loc == location_id:
            stock[part_id] = stock.get(part_id, 0) + qty
    return {p: q for p, q in stock.items() if q > 0}


def warehouse_hours(wh: StockLocation, clock: DayClock) -> opt.TimeWindow | None:
    """A warehouse's opening hours on the day (local wall clock), None when always open."""
    if wh.opens_at is None or wh.closes_at is None:
        return None
    lo = clock.seconds(datetime.combine(clock.day, wh.opens_at, clock.zone).astimezone(UTC))
    hi = clock.seconds(datetime.combine(clock.day, wh.closes_at, clock.zone).astimezone(UTC))
    return opt.TimeWindow(lo, max(lo, hi))


def warehouses(session: Session) -> list[StockLocation]:
    return list(session.scalars(_WAREHOUSES))


# --- rows -> optimizer ----------------------------------------------------------------------

def _parts_key(parts: dict[int, int]) -> dict[str, int]:
    return {str(p): q for p, q in sorted(parts.items())}


def technician_input(tech: Technician, avail: Availability, clock: DayClock, *,
                     start: opt.Point | None = None, van_stock: dict[int, int] | None = None,
                     pins: tuple[opt.Pin, ...] = ()) -> opt.Technician:
    shifts = tuple(opt.TimeWindow(clock.seconds(s), clock.seconds(e)) for s, e in avail.windows)
    breaks: tuple[opt.Break, ...] = ()
    if avail.break_minutes and avail.break_earliest and avail.break_latest:
        # The whole break lies between its earliest start and its latest end.
        lo = clock.seconds(avail.break_earliest)
        hi = max(lo + avail.break_minutes * 60, clock.seconds(avail.break_latest))
        breaks = (opt.Break(BREAK_ID, opt.TimeWindow(lo, hi), avail.break_minutes * 60),)
    home = point_of(tech.home_base)
    return opt.Technician(
        id=tech.id, start=start or home, end=home, shifts=shifts, breaks=breaks,
        skills={ts.skill.code: ts.level for ts in tech.skills},
        max_work_s=tech.max_daily_minutes * 60, cost_per_km=float(tech.cost_per_km),
        cost_per_hour=float(tech.cost_per_hour), van_stock=_parts_key(van_stock or {}),
        pins=pins, tools=frozenset(tech.tools or ()))


def service_windows(wo: WorkOrder, clock: DayClock) -> tuple[opt.TimeWindow, ...] | None:
    """Customer windows as windows for the service *start* on this day; None: not this day."""
    if not wo.time_windows:
        return ()
    duration = wo.estimated_duration_min * 60
    horizon = clock.seconds(clock.end)
    out = []
    for w in wo.time_windows:
        lo, hi = max(clock.seconds(w.start_at), 0), min(clock.seconds(w.end_at) - duration,
                                                         horizon)
        if lo < horizon and hi >= lo:  # a window opening as the day ends is the next day's
            out.append(opt.TimeWindow(lo, hi))
    return tuple(out) or None


def sla_due(wo: WorkOrder) -> datetime | None:
    """The next SLA deadline: response until met, then resolution."""
    if wo.responded_at is None and wo.response_due_at is not None:
        return wo.response_due_at
    return wo.resolution_due_at


def job_input(wo: WorkOrder, clock: DayClock, parts: dict[int, int],
              windows: tuple[opt.TimeWindow, ...]) -> opt.Job:
    due = sla_due(wo)
    return opt.Job(
        id=wo.id, location=point_of(wo.site.location), duration=wo.estimated_duration_min * 60,
        windows=windows, skills={s.skill.code: s.min_level for s in wo.skills},
        priority=int(wo.priority[1]), sla_due=clock.seconds(due) if due is not None else None,
        parts=_parts_key(parts), tools=frozenset(wo.required_tools or ()))


@dataclass
class DayProblem:
    """A problem and the rows it was built from."""

    clock: DayClock
    problem: opt.Problem
    technicians: dict[int, Technician]
    work_orders: dict[int, WorkOrder]
    versions: dict[int, int] = field(default_factory=dict)  # work order id -> version


def active_technicians(session: Session, ids: list[int] | None = None) -> list[Technician]:
    """The active technicians (or those of `ids`) by id, with user and territory loaded,
    and their skills (and each skill) and weekly shifts; the collections through
    `load_related` (for the 60 of the city roster about half of selectinload's CPU). The
    candidates of a work order read the roster as rows instead (`candidates.roster`)."""
    stmt = (_ACTIVE_TECHNICIANS if ids is None
            else _ACTIVE_TECHNICIANS.where(Technician.id.in_(ids)))
    techs = list(session.scalars(stmt))
    load_related(session, techs, Technician.skills, joinedload(TechnicianSkill.skill))
    load_related(session, techs, Technician.shifts)
    return techs


def _work_orders_query() -> Any:
    return select(WorkOrder).options(
        selectinload(WorkOrder.skills).selectinload(WorkOrderSkill.skill),
        selectinload(WorkOrder.time_windows), selectinload(WorkOrder.site))


def day_work_orders(session: Session, clock: DayClock, ids: list[int] | None = None
                    ) -> list[WorkOrder]:
    """Open work orders to plan on the day: unassigned ones, and those scheduled that day."""
    on_day = (WorkOrder.scheduled_start >= clock.origin) & (WorkOrder.scheduled_start < clock.end)
    stmt = _work_orders_query().where(
        ((WorkOrder.status == Status.new) & WorkOrder.assignee_user_id.is_(None))
        | (WorkOrder.status.in_((Status.scheduled, Status.dispatched)) & on_day))
    if ids is not None:
        stmt = stmt.where(WorkOrder.id.in_(ids))
    return list(session.scalars(stmt.order_by(WorkOrder.id)))


def build_day_problem(session: Session, day: date, *, technician_ids: list[int] | None = None,
                      work_order_ids: list[int] | None = None, keep_assigned: bool = True,
                      extra_jobs: list[WorkOrder] | None = None) -> DayProblem:
    """Rows -> optimizer.Problem for a day. Dispatched jobs always stay with their technician
    at their time; scheduled ones too when `keep_assigned`."""
    clock = day_clock(day)
    techs = [t for t in active_technicians(session, technician_ids)]
    exceptions = exceptions_on(session, techs, day)
    avail = {t.id: availability_on(session, t, day, exceptions[t.id]) for t in techs}
    techs = [t for t in techs if avail[t.id].windows]
    by_user = {t.user_id: t for t in techs}
    orders = day_work_orders(session, clock, work_order_ids) + list(extra_jobs or [])
    reservations = reservations_of(session, [wo.id for wo in orders])
    parts = job_parts(reservations)
    jobs: list[opt.Job] = []
    pins: dict[int, list[opt.Pin]] = defaultdict(list)
    kept: dict[int, WorkOrder] = {}
    for wo in orders:
        if wo.assignee_user_id is not None:
            owner = by_user.get(wo.assignee_user_id)
            if owner is None:
                continue  # another technician's (not in this run) or one off work that day
            if wo.status == Status.dispatched or keep_assigned:
                assert wo.scheduled_start is not None
                pins[owner.id].append(opt.Pin(wo.id, clock.seconds(wo.scheduled_start)))
        windows = service_windows(wo, clock)
        if windows is None:
            continue
        jobs.append(job_input(wo, clock, parts.get(wo.id, {}), windows))
        kept[wo.id] = wo
    needs_parts = any(j.parts for j in jobs)
    needs_tools = any(j.tools for j in jobs)
    opt_techs = []
    for tech in techs:
        van = inventory.van_of_technician(session, tech.user_id)
        stock = stock_for_jobs(session, van.id, reservations) if van is not None else {}
        opt_techs.append(technician_input(tech, avail[tech.id], clock, van_stock=stock,
                                          pins=tuple(pins.get(tech.id, ()))))
    houses = []
    if needs_parts or needs_tools:  # every warehouse: restocking may stop at any of them
        for wh in warehouses(session):
            houses.append(opt.Warehouse(
                id=wh.id, location=point_of(wh.location),
                stock=_parts_key(stock_for_jobs(session, wh.id, reservations)) if needs_parts
                else {}, hours=warehouse_hours(wh, clock), tools=frozenset(wh.tools or ())))
    problem = opt.Problem(technicians=tuple(opt_techs), jobs=tuple(jobs),
                          warehouses=tuple(houses), allow_pickups=bool(houses))
    return DayProblem(clock, problem, {t.id: t for t in techs}, kept,
                      {wo.id: wo.version for wo in kept.values()})


# --- (de)serialisation: runs store the problem and the plan as JSON --------------------------

def _window(w: opt.TimeWindow) -> list[int]:
    return [w.start, w.end]


def _latlng(place: opt.Point | int) -> list[float]:
    assert isinstance(place, opt.Point)  # the app plans on coordinates, never on a matrix
    return [place.lat, place.lng]


def problem_to_json(problem: opt.Problem) -> dict[str, Any]:
    """The inputs the run stores (travel model, weights and options are the defaults)."""
    return {
        "technicians": [{
            "id": t.id, "start": _latlng(t.start), "end": _latlng(t.end_point),
            "shifts": [_window(w) for w in t.shifts],
            "breaks": [{"id": b.id, "window": _window(b.window), "duration": b.duration}
                       for b in t.breaks],
            "skills": dict(t.skills), "max_work_s": t.max_work_s, "cost_per_km": t.cost_per_km,
            "cost_per_hour": t.cost_per_hour, "van_stock": dict(t.van_stock),
            "pins": [[p.job_id, p.start] for p in t.pins], "tools": sorted(t.tools)}
            for t in problem.technicians],
        "jobs": [{
            "id": j.id, "location": _latlng(j.location), "duration": j.duration,
            "windows": [_window(w) for w in j.windows], "skills": dict(j.skills),
            "priority": j.priority, "sla_due": j.sla_due, "parts": dict(j.parts),
            "tools": sorted(j.tools)} for j in problem.jobs],
        "warehouses": [{"id": w.id, "location": _latlng(w.location),
                        "stock": dict(w.stock), "pickup_duration": w.pickup_duration,
                        "hours": _window(w.hours) if w.hours is not None else None,
                        "tools": sorted(w.tools)}
                       for w in problem.warehouses],
        "allow_pickups": problem.allow_pickups,
    }


def problem_from_json(data: dict[str, Any]) -> opt.Problem:
    def tw(pair: list[int]) -> opt.TimeWindow:
        return opt.TimeWindow(pair[0], pair[1])

    techs = tuple(opt.Technician(
        id=t["id"], start=opt.Point(*t["start"]), end=opt.Point(*t["end"]),
        shifts=tuple(tw(w) for w in t["shifts"]),
        breaks=tuple(opt.Break(b["id"], tw(b["window"]), b["duration"]) for b in t["breaks"]),
        skills=t["skills"], max_work_s=t["max_work_s"], cost_per_km=t["cost_per_km"],
        cost_per_hour=t["cost_per_hour"], van_stock=t["van_stock"],
        pins=tuple(opt.Pin(p[0], p[1]) for p in t["pins"]),
        tools=frozenset(t.get("tools", ()))) for t in data["technicians"])
    jobs = tuple(opt.Job(
        id=j["id"], location=opt.Point(*j["location"]), duration=j["duration"],
        windows=tuple(tw(w) for w in j["windows"]), skills=j["skills"], priority=j["priority"],
        sla_due=j["sla_due"], parts=j["parts"], tools=frozenset(j.get("tools", ())))
        for j in data["jobs"])
    houses = tuple(opt.Warehouse(id=w["id"], location=opt.Point(*w["location"]),
                                 stock=w["stock"], pickup_duration=w["pickup_duration"],
                                 hours=tw(w["hours"]) if w.get("hours") else None,
                                 tools=frozenset(w.get("tools", ())))
                   for w in data["warehouses"])
    return opt.Problem(technicians=techs, jobs=jobs, warehouses=houses,
                       allow_pickups=data["allow_pickups"])


def digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def _visit_json(v: opt.Visit) -> dict[str, Any]:
    return {"kind": v.kind, "ref": v.ref, "arrival": v.arrival, "start": v.start, "end": v.end,
            "waiting": v.waiting, "travel_s": v.travel_s, "travel_m": v.travel_m,
            "picked": dict(v.picked), "tools": sorted(v.tools)}


def jsonable(value: Any) -> Any:
    """KPIs and stats may hold tuples, int keys or numpy-free numbers: make them JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def plan_to_json(plan: opt.Plan) -> dict[str, Any]:
    return {
        "routes": [{"technician_id": r.technician_id, "shift": r.shift,
                    "start_time": r.start_time, "end_time": r.end_time,
                    "visits": [_visit_json(v) for v in r.visits],
                    "breaks": [[b.id, b.start, b.end] for b in r.breaks],
                    "return_travel_s": r.return_travel_s, "return_travel_m": r.return_travel_m}
                   for r in plan.routes],
        "unassigned": [[u.job_id, u.reason, u.detail] for u in plan.unassigned],
        "kpis": jsonable(dict(plan.kpis)), "objective": plan.objective,
        "stats": jsonable(dict(plan.stats)),
    }


def plan_from_json(data: dict[str, Any]) -> opt.Plan:
    routes = tuple(opt.Route(
        technician_id=r["technician_id"], shift=r["shift"], start_time=r["start_time"],
        end_time=r["end_time"],
        visits=tuple(opt.Visit(**{**v, "picked": dict(v["picked"]),
                                  "tools": frozenset(v.get("tools", ()))}) for v in r["visits"]),
        breaks=tuple(opt.ScheduledBreak(*b) for b in r["breaks"]),
        return_travel_s=r["return_travel_s"], return_travel_m=r["return_travel_m"])
        for r in data["routes"])
    return opt.Plan(routes, tuple(opt.Unassigned(*u) for u in data["unassigned"]),
                    data["kpis"], data["objective"], data["stats"])


# --- travel outside the solver (candidates, slots): the optimizer's own constants ------------

TRAVEL = opt.TravelModel()


def travel_between(a: opt.Point, b: opt.Point) -> tuple[int, int]:
    """(metres, seconds): haversine x road factor at the optimizer's default speed."""
    if a == b:
        return 0, 0
    metres = round(geo.haversine_m(a.lat, a.lng, b.lat, b.lng) * TRAVEL.road_factor)
    return metres, -(-metres * 36 // round(TRAVEL.speed_kmh * 10))


class TravelMemo:
    """`travel_between`, each pair of places computed once (either way round: the distance is
    symmetric, bit for bit). For one ranking of a roster, where every planned visit is both
    the end of one gap and the start of the next: 330 legs, 183 distinct, for the city's
    candidates."""

    def __init__(self) -> None:
        self._known: dict[tuple[float, float, float, float], tuple[int, int]] = {}

    def __call__(self, a: opt.Point, b: opt.Point) -> tuple[int, int]:
        key = ((a.lat, a.lng, b.lat, b.lng) if (a.lat, a.lng) <= (b.lat, b.lng)
               else (b.lat, b.lng, a.lat, a.lng))
        leg = self._known.get(key)
        if leg is None:
            leg = self._known[key] = travel_between(a, b)
        return leg
