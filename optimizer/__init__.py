"""FieldOps optimizer: technician routing and scheduling on OR-Tools (no Flask, no SQLAlchemy).

Contract (stable; ``app/dispatch`` converts rows to these dataclasses and back):

    solve(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan
    validate(problem: Problem, plan: Plan) -> list[Violation]       # never imports ortools
    insert(problem: Problem, plan: Plan, job: Job, now: int) -> Plan  # valid for with_job()
    with_job(problem: Problem, job: Job) -> Problem
    replan(problem, plan, now, positions, *, move_cost=500.0, time_tolerance_s=1800,
           time_limit_s=5.0, seed=0) -> Plan   # valid for replan_problem(same arguments)
    replan_problem(problem, plan, now, positions) -> Problem

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
  start_location=None, end_location=None, cost_per_working_hour=0.0, tools=frozenset(),
  profile=None)``.
  ``cost_per_km``/``cost_per_hour`` price driving; ``cost_per_working_hour`` prices each
  route's span, departure to return (travel + service + waiting + breaks on the way). Each
  shift is planned as its own route (a few days = a few shifts); ``max_work_s`` caps each
  route's span; ``pins`` are ``Pin(job_id, start=None)`` (locked to this technician;
  ``start`` also fixes the start time).
- ``Break(id, window, duration)``: taken wholly inside ``window`` (start and end; a break
  longer than its window is a ``ValueError``); taken while waiting or between stops, never
  during a service.
- ``Job(id, location, duration, windows=(), skills={skill: min level}, priority=1..4,
  sla_due=None, parts={part: qty}, scale_duration_by_level=False, same_technician_as=None,
  not_before=None, location_index=None, value=None, must_serve=False, tools=frozenset())``.
  ``value``: the drop penalty (default ``Weights.drop_penalty[priority]``); ``must_serve``:
  priced 1000 x the largest job value, so it is left out only when it cannot be served; then
  its ``Unassigned`` detail starts "must be served, but:", ``Plan.stats["must_serve_unserved"]``
  lists it with its reason, and ``validate`` reports ``must_serve``. ``tools``: see Tools.
  Service must *start* inside a window (hard); the SLA is soft on the service start.
  ``same_technician_as`` means the same route (technician and shift); ``not_before`` means
  start after that job ends (if both are planned).
- ``Warehouse(id, location, stock, pickup_duration=600, hours=None, location_index=None,
  tools=frozenset())``: with ``Problem.allow_pickups`` a route may stop at any warehouse, any
  number of times (restocking), to pick up parts it stocks and fetch tools it has; the whole
  pick-up lies within ``hours``; all pick-ups at a warehouse together take at most its stock.
  Each visit costs its duration at the technician's driving rate. ``Visit.picked`` /
  ``Visit.tools`` say what was taken (parts: as much as the rest of the route needs).
- Tools: ``Technician.tools`` and ``Job.tools`` are reusable (never used up); a job needing a
  tool the van lacks is possible only when the route visits a warehouse with it before the job.
- ``TravelModel(road_factor=1.3, speed_kmh=40.0, distances=None, durations=None,
  distance_scale=1.0, duration_scale=1.0, profiles={})``: haversine x road factor at a speed,
  or explicit matrices over location indexes (entries may be floats in any unit: x scale,
  rounded inside; lists or arrays accepted). With a matrix, a place is named by its
  ``location_index``/``start_location``/``end_location`` or directly by an ``int`` as
  ``location``/``start``/``end`` (no dummy points). ``profiles`` are vehicle profiles (car,
  van, bike, walking: a speed or a matrix each; a matrix profile may give durations only)
  selected by ``Technician.profile``; every leg of that technician's routes uses it.
- ``Weights``: drop penalty and lateness cost per priority, travel multiplier, balance cost
  per hour of the busiest route, fixed cost per route, service-time factor per skill surplus
  (see the class docstring for defaults and meaning).
- ``SolverOptions(first_solution="LOCAL_CHEAPEST_INSERTION",
  metaheuristic="ITERATED_LOCAL_SEARCH", solution_limit=None, log_search=False,
  parameters_text="", exact_breaks_max_jobs=150, light_operators_min_jobs=200,
  bandit_operators=True, multi_start=True, portfolio=False, pickups_per_warehouse=None,
  fast_start_min_pairs=50_000)`` (``pickups_per_warehouse``: optional pick-up nodes per
  warehouse, shared by all routes; default one per job that may need a pick-up, at most two
  per route). The default search is
  iterated local search: from the insertion start taken to a local optimum, strings of nearby visits
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
  ``"PRIORITY_START"``). Its insertion brings a job needing a part or tool its route cannot
  supply in together with a pick-up (the cheapest free copy at a warehouse that has it, before
  the job, within opening hours): OR-Tools inserts one node at a time, never a pick-up (worth
  nothing alone) with its job. So below 150 jobs too, a problem with pick-up nodes and
  iterated local search starts from it (``"PICKUP_START"``: its ruin and recreate for half
  the time, then greedy descent from it, then rounds of that ruin and recreate from the best
  plan and greedy descent until the time is up, since OR-Tools' iterated local search cannot
  start from a given plan; with ``solution_limit``, guided local search after the start).
  Where that does not apply (one priority and one service profile, another metaheuristic,
  exact break intervals) and the problem has at least ``fast_start_min_pairs`` (jobs x
  routes) pairs, the first plan is ``FAST_INSERTION``
  (``optimizer.start``: cheapest feasible insertion in the model's own terms, well under a
  second at 100 x 1,000 where OR-Tools' insertion starts take over 10 s; a route short of
  parts or lacking a tool may add one pick-up at a warehouse that has them), and the
  configured search runs from it. Above 150 jobs breaks are
  reserved time during the search and placed afterwards (``optimizer.breaks``), because exact break
  intervals slow local search down ten-fold on a 600-job day.
- ``Problem(technicians, jobs, travel, weights, warehouses=(), allow_pickups=False, options)``.
- A working week is one call: each technician gets one shift per day (``Technician.shifts``)
  and its breaks per day (a break belongs to the shift its window starts in); every shift is
  its own route.

Outputs
- ``Plan(routes, unassigned, kpis, objective, stats)``; ``Route(technician_id, shift,
  start_time, end_time, visits, breaks, return_travel_s, return_travel_m)``; ``Visit(kind
  "job"|"pickup", ref, arrival, start, end, waiting, travel_s, travel_m, picked, tools)``;
  ``ScheduledBreak(id, start, end)``.
- ``Unassigned(job_id, reason, detail)`` with reason one of ``missing_skill``,
  ``parts_unavailable``, ``tools_unavailable``, ``no_reachable_window``, ``shift_too_short``,
  ``out_of_capacity``, ``invalid_link``.
- KPIs: travel_km, travel_min, jobs_total, jobs_assigned, assigned_share, on_time_share,
  lateness_min, routes_used, unassigned_by_priority, utilisation (per technician shift),
  working_min (sum of route spans), cost (currency by component: travel, working_time,
  lateness, unassigned, fixed, total; recomputed from the routes by
  ``optimizer.kpis.plan_costs``).
- ``Plan.stats``: ``status`` and search figures; ``must_serve_unserved`` (see ``Job``).
- ``Violation(code, job_id, technician_id, detail)``; codes are listed in
  ``optimizer.validate`` (e.g. ``tools``, ``pickup`` for a pick-up outside opening hours or
  over the warehouse's stock, ``break`` for a break not wholly in its window, ``must_serve``).

Re-plan from now (``optimizer.replan``): ``Position(technician_id, location=None,
location_index=None, available=True, current=None, current_state="on_site"|"en_route",
current_start=None, done=())`` says where each technician is at ``now``. The rest of the day
is re-planned from there: finished jobs leave, started visits (on site / en route) stay with
their technician, locked visits (pins) stay locked, nothing new starts before ``now``, an
unavailable technician's jobs move; the search starts from the old routes and pays
``move_cost`` per visit moved to another technician and ``move_cost`` per hour a kept visit
starts earlier than before or later than before + ``time_tolerance_s``. ``stats`` counts
``moved_technician`` / ``moved_time``.

Several cores: ``SolverOptions.parallel_searches = N`` runs N independent searches (seeds
``seed`` .. ``seed + N - 1``) in N processes until the same deadline and keeps the plan with the
lowest objective; ``stats["parallel"]`` lists each search's objective and their CPU seconds
(``optimizer.parallel``).

Larger than one machine (``optimizer.territory``, imported explicitly): ``split(problem,
parts, *, territory_of=None) -> [Part(key, problem)]`` (by territory key or k-means on the
technicians' starts), ``merge(problem, plans) -> Plan`` and ``repair(problem, plan, *,
parts=(), neighbours=12) -> Plan`` (border jobs inserted on other parts' nearest routes);
the result is valid for the whole problem.

Objective (one integer sum, in the order of magnitude the defaults give): drop penalties
(``Job.value`` or P1 100 000 >> P4 1 000 per job, so serving always beats travel; must-serve
jobs 1000 x the largest), then SLA lateness
(P1 400/h .. P4 15/h), then travel (cost per km and per driving hour of the technician) and
working time (cost per working hour x route span, a span cost on the time dimension) and
pick-up time, then load balance (``balance_per_hour`` on the busiest route's travel + service time).

Parts: a job goes only to a route whose van stock covers its parts *cumulatively* along the
route (one OR-Tools dimension per part whose total demand exceeds some van's stock), plus what
the route's warehouse pick-ups (optional nodes whose slack refills the van) give it. Tools:
one dimension per tool some job needs and some allowed van lacks, counting the tool's sources
(van, warehouse visits) along the route.
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
from optimizer.replan import Position, replan, replan_problem
from optimizer.validate import validate


def solve(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan:
    """Plan ``problem`` in about ``time_limit_s`` seconds of search (see module docstring).

    OR-Tools is imported here, on first use, so that ``validate``/``insert`` users (and the
    web app at start-up) do not pay for it.
    """
    from optimizer.decode import mark_must_serve

    if problem.options.parallel_searches > 1:
        from optimizer.parallel import solve_parallel

        return mark_must_serve(problem, solve_parallel(problem, time_limit_s, seed))
    from optimizer.search import solve_problem

    return mark_must_serve(problem, solve_problem(problem, time_limit_s, seed=seed))


__all__ = [
    "Break",
    "Id",
    "Job",
    "Pin",
    "Plan",
    "Point",
    "Position",
    "Problem",
    "Route",
    "ScheduledBreak",
    "SolverOptions",
    "Technician",
    "TimeWindow",
    "TravelModel",
    "Unassigned",
    "Violation",
    "Visit",
    "Warehouse",
    "Weights",
    "insert",
    "replan",
    "replan_problem",
    "solve",
    "validate",
    "with_job",
]
