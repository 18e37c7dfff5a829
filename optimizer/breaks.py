"""Breaks by reservation, for large problems (``SolverOptions.exact_breaks_max_jobs``).

OR-Tools' break intervals are exact but slow local search down by an order of magnitude on a
600-job day. Above the threshold the search instead *reserves* the break time: each route with
breaks must end that much before its shift ends (and within ``max_work_s`` minus the breaks),
and job windows that close after the earliest break window opens close that much earlier. Any
route found that way can then be re-timed with its breaks inserted (a break delays each later
visit by at most its duration); this module does that re-timing, and in the rare case where it
fails (a service spanning a whole break window) drops jobs from the end of the route, lowest
priority first, until it fits. ``validate`` checks the result like any plan.
"""

from __future__ import annotations

from optimizer.eligibility import Shift, capacity_reason, job_windows, pickup_windows, pinned_to
from optimizer.model import Id, Job, Problem, Route, TimeWindow, Unassigned, Visit
from optimizer.schedule import Stop, time_route
from optimizer.travel import Place, end_place, job_place, leg, start_place, warehouse_place


def reserved(shift: Shift) -> int:
    return sum(b.duration for b in shift.breaks)


def retime(
    problem: Problem, shifts: list[Shift], routes: list[Route]
) -> tuple[list[Route], list[Unassigned]]:
    by_key = {(s.tech.id, s.shift_index): s for s in shifts}
    jobs = {j.id: j for j in problem.jobs}
    pins = pinned_to(problem)
    out: list[Route] = []
    dropped: list[Unassigned] = []
    for route in routes:
        shift = by_key[(route.technician_id, route.shift)]
        if not shift.breaks:
            out.append(route)
            continue
        visits = list(route.visits)
        while True:
            timed = _time(problem, shift, visits, jobs, pins)
            if timed is not None or not visits:
                break
            victim = max(
                (i for i, v in enumerate(visits) if v.kind == "job"),
                key=lambda i: (jobs[visits[i].ref].priority, i),
                default=None,
            )
            if victim is None:
                break
            dropped.append(capacity_reason(jobs[visits.pop(victim).ref]))
        if timed is not None and any(v.kind == "job" for v in visits):
            out.append(timed)
    return out, dropped


def _time(
    problem: Problem,
    shift: Shift,
    visits: list[Visit],
    jobs: dict[Id, Job],
    pins: dict[Id, tuple[Id, int | None]],
) -> Route | None:
    tech = shift.tech
    stops: list[Stop] = []
    places: list[Place] = [start_place(problem, tech)]
    for v in visits:
        if v.kind == "job":
            job = jobs[v.ref]
            pin = pins.get(job.id)
            wins = job_windows(job) if pin is None or pin[1] is None else (
                TimeWindow(pin[1], pin[1]),)
            stops.append(Stop("job", job.id, job_place(problem, job), v.end - v.start, wins, {}))
            places.append(job_place(problem, job))
        else:
            wh = next(w for w in problem.warehouses if w.id == v.ref)
            hours = pickup_windows(wh)
            stops.append(Stop("pickup", wh.id, warehouse_place(problem, wh), v.end - v.start,
                              hours, dict(v.picked), v.tools))
            places.append(warehouse_place(problem, wh))
    legs = [leg(problem.travel, places[i], places[i + 1]) for i in range(len(stops))]
    back = leg(problem.travel, places[-1], end_place(problem, tech))
    timed = time_route(stops, legs, back, shift.window.start, list(shift.breaks))
    if timed is None:
        return None
    tvisits, brks, depart, end = timed
    if end > shift.window.end:
        return None
    if tech.max_work_s is not None and end - depart > tech.max_work_s:
        return None
    return Route(tech.id, shift.shift_index, depart, end, tuple(tvisits),
                 tuple(sorted(brks, key=lambda b: b.start)), back[1], back[0])
