"""``replan``: re-optimise the rest of a released day from ``now``, moving few visits.

The day's plan was made and released; since then time has passed, technicians moved, some
jobs were finished, one technician went home sick. :func:`replan_problem` turns the original
problem, its plan, ``now`` and each technician's :class:`Position` into the problem of the rest
of the day:

- finished jobs (``Position.done``) leave the problem;
- each technician starts where they are (the last GPS fix; else the job on site; else where
  the plan puts them at ``now``), no earlier than ``now``; shifts that are over are left out
  and the one running is cut at ``now`` (breaks already taken or missed are dropped, a break
  window that has begun is cut at ``now``);
- a started visit (on site or en route) stays with its technician: a pin, with the actual
  start for a job on site (its windows and SLA no longer matter, it is under way);
- locked visits (the problem's pins) stay locked; a fixed start already past becomes free;
- a technician who is not ``available`` (off sick) gets no route: their released jobs move.

:func:`replan` then searches that problem from the old plan: each remaining route keeps its
old order (visits that no longer fit are left for the search to place), and the search is the
normal objective plus a cost per moved visit: ``move_cost`` (currency) for each visit served
by another technician than in the old plan (exact: added to each technician's arc costs into
such visits), and, for a visit kept with its technician, the same ``move_cost`` per hour that
it starts earlier than its old start or later than the old start plus ``time_tolerance_s``
(soft bounds on the time dimension, so an unchanged route keeps its times exactly; where an
SLA bound sits on the same visit the two are merged, which slightly
overprices lateness there). Jobs that were unassigned before cost nothing to place. The
result is valid for ``replan_problem(...)`` of the same arguments (``validate`` passes);
``stats`` counts the visits ``moved_technician`` and ``moved_time`` (by more than the
tolerance) against the old plan.
"""

from __future__ import annotations

