"""FieldOps optimizer: technician routing and scheduling on OR-Tools (no Flask, no SQLAlchemy).

Contract (stable; ``app/dispatch`` converts rows to these dataclasses and back):

    solve(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan
    validate(problem: Problem, plan: Plan) -> list[Violation]       # never imports ortools
    insert(problem: Problem, plan: Plan, job: Job, now: int) -> Plan  # valid for with_job()
    with_job(problem: Problem, job: Job) -> Problem

Units: times are integer seconds since an origin the caller chooses (e.g. local midnight of
the first day, converted from UTC); distances are integer metres; money is in the caller's
currency (floats per km / per hour / per hour late; converted to integer units of 1/10 000).
IDs (technician, job, break, warehouse) are opaque strings or ints. ``time_limit_s`` covers the
whole call, model build included (the search still gets at least 0.5 s to find a first plan
when the build alone used the limit); ``Plan.stats`` reports ``build_s``, ``search_s``,
``first_feasible_s`` (since the call) and the CPU seconds of build and search. The build takes
about 0.1 s for 100 jobs and 2 CPU s for 1,000 jobs and 100 technicians
(``benchmarks/scale.py``).

Inputs
- ``Point(lat, lng)``; ``TimeWindow(start, end)`` (closed).
- ``Technician(id, start, shifts, end=None, breaks=(), skills={skill: level 1..5},
  max_work_s=None, cost_per_km=0.5, cost_per_hour=30.0, van_stock={part: qty}, pins=(),
  start_location=None, end_location=None)``. Each shift is planned as its own route (a few
  days = a few shifts); ``max_work_s`` caps each route's span; ``pins`` are ``Pin(job_id,
  start=None)`` (locked to this technician; ``start`` also fixes the start time).
- ``Break(id, window, duration)``: must start inside ``window``; taken while waiting or between
  stops, never during a service.
- ``Job(id, location, duration, windows=(), skills={skill: min level}, priority=1..4,
  sla_due=None, parts={part: qty}, scale_duration_by_level=False, same_technician_as=None,
  not_before=None, location_index=None)``. Service must *start* inside a window (hard); the
  SLA is soft on the service start. ``same_technician_as`` means the same route (technician and
  shift); ``not_before`` means start after that job ends (if both are planned).
- ``Warehouse(id, location, stock, pickup_duration=600, hours=None)``: with
  ``Problem.allow_pickups`` the solver may add one pick-up visit per route, at the warehouse
  nearest to the route's start.
- ``TravelModel(road_factor=1.3, speed_kmh=40.0, distances=None, durations=None)``: haversine
  x road factor at a speed, or explicit matrices over location indexes.
- ``Weights``: drop penalty and lateness cost per priority, travel multiplier, balance cost
  per hour of the busiest route, fixed cost per route, service-time factor per skill surplus
  (see the class docstring for defaults and meaning).
- ``SolverOptions(first_solution="LOCAL_CHEAPEST_INSERTION",
  metaheuristic="ITERATED_LOCAL_SEARCH", solution_limit=None, log_search=False,
  parameters_text="", exact_breaks_max_jobs=150, light_operators_min_jobs=200,
  bandit_operators=True, multi_start=True, portfolio=False, fast_start_min_pairs=50_000)``.
  From ``fast_start_min_pairs`` (jobs x routes) on, the first plan is ``FAST_INSERTION``
  (``optimizer.start``: cheapest feasible insertion in the model's own terms, well under a
  second at 100 x 1,000 where OR-Tools' insertion starts take over 10 s), and the search
  runs from it. The default search is iterated
  local search: from the insertion start taken to a local optimum, strings of nearby visits
  are removed (SISR ruin), re-inserted by cheapest insertion in random order, improved by
  greedy descent and accepted by simulated annealing, until the time or solution limit. Any
  OR-Tools metaheuristic name (e.g. ``GUIDED_LOCAL_SEARCH``) selects that instead; then, up to
  200 jobs, two insertion starts (local and parallel cheapest insertion) are taken to a local
  optimum and the metaheuristic runs from the better one. Above 150 jobs breaks are reserved
  time during the search and placed afterwards (``optimizer.breaks``), because exact break
  intervals slow local search down ten-fold on a 600-job day.
- ``Problem(technicians, jobs, travel, weights, warehouses=(), allow_pickups=False, options)``.
- A working week is one call: each technician gets one shift per day (``Technician.shifts``)
  and its breaks per day (a break belongs to the shift its window starts in); every shift is
  its own route.

Outputs
- ``Plan(routes, unassigned, kpis, objective, stats)``; ``Route(technician_id, shift,
  start_time, end_time, visits, breaks, return_travel_s, return_travel_m)``; ``Visit(kind
  "job"|"pickup", ref, arrival, start, end, waiting, travel_s, travel_m, picked)``;
  ``ScheduledBreak(id, start, end)``.
- ``Unassigned(job_id, reason, detail)`` with reason one of ``missing_skill``,
  ``parts_unavailable``, ``no_reachable_window``, ``shift_too_short``, ``out_of_capacity``.
- KPIs: travel_km, travel_min, jobs_total, jobs_assigned, assigned_share, on_time_share,
  lateness_min, routes_used, unassigned_by_priority, utilisation (per technician shift).
- ``Violation(code, job_id, technician_id, detail)``; codes are listed in
  ``optimizer.validate``.

Objective (one integer sum, in the order of magnitude the defaults give): drop penalties
(P1 100 000 >> P4 1 000 per job, so serving always beats travel), then SLA lateness
(P1 400/h .. P4 15/h), then travel (cost per km and per driving hour of the technician), then
load balance (``balance_per_hour`` on the busiest route's travel + service time).

Parts: a job goes only to a route whose van stock covers its parts *cumulatively* along the
route (one OR-Tools dimension per part whose total demand exceeds some van's stock), unless a
warehouse pick-up visit (optional node whose slack refills the van) is added by the solver.
"""

from optimizer.insert import insert, with_job
from optimizer.model import (
    Break,
    Id,
    Job,
    Pin,
    Plan,
    Point,
    Problem,
    Route,
    ScheduledBreak,
    SolverOptions,
    Technician,
    TimeWindow,
    TravelModel,
    Unassigned,
    Violation,
    Visit,
    Warehouse,
    Weights,
)
from optimizer.validate import validate


def solve(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan:
    """Plan ``problem`` in about ``time_limit_s`` seconds of search (see module docstring).

    OR-Tools is imported here, on first use, so that ``validate``/``insert`` users (and the
    web app at start-up) do not pay for it.
    """
    from optimizer.search import solve_problem

    return solve_problem(problem, time_limit_s, seed=seed)


__all__ = [
    "Break", "Id", "Job", "Pin", "Plan", "Point", "Problem", "Route", "ScheduledBreak",
    "SolverOptions", "Technician", "TimeWindow", "TravelModel", "Unassigned", "Violation",
    "Visit", "Warehouse", "Weights", "insert", "solve", "validate", "with_job",
]
