"""The model a dispatcher needs: working-time cost, job value and must-serve, reusable tools,
restocking at any warehouse, break windows bounding the whole break, vehicle profiles."""

from __future__ import annotations

import dataclasses

from optimizer_factories import (
    H,
    assigned,
    at,
    codes,
    make_job,
    make_tech,
    reasons,
    replace_visit,
    solve_valid,
)

from optimizer import (
    Plan,
    Problem,
    SolverOptions,
    Technician,
    TimeWindow,
    Unassigned,
    Warehouse,
    solve,
    validate,
)
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
    tech = make_tech(cost_per_working_hour=60.0)
    job = make_job("J1", windows=(TimeWindow(14 * H, 15 * H),))
    plan = solve_valid(Problem((tech,), (job,)))
    [route] = plan.routes
    assert route.visits[0].start == 14 * H and route.visits[0].waiting == 0
    assert route.start_time == 14 * H - route.visits[0].travel_s


# --- reusable tools ---------------------------------------------------------------------------

def test_a_job_needing_a_tool_goes_to_the_van_that_carries_it() -> None:
    bare = make_tech("bare", start=at(0.01))
    equipped = make_tech("equipped", start=at(-0.03), tools=frozenset({"ladder"}))
    job = make_job("J1", tools=frozenset({"ladder"}))
    problem = Problem((bare, equipped), (job, make_job("J2", location=at(0.011))))
    plan = solve_valid(problem)
    assert assigned(plan)["J1"] == "equipped"
    # The same tool serves every job of the route: it is not used up.
    two = Problem((equipped,), (job, dataclasses.replace(job, id="J3", location=at(0.02))))
    assert set(assigned(solve_valid(two))) == {"J1", "J3"}
    # Moved by hand to the van without the ladder: validate says which tool is missing.
    moved = _move_job(plan, "J1", "bare")
    assert ("tools", "J1") in {(v.code, v.job_id) for v in validate(problem, moved)}


def test_a_missing_tool_is_fetched_at_a_warehouse_before_the_job() -> None:
    wh = Warehouse("W1", at(0.03), {}, tools=frozenset({"crimper"}))
    near = Warehouse("W0", at(0.001), {"fuse": 5})  # nearer, but without the tool
    tech = make_tech()
    job = make_job("J1", location=at(0.04), tools=frozenset({"crimper"}))
    problem = Problem((tech,), (job,), warehouses=(near, wh), allow_pickups=True)
    plan = solve_valid(problem)
    [route] = plan.routes
    assert [(v.kind, v.ref) for v in route.visits] == [("pickup", "W1"), ("job", "J1")]
    assert route.visits[0].tools == frozenset({"crimper"})
    forgot = replace_visit(plan, "T1", 0, tools=frozenset())
    assert "tools" in codes(problem, forgot)
    invented = replace_visit(plan, "T1", 0, tools=frozenset({"crimper", "drill"}))
    assert "pickup" in codes(problem, invented)


def test_a_tool_nowhere_to_be_had_is_a_clear_reason() -> None:
    wh = Warehouse("W1", at(0.03), {}, tools=frozenset({"crimper"}))
    job = make_job("J1", tools=frozenset({"crimper"}))
    closed = Problem((make_tech(),), (job,), warehouses=(wh,))
    assert reasons(solve_valid(closed)) == {"J1": "tools_unavailable"}
    other = Problem((make_tech(),), (dataclasses.replace(job, tools=frozenset({"drill"})),),
                    warehouses=(wh,), allow_pickups=True)
    plan = solve_valid(other)
    [u] = plan.unassigned
    assert u.reason == "tools_unavailable" and "drill" in u.detail


# --- restocking -------------------------------------------------------------------------------

def test_a_route_restocks_several_times_at_the_warehouses_that_have_the_part() -> None:
    empty = Warehouse("W0", at(0.001), {"pump": 0, "fuse": 9})  # nearest the start: no pumps
    east = Warehouse("WE", at(0.0, 0.03), {"pump": 2})
    west = Warehouse("WW", at(0.0, -0.03), {"pump": 2})
    tech = make_tech(van_stock={"pump": 1})
    jobs = tuple(make_job(f"J{i}", location=at(0.005 * i, 0.03 * (1 if i % 2 else -1)),
                          duration=20 * 60, parts={"pump": 1}) for i in range(1, 6))
    problem = Problem((tech,), jobs, warehouses=(empty, east, west), allow_pickups=True)
    plan = solve_valid(problem)
    [route] = plan.routes
    assert len(assigned(plan)) == 5
    pickups = [v for v in route.visits if v.kind == "pickup"]
    assert {v.ref for v in pickups} == {"WE", "WW"}
    assert sum(v.picked.get("pump", 0) for v in pickups) == 4
    # Claim the first pick-up took nothing: the van runs dry.
    first = next(i for i, v in enumerate(route.visits) if v.kind == "pickup")
    assert "parts" in codes(problem, replace_visit(plan, "T1", first, picked={}))


