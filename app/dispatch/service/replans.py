"""Re-plan the day: the rest of a released day re-optimised from now (`optimizer.replan`).

The base is what the work orders say now, not an old run: each technician's open jobs of the
day in the order of their scheduled starts (the old plan), the jobs still unassigned, the job a
technician is on site at or driving to (started: it stays theirs), where they are (the last
position fix of the day, else the job on site, else where the plan puts them) and who is still
at work (availability: a sickness exception from now on takes a technician off, and their
jobs move). Completed jobs are not open, so they are gone. Locked work orders (named in the
request) keep their technician and time.

The run is an ordinary plan run (kind `plan`, `keep_assigned` off) whose inputs carry a
`replan` part (now, positions, the old plan, the move cost): it is read, solved with no
session open and written like any run (`run_in_background`), validated against the problem of
the rest of the day, and applied like any run, so a released route that changed gets one
"route changed" push and the others none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import optimizer as opt
from app.auth.models import User
from app.config import Config
from app.dispatch.models import OptimizationRun, RunKind, Technician
from app.dispatch.service.plans import _start_after_commit, new_run, solves_inline
from app.dispatch.service.problem import (
    DayClock,
    build_day_problem,
    day_clock,
    digest,
    job_input,
    job_parts,
    plan_from_json,
    plan_to_json,
    point_of,
    reservations_of,
    service_windows,
)
from app.errors import Conflict, Unprocessable
from app.workorders.models import Status, WorkOrder

STARTED = (Status.en_route, Status.on_site)
OPEN = (Status.scheduled, Status.dispatched, *STARTED)


def _day_orders(session: Session, clock: DayClock, user_ids: list[int]) -> list[WorkOrder]:
    if not user_ids:
        return []
    return list(session.scalars(select(WorkOrder).where(
        WorkOrder.assignee_user_id.in_(user_ids), WorkOrder.status.in_(OPEN),
        WorkOrder.scheduled_start >= clock.origin, WorkOrder.scheduled_start < clock.end)
        .order_by(WorkOrder.scheduled_start, WorkOrder.id)))


def _old_plan(clock: DayClock, techs: dict[int, Technician], orders: list[WorkOrder]
              ) -> opt.Plan:
    """The day as the work orders have it: each technician's jobs at their scheduled times
    (travel figures are not needed: the old plan only says who, in which order, when)."""
    by_user = {t.user_id: t.id for t in techs.values()}
    visits: dict[int, list[opt.Visit]] = {}
    for wo in orders:
        tid = by_user.get(wo.assignee_user_id)  # type: ignore[arg-type]
        if tid is None or wo.scheduled_start is None:
            continue
        start = clock.seconds(wo.scheduled_start)
        end = clock.seconds(wo.scheduled_end) if wo.scheduled_end is not None else start
        visits.setdefault(tid, []).append(opt.Visit("job", wo.id, start, start, end, 0, 0, 0))
    routes = tuple(opt.Route(tid, 0, vs[0].start, vs[-1].end, tuple(vs), (), 0, 0)
                   for tid, vs in sorted(visits.items()))
    return opt.Plan(routes, (), {}, 0.0, {})


def _positions(clock: DayClock, techs: dict[int, Technician], orders: list[WorkOrder],
               now: datetime, available: set[int]) -> list[opt.Position]:
    by_user = {t.user_id: t for t in techs.values()}
    current: dict[int, WorkOrder] = {}
    for wo in orders:
        tech = by_user.get(wo.assignee_user_id)  # type: ignore[arg-type]
        if tech is not None and wo.status in STARTED:
            current.setdefault(tech.id, wo)
    out = []
    for tech in techs.values():
        fix = None
        if tech.last_position is not None and tech.last_position_at is not None \
                and clock.origin <= tech.last_position_at <= now:
            fix = point_of(tech.last_position)
        cur = current.get(tech.id)
        began = None
        if cur is not None and cur.status == Status.on_site:
            at = cur.responded_at or cur.scheduled_start or now
            began = clock.seconds(min(max(at, clock.origin), now))
        out.append(opt.Position(
            tech.id, location=None if cur is not None and began is not None else fix,
            available=tech.id in available, current=cur.id if cur is not None else None,
            current_state="on_site" if began is not None else "en_route",
            current_start=began))
    return out


def positions_to_json(positions: list[opt.Position]) -> list[dict[str, Any]]:
    return [{"technician_id": p.technician_id,
             "location": [p.location.lat, p.location.lng] if p.location else None,
             "available": p.available, "current": p.current, "current_state": p.current_state,
             "current_start": p.current_start, "done": list(p.done)} for p in positions]


def positions_from_json(data: list[dict[str, Any]]) -> list[opt.Position]:
    return [opt.Position(
        d["technician_id"], location=opt.Point(*d["location"]) if d["location"] else None,
        available=d["available"], current=d["current"], current_state=d["current_state"],
        current_start=d["current_start"], done=tuple(d["done"])) for d in data]


def solve_replan(problem: opt.Problem, args: dict[str, Any], time_limit_s: float) -> opt.Plan:
    """The re-plan of a run's inputs (module level: it runs in pool worker processes)."""
    return opt.replan(problem, plan_from_json(args["base"]), args["now"],
                      positions_from_json(args["positions"]), move_cost=args["move_cost"],
                      time_tolerance_s=args["time_tolerance_s"], time_limit_s=time_limit_s)


