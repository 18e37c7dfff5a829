"""Skills, time windows, shifts and working time: the solver keeps them, validate catches them."""

from __future__ import annotations

import dataclasses

import pytest
from optimizer_factories import (
    DAY,
    H,
    assigned,
    at,
    codes,
    make_job,
    make_tech,
    reasons,
    replace_visit,
    solve_valid,
    windows_and_loads,
)

from optimizer import (
    Plan,
    Problem,
    Route,
    SolverOptions,
    TimeWindow,
    Unassigned,
    Visit,
    Weights,
)


def test_job_goes_to_the_technician_with_the_skill_level() -> None:
    near = make_tech("near", skills={"hvac": 2}, start=at(0.01))
    far = make_tech("far", skills={"hvac": 4}, start=at(-0.05))
    job = make_job("J1", skills={"hvac": 3})
    problem = Problem((near, far), (job,))
    plan = solve_valid(problem)
    assert assigned(plan) == {"J1": "far"}


def test_missing_skill_is_reported_with_skill_and_level() -> None:
    problem = Problem((make_tech(skills={"hvac": 2}),), (make_job(skills={"hvac": 5}),))
    plan = solve_valid(problem)
    [u] = plan.unassigned
    assert u.reason == "missing_skill"
    assert "hvac" in u.detail and "5" in u.detail


def test_validate_catches_an_unqualified_technician() -> None:
    tech = make_tech("T1", skills={"hvac": 1})
    job = make_job("J1", skills={"hvac": 3})
    visit = Visit("job", "J1", 9 * H, 9 * H, 9 * H + 1800, 0, 0, 0)
    plan = Plan((Route("T1", 0, 9 * H, 10 * H, (visit,), (), 0, 0),), (), {}, 0.0, {})
    assert "skill" in codes(Problem((tech,), (job,)), plan)


def test_service_starts_inside_one_of_several_windows() -> None:
    # The first window closes before the technician can possibly get there.
    job = make_job("J1", location=at(0.3), windows=(TimeWindow(8 * H, 8 * H + 60),
                                                     TimeWindow(14 * H, 15 * H)))
    problem = Problem((make_tech(),), (job,))
    plan = solve_valid(problem)
    [visit] = plan.routes[0].visits
    assert 14 * H <= visit.start <= 15 * H


def test_unreachable_window_gives_reason() -> None:
    job = make_job("J1", location=at(0.5), windows=(TimeWindow(8 * H, 8 * H + 300),))
    plan = solve_valid(Problem((make_tech(),), (job,)))
    assert reasons(plan) == {"J1": "no_reachable_window"}


def test_validate_catches_a_start_outside_the_window() -> None:
    job = make_job("J1", windows=(TimeWindow(10 * H, 11 * H),))
    problem = Problem((make_tech(),), (job,))
    plan = solve_valid(problem)
    v = plan.routes[0].visits[0]
    late = replace_visit(plan, "T1", 0, arrival=12 * H, start=12 * H, end=12 * H + 1800,
                         waiting=0)
    assert v.start <= 11 * H
    assert "time_window" in codes(problem, late)


def test_job_longer_than_the_shift_is_shift_too_short() -> None:
    job = make_job("J1", duration=10 * H)
    plan = solve_valid(Problem((make_tech(),), (job,)))
    assert reasons(plan) == {"J1": "shift_too_short"}


def test_route_stays_inside_the_shift_and_validate_catches_overtime() -> None:
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * i), duration=2 * H) for i in range(1, 7))
    problem = Problem((make_tech(),), jobs)
    plan = solve_valid(problem)
    route = plan.routes[0]
    assert DAY.start <= route.start_time and route.end_time <= DAY.end
    assert len(route.visits) == 4  # 6 x 2 h cannot fit in 9 h
    assert {u.reason for u in plan.unassigned} == {"out_of_capacity"}
    over = dataclasses.replace(plan, routes=(dataclasses.replace(route, end_time=18 * H),))
    assert "shift" in codes(problem, over)


def test_max_working_time_caps_the_route() -> None:
    tech = make_tech(max_work_s=3 * H)
    jobs = tuple(make_job(f"J{i}", location=at(0.005 * i), duration=H) for i in range(1, 5))
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    route = plan.routes[0]
    assert route.end_time - route.start_time <= 3 * H
    assert len(route.visits) == 2
    longer = dataclasses.replace(route, start_time=route.start_time - H)
    assert "max_work" in codes(problem, dataclasses.replace(plan, routes=(longer,)))


def test_each_shift_is_its_own_route() -> None:
    day2 = TimeWindow(DAY.start + 24 * H, DAY.end + 24 * H)
    tech = make_tech(shifts=(DAY, day2))
    today = make_job("today", windows=(TimeWindow(9 * H, 12 * H),))
    tomorrow = make_job("tomorrow", windows=(TimeWindow(33 * H, 36 * H),))
    plan = solve_valid(Problem((tech,), (today, tomorrow)))
    by_shift = {r.shift: [v.ref for v in r.visits] for r in plan.routes}
    assert by_shift == {0: ["today"], 1: ["tomorrow"]}