def test_pickups_happen_within_the_warehouse_opening_hours() -> None:
    wh = Warehouse("W1", at(0.02), {"pump": 5}, pickup_duration=900,
                   hours=TimeWindow(13 * H, 14 * H))
    tech = make_tech()
    job = make_job("J1", location=at(0.03), parts={"pump": 1})
    problem = Problem((tech,), (job,), warehouses=(wh,), allow_pickups=True)
    plan = solve_valid(problem)
    [route] = plan.routes
    pickup = route.visits[0]
    assert pickup.kind == "pickup" and pickup.start >= 13 * H and pickup.end <= 14 * H
    # Still picking when the warehouse closes: rejected.
    late = replace_visit(plan, "T1", 0, start=14 * H - 600, end=14 * H + 300)
    assert "pickup" in codes(problem, late)


def _move_job(plan: Plan, job_id: object, tech_id: object) -> Plan:
    """``job_id``'s visit moved, unchanged, to the end of ``tech_id``'s route."""
    visit = next(v for r in plan.routes for v in r.visits if v.ref == job_id)
    routes = []
    for r in plan.routes:
        visits = tuple(v for v in r.visits if v.ref != job_id)
        if r.technician_id == tech_id:
            visits = (*visits, visit)
        routes.append(dataclasses.replace(r, visits=visits))
    if not any(r.technician_id == tech_id for r in plan.routes):
        src = next(r for r in plan.routes if visit in r.visits)
        routes.append(dataclasses.replace(src, technician_id=tech_id, visits=(visit,)))
    return dataclasses.replace(plan, routes=tuple(routes))


# --- job value and must-serve -----------------------------------------------------------------

def _short_day() -> Technician:
    """Time for one of the two one-hour jobs below, not both."""
    return make_tech(shifts=(TimeWindow(8 * H, 9 * H + 40 * 60),))


def test_a_job_value_overrides_the_priority_penalty() -> None:
    urgent = make_job("P1", priority=1, duration=H)
    valuable = make_job("P4", priority=4, duration=H, location=at(-0.01), value=250_000.0)
    plan = solve_valid(Problem((_short_day(),), (urgent, valuable)))
    assert set(assigned(plan)) == {"P4"}
    assert plan.kpis["cost"]["unassigned"] == 100_000.0  # type: ignore[index]
    cheap = dataclasses.replace(valuable, value=10.0)
    assert set(assigned(solve_valid(Problem((_short_day(),), (urgent, cheap))))) == {"P1"}


def test_a_must_serve_job_beats_any_priority() -> None:
    urgent = make_job("P1", priority=1, duration=H, value=10_000_000.0)
    must = make_job("P4", priority=4, duration=H, location=at(-0.01), must_serve=True)
    problem = Problem((_short_day(),), (urgent, must))
    plan = solve_valid(problem)
    assert set(assigned(plan)) == {"P4"} and "must_serve_unserved" not in plan.stats
    # Drop it by hand: validate flags the must-serve job.
    r = plan.routes[0]
    broken = dataclasses.replace(plan, routes=(), unassigned=(
        *plan.unassigned, Unassigned("P4", "out_of_capacity", "by hand")))
    assert ("must_serve", "P4") in {(v.code, v.job_id) for v in validate(problem, broken)}
    assert r.visits


def test_an_impossible_must_serve_job_is_reported_with_its_reason() -> None:
    must = make_job("M1", skills={"gas": 3}, must_serve=True)
    ok = make_job("J2")
    two = make_job("M2", duration=H, location=at(0.005), must_serve=True)
    three = make_job("M3", duration=H, location=at(-0.005), must_serve=True)
    problem = Problem((_short_day(),), (must, ok, two, three), options=ONE)
    plan = solve(problem, 1.0)
    stats = {d["job_id"]: d["reason"] for d in plan.stats["must_serve_unserved"]}  # type: ignore[union-attr, index]
    assert stats["M1"] == "missing_skill"
    assert len(stats) == 2  # only one of M2/M3 fits in the day
    [other] = set(stats) - {"M1"}
    assert stats[other] == "out_of_capacity"
    detail = {u.job_id: u.detail for u in plan.unassigned}
    assert detail["M1"].startswith("must be served, but: no technician has skill gas")
    assert {v.code for v in validate(problem, plan)} == {"must_serve"}
