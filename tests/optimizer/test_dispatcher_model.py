"""The model a dispatcher needs: working-time cost, job value and must-serve, reusable tools,
restocking at any warehouse, break windows bounding the whole break, vehicle profiles."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
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
    Break,
    Job,
    Plan,
    Problem,
    ScheduledBreak,
    SolverOptions,
    Technician,
    TimeWindow,
    TravelModel,
    Unassigned,
    Warehouse,
    insert,
    solve,
    validate,
    with_job,
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


def _every_job_needs_a_pick_up(**options: Any) -> Problem:
    """18 jobs, each needing a part or a tool no van carries, and one warehouse open 7-12."""
    wh = Warehouse("W1", at(0.0, 0.02), {"pump": 20}, tools=frozenset({"crimper"}),
                   pickup_duration=300, hours=TimeWindow(7 * H, 12 * H))
    techs = tuple(make_tech(f"T{k}", start=at(0.01 * k, -0.01 * k)) for k in range(3))
    jobs = tuple(make_job(f"J{i}", location=at(0.004 * (i % 7), 0.005 * (i % 5) - 0.01),
                          duration=20 * 60,
                          windows=(TimeWindow((8 + i % 6) * H, (10 + i % 6) * H),),
                          **({"parts": {"pump": 1}} if i % 2
                             else {"tools": frozenset({"crimper"})}))
                 for i in range(18))
    return Problem(techs, jobs, warehouses=(wh,), allow_pickups=True, **options)


def test_jobs_needing_a_pick_up_are_served_from_the_first_plan_on() -> None:
    """The issue: a pick-up is optional and worth nothing alone, and OR-Tools inserts one node
    at a time, so jobs needing a part or a tool no van carries stayed unplanned until a lucky
    search move added pick-up and job together (none after a few plans)."""
    problem = _every_job_needs_a_pick_up(options=SolverOptions(solution_limit=1))
    plan = solve(problem, 30.0)
    assert validate(problem, plan) == []
    assert len(assigned(plan)) == 18 and plan.unassigned == ()
    for route in plan.routes:
        kinds = [v.kind for v in route.visits]
        assert kinds[0] == "pickup"  # every job here needs one
        assert all(v.end <= 12 * H for v in route.visits if v.kind == "pickup")


def test_pick_up_problems_under_a_time_limit_go_on_from_the_best_plan() -> None:
    """Under a time limit (no ``solution_limit``) the pick-up start is followed by rounds of
    its ruin and recreate from the best plan so far (``construct(routes=...)``) and greedy
    descent: every job stays served and the plan valid."""
    problem = _every_job_needs_a_pick_up()
    plan = solve(problem, 2.0)
    assert plan.stats["first_solution_strategy"] == "PICKUP_START"
    assert validate(problem, plan) == []
    assert len(assigned(plan)) == 18 and plan.unassigned == ()


def test_a_busy_day_serves_the_jobs_needing_a_pick_up_too() -> None:
    """The same on a day of 160 jobs of four priorities (the priority-first start of
    optimizer.construct): it left every job needing a pick-up out (120 of 160 served)."""
    wh = Warehouse("W1", at(0.0, 0.03), {"pump": 40}, tools=frozenset({"crimper"}))
    techs = tuple(make_tech(f"T{k}", start=at(0.01 * (k % 4), 0.01 * (k // 4)))
                  for k in range(12))
    needs = {1: {"parts": {"pump": 1}}, 5: {"tools": frozenset({"crimper"})}}
    jobs = tuple(make_job(f"J{i}", location=at(0.003 * (i % 17), 0.004 * (i % 11)),
                          duration=15 * 60, priority=1 + i % 4, **needs.get(i % 8, {}))
                 for i in range(160))
    problem = Problem(techs, jobs, warehouses=(wh,), allow_pickups=True,
                      options=SolverOptions(solution_limit=1))
    plan = solve(problem, 30.0)
    assert validate(problem, plan) == []
    assert len(assigned(plan)) == 160


def test_the_fast_start_of_large_problems_fetches_missing_tools_too() -> None:
    """The fast start (``optimizer.start``, forced here on a small problem) left jobs needing a
    tool the van lacks to the search, which rarely adds a pick-up together with its job."""
    wh = Warehouse("W1", at(0.0, 0.02), {"pump": 20}, tools=frozenset({"crimper"}))
    techs = tuple(make_tech(f"T{k}", start=at(0.01 * k)) for k in range(2))
    jobs = tuple(make_job(f"J{i}", location=at(0.004 * i, 0.01 * (i % 3)), duration=20 * 60,
                          tools=frozenset({"crimper"}) if i % 2 else frozenset(),
                          parts={"pump": 1} if i % 3 == 0 else {})
                 for i in range(10))
    problem = Problem(techs, jobs, warehouses=(wh,), allow_pickups=True,
                      options=SolverOptions(solution_limit=1, fast_start_min_pairs=1))
    plan = solve(problem, 30.0)
    assert plan.stats["first_solution_strategy"] == "FAST_INSERTION"
    assert validate(problem, plan) == []
    assert len(assigned(plan)) == 10


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


# --- breaks: the window bounds the whole break ------------------------------------------------

def test_the_whole_break_lies_in_its_window_in_both_break_modes() -> None:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 45 * 60)
    techs = (make_tech("T1", breaks=(lunch,)), make_tech("T2", breaks=(lunch,), start=at(0.03)))
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * (i % 4), 0.01 * (i // 4)), duration=H,
                          windows=(TimeWindow(11 * H, 16 * H),)) for i in range(10))
    for max_jobs in (150, 0):  # break intervals in the search / reserved and placed after
        problem = Problem(techs, jobs, options=SolverOptions(exact_breaks_max_jobs=max_jobs))
        plan = solve_valid(problem)
        assert plan.stats["breaks"] == ("intervals" if max_jobs else "reserved")
        for route in plan.routes:
            [brk] = route.breaks
            assert brk.start >= 12 * H and brk.end <= 13 * H
    # A break ending after its window closes is caught, though it starts inside it.
    route = plan.routes[0]
    late = ScheduledBreak("lunch", 13 * H - 600, 13 * H - 600 + 45 * 60)
    visits = tuple(v for v in route.visits if v.end <= late.start or v.start >= late.end)
    broken = dataclasses.replace(plan, routes=(dataclasses.replace(route, breaks=(late,),
                                                                   visits=visits),))
    assert any(v.code == "break" and "outside its window" in v.detail
               for v in validate(problem, broken))


def test_a_break_longer_than_its_window_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        Break("lunch", TimeWindow(12 * H, 12 * H + 600), 1800)


def test_insert_keeps_the_whole_break_in_its_window() -> None:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    tech = make_tech(breaks=(lunch,))
    jobs = (make_job("J1", duration=2 * H, windows=(TimeWindow(10 * H, 10 * H + 900),)),)
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    urgent = make_job("U", location=at(0.02), duration=H, windows=(TimeWindow(11 * H, 12 * H),))
    after = insert(problem, plan, urgent, now=9 * H)
    assert validate(with_job(problem, urgent), after) == []
    [brk] = after.routes[0].breaks
    assert brk.start >= 12 * H and brk.end <= 13 * H


# --- vehicle profiles and matrix input --------------------------------------------------------

def test_each_technician_drives_at_the_speed_of_its_profile() -> None:
    travel = TravelModel(profiles={"bike": TravelModel(speed_kmh=15.0)})
    job = make_job("J1", location=at(0.045), windows=(TimeWindow(8 * H, 8 * H + 15 * 60),))
    car = make_tech("car")
    bike = make_tech("bike", profile="bike", cost_per_working_hour=0.0, cost_per_km=0.0,
                     cost_per_hour=0.0)
    # The bike is free, but cannot get there in a quarter of an hour (5 km at 15 km/h).
    plan = solve_valid(Problem((car, bike), (job,), travel=travel))
    assert assigned(plan) == {"J1": "car"}
    alone = Problem((bike,), (dataclasses.replace(job, windows=()),), travel=travel)
    plan = solve_valid(alone)
    leg = plan.routes[0].visits[0]
    by_car = TravelModel(profiles={"bike": TravelModel()})
    car_leg = solve_valid(dataclasses.replace(alone, travel=by_car)).routes[0].visits[0]
    assert leg.travel_m == car_leg.travel_m and leg.travel_s > 2.5 * car_leg.travel_s
    # A plan timed at car speed for the bike is caught.
    wrong = replace_visit(plan, "bike", 0, travel_s=car_leg.travel_s)
    assert "travel" in codes(alone, wrong)
    assert reasons(solve_valid(Problem((bike,), (job,), travel=travel))) == {
        "J1": "no_reachable_window"}


def test_matrix_input_with_indexes_floats_and_a_walking_profile() -> None:
    # 0: depot, 1..3: jobs; kilometres and minutes as floats, scaled inside.
    km = [[0, 2.5, 4.0, 3.2], [2.5, 0, 1.5, 2.0], [4.0, 1.5, 0, 1.1], [3.2, 2.0, 1.1, 0]]
    minutes = [[x * 1.5 for x in row] for row in km]
    walking = TravelModel(durations=[[x * 12.0 for x in row] for row in km], duration_scale=60)
    travel = TravelModel(distances=km, durations=minutes, distance_scale=1000.0,
                         duration_scale=60.0, profiles={"walk": walking})
    assert travel.durations is not None and travel.durations[0][1] == 225  # 3.75 min
    jobs = tuple(Job(f"J{i}", location=i, duration=1800) for i in (1, 2, 3))
    van = Technician("van", start=0, shifts=(TimeWindow(8 * H, 17 * H),))
    walker = dataclasses.replace(van, id="walker", profile="walk")
    for tech, per_km in ((van, 90), (walker, 720)):
        problem = Problem((tech,), jobs, travel=travel)
        plan = solve_valid(problem)
        [route] = plan.routes
        assert len(route.visits) == 3
        for v in route.visits:
            assert v.travel_s == round(v.travel_m / 1000 * per_km)
    with pytest.raises(ValueError, match="not square"):
        TravelModel(distances=[[0, 1]], durations=[[0, 1]])


def test_exact_break_placement_where_the_greedy_one_fails() -> None:
    from optimizer.breaks import place_exactly
    from optimizer.schedule import Stop, time_route

    # One job 11:10-12:10, 15 minutes from home; the shift ends 12:40; lunch 30 minutes in
    # 12:00-13:00. Taken before driving home it ends the route at 12:55, too late; taken at
    # home after the return (12:25-12:55) it fits.
    job = Stop("job", "J1", at(0.01), H, (TimeWindow(11 * H + 600, 11 * H + 600),), {})
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    legs, back = [(5000, 900)], (5000, 900)
    greedy = time_route([job], legs, back, 8 * H, [lunch])
    assert greedy is not None and greedy[3] == 12 * H + 55 * 60
    timed = place_exactly([job], legs, back, 8 * H, [lunch], 12 * H + 40 * 60, None)
    assert timed is not None
    _visits, brks, depart, end = timed
    assert (depart, end) == (11 * H - 300, 12 * H + 1500)
    assert [(b.start, b.end) for b in brks] == [(12 * H + 1500, 12 * H + 1500 + 1800)]
    # Two breaks, each wholly inside its window, around the same job.
    coffee = Break("coffee", TimeWindow(10 * H, 11 * H), 900)
    timed = place_exactly([job], legs, back, 8 * H, [lunch, coffee], 13 * H, None)
    assert timed is not None
    for b, brk in zip(sorted([coffee, lunch], key=lambda x: x.window.start), timed[1],
                      strict=True):
        assert brk.id == b.id and b.window.start <= brk.start and brk.end <= b.window.end
