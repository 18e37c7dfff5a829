"""The OR-Tools search behind ``optimizer.solve``: eligibility, model build, search, decode."""

from __future__ import annotations

import time as _time
from typing import Any

from google.protobuf import text_format  # type: ignore[import-untyped]
from ortools.constraint_solver import pywrapcp, routing_enums_pb2  # type: ignore[import-untyped]

from optimizer import sisr
from optimizer import start as fast_start
from optimizer.breaks import retime
from optimizer.construct import construct
from optimizer.costs import drop_units, to_currency, top_value
from optimizer.decode import decode_routes, dropped_jobs, open_breaks
from optimizer.eligibility import analyse, capacity_reason, shifts_of
from optimizer.kpis import compute_kpis
from optimizer.model import Plan, Problem, Route, SolverOptions, Unassigned
from optimizer.routing_model import Built, build

# Tried in order when a start strategy yields nothing (insertion starts cope with tight
# windows where PATH_CHEAPEST_ARC does not, e.g. Solomon R101 / RC101).
FALLBACK_STARTS = ("LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION", "SAVINGS")
# SAVINGS often gives the best local optimum but a worse end result after GLS (Solomon R2).
MULTI_STARTS = ("LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION")


# Insertion-based LNS operators that each take seconds on a 600-job day (measured: the
# objective stalls for 30 s with them, improves by 15 % without them).
LIGHT_OPERATORS = """local_search_operators {
  use_global_cheapest_insertion_path_lns: BOOL_FALSE
  use_local_cheapest_insertion_path_lns: BOOL_FALSE
  use_relocate_path_global_cheapest_insertion_insert_unperformed: BOOL_FALSE
  use_global_cheapest_insertion_visit_types_lns: BOOL_FALSE
  use_local_cheapest_insertion_visit_types_lns: BOOL_FALSE
}"""


# Iterated local search (``SolverOptions.metaheuristic = "ITERATED_LOCAL_SEARCH"``): OR-Tools'
# ruin and recreate with SISR string removals (Christiaens & Vanden Berghe, 2020), nodes
# re-inserted by cheapest insertion in random order, each neighbour taken to a local optimum
# by greedy descent and accepted by simulated annealing. Measured on 12 Solomon instances at
# 10 s: mean gap +1.0 % against +2.7 % for guided local search (benchmarks/README.md). The
# insertion LNS operators are off: ruin and recreate does their work, faster.
ILS = "ITERATED_LOCAL_SEARCH"
ILS_PARAMETERS = """use_iterated_local_search: true
local_search_metaheuristic: GREEDY_DESCENT
iterated_local_search_parameters {
  perturbation_strategy: RUIN_AND_RECREATE
  ruin_recreate_parameters {
    ruin_strategies {
      sisr { max_removed_sequence_size: 10 avg_num_removed_visits: 10 bypass_factor: 0.01 }
    }
    recreate_strategy {
      heuristic: LOCAL_CHEAPEST_INSERTION
      parameters {
        local_cheapest_insertion { insertion_sorting_properties: SORTING_PROPERTY_RANDOM }
      }
    }
  }
  improve_perturbed_solution: true
  reference_solution_acceptance_strategy {
    simulated_annealing { cooling_schedule_strategy: EXPONENTIAL automatic_temperatures: true }
  }
  best_solution_acceptance_strategy { greedy_descent {} }
}
""" + LIGHT_OPERATORS


# On that path (OR-Tools' own start, then iterated local search) the SISR ruin removes more:
# this share of the jobs on average, at least the 10 above and at most ILS_RUIN_MAX_VISITS, in
# sequences of up to ILS_RUIN_MAX_SEQUENCE; and the removed jobs go back in the order of
# ILS_RECREATE_ORDER (those far from the technicians' starts and ends first, one of the orders
# of the SISR paper) instead of a random one. Measured on 15 Solomon instances at 3 s, paired
# runs on the same seed (benchmarks/README.md): 30 / 15 against 10 / 10, -0.7 % distance (45
# pairs; 5 / 5: +1.0 %, 15 / 10 and 20 / 15: +-0.1 %); then far-first against random, -0.45 %
# (45 pairs); on six Gehring-Homberger 200 instances at 10 s, -1.6 % and -0.4 %.
ILS_RUIN_SHARE = 0.3
ILS_RUIN_MAX_VISITS = 30
ILS_RUIN_MAX_SEQUENCE = 15
ILS_RECREATE_ORDER = "SORTING_PROPERTY_HIGHEST_AVG_ARC_COST_TO_VEHICLE_START_ENDS"


