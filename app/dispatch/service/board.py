"""The dispatch board of a day, and the van pick lists for a day's schedule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.dispatch.models import PlannedVisit, Technician
from app.dispatch.service.availability import availability_on, exceptions_on
from app.dispatch.service.day_route import DayRoute, technician_routes
from app.dispatch.service.insertions import last_applied_run
from app.dispatch.service.problem import (
    active_technicians,
    point_of,
    reservations_of,
    stock_with_reservations,
    travel_between,
    warehouses,
)
from app.dispatch.service.releases import day_orders
from app.errors import Conflict, NotFound
from app.inventory import service as inventory
from app.inventory.models import Part
from app.workorders import service as workorders
from app.workorders.models import Status, WorkOrder

UNASSIGNED_QUEUE_LIMIT = 200


@dataclass
class BoardRow:
    technician: Technician
    windows: list[dict[str, datetime]]
    visits: list[dict[str, Any]] = field(default_factory=list)
    route: DayRoute | None = None  # every stop (pick-ups, breaks, travel) when it has jobs


@dataclass
class Board:
    day: date
    technicians: list[BoardRow]
    unassigned: list[WorkOrder]


def day_board(session: Session, day: date, *, actor: User,
              now: datetime | None = None) -> Board:
    """Per technician the day's visits in order (planned and actual times, status, the live
    ETA and whether it runs late), and the unassigned queue, most urgent SLA first."""
    now = now or utcnow()
    techs = active_technicians(session)
    by_user = {t.user_id: t for t in techs}
    base = last_applied_run(session, day)
    planned: dict[int, PlannedVisit] = {}
    if base is not None:
        planned = {v.work_order_id: v for v in base.visits if v.work_order_id is not None}
    exceptions = exceptions_on(session, techs, day)
    rows = {t.id: BoardRow(t, [{"start": s, "end": e} for s, e in availability_on(
        session, t, day, exceptions[t.id]).windows]) for t in techs}
    jobs = day_orders(session, day, list(by_user))
    busy = {wo.assignee_user_id: by_user[wo.assignee_user_id]  # type: ignore[index]
            for wo in jobs}
    routes = technician_routes(session, list(busy.values()), day, now=now, orders=jobs)
    for tech_id, route in routes.items():
        rows[tech_id].route = route
    for wo in jobs:
        tech = by_user[wo.assignee_user_id]  # type: ignore[index]
        stop = routes[tech.id].stop_of(wo.id)
        pv = planned.get(wo.id)
        rows[tech.id].visits.append({
            "work_order_id": wo.id, "number": wo.number, "title": wo.title,
            "priority": wo.priority, "status": wo.status, "site": point_of(wo.site.location),
            "scheduled_start": wo.scheduled_start, "scheduled_end": wo.scheduled_end,
            "planned_arrival": pv.planned_arrival if pv is not None else None,
            "arrived_at": wo.responded_at, "completed_at": wo.completed_at,
            "eta": stop.eta if stop is not None else wo.scheduled_start,
            "eta_source": stop.eta_source if stop is not None else "schedule",
            "running_late": stop.running_late if stop is not None else False,
            "late_reasons": stop.late_reasons if stop is not None else []})
    queue = workorders.list_work_orders(session, actor=actor, status=[Status.new],
                                        unassigned=True, sort="sla")
    # The queue shows each order's own columns (number, title, priority, SLA due times):
    # none of the relations the work-order API shows (five queries for 200 orders).
    unassigned = list(session.scalars(queue.limit(UNASSIGNED_QUEUE_LIMIT)))
    return Board(day, list(rows.values()), unassigned)


# --- pick lists -----------------------------------------------------------------------------

@dataclass
class PickLine:
    part_id: int
    sku: str
    quantity: int
    warehouse_id: int | None  # None: no warehouse has it
    warehouse_code: str | None
    reserved: bool  # the stock at the warehouse is reserved for the technician's jobs
    planned: bool = False  # a pick-up of the day's applied plan (its warehouse, its stop)


@dataclass
class PickList:
    technician: Technician
    van_id: int | None
    work_order_ids: list[int]
    needed: dict[int, int]
    in_van: dict[int, int]
    lines: list[PickLine]


def pick_lists(session: Session, day: date, *, technician_id: int | None = None
               ) -> list[PickList]:
    """Per technician with jobs that day: parts the jobs need (their reservations), minus
    what the van holds, each line with the warehouse to pick from: the warehouse of the
    pick-up the applied plan routes the technician through first, then where the stock is
    reserved for the job, then the nearest warehouse that has it."""
    techs = active_technicians(session, [technician_id] if technician_id else None)
    orders = day_orders(session, day, [t.user_id for t in techs],
                        (Status.scheduled, Status.dispatched))
    by_user: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in orders:
        by_user[wo.assignee_user_id].append(wo)  # type: ignore[index]
    houses = warehouses(session)
    all_res = reservations_of(session, [wo.id for wo in orders])
    skus: dict[int, str] = {pid: sku for pid, sku in session.execute(select(
        Part.id, Part.sku).where(Part.id.in_({r[1] for r in all_res})))} if all_res else {}
    vans = inventory.vans_of_technicians(session, list(by_user))
    available = inventory.available_stocks(
        session, [w.id for w in houses] + [v.id for v in vans.values()])
    stocks = {w.id: dict(available[w.id]) for w in houses}
    by_id = {w.id: w for w in houses}
    base = last_applied_run(session, day)
    pickups: dict[int, list[PlannedVisit]] = defaultdict(list)
    for visit in base.visits if base is not None else []:
        if visit.kind == "pickup" and visit.stock_location_id in by_id:
            pickups[visit.technician_id].append(visit)
    out = []
    for tech in techs:
        jobs = by_user.get(tech.user_id, [])
        if not jobs:
            continue
        ids = {wo.id for wo in jobs}
        res = [r for r in all_res if r[0] in ids]
        needed: dict[int, int] = defaultdict(int)
        for _wo, part, _loc, qty in res:
            needed[part] += qty
        van = vans.get(tech.user_id)
        held = (stock_with_reservations(available[van.id], van.id, res)
                if van is not None else {})
        in_van = {p: min(held.get(p, 0), q) for p, q in needed.items()}
        home = point_of(tech.home_base)
        near = sorted(houses, key=lambda w: travel_between(home, point_of(w.location))[0])
        lines = []
        for part, qty in sorted(needed.items()):
            short = qty - in_van[part]
            reserved_at: dict[int, int] = defaultdict(int)
            for _wo, p, loc, q in res:
                if p == part and loc in stocks:
                    reserved_at[loc] += q
            for pick in sorted(pickups.get(tech.id, []), key=lambda v: v.sequence):
                take = min(short, int((pick.picked or {}).get(str(part), 0)))
                if take <= 0 or pick.stock_location_id is None:
                    continue
                loc = pick.stock_location_id
                reserved = reserved_at.get(loc, 0) > 0
                if reserved:
                    reserved_at[loc] -= min(take, reserved_at[loc])
                else:
                    stocks[loc][part] = stocks[loc].get(part, 0) - take
                lines.append(PickLine(part, skus[part], take, loc, by_id[loc].code, reserved,
                                      planned=True))
                short -= take
            for wh in near:
                take = min(short, reserved_at.get(wh.id, 0))
                if take > 0:
                    lines.append(PickLine(part, skus[part], take, wh.id, wh.code, True))
                    short -= take
            for wh in near:
                take = min(short, stocks[wh.id].get(part, 0))
                if take > 0:
                    lines.append(PickLine(part, skus[part], take, wh.id, wh.code, False))
                    stocks[wh.id][part] -= take
                    short -= take
            if short > 0:
                lines.append(PickLine(part, skus[part], short, None, None, False))
        out.append(PickList(tech, van.id if van else None, sorted(ids), dict(needed), in_van,
                            lines))
    return out


def fulfil_pick_list(session: Session, day: date, technician_id: int, *,
                     actor: User) -> PickList:
    """Turn a technician's pick list into stock: each line is a transfer warehouse -> van;
    a job's reservation at the warehouse moves with it (released there, held in the van).
    All lines or none (one transaction; the inventory service refuses short stock)."""
    found = pick_lists(session, day, technician_id=technician_id)
    if not found:
        if session.get(Technician, technician_id) is None:
            raise NotFound("Technician not found.")
        raise Conflict("The technician has no jobs with parts that day.", error="nothing_to_pick")
    plist = found[0]
    if plist.van_id is None:
        raise Conflict("The technician has no van.", error="no_van")
    if any(line.warehouse_id is None for line in plist.lines):
        raise Conflict("Some parts are in no warehouse; receive them first.",
                       error="insufficient_stock")
    note = f"pick list {day.isoformat()} for technician {technician_id}"
    for line in plist.lines:
        if line.reserved:
            _move_reservations(session, plist, line, actor, note)
        else:
            inventory.record_movement(session, kind="transfer", part_id=line.part_id,
                                      quantity=line.quantity, from_location_id=line.warehouse_id,
                                      to_location_id=plist.van_id, note=note, actor=actor)
    return pick_lists(session, day, technician_id=technician_id)[0]


def _move_reservations(session: Session, plist: PickList, line: PickLine, actor: User,
                       note: str) -> None:
    """Move the jobs' reservations at the warehouse into the van: release there, transfer
    what the van lacks, hold the whole reservation again in the van."""
    left = line.quantity
    stmt = inventory.list_reservations(session, location_id=line.warehouse_id,
                                       part_id=line.part_id, status="active", actor=actor)
    for reservation in list(session.scalars(stmt.order_by(None).order_by("id"))):
        if left <= 0:
            break
        if reservation.work_order_id not in plist.work_order_ids:
            continue
        qty = reservation.open_quantity
        moved = min(qty, left)
        inventory.release_reservation(session, reservation.id, reason=note, actor=actor)
        inventory.record_movement(session, kind="transfer", part_id=line.part_id,
                                  quantity=moved, from_location_id=line.warehouse_id,
                                  to_location_id=plist.van_id, note=note, actor=actor)
        inventory.reserve_parts(session, work_order_id=reservation.work_order_id,
                                location_id=plist.van_id,  # type: ignore[arg-type]
                                lines=[(line.part_id, qty)], actor=actor)
        left -= moved
