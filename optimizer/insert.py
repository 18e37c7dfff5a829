"""``insert``: add one urgent job to an existing plan with least disruption.

Visits that started before ``now`` (and breaks already begun) stay exactly as planned; the job
is tried at every later position of every qualified technician's route, the rest of that route
is re-timed (``optimizer.schedule``; a job pinned with a start keeps that start), and the
cheapest feasible position wins (travel cost + lateness cost delta). Other routes are
untouched. The returned plan is valid for the problem
with the job appended (:func:`with_job`).
"""

from __future__ import annotations

import dataclasses

from optimizer.costs import SCALE, per_second
from optimizer.eligibility import Shift, analyse, job_windows, pickup_windows, shifts_of
from optimizer.kpis import compute_kpis
from optimizer.model import Id, Job, Plan, Problem, Route, TimeWindow, Unassigned, Visit
from optimizer.schedule import Stop, time_route
from optimizer.travel import (
    Place,
    end_place,
    job_place,
    leg,
    service_duration,
    start_place,
    travel_of,
    warehouse_place,
)


def with_job(problem: Problem, job: Job) -> Problem:
    return dataclasses.replace(problem, jobs=(*problem.jobs, job))


def insert(problem: Problem, plan: Plan, job: Job, now: int) -> Plan:
    """Plan ``job`` into ``plan`` without moving anything that started before ``now``."""
    full = with_job(problem, job)
    shifts = shifts_of(full)
    only = dataclasses.replace(full, jobs=(job,))
    allowed, reasons = analyse(only, shifts)
    if not allowed:
        return _unchanged(full, plan, reasons[0], now)
    best: tuple[float, Route, int] | None = None
    for si in allowed[0]:
        shift = shifts[si]
        for cand in _candidates(full, plan, shift, job, now):
            delta = _cost(full, shift, cand) - _cost(full, shift, plan.route_of(shift.tech.id,
                                                                               shift.shift_index))
            if best is None or delta < best[0]:
                best = (delta, cand, si)
    if best is None:
        reason = Unassigned(job.id, "out_of_capacity",
                            "no qualified route can take the job without breaking a rule")
        return _unchanged(full, plan, reason, now)
    delta, new_route, _ = best
    routes = [r for r in plan.routes
              if (r.technician_id, r.shift) != (new_route.technician_id, new_route.shift)]
    routes.append(new_route)
    unassigned = [u for u in plan.unassigned if u.job_id != job.id]
    kpis = compute_kpis(full, routes, unassigned)
    stats = {"inserted": True, "technician_id": new_route.technician_id, "now": now,
             "cost_delta": delta / SCALE}
    return Plan(tuple(routes), tuple(unassigned), kpis, plan.objective + delta / SCALE, stats)


def _unchanged(problem: Problem, plan: Plan, reason: Unassigned, now: int) -> Plan:
    unassigned = [*plan.unassigned, reason]
    kpis = compute_kpis(problem, plan.routes, unassigned)
    stats = {"inserted": False, "now": now, "reason": reason.reason}
    return Plan(plan.routes, tuple(unassigned), kpis, plan.objective, stats)


def _stop(
    problem: Problem, jobs: dict[Id, Job], shift: Shift, visit_or_job: Visit | Job
) -> Stop:
    if isinstance(visit_or_job, Job) or visit_or_job.kind == "job":
        job = visit_or_job if isinstance(visit_or_job, Job) else jobs[visit_or_job.ref]
        dur = service_duration(job, shift.tech, problem.weights.level_duration_factor)
        # A pin with a start keeps that start: its only window is that instant.
        fixed = next((p.start for p in shift.tech.pins
                      if p.job_id == job.id and p.start is not None), None)
        windows = (TimeWindow(fixed, fixed),) if fixed is not None else job_windows(job)
        return Stop("job", job.id, job_place(problem, job), dur, windows, {})
    wh = next(w for w in problem.warehouses if w.id == visit_or_job.ref)
    hours = pickup_windows(wh)
    return Stop("pickup", wh.id, warehouse_place(problem, wh), wh.pickup_duration, hours,
                dict(visit_or_job.picked), visit_or_job.tools)