def _ils_perturbation(params: object, jobs: int) -> None:
    """Set the ruin and recreate of ``ILS_PARAMETERS`` in ``params`` as above for ``jobs``."""
    ils = params.iterated_local_search_parameters  # type: ignore[attr-defined]
    sisr = ils.ruin_recreate_parameters.ruin_strategies[0].sisr
    sisr.avg_num_removed_visits = max(
        sisr.avg_num_removed_visits, min(ILS_RUIN_MAX_VISITS, round(ILS_RUIN_SHARE * jobs)))
    sisr.max_removed_sequence_size = max(sisr.max_removed_sequence_size, ILS_RUIN_MAX_SEQUENCE)
    order = ils.ruin_recreate_parameters.recreate_strategy.parameters.local_cheapest_insertion
    del order.insertion_sorting_properties[:]
    order.insertion_sorting_properties.append(
        order.InsertionSortingProperty.Value(ILS_RECREATE_ORDER))


# From this many jobs on (with breaks reserved, or none; on days with several priorities or
# per-technician service times, not on plain VRPTW such as Solomon or Gehring-Homberger, whose
# vehicle capacity is a part), the search starts from
# the priority-first insertion of optimizer.construct (seconds faster than OR-Tools' own
# insertion on a 300-job day), improved by its ruin and recreate for this share of the time
# limit (or this many rounds per solution of ``solution_limit``), then greedy descent.
PRIORITY_START_MIN_JOBS = 150
# Re-measured after the ruin and recreate got faster (30 Nov, city days at 10 s, solver seeds
# 0-2, mean lost weight / travel min, 0.85 -> 0.97): 40 x 300 1,400 / 3,858 -> 1,400 / 3,770;
# 60 x 350 440 / 4,237 -> 440 / 4,173; 60 x 600 7,077 / 5,806 -> 7,000 / 5,675; 100 x 1,000
# (HUGE_RECREATE_SHARE) 10,900 / 9,090 -> 10,710 / 9,022. The descent after it improved the
# objective by about one part in 100,000 on these days (60 x 600, 10 s: 609,701 -> 609,695).
PRIORITY_START_SHARE = 0.97
PRIORITY_START_ROUNDS_PER_SOLUTION = 20
# Below that size, a problem with optional pick-up nodes starts from the same insertion (which
# brings a job's pick-up in with it; OR-Tools' starts and its ruin and recreate insert one node
# at a time, never a pick-up worth nothing alone together with its job, and left such jobs out),
# with its ruin and recreate for this share of the time, then guided local search from it
# (OR-Tools' iterated local search cannot start from a given plan). Measured on six Pillac
# TRSP instances at 10 s (benchmarks/trsp.py, all feasible in each variant), mean working
# time vs published: share 0.1 +13.6 %, 0.3 +10.5 %, 0.5 +11.4 %, 0.85 then greedy descent
# +11.5 %; OR-Tools' own start and iterated local search: +17.0 % at 20 s on all 56, 39
# feasible.
PICKUP_START_SHARE = 0.5
PICKUP_FOLLOW = "GUIDED_LOCAL_SEARCH"
# With a time limit (no ``solution_limit``), greedy descent instead, then rounds until the
# time is up: that ruin and recreate again from the best plan (``construct(routes=...)``) for
# this share of the time, and greedy descent from its result. Guided local search found
# nothing after its first local optimum (about 1 s on a TRSP instance: each of its moves
# scanned ~70,000 neighbours over the shared pick-up copies, nearly all filtered out), while
# the descent from a ruin-and-recreate plan cut up to 20 % off it. TRSP at 10 s, 5 + 5
# instances back to back, mean working time vs published: +9.31 / +8.75 % -> +7.36 /
# +6.16 % (9 of 10 instances better, all feasible).
PICKUP_ROUND_SHARE = 0.15
# On a day large enough for the fast start (``optimizer.start``) with the priority start's
# conditions (PRIORITY_START_MIN_JOBS, mixed priorities or service times), this share of the
# time left after the fast plan goes to ``optimizer.construct``'s ruin and recreate from that
# plan, then greedy descent; before, OR-Tools' iterated local search ran from the fast plan and
# barely moved on 1,000 jobs. 100 x 1,000 city day (benchmarks/city_day.py, seed 1), lost
# priority weight / jobs assigned / travel min: 10 s 15,160 / 651 / 10,121 -> 11,500 / 693 /
# 9,728; 30 s 14,680 / 658 / 9,667 -> 10,650 / 712 / 9,254 (share 0.6: 10,920; 0.95: 10,660;
# 0.85 then, 0.97 since: see PRIORITY_START_SHARE).
HUGE_RECREATE_SHARE = 0.97
PICKUP_ROUNDS = True