def test_validate_catches_missing_duplicate_and_unknown_jobs() -> None:
    problem = Problem((make_tech(),), (make_job("J1"), make_job("J2", location=at(0.02))))
    plan = solve_valid(problem)
    dropped = dataclasses.replace(plan, routes=())
    assert "missing_job" in codes(problem, dropped)
    twice = dataclasses.replace(plan, unassigned=(Unassigned("J1", "out_of_capacity", ""),))
    assert "duplicate_job" in codes(problem, twice)
    ghost = replace_visit(plan, "T1", 0, ref="nope")
    assert "unknown_job" in codes(problem, ghost)


def test_validate_catches_a_drive_that_is_too_short() -> None:
    problem = Problem((make_tech(),), (make_job("J1", location=at(0.2)),))
    plan = solve_valid(problem)
    v = plan.routes[0].visits[0]
    early = dataclasses.replace(plan.routes[0], start_time=v.start - 60)
    assert "travel" in codes(problem, dataclasses.replace(plan, routes=(early,)))
    wrong = replace_visit(plan, "T1", 0, travel_s=v.travel_s - 1)
    assert "travel" in codes(problem, wrong)


def test_priority_decides_who_is_dropped() -> None:
    # Both jobs need the only technician during the same hour.
    win = (TimeWindow(10 * H, 10 * H + 600),)
    low = make_job("P4", priority=4, windows=win, duration=H)
    high = make_job("P1", priority=1, windows=win, duration=H, location=at(0.3))
    plan = solve_valid(Problem((make_tech(),), (low, high)))
    assert assigned(plan) == {"P1": "T1"}
    assert reasons(plan) == {"P4": "out_of_capacity"}


def test_sla_lateness_puts_the_urgent_job_first() -> None:
    urgent = make_job("urgent", priority=1, sla_due=8 * H + 1200, location=at(0.04))
    routine = make_job("routine", priority=4, sla_due=8 * H + 1200, location=at(0.01))
    weights = Weights(balance_per_hour=0.0)
    plan = solve_valid(Problem((make_tech(),), (routine, urgent), weights=weights))
    assert [v.ref for v in plan.routes[0].visits] == ["urgent", "routine"]
    assert plan.kpis["on_time_share"] == 0.5


def test_service_time_scales_with_skill_level() -> None:
    job = make_job("J1", skills={"elec": 2}, duration=H, scale_duration_by_level=True)
    expert = make_tech(skills={"elec": 5})  # 3 levels above: factor 0.75
    problem = Problem((expert,), (job,))
    plan = solve_valid(problem)
    v = plan.routes[0].visits[0]
    assert v.end - v.start == 45 * 60
    assert "duration" in codes(problem, replace_visit(plan, "T1", 0, end=v.start + H))


def _tight_day(options: SolverOptions | None = None, n: int = 30, width: int = 900) -> Problem:
    """A small Solomon-R101-like case: narrow windows spread over the day and a load limit
    (the "load" part), where a cheapest-arc start alone leaves customers out."""
    return windows_and_loads(5, n, width, 8, options)


@pytest.mark.parametrize("metaheuristic", ["ITERATED_LOCAL_SEARCH", "GUIDED_LOCAL_SEARCH"])
def test_tight_windows_and_vehicle_capacity_all_served(metaheuristic: str) -> None:
    problem = _tight_day(options=SolverOptions(metaheuristic=metaheuristic))
    plan = solve_valid(problem, limit_s=2.0)
    assert plan.unassigned == ()
    loads = {j.id: j.parts["load"] for j in problem.jobs}
    for route in plan.routes:
        assert sum(loads[str(v.ref)] for v in route.visits) <= 100


def test_ruin_and_recreate_shortens_the_first_local_optimum() -> None:
    # Solution limits make both runs independent of machine speed. Greedy descent stops at
    # the first local optimum; iterated local search ruins strings of visits, re-inserts them
    # and keeps what is shorter, so its plan travels less.
    # 40 jobs with one-hour windows: room to improve on the first local optimum.
    descent = solve_valid(_tight_day(SolverOptions(metaheuristic="GREEDY_DESCENT",
                                                   multi_start=False), n=40, width=H), 30)
    ils = solve_valid(_tight_day(SolverOptions(solution_limit=500), n=40, width=H), 30)
    assert ils.stats["metaheuristic"] == "ITERATED_LOCAL_SEARCH"
    assert ils.unassigned == () and descent.unassigned == ()
    assert ils.kpis["travel_km"] < descent.kpis["travel_km"]
