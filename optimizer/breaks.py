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

import itertools

from optimizer.eligibility import Shift, capacity_reason, job_windows, pickup_windows, pinned_to
from optimizer.model import (
    Break,
    Id,
    Job,
    Problem,
    Route,
    ScheduledBreak,
    TimeWindow,
    Unassigned,
    Visit,
)
from optimizer.schedule import Stop, earliest_start, time_route
from optimizer.travel import (
    Place,
    end_place,
    job_place,
    leg,
    start_place,
    travel_of,
    warehouse_place,
)


def reserved(shift: Shift) -> int:
    return sum(b.duration for b in shift.breaks)


Timed = tuple[list[Visit], list[ScheduledBreak], int, int]
# Breaks per route above which ``place_exactly`` gives up (the positions multiply).
EXACT_MAX_BREAKS = 3


def _fits(shift: Shift, timed: Timed) -> bool:
    _visits, _brks, depart, end = timed
    limit = shift.tech.max_work_s
    return end <= shift.window.end and (limit is None or end - depart <= limit)


def place_exactly(
    stops: list[Stop],
    legs: list[tuple[int, int]],
    back: tuple[int, int],
    depart: int,
    breaks: list[Break],
    latest_end: int,
    max_work_s: int | None,
) -> Timed | None:
    """Breaks placed exactly on a fixed sequence of stops, when the greedy placement of
    ``optimizer.schedule`` fails: every combination of places (at home before leaving, before a
    drive, on arrival before a service, at home after the return), in window order, is timed
    as early as possible, and the one returning first wins (None when none fits). Each break
    lies wholly inside its window. Up to ``EXACT_MAX_BREAKS`` breaks per route."""
    if len(breaks) > EXACT_MAX_BREAKS:
        return None
    pend = sorted(breaks, key=lambda b: (b.window.start, b.window.end))
    n = len(stops)
    # Place codes: 0 = at home before leaving; 2i+1 = before the drive into stop i (i = n:
    # before driving home); 2i+2 = on arrival at stop i; 2n+2 = at home after the return.
    places = range(2 * n + 3)
    best: Timed | None = None
    for combo in itertools.combinations_with_replacement(places, len(pend)):
        timed = _timed_with(stops, legs, back, depart, list(zip(combo, pend, strict=True)))
        if timed is None:
            continue
        _v, _b, start, end = timed
        if end > latest_end or (max_work_s is not None and end - start > max_work_s):
            continue
        if best is None or end < best[3]:
            best = timed
    return best


def _timed_with(
    stops: list[Stop],
    legs: list[tuple[int, int]],
    back: tuple[int, int],
    depart: int,
    placed: list[tuple[int, Break]],
) -> Timed | None:
    brks: list[ScheduledBreak] = []
    n = len(stops)

    def take(code: int, t: int) -> int | None:
        """Take the breaks placed at ``code`` from time ``t`` on; the time after them."""
        for c, b in placed:
            if c == code:
                bs = max(t, b.window.start)
                if bs > b.latest_start:
                    return None
                brks.append(ScheduledBreak(b.id, bs, bs + b.duration))
                t = bs + b.duration
        return t

    home = [b for c, b in placed if c == 0]
    t = depart
    if home:  # before leaving: the departure waits for them
        after = take(0, min(b.window.start for b in home))
        if after is None:
            return None
        t = max(after, depart)
    first_depart = t
    visits: list[Visit] = []
    for i, stop in enumerate(stops):
        metres, d = legs[i]
        left = take(2 * i + 1, t)
        if left is None:
            return None
        arrival = left + d
        ready = take(2 * i + 2, arrival)
        if ready is None:
            return None
        s = earliest_start(stop.windows, ready)
        if s is None:
            return None
        if i == 0 and not brks and not home:  # leave just in time
            first_depart = max(first_depart, s - d)
            arrival = s
        visits.append(Visit(stop.kind, stop.ref, arrival, s, s + stop.duration, s - arrival, d,
                            metres, dict(stop.picked), stop.tools))
        t = s + stop.duration
    last = take(2 * n + 1, t)
    if last is None:
        return None
    end = last + back[1]
    if take(2 * n + 2, end) is None:
        return None
    return visits, brks, first_depart, end


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
    travel = travel_of(problem, tech)
    legs = [leg(travel, places[i], places[i + 1]) for i in range(len(stops))]
    back = leg(travel, places[-1], end_place(problem, tech))
    timed = time_route(stops, legs, back, shift.window.start, list(shift.breaks))
    if timed is None or not _fits(shift, timed):
        timed = place_exactly(stops, legs, back, shift.window.start, list(shift.breaks),
                              shift.window.end, tech.max_work_s)
    if timed is None:
        return None
    tvisits, brks, depart, end = timed
    if end > shift.window.end:
        return None
    if tech.max_work_s is not None and end - depart > tech.max_work_s:
        return None
    return Route(tech.id, shift.shift_index, depart, end, tuple(tvisits),
                 tuple(sorted(brks, key=lambda b: b.start)), back[1], back[0])