def _priority_start(
    problem: Problem, built: Built, seconds: float, iterations: int | None, seed: int,
    route_scale: bool = False, first: list[tuple[float, float]] | None = None,
) -> object | None:
    """The priority-first routes of ``optimizer.construct`` (improved by its ruin and recreate
    for ``seconds`` or ``iterations`` rounds) as an assignment; None if OR-Tools cannot
    restore them (e.g. with exact break intervals). ``first`` receives the time of its first
    plan (see ``construct``)."""
    return _assignment(built, construct(problem, built, seconds=seconds, iterations=iterations,
                                        seed=seed, route_scale=route_scale, first=first))


def _assignment(built: Built, routes: list[list[int]]) -> Any:
    """OR-Tools' assignment of ``routes`` (job and pick-up nodes per route); None if it
    breaks the model."""
    return built.routing.ReadAssignmentFromRoutes(
        [[built.manager.NodeToIndex(n) for n in r] for r in routes], True)


def _node_routes(built: Built, assignment: object) -> list[list[int]]:
    """Per route, the nodes ``assignment`` visits in order (starts and ends left out)."""
    routing, manager = built.routing, built.manager
    out: list[list[int]] = []
    for v in range(len(built.shifts)):
        seq: list[int] = []
        idx = assignment.Value(routing.NextVar(routing.Start(v)))  # type: ignore[attr-defined]
        while not routing.IsEnd(idx):
            seq.append(manager.IndexToNode(idx))
            idx = assignment.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
        out.append(seq)
    return out