def rest_problem(problem: opt.Problem, args: dict[str, Any]) -> opt.Problem:
    """The problem a re-plan's result is valid for (the rest of the day from `now`)."""
    return opt.replan_problem(problem, plan_from_json(args["base"]), args["now"],
                              positions_from_json(args["positions"]))


Replanner = Callable[[opt.Problem, dict[str, Any], float], opt.Plan]


def request_replan(session: Session, *, day: Any, now: datetime, time_limit_s: float,
                   move_cost: float = 500.0, time_tolerance_min: int = 30,
                   locked_ids: list[int] | None = None, actor: User,
                   launch: Callable[[int], None] | None = None) -> OptimizationRun:
    """Store a queued re-plan run of `day` from `now` (see the module docstring); a long one
    is handed to `launch` after the commit, a short one is solved by the caller."""
    if time_limit_s > Config.DISPATCH_MAX_TIME_LIMIT_S:
        raise Unprocessable("The time limit is too long.", errors={"time_limit_s": [
            f"At most {Config.DISPATCH_MAX_TIME_LIMIT_S:g} seconds."]})
    clock = day_clock(day)
    if now >= clock.end:
        raise Conflict("The day is over: there is nothing left to re-plan.", error="day_over")
    now = max(now, clock.origin)
    dp = build_day_problem(session, day, keep_assigned=False)
    all_techs = {t.id: t for t in session.scalars(select(Technician).where(
        Technician.is_active.is_(True)).order_by(Technician.id))}
    available = {t.id for t in dp.technicians.values()
                 if any(clock.seconds(now) < w.end for w in _shifts(dp, t.id))}
    orders = _day_orders(session, clock, [t.user_id for t in all_techs.values()])
    known = {j.id for j in dp.problem.jobs}
    locked = set(locked_ids or [])
    unknown = sorted(locked - known - {wo.id for wo in orders})
    if unknown:
        raise Unprocessable("Only open work orders of the day can be locked.",
                            errors={"locked_work_order_ids": [f"Not open that day: {unknown}"]})
    # Started jobs (not open for a plan) and the jobs of technicians off all day (a plan
    # leaves those with their technician) join the problem.
    extra_orders = []
    windows: dict[int, tuple[opt.TimeWindow, ...]] = {}
    for wo in orders:
        if wo.id in known:
            continue
        if wo.status in STARTED:
            windows[wo.id] = ()
        else:
            found = service_windows(wo, clock)
            if found is None:
                continue
            windows[wo.id] = found
        extra_orders.append(wo)
    parts = job_parts(reservations_of(session, [wo.id for wo in extra_orders]))
    extra = [job_input(wo, clock, parts.get(wo.id, {}), windows[wo.id]) for wo in extra_orders]
    by_user = {t.user_id: t.id for t in all_techs.values()}
    pins: dict[int, list[opt.Pin]] = {}
    for wo in orders:
        if wo.id in locked and wo.scheduled_start is not None:
            tid = by_user[wo.assignee_user_id]  # type: ignore[index]
            pins.setdefault(tid, []).append(opt.Pin(wo.id, clock.seconds(wo.scheduled_start)))
    techs = tuple(dataclasses.replace(t, pins=tuple(pins.get(t.id, ())))  # type: ignore[arg-type]
                  for t in dp.problem.technicians)
    problem = dataclasses.replace(dp.problem, technicians=techs,
                                  jobs=(*dp.problem.jobs, *extra))
    in_problem = {int(t.id): all_techs[int(t.id)] for t in techs}
    base = _old_plan(clock, all_techs, orders)
    positions = _positions(clock, in_problem, orders, now, available)
    versions = {**dp.versions, **{wo.id: wo.version for wo in orders}}
    run = new_run(session, kind=RunKind.plan, day=day, problem=problem, versions=versions,
                  time_limit_s=time_limit_s, keep_assigned=False, actor=actor)
    run.inputs = {**run.inputs, "replan": {
        "now": clock.seconds(now), "move_cost": move_cost,
        "time_tolerance_s": time_tolerance_min * 60, "base": plan_to_json(base),
        "positions": positions_to_json(positions)}}
    run.inputs_digest = digest(run.inputs)
    if not solves_inline(time_limit_s) and launch is not None:
        _start_after_commit(session, run.id, launch)
    return run


def _shifts(dp: Any, tech_id: int) -> tuple[opt.TimeWindow, ...]:
    return next(t.shifts for t in dp.problem.technicians if t.id == tech_id)
