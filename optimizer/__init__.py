"""FieldOps optimizer: technician routing and scheduling on OR-Tools (no Flask, no SQLAlchemy).

Contract (stable; ``app/dispatch`` converts rows to these dataclasses and back):

    solve(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan
    validate(problem: Problem, plan: Plan) -> list[Violation]       # never imports ortools
    insert(problem: Problem, plan: Plan, job: Job, now: int) -> Plan  # valid for with_job()
    with_job(problem: Problem, job: Job) -> Problem

Units: times are integer seconds since an origin the caller chooses (e.g. local midnight of
the first day, converted from UTC); distances are integer metres; money is in the caller's
currency (floats per km / per hour / per hour late; converted to integer units of 1/10 000).
IDs (technician, job, break, warehouse) are opaque strings or ints. ``time_limit_s`` is search
time; building the model comes on top (about 0.1 s for 100 jobs, 5-10 s for 600 jobs and 60
technicians with per-technician service times).

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
  bandit_operators=True, multi_start=True, portfolio=False)``. The default search is iterated
  local search: from the insertion start taken to a local optimum, strings of nearby visits
  are removed (SISR ruin), re-inserted by cheapest insertion in random order, improved by
  greedy descent and accepted by simulated annealing, until the time or solution limit. Any
  OR-Tools metaheuristic name (e.g. ``GUIDED_LOCAL_SEARCH``) selects that instead; then, up to
  200 jobs, two insertion starts (local and parallel cheapest insertion) are taken to a local
  optimum and the metaheuristic runs from the better one. From 150 jobs on, on days with
  several priorities or per-technician service times (breaks reserved, or none),
  iterated local search is replaced by the priority-first start of ``optimizer.construct``:
  jobs inserted P1 first (then fewest eligible routes, shortest service) at their cheapest
  feasible position, improved by ruin and recreate in Python for 85 % of the time limit (20
  rounds per solution of ``solution_limit``), then OR-Tools greedy descent; an oversubscribed
  day thus leaves the least urgent work undone (``stats["first_solution_strategy"]`` is
  ``"PRIORITY_START"``). Above 150 jobs breaks are reserved
  time during the search and placed afterwards (``optimizer.breaks``), because exact break
  intervals slow local search down ten-fold on a 600-job day.
- ``Problem(technicians, jobs, travel, weights, warehouses=(), allow_pickups=False, options)``.

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