def _candidates(problem: Problem, plan: Plan, shift: Shift, job: Job, now: int) -> list[Route]:
    tech = shift.tech
    jobs = {j.id: j for j in problem.jobs}
    route = plan.route_of(tech.id, shift.shift_index)
    visits = list(route.visits) if route else []
    fixed = [v for v in visits if v.start < now]
    movable = visits[len(fixed):]
    kept_breaks = [b for b in (route.breaks if route else ()) if b.start < now]
    pending = [b for b in shift.breaks if b.id not in {k.id for k in kept_breaks}]
    if fixed:
        prev_place: Place = _stop(problem, jobs, shift, fixed[-1]).place
        depart = max(fixed[-1].end, now)
        start_time = route.start_time if route else depart
    else:
        prev_place = start_place(problem, tech)
        depart = max(shift.window.start, now)
        start_time = depart
    # A break already begun is finished before anything else happens.
    depart = max([depart, *(b.end for b in kept_breaks)])
    end_pl = end_place(problem, tech)
    travel = travel_of(problem, tech)
    out: list[Route] = []
    tail = [_stop(problem, jobs, shift, v) for v in movable]
    new = _stop(problem, jobs, shift, job)
    for pos in range(len(tail) + 1):
        stops = [*tail[:pos], new, *tail[pos:]]
        places = [prev_place] + [s.place for s in stops]
        legs = [leg(travel, places[i], places[i + 1]) for i in range(len(stops))]
        timed = time_route(stops, legs, leg(travel, places[-1], end_pl), depart, pending,
                           at_home=not fixed)
        if timed is None:
            continue
        tvisits, tbreaks, first_depart, end = timed
        begin = start_time if fixed else first_depart
        if end > shift.window.end or (tech.max_work_s is not None
                                      and end - begin > tech.max_work_s):
            continue
        all_visits = (*fixed, *tvisits)
        if not _parts_ok(problem, shift, all_visits):
            continue
        back = leg(travel, places[-1], end_pl)
        out.append(Route(tech.id, shift.shift_index, begin, end, all_visits,
                         tuple(sorted([*kept_breaks, *tbreaks], key=lambda b: b.start)),
                         back[1], back[0]))
    return out


def _parts_ok(problem: Problem, shift: Shift, visits: tuple[Visit, ...]) -> bool:
    jobs = {j.id: j for j in problem.jobs}
    stock = dict(shift.tech.van_stock)
    carried = set(shift.tech.tools)
    for v in visits:
        for part, qty in v.picked.items():
            stock[part] = stock.get(part, 0) + qty
        carried |= v.tools
        for part, qty in (jobs[v.ref].parts.items() if v.kind == "job" else ()):
            stock[part] = stock.get(part, 0) - qty
            if stock[part] < 0:
                return False
        if v.kind == "job" and not jobs[v.ref].tools <= carried:
            return False
    return True


def _cost(problem: Problem, shift: Shift, route: Route | None) -> float:
    """Travel + working-time + SLA lateness cost of a route, in solver cost units."""
    if route is None:
        return 0.0
    w, tech = problem.weights, shift.tech
    metres = route.return_travel_m + sum(v.travel_m for v in route.visits)
    secs = route.return_travel_s + sum(v.travel_s for v in route.visits)
    cost = w.travel * (metres / 1000 * tech.cost_per_km + secs / 3600 * tech.cost_per_hour)
    cost += (route.end_time - route.start_time) / 3600 * tech.cost_per_working_hour
    cost *= SCALE
    jobs = {j.id: j for j in problem.jobs}
    for v in route.visits:
        job = jobs.get(v.ref) if v.kind == "job" else None
        if job is not None and job.sla_due is not None and v.start > job.sla_due:
            cost += per_second(w.lateness_per_hour.get(job.priority, 0.0)) * (v.start - job.sla_due)
    return cost
