"""A technician's day as a route: every stop in order (warehouse pick-ups with the parts to
collect, jobs, the lunch break), the travel between them, and live ETAs.

The route is the day's last applied plan for the technician (its planned visits and break),
merged with the jobs assigned by hand since (at their scheduled start). Travel legs use the
optimizer's own travel model (`optimizer.travel.leg`), so the phone, the board and the plan
agree. Live ETAs start from the technician's last GPS fix while it is fresh
(DISPATCH_POSITION_FRESH_MINUTES) and roll forward over the remaining stops: travel, waiting
for a customer window, the break, each service's planned duration. A job is `running_late`
when its predicted start misses its customer window or its SLA due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

import optimizer as opt
from app.config import Config
from app.dispatch.models import OptimizationRun, PlannedVisit, Technician
from app.dispatch.service.insertions import last_applied_run
from app.dispatch.service.problem import (
    TRAVEL,
    DayClock,
    day_clock,
    local_day,
    point_of,
    service_windows,
    sla_due,
)
from app.dispatch.service.releases import day_orders
from app.inventory.models import StockLocation
from app.workorders.models import Status, WorkOrder
from optimizer.travel import leg

# Job statuses after which the technician has left every earlier stop behind.
UNDER_WAY = (Status.en_route, Status.on_site, Status.on_hold, Status.completed, Status.closed)
FINISHED = (Status.completed, Status.closed)


@dataclass
class Stop:
    kind: str  # "pickup" | "job" | "break"
    planned_arrival: datetime | None
    planned_start: datetime | None
    planned_end: datetime | None
    point: opt.Point | None = None
    work_order: WorkOrder | None = None
    warehouse: StockLocation | None = None
    picked: dict[int, int] = field(default_factory=dict)  # part id -> quantity (pick-ups)
    sequence: int = 0
    travel_s: int = 0  # from the previous place on the route
    travel_m: int = 0
    eta: datetime | None = None  # arrival: live when a fresh position exists, else planned
    eta_start: datetime | None = None
    eta_source: str = "plan"  # gps | plan | schedule
    running_late: bool = False
    late_reasons: list[str] = field(default_factory=list)
    done: bool = False

    @property
    def work_order_id(self) -> int | None:
        return self.work_order.id if self.work_order is not None else None

    @property
    def location_id(self) -> int | None:
        return self.warehouse.id if self.warehouse is not None else None

    @property
    def travel_min(self) -> int:
        return -(-self.travel_s // 60)

    @property
    def travel_km(self) -> float:
        return round(self.travel_m / 1000, 1)


@dataclass
class DayRoute:
    technician: Technician
    date: date
    run_id: int | None
    stops: list[Stop]
    position_at: datetime | None  # the fix the live ETAs start from; None: planned times
    _by_work_order: dict[int, Stop] | None = field(default=None, init=False, repr=False,
                                                   compare=False)

    @property
    def jobs(self) -> list[Stop]:
        return [s for s in self.stops if s.kind == "job"]

    def stop_of(self, work_order_id: int) -> Stop | None:
        """The job's stop (None: not on the route), from an index of the stops by work order
        made on the first call (the stops are complete once the route is built)."""
        if self._by_work_order is None:
            self._by_work_order = {s.work_order.id: s for s in self.stops
                                   if s.work_order is not None}
        return self._by_work_order.get(work_order_id)


# Built once (its cache key with it): the phone's day and the board read it per request.
_PLANNED_VISITS = (
    select(PlannedVisit)
    .where(PlannedVisit.run_id == bindparam("run_id"),
           PlannedVisit.technician_id.in_(bindparam("technician_ids", expanding=True,
                                                    literal_execute=True)))
    .order_by(PlannedVisit.technician_id, PlannedVisit.sequence))


def technician_route(session: Session, tech: Technician, day: date, *, now: datetime,
                     orders: list[WorkOrder] | None = None) -> DayRoute:
    """The technician's stops that day in order, with travel and (live) ETAs. `orders`: the
    technician's work orders of that dispatch day when the caller has read them already
    (`day_orders`, with sites and time windows loaded), else they are read here."""
    return technician_routes(session, [tech], day, now=now, orders=orders)[tech.id]


def technician_routes(session: Session, techs: list[Technician], day: date, *,
                      now: datetime, orders: list[WorkOrder] | None = None
                      ) -> dict[int, DayRoute]:
    """`technician_route` for several technicians at once (technician id -> route), with the
    same statements whatever their number: the run, its visits, the day's orders (unless
    given) and the warehouses are each read once for all of them."""
    clock = day_clock(day)
    run = last_applied_run(session, day) if techs else None
    planned: dict[int, list[PlannedVisit]] = {t.id: [] for t in techs}
    if run is not None:
        for v in session.scalars(_PLANNED_VISITS, {"run_id": run.id,
                                                   "technician_ids": sorted(planned)}):
            planned[v.technician_id].append(v)
    by_user: dict[int, dict[int, WorkOrder]] = {t.user_id: {} for t in techs}
    if techs:
        if orders is None:
            orders = day_orders(session, day, [t.user_id for t in techs])
        for wo in orders:
            by_user[wo.assignee_user_id][wo.id] = wo  # type: ignore[index]
    house_ids = {v.stock_location_id for vs in planned.values() for v in vs
                 if v.stock_location_id is not None}
    houses = {loc.id: loc for loc in session.scalars(select(StockLocation).where(
        StockLocation.id.in_(house_ids)))} if house_ids else {}
    return {t.id: _route_of(t, day, clock, run, planned[t.id], by_user[t.user_id], houses,
                            now=now) for t in techs}


def _route_of(tech: Technician, day: date, clock: DayClock, run: OptimizationRun | None,
              planned: list[PlannedVisit], orders: dict[int, WorkOrder],
              houses: dict[int, StockLocation], *, now: datetime) -> DayRoute:
    start_point = point_of(tech.home_base)
    breaks: list[tuple[int, int]] = []
    if run is not None:
        start_point, breaks = _route_frame(run.inputs, run.result, tech.id, start_point)
    stops: list[Stop] = []
    on_plan: set[int] = set()
    for v in planned:
        if v.kind == "job":
            wo = orders.get(v.work_order_id)  # type: ignore[arg-type]
            # Reassigned or rescheduled by hand since the plan: its schedule wins (below).
            if wo is None or wo.scheduled_start != v.planned_start:
                continue
            on_plan.add(wo.id)
            stops.append(Stop("job", v.planned_arrival, v.planned_start, v.planned_end,
                              point=point_of(wo.site.location), work_order=wo))
        elif v.stock_location_id in houses:
            house = houses[v.stock_location_id]
            stops.append(Stop("pickup", v.planned_arrival, v.planned_start, v.planned_end,
                              point=point_of(house.location), warehouse=house,
                              picked={int(p): q for p, q in (v.picked or {}).items()}))
    for wo in orders.values():
        if wo.id not in on_plan:
            stops.append(Stop("job", None, wo.scheduled_start, wo.scheduled_end,
                              point=point_of(wo.site.location), work_order=wo))
    for b_start, b_end in breaks:
        stops.append(Stop("break", clock.instant(b_start), clock.instant(b_start),
                          clock.instant(b_end)))
    order = {"pickup": 0, "break": 1, "job": 2}
    stops.sort(key=lambda s: (s.planned_start or clock.origin, order[s.kind]))
    _drop_pickups_of_jobs_gone(stops)
    _travel(stops, start_point)
    position_at = _live_etas(tech, stops, clock, now=now)
    return DayRoute(tech, day, run.id if run is not None else None, stops, position_at)


def live_arrival(session: Session, work_order: WorkOrder, *, now: datetime) -> datetime | None:
    """When the assignee will arrive at `work_order`, from their fresh GPS fix over the
    remaining route of its day; None without a fresh fix (or no such stop)."""
    if work_order.assignee_user_id is None or work_order.scheduled_start is None:
        return None
    tech = session.scalar(select(Technician).where(
        Technician.user_id == work_order.assignee_user_id))
    if tech is None:
        return None
    route = technician_route(session, tech, local_day(work_order.scheduled_start), now=now)
    stop = route.stop_of(work_order.id)
    return stop.eta if stop is not None and stop.eta_source == "gps" else None


def _route_frame(inputs: dict[str, Any], result: dict[str, Any] | None, tech_id: int,
                 home: opt.Point) -> tuple[opt.Point, list[tuple[int, int]]]:
    """Where the planned route starts, and its breaks (seconds since local midnight)."""
    start = home
    for t in inputs.get("problem", {}).get("technicians", []):
        if t["id"] == tech_id:
            start = opt.Point(*t["start"])
    breaks: list[tuple[int, int]] = []
    for route in (result or {}).get("routes", []):
        if route.get("technician_id") == tech_id:
            breaks += [(b[1], b[2]) for b in route.get("breaks", [])]
    return start, breaks


def _drop_pickups_of_jobs_gone(stops: list[Stop]) -> None:
    """A pick-up with no job after it on the route serves nothing any more."""
    while stops and stops[-1].kind == "pickup":
        stops.pop()


def _travel(stops: list[Stop], start: opt.Point) -> None:
    here = start
    for seq, stop in enumerate(stops, 1):
        stop.sequence = seq
        if stop.point is None:
            continue
        stop.travel_m, stop.travel_s = leg(TRAVEL, here, stop.point)
        here = stop.point


def _live_etas(tech: Technician, stops: list[Stop], clock: DayClock, *,
               now: datetime) -> datetime | None:
    """Fill eta/eta_start/running_late; returns the time of the fix used, if any."""
    under_way = [i for i, s in enumerate(stops)
                 if s.work_order is not None and s.work_order.status in UNDER_WAY]
    passed = max(under_way) if under_way else -1
    for i, stop in enumerate(stops):
        stop.done = i < passed or (stop.work_order is not None
                                   and stop.work_order.status in FINISHED)
        stop.eta, stop.eta_start = stop.planned_arrival, stop.planned_start
        stop.eta_source = "plan" if stop.planned_arrival is not None else "schedule"
        if stop.eta is None:
            stop.eta = stop.planned_start
    fresh = timedelta(minutes=Config.DISPATCH_POSITION_FRESH_MINUTES)
    position_at = tech.last_position_at
    live = (tech.last_position is not None and position_at is not None
            and now - fresh <= position_at <= now + fresh)
    if live:
        cursor_point = point_of(tech.last_position)
        cursor = now
        for i, stop in enumerate(stops):
            if stop.done:
                continue
            wo = stop.work_order
            if wo is not None and wo.status in (Status.on_site, Status.on_hold):
                # Working there now: leaves when the planned service time is over.
                began = wo.responded_at or now
                cursor = max(now, began + _service(stop))
                cursor_point = stop.point  # type: ignore[assignment]
                stop.eta, stop.eta_start, stop.eta_source = began, began, "gps"
                continue
            if stop.kind == "break":
                begin = max(cursor, stop.planned_start or cursor)
                stop.eta = stop.eta_start = begin
                cursor = begin + _service(stop)
                stop.eta_source = "gps"
                continue
            metres, seconds = leg(TRAVEL, cursor_point, stop.point)  # type: ignore[arg-type]
            arrival = cursor + timedelta(seconds=seconds)
            begin = max(arrival, _opening(stop, clock, arrival))
            stop.eta, stop.eta_start, stop.eta_source = arrival, begin, "gps"
            if i == next((k for k, s in enumerate(stops) if not s.done), None):
                stop.travel_m, stop.travel_s = metres, seconds  # from where they are now
            cursor = begin + _service(stop)
            cursor_point = stop.point  # type: ignore[assignment]
    for stop in stops:
        if stop.kind == "job" and not stop.done:
            _flag_lateness(stop, clock, now=now, live=live)
    return position_at if live else None


def _service(stop: Stop) -> timedelta:
    if stop.planned_start is not None and stop.planned_end is not None:
        return stop.planned_end - stop.planned_start
    if stop.work_order is not None:
        return timedelta(minutes=stop.work_order.estimated_duration_min)
    return timedelta()


def _opening(stop: Stop, clock: DayClock, arrival: datetime) -> datetime:
    """The earliest start at or after `arrival` that a customer window allows."""
    if stop.work_order is None:
        return arrival
    windows = service_windows(stop.work_order, clock) or ()
    at = clock.seconds(arrival)
    opens = [w.start for w in windows if w.end >= at]
    return clock.instant(min(opens)) if opens and min(opens) > at else arrival


def _flag_lateness(stop: Stop, clock: DayClock, *, now: datetime, live: bool) -> None:
    wo = stop.work_order
    assert wo is not None
    start = stop.eta_start or stop.planned_start
    if start is None:
        return
    if not live and wo.status not in UNDER_WAY and start < now:
        start = now  # not set off, and the planned start has passed: it cannot start earlier
    windows = service_windows(wo, clock)
    reasons = []
    if windows is None or (windows and not any(clock.seconds(start) <= w.end
                                                for w in windows)):
        reasons.append("window")  # every customer window closes before it can start
    due = sla_due(wo)
    if due is not None and start > due:
        reasons.append("sla")
    stop.late_reasons, stop.running_late = reasons, bool(reasons)
