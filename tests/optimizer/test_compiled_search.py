"""The compiled ruin and recreate (optimizer.sisr) on plain days: what it plans, what it leaves
to OR-Tools, and that its plans keep every rule."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from optimizer_factories import (
    H,
    assigned,
    at,
    make_job,
    make_tech,
    reasons,
    solve_valid,
    windows_and_loads,
)

from optimizer import (
    Break,
    Problem,
    SolverOptions,
    TimeWindow,
    TravelModel,
    Weights,
    solve,
    validate,
)
from optimizer.eligibility import analyse, shifts_of
from optimizer.routing_model import build
from optimizer.sisr import plain, search

REPO = Path(__file__).resolve().parents[2]
PLAIN = Weights(balance_per_hour=0.0)


def _windows_and_loads(options: SolverOptions | None = None) -> Problem:
    return windows_and_loads(11, 30, H, 6, options or SolverOptions(solution_limit=50))


def test_a_plain_day_is_planned_by_the_compiled_search_within_windows_and_loads() -> None:
    problem = _windows_and_loads()
    plan = solve_valid(problem, limit_s=30)
    assert plan.stats["first_solution_strategy"] == "SISR"
    assert plan.unassigned == ()
    loads = {j.id: j.parts["load"] for j in problem.jobs}
    windows = {j.id: j.windows[0] for j in problem.jobs}
    for route in plan.routes:
        assert sum(loads[str(v.ref)] for v in route.visits) <= 100
        for v in route.visits:
            assert windows[str(v.ref)].start <= v.start <= windows[str(v.ref)].end


def test_the_same_seed_and_solution_limit_give_the_same_plan() -> None:
    first = solve(_windows_and_loads(), 30, seed=3)
    second = solve(_windows_and_loads(), 30, seed=3)
    assert first.stats["first_solution_strategy"] == "SISR"
    assert first.routes == second.routes and first.objective == second.objective


def test_more_rounds_travel_less_than_the_first_plan() -> None:
    one = solve_valid(_windows_and_loads(options=SolverOptions(solution_limit=1)), 30)
    many = solve_valid(_windows_and_loads(options=SolverOptions(solution_limit=100)), 30)
    assert many.objective < one.objective
    assert many.kpis["travel_km"] < one.kpis["travel_km"]


def test_skills_decide_who_goes_and_a_job_nobody_may_do_is_reported() -> None:
    techs = (make_tech("gas", skills={"gas": 3}), make_tech("elec", skills={"elec": 2}))
    jobs = (make_job("boiler", skills={"gas": 2}), make_job("panel", skills={"elec": 2},
                                                            location=at(0.02)),
            make_job("lift", skills={"lift": 1}))
    plan = solve_valid(Problem(techs, jobs, weights=PLAIN,
                               options=SolverOptions(solution_limit=10)))
    assert plan.stats["first_solution_strategy"] == "SISR"
    assert assigned(plan) == {"boiler": "gas", "panel": "elec"}
    assert reasons(plan) == {"lift": "missing_skill"}


def test_when_time_runs_short_the_more_valuable_jobs_are_served() -> None:
    # One technician, four hours: two P1 jobs far out and six P4 jobs nearby; the P4 jobs
    # alone would fill the day with less driving, the P1 jobs are worth more.
    tech = make_tech(shifts=(TimeWindow(8 * H, 12 * H),))
    urgent = tuple(make_job(f"P1-{i}", priority=1, duration=H, location=at(0.08, 0.01 * i))
                   for i in range(2))
    routine = tuple(make_job(f"P4-{i}", priority=4, duration=H, location=at(0.005 * i))
                    for i in range(6))
    plan = solve_valid(Problem((tech,), urgent + routine, weights=PLAIN,
                               options=SolverOptions(solution_limit=20)))
    assert plan.stats["first_solution_strategy"] == "SISR"
    served = set(assigned(plan))
    assert {"P1-0", "P1-1"} <= served
    assert len(served) == 3  # two P1 jobs and one P4 job fill the four hours


def test_a_fixed_start_and_the_end_of_the_shift_hold() -> None:
    tech = make_tech(shifts=(TimeWindow(8 * H, 11 * H),))
    fixed = make_job("fixed", windows=(TimeWindow(9 * H, 9 * H),), location=at(0.02))
    other = tuple(make_job(f"J{i}", duration=45 * 60, location=at(0.01 * i)) for i in range(5))
    problem = Problem((tech,), (fixed, *other), weights=PLAIN,
                      options=SolverOptions(solution_limit=20))
    plan = solve_valid(problem)
    starts = {v.ref: v.start for r in plan.routes for v in r.visits}
    assert starts["fixed"] == 9 * H
    assert all(r.end_time <= 11 * H for r in plan.routes)
    assert plan.unassigned  # 3 h cannot hold 9:00 and five 45-minute jobs


@pytest.mark.parametrize(("change", "why"), [
    ({"weights": Weights()}, "load balance"),
    ({"breaks": True}, "breaks"),
    ({"sla": True}, "SLA lateness cost"),
    ({"working_hour": True}, "working-time cost or limit"),
    ({"two_windows": True}, "several windows"),
    ({"linked": True}, "linked jobs"),
])
def test_what_the_compiled_search_leaves_to_or_tools(change: dict, why: str) -> None:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    techs = tuple(make_tech(t, start=at(0.03 * k), breaks=(lunch,) if change.get("breaks") else (),
                            cost_per_working_hour=20.0 if change.get("working_hour") else 0.0)
                  for k, t in enumerate(("T1", "T2")))
    first = make_job("A", sla_due=10 * H if change.get("sla") else None,
                     windows=((TimeWindow(8 * H, 9 * H), TimeWindow(14 * H, 15 * H))
                              if change.get("two_windows") else ()))
    second = make_job("B", location=at(0.02), not_before="A" if change.get("linked") else None)
    problem = Problem(techs, (first, second), weights=change.get("weights", PLAIN),
                      options=SolverOptions(solution_limit=5))
    shifts = shifts_of(problem)
    allowed, _ = analyse(problem, shifts)
    assert plain(problem, build(problem, shifts, allowed, 0), False) == why
    plan = solve_valid(problem)
    assert plan.stats["first_solution_strategy"] != "SISR"
    assert plan.stats["compiled_search"] == why


def test_switched_off_the_day_goes_to_or_tools() -> None:
    plan = solve_valid(_windows_and_loads(options=SolverOptions(solution_limit=20,
                                                                compiled_search=False)), 30)
    assert plan.stats["first_solution_strategy"] != "SISR"
    assert plan.stats["compiled_search"] == "switched off"


def test_solomon_c101_reaches_its_optimum() -> None:
    # Solomon C101 (100 customers, 25 vehicles of 200 units): the proven optimum is 828.94
    # (10 routes). A fixed number of rounds, so the same on any machine.
    sys.path.insert(0, str(REPO))
    from benchmarks._solomon_io import data_dir, parse, route_distance, to_problem

    inst = parse(data_dir() / "C101.txt")
    problem = to_problem(inst, options=SolverOptions(solution_limit=100))
    plan = solve(problem, 60, seed=0)
    assert validate(problem, plan) == [] and plan.unassigned == ()
    routes = [[int(v.ref) for v in r.visits] for r in plan.routes if r.visits]
    assert round(sum(route_distance(inst, r) for r in routes), 2) == 828.94
    assert len(routes) == 10


def test_a_later_position_can_be_on_time_where_an_earlier_one_is_late() -> None:
    # Matrix travel that is not metric: X -> B and the depot -> A take 3 h, X -> A -> B 20
    # minutes. X must be first (its window closes at 8:20), B must start by 9:00: the only
    # plan serving all three is X, A, B, and the only way to build it by insertions is B
    # after X, A (A, B alone is too late for B). A search that stops scanning a route at the
    # first position too late for B (right after X) never finds it.
    dur = ((0, 600, 10_800, 600), (600, 0, 600, 10_800), (600, 600, 0, 600),
           (600, 600, 600, 0))
    dist = tuple(tuple(d * 10 for d in row) for row in dur)
    travel = TravelModel(distances=dist, durations=dur)
    tech = make_tech(start_location=0, shifts=(TimeWindow(8 * H, 17 * H),))
    jobs = (make_job("X", location_index=1, duration=600,
                     windows=(TimeWindow(8 * H + 600, 8 * H + 1200),)),
            make_job("A", location_index=2, duration=600),
            make_job("B", location_index=3, duration=600, windows=(TimeWindow(8 * H, 9 * H),)))
    problem = Problem((tech,), jobs, travel=travel, weights=PLAIN,
                      options=SolverOptions(solution_limit=50))
    plan = solve_valid(problem)
    assert plan.stats["first_solution_strategy"] == "SISR"
    assert [v.ref for v in plan.routes[0].visits] == ["X", "A", "B"]
    # the compiled search's own plan, before OR-Tools' descent
    shifts = shifts_of(problem)
    allowed, _ = analyse(problem, shifts)
    built = build(problem, shifts, allowed, 0, keep_matrices=True)
    for seed in range(5):
        routes, _ = search(built, 10.0, 100, seed)
        assert [problem.jobs[built.job_of_node[n]].id for n in routes[0]] == ["X", "A", "B"]