def _retimed(
    problem: Problem, built: Built, assignment: object,
) -> tuple[list[Route], list[Unassigned], int]:
    """The assignment's routes with their reserved breaks placed (``optimizer.breaks``), the
    jobs that re-timing drops, and the objective with those jobs' drop penalties added."""
    routes, late = retime(problem, built.shifts, decode_routes(problem, built, assignment))
    jobs = {j.id: j for j in problem.jobs}
    top = top_value(problem.weights, problem.jobs)
    cost = assignment.ObjectiveValue() + sum(  # type: ignore[attr-defined]
        drop_units(problem.weights, jobs[u.job_id], top) for u in late)
    return routes, late, cost


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def search_parameters(
    options: SolverOptions, first: str, time_limit_s: float, *, ils_jobs: int | None = None,
) -> object:
    """OR-Tools' search parameters; ``ils_jobs``: the plain ILS path's ruin and recreate for
    that many jobs (``_ils_perturbation``), before ``options.parameters_text``."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    fss = routing_enums_pb2.FirstSolutionStrategy
    lsm = routing_enums_pb2.LocalSearchMetaheuristic
    params.first_solution_strategy = fss.Value.Value(first)
    if options.metaheuristic == ILS:
        text_format.Merge(ILS_PARAMETERS, params)
        if ils_jobs is not None:
            _ils_perturbation(params, ils_jobs)
    else:
        params.local_search_metaheuristic = lsm.Value.Value(options.metaheuristic)
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    params.log_search = options.log_search
    params.use_multi_armed_bandit_concatenate_operators = options.bandit_operators
    if options.parameters_text:
        text_format.Merge(options.parameters_text, params)
    return params


# With ``solution_limit`` the compiled search (optimizer.sisr) makes this many ruin and
# recreate rounds per solution asked for.
SISR_ITERATIONS_PER_SOLUTION = 200
# The share of the time left for OR-Tools' greedy descent (2-opt, or-opt, exchanges, cross
# moves) from the compiled search's plan; it ends at its local optimum, in 20-30 ms on a
# Gehring-Homberger 200 instance, shortening the plan by 0.03-0.07 % (r1_2_1, rc2_2_1 at 5 s).
SISR_POLISH_SHARE = 0.02


# The search gets at least this long even when the model build used up ``time_limit_s``
# (OR-Tools returns nothing without a first solution).
MIN_SEARCH_S = 0.5


def solve_problem(problem: Problem, time_limit_s: float, *, seed: int = 0) -> Plan:
    """Plan the problem within ``time_limit_s`` seconds from the call, model build included
    (the search gets at least ``MIN_SEARCH_S``).

    ``seed`` permutes the order in which jobs enter the model, which changes the search path;
    the same seed and ``options.solution_limit`` give the same plan on any machine.
    """
    t0 = _time.monotonic()
    c0 = _time.process_time()
    shifts = shifts_of(problem)
    allowed, unassigned = analyse(problem, shifts) if shifts else ({}, [])
    if not shifts:
        unassigned = [capacity_reason(j) for j in problem.jobs]
    if not allowed:
        kpis = compute_kpis(problem, [], unassigned)
        return Plan((), tuple(unassigned), kpis, 0.0, {"status": "nothing_to_plan"})
    options = problem.options
    reserve = len(allowed) > options.exact_breaks_max_jobs and any(s.breaks for s in shifts)
    # the compiled search's matrices only where it may run (optimizer.sisr.plain rules out
    # breaks; up to 100 MB of time matrices on a large day otherwise)
    keep = (options.compiled_search and options.metaheuristic == ILS
            and not any(s.breaks for s in shifts))
    built = build(problem, shifts, allowed, seed, reserve_breaks=reserve, keep_matrices=keep)
    t_built = _time.monotonic()
    c_built = _time.process_time()
    search_s = max(MIN_SEARCH_S, time_limit_s - (t_built - t0))
    trace: list[tuple[float, float]] = []
    first_cpu: list[float] = []
    routing = built.routing

    def on_solution() -> None:
        cost = routing.CostVar().Max()
        if not first_cpu:
            first_cpu.append(_time.process_time() - c0)
        if not trace or cost < trace[-1][1]:
            trace.append((round(_time.monotonic() - t_built, 3), cost))

    routing.AddAtSolutionCallback(on_solution)
    light = len(allowed) > options.light_operators_min_jobs

    def params_for(first: str, limit_s: float, metaheuristic: str | None = None) -> object:
        p = search_parameters(options, first, limit_s)
        if metaheuristic is not None:
            p.local_search_metaheuristic = (  # type: ignore[attr-defined]
                routing_enums_pb2.LocalSearchMetaheuristic.Value.Value(metaheuristic))
        if light:
            text_format.Merge(LIGHT_OPERATORS, p)
        return p

    assignment: object = None
    used = options.first_solution
    multi = (options.multi_start and options.solution_limit is None and not light)
    start = None
    mixed = (len({problem.jobs[ji].priority for ji in allowed}) > 1
             or len({tuple(v) for v in built.service}) > 1)
    # Which start (one of three):
    # 1. FAST_INSERTION (optimizer.start) from ``SolverOptions.fast_start_min_pairs`` (jobs x
    #    routes) on: OR-Tools' insertion starts take over 10 s there, and the priority-first
    #    start below, measured on the 100 x 1,000 city day at 20 s (benchmarks/scale.py),
    #    found its first plan at 16 CPU s from the call, final objective 78,670 (985 jobs
    #    served), where this start had one at 5.7 CPU s, final 42,184 (997). It inserts by value
    #    too (pins, must-serve, then priority or ``Job.value``): urgent work still goes first.
    # 2. PRIORITY_START (optimizer.construct) below that size, on big days
    #    (PRIORITY_START_MIN_JOBS) with mixed priorities or per-technician service times, under
    #    iterated local search: P1 work first, then its own ruin and recreate for a share of
    #    the time, then greedy descent. Smaller problems with pick-up nodes start from it too
    #    (PICKUP_START, see PICKUP_START_SHARE), then guided local search.
    #    On such days the fast start's plan then goes through the same ruin and recreate
    #    (HUGE_RECREATE_SHARE) before greedy descent.
    # 3. Otherwise, under iterated local search on a plain day (optimizer.sisr.plain: no
    #    breaks, pick-ups, linked jobs, SLA or working-time costs, load balance, one window
    #    per job), the compiled ruin and recreate of optimizer.sisr from an empty plan, then
    #    OR-Tools' greedy descent from its plan. Solomon 56 at 10 s, ours/VROOM: OR-Tools'
    #    iterated local search 0.9949-0.9965, this search 0.9858 (benchmarks/README.md).
    # 4. Otherwise (or when 2.'s routes cannot be restored) OR-Tools' own starts.
    # Each counts its time from ``search_s``, what ``time_limit_s`` leaves after the build.
    huge = fast_start.wanted(problem, built)
    # Why the compiled search (optimizer.sisr) does not plan this day; None: it may.
    why_not = ("switched off" if not options.compiled_search
               else sisr.plain(problem, built, reserve))
    sisr_stats: dict[str, float] = {}
    first_plan: list[tuple[float, float]] = []
    rounds = (None if options.solution_limit is None
              else PRIORITY_START_ROUNDS_PER_SOLUTION * options.solution_limit)
    follow, start_name = "GREEDY_DESCENT", "PRIORITY_START"
    priority_day = (len(allowed) >= PRIORITY_START_MIN_JOBS and mixed
                    and (reserve or not any(s.breaks for s in shifts)))
    if not huge and options.metaheuristic == ILS and priority_day:
        # Large days: OR-Tools' own insertion start is too slow (see optimizer.construct);
        # the priority-first start and its ruin and recreate take a share of the time, then
        # OR-Tools' local search improves the result for the rest.
        start = _priority_start(problem, built, PRIORITY_START_SHARE * search_s, rounds, seed,
                                first=first_plan)
    elif not huge and options.metaheuristic == ILS and built.pickup_of_node:
        # Jobs needing a pick-up: see PICKUP_START_SHARE. The routes ignore exact break
        # intervals; when OR-Tools cannot place the breaks in them, its own start is used.
        follow, start_name = PICKUP_FOLLOW, "PICKUP_START"
        start = _priority_start(problem, built, PICKUP_START_SHARE * search_s, rounds, seed,
                                route_scale=True, first=first_plan)
    if start is not None:
        if first_plan:  # the insertion's own plan, before its ruin and recreate (its cost
            # is the insertion's own reckoning, not the model's: not in the trace)
            first_cpu.append(first_plan[0][1] - c0)
        trace.append((round(_time.monotonic() - t_built, 3), start.ObjectiveValue()))  # type: ignore[attr-defined]
        first_cpu.append(_time.process_time() - c0)
        left = max(0.1, search_s - (_time.monotonic() - t_built))
        again = (start_name == "PICKUP_START" and PICKUP_ROUNDS
                 and options.solution_limit is None)
        p = params_for(options.first_solution, left, "GREEDY_DESCENT" if again else follow)
        p.use_iterated_local_search = False  # type: ignore[attr-defined]
        assignment = routing.SolveFromAssignmentWithParameters(start, p) or start
        used = start_name
        k = 0
        while again and search_s - (_time.monotonic() - t_built) > MIN_SEARCH_S:
            k += 1
            left = search_s - (_time.monotonic() - t_built)
            rebuilt = construct(problem, built, seconds=min(left - MIN_SEARCH_S / 2,
                                                            PICKUP_ROUND_SHARE * search_s),
                                seed=seed + k, routes=_node_routes(built, assignment),
                                route_scale=True)
            nxt = _assignment(built, rebuilt)
            if nxt is None:
                break
            left = max(0.1, search_s - (_time.monotonic() - t_built))
            p.time_limit.FromMilliseconds(max(1, int(left * 1000)))  # type: ignore[attr-defined]
            nxt = routing.SolveFromAssignmentWithParameters(nxt, p) or nxt
            if nxt.ObjectiveValue() < assignment.ObjectiveValue():  # type: ignore[attr-defined,union-attr]
                assignment = nxt
    elif huge:
        # A large problem: the first plan comes from optimizer.start (OR-Tools' insertion
        # starts take seconds there), then the configured search runs from it.
        used, multi = "FAST_INSERTION", False
        p = (search_parameters(options, options.first_solution, search_s)
             if options.metaheuristic == ILS else params_for(options.first_solution, search_s))
        # Reading the routes runs under the search's time limit, counted from the close: on a
        # busy machine a week's routes were refused for want of time, not for a broken rule.
        p.time_limit.FromSeconds(24 * 3600)  # type: ignore[attr-defined]
        routing.CloseModelWithParameters(p)
        fast = routing.ReadAssignmentFromRoutes(fast_start.fast_routes(problem, built), True)
        if fast is not None:
            trace.append((round(_time.monotonic() - t_built, 3), fast.ObjectiveValue()))
            first_cpu.append(_time.process_time() - c0)
            left = max(0.1, search_s - (_time.monotonic() - t_built))
            if options.metaheuristic == ILS and priority_day:
                # The ruin and recreate of the priority start, from the fast plan (see
                # HUGE_RECREATE_SHARE), then greedy descent.
                rebuilt = construct(problem, built, seconds=HUGE_RECREATE_SHARE * left,
                                    iterations=rounds, seed=seed,
                                    routes=_node_routes(built, fast))
                better = _assignment(built, rebuilt)
                if better is not None:
                    fast = start = better
                    trace.append((round(_time.monotonic() - t_built, 3),
                                  better.ObjectiveValue()))
                    left = max(0.1, search_s - (_time.monotonic() - t_built))
                    p = params_for(options.first_solution, left, "GREEDY_DESCENT")
                    p.use_iterated_local_search = False  # type: ignore[attr-defined]
            p.time_limit.FromMilliseconds(max(1, int(left * 1000)))  # type: ignore[attr-defined]
            assignment = routing.SolveFromAssignmentWithParameters(fast, p) or fast
    elif options.metaheuristic == ILS and why_not is None:
        # A plain day: the compiled ruin and recreate (optimizer.sisr) from an empty plan
        # for all but SISR_POLISH_SHARE of the time (or SISR_ITERATIONS_PER_SOLUTION rounds
        # per solution of ``solution_limit``); OR-Tools restores its plan and descends.
        iterations = (None if options.solution_limit is None
                      else SISR_ITERATIONS_PER_SOLUTION * options.solution_limit)
        left = max(0.1, search_s - (_time.monotonic() - t_built))
        node_routes, sisr_stats = sisr.search(built, (1 - SISR_POLISH_SHARE) * left, iterations,
                                              seed)
        used = "SISR"
        first_cpu.append(sisr_stats["first_cpu"] - c0)
        first_plan.append((sisr_stats["first_at"], sisr_stats["first_cpu"]))
        p = params_for(options.first_solution, 24 * 3600.0, "GREEDY_DESCENT")
        p.use_iterated_local_search = False  # type: ignore[attr-defined]
        routing.CloseModelWithParameters(p)
        assignment = _assignment(built, node_routes)
        if assignment is None:  # never seen; OR-Tools' own starts below then
            why_not = "its plan was refused by the model"
        else:
            trace.append((round(_time.monotonic() - t_built, 3),
                          assignment.ObjectiveValue()))  # type: ignore[attr-defined]
            if SISR_POLISH_SHARE > 0:
                left = max(0.05, search_s - (_time.monotonic() - t_built))
                if options.solution_limit is not None:  # the same plan on any machine
                    left = max(left, search_s)
                    p.solution_limit = 2**62  # type: ignore[attr-defined]
                p.time_limit.FromMilliseconds(max(1, int(left * 1000)))  # type: ignore[attr-defined]
                assignment = routing.SolveFromAssignmentWithParameters(assignment, p) or assignment
                sisr_stats["polished"] = assignment.ObjectiveValue()  # type: ignore[attr-defined,union-attr]
    elif options.metaheuristic == ILS:
        # Its own start (first-solution strategy + local search), then ruin and recreate until
        # the time or solution limit; no warm start, so no multi-start either.
        p = search_parameters(options, options.first_solution, search_s, ils_jobs=len(allowed))
        assignment = routing.SolveWithIteratedLocalSearch(p)
    elif multi and options.portfolio:
        # The metaheuristic from each start strategy for an equal share of the time; best wins.
        starts = _unique([options.first_solution, *MULTI_STARTS])
        best_cost = None
        for k, first in enumerate(starts):
            share = (search_s - (_time.monotonic() - t_built)) / (len(starts) - k)
            a = routing.SolveWithParameters(params_for(first, max(0.1, share)))
            if a is not None and (best_cost is None or a.ObjectiveValue() < best_cost):
                assignment, used, best_cost = a, first, a.ObjectiveValue()
    elif multi:
        # Each start strategy taken to its local optimum; the best one seeds the metaheuristic.
        # (LOCAL_CHEAPEST_INSERTION alone is +20-35 % on Solomon C103/C104/C109 after 10 s,
        # PARALLEL_CHEAPEST_INSERTION alone is worse on R2; the best of both is robust.)
        per = min(0.5, search_s * 0.05)
        best_cost = None
        for first in _unique([options.first_solution, *MULTI_STARTS]):
            a = routing.SolveWithParameters(params_for(first, per, "GREEDY_DESCENT"))
            if a is not None and (best_cost is None or a.ObjectiveValue() < best_cost):
                assignment, used, best_cost = a, first, a.ObjectiveValue()
        if assignment is not None:
            left = max(0.1, search_s - (_time.monotonic() - t_built))
            better = routing.SolveFromAssignmentWithParameters(
                assignment, params_for(used, left))
            if better is not None:
                assignment = better
    if assignment is None and (options.metaheuristic == ILS or not multi):
        for first in _unique([options.first_solution, *FALLBACK_STARTS]):
            left = max(0.5, search_s - (_time.monotonic() - t_built))
            assignment = routing.SolveWithParameters(params_for(first, left))
            if assignment is not None:
                used = first
                break
    if assignment is None:
        unassigned += [capacity_reason(problem.jobs[ji]) for ji in built.job_of_node.values()]
        kpis = compute_kpis(problem, [], unassigned)
        return Plan((), tuple(unassigned), kpis, 0.0, {
            "status": "no_solution", "build_s": round(t_built - t0, 3),
            "search_s": round(_time.monotonic() - t_built, 3),
            "build_cpu_s": round(c_built - c0, 3),
            "search_cpu_s": round(_time.process_time() - c_built, 3)})
    retimed = None
    if reserve:
        # The descent works on the reserved model, blind to a break that no longer fits
        # (optimizer.construct checks that): keep its plan unless re-timing it loses more.
        tried = [assignment] if start is None or start is assignment else [assignment, start]
        assignment, retimed = min(((a, _retimed(problem, built, a)) for a in tried),
                                  key=lambda x: x[1][2])
    routes = decode_routes(problem, built, assignment)
    unassigned += dropped_jobs(problem, built, assignment, routes)
    if retimed is not None:
        routes, late, _ = retimed
        unassigned += late
    elif open_breaks(built, assignment):  # exact breaks the search left a range: place them
        routes, late = retime(problem, shifts, routes)
        unassigned += late
    kpis = compute_kpis(problem, routes, unassigned)
    t_end = _time.monotonic()
    objective = assignment.ObjectiveValue()  # type: ignore[attr-defined]
    stats = {
        "status": "solved",
        "first_solution_strategy": used,
        "metaheuristic": options.metaheuristic,
        "seed": seed,
        "build_s": round(t_built - t0, 3),
        "search_s": round(t_end - t_built, 3),
        "first_solution_s": (round(first_plan[0][0] - t_built, 3) if first_plan
                             else trace[0][0] if trace else None),
        # Since the call (build included), and CPU seconds of this process (wall time on a
        # shared machine says little on its own).
        "first_feasible_s": (round(first_plan[0][0] - t0, 3) if first_plan
                             else round(t_built - t0 + trace[0][0], 3) if trace else None),
        "first_feasible_cpu_s": round(first_cpu[0], 3) if first_cpu else None,
        "build_cpu_s": round(c_built - c0, 3),
        "search_cpu_s": round(_time.process_time() - c_built, 3),
        "objective_units": objective,
        "objective_trace": [(t, to_currency(c)) for t, c in trace],
        "nodes": len(built.places),
        "routes": len(shifts),
        "time_profiles": built.time_profiles,
        "part_dimensions": sorted(built.part_dims),
        "breaks": "reserved" if reserve else "intervals",
        "compiled_search": "used" if used == "SISR" else why_not or "not on this path",
        **{f"sisr_{k}": v for k, v in sisr_stats.items()
           if k in ("iterations", "first_s", "polished")},
    }
    return Plan(tuple(routes), tuple(unassigned), kpis, to_currency(objective), stats)
