"""The model a dispatcher needs: working-time cost, job value and must-serve, reusable tools,
restocking at any warehouse, break windows bounding the whole break, vehicle profiles."""

from __future__ import annotations

import dataclasses

from optimizer_factories import (
    H,
    assigned,
    at,
    make_job,
    make_tech,
    solve_valid,
)

from optimizer import Problem, SolverOptions
from optimizer.kpis import plan_costs

ONE = SolverOptions(solution_limit=50)


# --- working-time cost ------------------------------------------------------------------------

def test_working_hours_are_priced_and_move_the_job_to_the_cheaper_technician() -> None:
    near = make_tech("near", start=at(0.01), cost_per_working_hour=200.0)
    far = make_tech("far", start=at(0.04), cost_per_working_hour=0.0)
    job = make_job("J1", location=at(0.01), duration=H)
    plan = solve_valid(Problem((near, far), (job,)))
    assert assigned(plan) == {"J1": "far"}
    free = dataclasses.replace(near, cost_per_working_hour=0.0)
    assert assigned(solve_valid(Problem((free, far), (job,)))) == {"J1": "near"}


def test_working_time_is_in_the_kpis_and_the_objective() -> None:
    tech = make_tech(cost_per_working_hour=60.0, cost_per_km=0.0, cost_per_hour=0.0)
    jobs = (make_job("J1", duration=H), make_job("J2", location=at(0.02), duration=H))
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    [route] = plan.routes
    span = route.end_time - route.start_time
    assert plan.kpis["working_min"] == round(span / 60, 1)
    cost = plan.kpis["cost"]
    assert cost["working_time"] == round(span / 3600 * 60.0, 2)  # type: ignore[index]
    assert cost == plan_costs(problem, plan.routes, plan.unassigned)
    # The solver's objective prices the span too (balance term off with a single route).
    assert abs(plan.objective - cost["working_time"]) < 1.0  # type: ignore[index]


def test_waiting_is_working_time_so_the_route_leaves_late() -> None:
    from optimizer import TimeWindow

    tech = make_tech(cost_per_working_hour=60.0)
    job = make_job("J1", windows=(TimeWindow(14 * H, 15 * H),))
    plan = solve_valid(Problem((tech,), (job,)))
    [route] = plan.routes
    assert route.visits[0].start == 14 * H and route.visits[0].waiting == 0
    assert route.start_time == 14 * H - route.visits[0].travel_s