import dataclasses
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from optimizer.costs import SCALE, per_second, to_currency
from optimizer.eligibility import Shift, analyse, capacity_reason, job_windows, shifts_of
from optimizer.kpis import compute_kpis
from optimizer.model import (
    Break,
    Id,
    Job,
    Pin,
    Plan,
    Point,
    Problem,
    Route,
    Technician,
    TimeWindow,
    Visit,
)
from optimizer.schedule import Stop, time_route
from optimizer.travel import (
    end_place,
    job_place,
    leg,
    service_duration,
    start_place,
    travel_of,
)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a technician is at ``now`` and what they are doing.

    ``location`` (or ``location_index`` for matrix models): the last position fix; None means
    "where the plan or the started job puts them". ``current``: the job they have started,
    ``on_site`` since ``current_start`` or ``en_route`` to it (it stays theirs). ``done``: jobs
    finished (they leave the problem). ``available=False``: off work from now (e.g. sick).
    """

    technician_id: Id
    location: Point | None = None
    location_index: int | None = None
    available: bool = True
    current: Id | None = None
    current_state: str = "on_site"  # "on_site" | "en_route"
    current_start: int | None = None
    done: tuple[Id, ...] = ()


def _where_at(problem: Problem, tech: Technician, route: Route | None, now: int,
              jobs: Mapping[Id, Job]) -> tuple[Point | int, int | None, int]:
    """(point, location index, free from) the plan puts a technician at at ``now``."""
    last: Visit | None = None
    for v in (route.visits if route else ()):
        if v.kind == "job" and v.start <= now and v.ref in jobs:
            last = v
    if last is None:
        return tech.start, tech.start_location, now
    job = jobs[last.ref]
    return job.location, job.location_index, max(now, last.end)


def replan_problem(problem: Problem, plan: Plan, now: int,
                   positions: Iterable[Position] = ()) -> Problem:
    """The problem of the rest of the day from ``now`` (see the module docstring)."""
    pos = {p.technician_id: p for p in positions}
    done = {j for p in pos.values() for j in p.done}
    started = {p.current: p for p in pos.values() if p.current is not None and p.available}
    jobs_by_id = {j.id: j for j in problem.jobs if j.id not in done}
    factors = problem.weights.level_duration_factor
    techs: list[Technician] = []
    for tech in problem.technicians:
        p = pos.get(tech.id, Position(tech.id))
        if not p.available:
            continue
        route = next((r for r in plan.routes if r.technician_id == tech.id), None)
        point, index, free = _where_at(problem, tech, route, now, jobs_by_id)
        if p.location is not None or p.location_index is not None:
            point = p.location if p.location is not None else point
            index = p.location_index
            free = now
        begin = free
        pins = [pin if pin.start is None or pin.start >= now else Pin(pin.job_id)
                for pin in tech.pins if pin.job_id in jobs_by_id and pin.job_id not in started]
        cur = jobs_by_id.get(p.current) if p.current is not None else None
        if cur is not None:
            if p.current_state == "on_site":
                point, index = cur.location, cur.location_index
                begin = min(now, p.current_start if p.current_start is not None else now)
                pins.append(Pin(cur.id, begin))
            else:
                pins.append(Pin(cur.id))
        # Breaks the old route already started are behind (a break under way ends first).
        taken = [b for b in (route.breaks if route else ()) if b.start < begin]
        begin_free = max([begin, *(b.end for b in taken if b.end > begin)])
        if cur is None:
            begin = begin_free
        shifts: list[TimeWindow] = []
        for w in tech.shifts:
            if w.end <= begin and cur is None:
                continue
            start = max(w.start, begin) if not shifts else w.start
            end = w.end
            if cur is not None and not shifts:
                start = min(start, begin)
                dur = service_duration(cur, tech, factors)
                back = leg(travel_of(problem, tech), job_place(problem, cur),
                           end_place(problem, tech))[1]
                end = max(end, max(begin + dur, now) + back)
            shifts.append(TimeWindow(start, end))
        if not shifts:
            continue
        gone = {b.id for b in taken}
        breaks: list[Break] = []
        for b in tech.breaks:
            if b.id in gone or b.window.end < begin_free:
                continue
            win = TimeWindow(max(b.window.start, begin_free), b.window.end)
            if any(s.start <= win.start <= s.end for s in shifts):
                breaks.append(Break(b.id, win, b.duration))
        techs.append(dataclasses.replace(
            tech, start=point, start_location=index, end=tech.end_point,
            end_location=tech.end_location if tech.end_location is not None
            else tech.start_location, shifts=tuple(shifts), breaks=tuple(breaks),
            pins=tuple(pins),
            max_work_s=None if tech.max_work_s is None else max(
                0, tech.max_work_s - max(0, begin - (route.start_time if route else begin)))))
    jobs: list[Job] = []
    for job in jobs_by_id.values():
        sp = started.get(job.id)
        if sp is not None and sp.technician_id in {t.id for t in techs}:
            tech = next(t for t in techs if t.id == sp.technician_id)
            if sp.current_state == "on_site":
                began = next(pin.start for pin in tech.pins if pin.job_id == job.id)
                assert began is not None
                dur = max(service_duration(job, tech, factors), now - began)
                job = dataclasses.replace(job, windows=(), sla_due=None, duration=dur,
                                          scale_duration_by_level=False)
            else:
                job = dataclasses.replace(job, windows=(), sla_due=None)
        jobs.append(job)
    return dataclasses.replace(problem, technicians=tuple(techs), jobs=tuple(jobs))


def _old_assignment(plan: Plan) -> tuple[dict[Id, Id], dict[Id, int]]:
    tech_of: dict[Id, Id] = {}
    start_of: dict[Id, int] = {}
    for r in plan.routes:
        for v in r.visits:
            if v.kind == "job":
                tech_of[v.ref] = r.technician_id
                start_of[v.ref] = v.start
    return tech_of, start_of


def _timed(problem: Problem, shift: Shift, jobs: list[Job]) -> int | None:
    """Driving seconds of the route serving ``jobs`` in this order from the shift's start,
    timed as early as possible; None when it breaks a window, the shift or ``max_work_s``."""
    tech = shift.tech
    home, back_place = start_place(problem, tech), end_place(problem, tech)
    factors = problem.weights.level_duration_factor
    stops = [Stop("job", j.id, job_place(problem, j), service_duration(j, tech, factors),
                  job_windows(j), {}) for j in jobs]
    places = [home, *(s.place for s in stops)]
    travel = travel_of(problem, tech)  # the technician's own vehicle profile
    legs = [leg(travel, places[i], places[i + 1]) for i in range(len(stops))]
    back = leg(travel, places[-1], back_place)
    timed = time_route(stops, legs, back, shift.window.start, list(shift.breaks))
    if timed is None:
        return None
    _v, _b, depart, end = timed
    if end > shift.window.end or (tech.max_work_s is not None
                                  and end - depart > tech.max_work_s):
        return None
    return sum(d for _m, d in legs) + back[1]


def _kept_sequence(problem: Problem, shift: Shift, order: list[Job]) -> list[Job]:
    """The longest feasible subsequence of the old order, built greedily (a visit that no
    longer fits is skipped): the start the search improves on."""
    kept: list[Job] = []
    for job in order:
        if _timed(problem, shift, [*kept, job]) is not None:
            kept = [*kept, job]
    return kept


def _place_orphans(problem: Problem, shifts: list[Shift], kept: list[list[Job]],
                   orphans: list[Job], allowed: dict[int, list[int]],
                   index_of: dict[Id, int], moved_to: Mapping[Id, Id],
                   move_cost: float, budget: int = 20_000) -> list[list[Job]]:
    """Cheapest feasible insertion of the jobs the old routes lost (highest priority first),
    so that a short search starts from a plan that already serves them. Each trial prices
    driving time (technician's hourly cost) plus ``move_cost`` for a job that changes
    technician; at most about ``budget`` route timings in all."""
    out = [list(k) for k in kept]
    cost = [(_timed(problem, s, out[v]) or 0) for v, s in enumerate(shifts)]
    trials = 0
    for job in sorted(orphans, key=lambda j: (j.priority, str(j.id))):
        best: tuple[float, int, int, int] | None = None
        for v in allowed.get(index_of[job.id], []):
            tech = shifts[v].tech
            was = moved_to.get(job.id)
            extra = move_cost if was is not None and was != tech.id else 0.0
            for pos in range(len(out[v]) + 1):
                trials += 1
                secs = _timed(problem, shifts[v], [*out[v][:pos], job, *out[v][pos:]])
                if secs is None:
                    continue
                delta = (secs - cost[v]) / 3600 * tech.cost_per_hour + extra
                if best is None or delta < best[0]:
                    best = (delta, v, pos, secs)
            if trials > budget:
                return out
        if best is not None:
            _d, v, pos, secs = best
            out[v].insert(pos, job)
            cost[v] = secs
    return out


def replan(problem: Problem, plan: Plan, now: int, positions: Iterable[Position] = (), *,
           move_cost: float = 500.0, time_tolerance_s: int = 1800, time_limit_s: float = 5.0,
           seed: int = 0) -> Plan:
    """Re-plan the rest of the day from ``now``; valid for :func:`replan_problem` of the same
    arguments (see the module docstring)."""
    import numpy as np
    from ortools.constraint_solver import (  # type: ignore[import-untyped]
        pywrapcp,
        routing_enums_pb2,
    )

    from optimizer.breaks import retime
    from optimizer.decode import decode_routes, dropped_jobs, open_breaks
    from optimizer.routing_model import build
    from optimizer.search import LIGHT_OPERATORS, text_format

    t0 = _time.monotonic()
    positions = list(positions)
    rest = replan_problem(problem, plan, now, positions)
    old_tech, old_start = _old_assignment(plan)
    shifts = shifts_of(rest)
    allowed, unassigned = analyse(rest, shifts) if shifts else ({}, [])
    if not shifts:
        unassigned = [capacity_reason(j) for j in rest.jobs]
    if not allowed:
        kpis = compute_kpis(rest, [], unassigned)
        return Plan((), tuple(unassigned), kpis, 0.0, {"status": "nothing_to_plan", "now": now})
    options = rest.options
    reserve = len(allowed) > options.exact_breaks_max_jobs and any(s.breaks for s in shifts)
    built = build(rest, shifts, allowed, seed, reserve_breaks=reserve)
    routing, manager, time = built.routing, built.manager, built.time
    node_of_job = {rest.jobs[ji].id: node for node, ji in built.job_of_node.items()}

    # Moves to another technician: on each technician's arc costs (driven by its own vehicle
    # profile), ``move_cost`` on every arc into a visit another technician had (one matrix per
    # technician).
    penalty = round(move_cost * SCALE)
    w = rest.weights
    cost_cb: dict[Id, int] = {}
    for v, s in enumerate(shifts):
        if s.tech.id not in cost_cb:
            metres, seconds = built.metres_seconds(v)
            km = w.travel * s.tech.cost_per_km * SCALE / 1000.0
            hr = w.travel * s.tech.cost_per_hour * SCALE / 3600.0
            cost = np.rint(np.asarray(metres, dtype=np.float64) * km
                           + np.asarray(seconds, dtype=np.float64) * hr).astype(np.int64)
            moved = [node for jid, node in node_of_job.items()
                     if old_tech.get(jid) not in (None, s.tech.id)]
            cost[:, moved] += penalty
            cost_cb[s.tech.id] = routing.RegisterTransitMatrix(cost.tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[s.tech.id], v)
    # Moves in time: earlier than before, or later beyond the tolerance: move_cost per hour.
    coef = per_second(move_cost)
    for jid, node in node_of_job.items():
        if jid not in old_start:
            continue
        idx = manager.NodeToIndex(node)
        s0 = old_start[jid]
        time.SetCumulVarSoftLowerBound(idx, s0, coef)
        job = rest.jobs[built.job_of_node[node]]
        upper, extra = s0 + time_tolerance_s, 0
        if job.sla_due is not None:
            extra = per_second(rest.weights.lateness_per_hour.get(job.priority, 0.0))
            upper = min(upper, job.sla_due)
        time.SetCumulVarSoftUpperBound(idx, upper, coef + extra)

    # The start: each route's old order, as far as it still fits.
    jobs_by_id = {j.id: j for j in rest.jobs}
    index_of = {j.id: i for i, j in enumerate(rest.jobs)}
    started = {p.current for p in positions if p.current is not None}
    kept_jobs: list[list[Job]] = []
    for v, s in enumerate(shifts):
        order = [jobs_by_id[x.ref] for r in plan.routes if r.technician_id == s.tech.id
                 for x in r.visits if x.kind == "job" and x.ref in jobs_by_id]
        if v != next(i for i, t in enumerate(shifts) if t.tech.id == s.tech.id):
            order = []  # later shifts of the same technician start empty
        order.sort(key=lambda j: (j.id not in started, 0))
        order = [j for j in order if v in allowed.get(index_of[j.id], [])]
        kept_jobs.append(_kept_sequence(rest, s, order))
    on_routes = {j.id for k in kept_jobs for j in k}
    orphans = [rest.jobs[ji] for ji in allowed if rest.jobs[ji].id not in on_routes]
    placed = _place_orphans(rest, shifts, kept_jobs, orphans, allowed, index_of, old_tech,
                            move_cost, budget=max(500, int(1000 * time_limit_s)))
    sequences = [[manager.NodeToIndex(node_of_job[j.id]) for j in k] for k in placed]
    kept_only = [[manager.NodeToIndex(node_of_job[j.id]) for j in k] for k in kept_jobs]
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    left = max(0.1, time_limit_s - (_time.monotonic() - t0))
    params.time_limit.FromMilliseconds(int(left * 1000))
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    if len(allowed) > options.light_operators_min_jobs:
        text_format.Merge(LIGHT_OPERATORS, params)
    routing.CloseModelWithParameters(params)
    initial = routing.ReadAssignmentFromRoutes(sequences, True)
    if initial is None:  # the greedy timing missed a rule the model has: the old routes only
        initial = routing.ReadAssignmentFromRoutes(kept_only, True)
    start_kind = "old_routes"
    assignment = None
    if initial is not None:
        assignment = routing.SolveFromAssignmentWithParameters(initial, params)
    if assignment is None:
        start_kind = "from_scratch"
        assignment = routing.SolveWithParameters(params)
    if assignment is None:
        unassigned += [capacity_reason(rest.jobs[ji]) for ji in built.job_of_node.values()]
        kpis = compute_kpis(rest, [], unassigned)
        return Plan((), tuple(unassigned), kpis, 0.0, {"status": "no_solution", "now": now})
    routes = decode_routes(rest, built, assignment)
    unassigned += dropped_jobs(rest, built, assignment, routes)
    if reserve or open_breaks(built, assignment):
        routes, late = retime(rest, shifts, routes)
        unassigned += late
    moved_tech, moved_time = moves(plan, routes, time_tolerance_s)
    kpis = compute_kpis(rest, routes, unassigned)
    stats = {
        "status": "solved", "now": now, "start": start_kind, "move_cost": move_cost,
        "time_tolerance_s": time_tolerance_s, "moved_technician": moved_tech,
        "moved_time": moved_time, "search_s": round(_time.monotonic() - t0, 3),
        "breaks": "reserved" if reserve else "intervals",
    }
    return Plan(tuple(routes), tuple(unassigned), kpis,
                to_currency(assignment.ObjectiveValue()), stats)


def moves(old: Plan, routes: Iterable[Route], tolerance_s: int) -> tuple[int, int]:
    """(visits now with another technician, visits kept but moved by more than the
    tolerance), counted over the jobs the old plan had assigned."""
    tech_of, start_of = _old_assignment(old)
    by_tech = time_ = 0
    for r in routes:
        for v in r.visits:
            if v.kind != "job" or v.ref not in tech_of:
                continue
            if tech_of[v.ref] != r.technician_id:
                by_tech += 1
            elif abs(v.start - start_of[v.ref]) > tolerance_s:
                time_ += 1
    return by_tech, time_
