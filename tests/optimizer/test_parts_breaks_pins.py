"""Van stock across the route, warehouse pick-ups, breaks, pins and job links."""

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

from optimizer import Break, Pin, Plan, Problem, ScheduledBreak, TimeWindow, Warehouse, validate


def test_van_stock_is_counted_across_the_whole_route() -> None:
    tech = make_tech(van_stock={"fuse": 2})
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * i), parts={"fuse": 1}) for i in range(1, 4))
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    assert len(plan.routes[0].visits) == 2
    [u] = plan.unassigned
    assert u.reason == "parts_unavailable" and "fuse" in u.detail


def test_validate_catches_a_van_running_out() -> None:
    tech = make_tech(van_stock={"fuse": 1})
    other = make_tech("T2", van_stock={"fuse": 1}, start=at(0.02))
    jobs = (make_job("J1", parts={"fuse": 1}), make_job("J2", location=at(0.02),
                                                          parts={"fuse": 1}))
    problem = Problem((tech, other), jobs)
    plan = solve_valid(problem)
    assert sorted(assigned(plan).values()) == ["T1", "T2"]
    # Put both jobs in T1's van: the plan must now be rejected for parts.
    r1 = next(r for r in plan.routes if r.technician_id == "T1")
    r2 = next(r for r in plan.routes if r.technician_id == "T2")
    merged = dataclasses.replace(r1, visits=(*r1.visits, *r2.visits))
    assert "parts" in codes(problem, dataclasses.replace(plan, routes=(merged,)))


def test_job_goes_to_the_van_that_has_the_part() -> None:
    empty = make_tech("empty", start=at(0.01))
    stocked = make_tech("stocked", start=at(-0.05), van_stock={"pump": 1})
    problem = Problem((empty, stocked), (make_job("J1", parts={"pump": 1}),))
    assert assigned(solve_valid(problem)) == {"J1": "stocked"}


def test_no_pickups_allowed_means_parts_unavailable() -> None:
    wh = Warehouse("W1", at(0.02), {"pump": 5})
    problem = Problem((make_tech(),), (make_job("J1", parts={"pump": 2}),), warehouses=(wh,))
    assert reasons(solve_valid(problem)) == {"J1": "parts_unavailable"}


def test_solver_adds_a_warehouse_pickup_when_allowed() -> None:
    wh = Warehouse("W1", at(0.02), {"pump": 5}, pickup_duration=600)
    jobs = (make_job("J1", parts={"pump": 2}), make_job("J2", location=at(0.03),
                                                        parts={"pump": 2}))
    tech = make_tech(van_stock={"pump": 1})
    problem = Problem((tech,), jobs, warehouses=(wh,), allow_pickups=True)
    plan = solve_valid(problem)
    kinds = [v.kind for v in plan.routes[0].visits]
    assert kinds.count("pickup") == 1 and kinds.count("job") == 2
    pickup = next(v for v in plan.routes[0].visits if v.kind == "pickup")
    assert pickup.picked == {"pump": 3}
    greedy = replace_visit(plan, "T1", kinds.index("pickup"), picked={"pump": 9})
    assert "pickup" in codes(problem, greedy)
    none = replace_visit(plan, "T1", kinds.index("pickup"), picked={})
    assert "parts" in codes(problem, none)


def test_a_search_result_with_the_break_start_still_open_is_read_not_aborted() -> None:
    """OR-Tools' iterated local search can hand back a solution whose break start is a range
    (seen on a loaded CI machine): reading it with ``StartValue`` aborted the whole process
    (a C++ CHECK). The plan is read and its breaks timed in their windows."""
    from optimizer.breaks import retime
    from optimizer.decode import decode_routes, open_breaks
    from optimizer.eligibility import analyse, shifts_of
    from optimizer.routing_model import build
    from optimizer.search import search_parameters

    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * i), duration=H,
                          windows=(TimeWindow(11 * H, 15 * H),)) for i in range(1, 4))
    problem = Problem((make_tech(breaks=(lunch,)),), jobs)
    shifts = shifts_of(problem)
    allowed, _ = analyse(problem, shifts)
    built = build(problem, shifts, allowed, 0, reserve_breaks=False)
    built.routing.CloseModelWithParameters(search_parameters(problem.options, "AUTOMATIC", 1.0))
    found = built.routing.ReadAssignmentFromRoutes([sorted(built.job_of_node)], True)
    [(_, interval)] = built.breaks[0]
    found.SetStartRange(interval, 12 * H, 12 * H + 1800)  # as the search left it
    assert open_breaks(built, found)
    routes, late = retime(problem, shifts, decode_routes(problem, built, found))
    plan = Plan(tuple(routes), tuple(late), {}, 0.0, {})
    assert late == [] and validate(problem, plan) == []
    [brk] = routes[0].breaks
    assert brk.start >= 12 * H and brk.end <= 13 * H


def test_lunch_break_is_scheduled_in_its_window_between_services() -> None:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    tech = make_tech(breaks=(lunch,))
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * i), duration=H,
                          windows=(TimeWindow(11 * H, 15 * H),)) for i in range(1, 4))
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    route = plan.routes[0]
    [brk] = route.breaks
    assert 12 * H <= brk.start <= 13 * H and brk.end - brk.start == 1800
    for v in route.visits:
        assert brk.end <= v.start or v.end <= brk.start
    # Moving the break onto a service, dropping it, or shortening it is caught.
    first = route.visits[0]
    clash = ScheduledBreak("lunch", first.start, first.start + 1800)
    for bad in ((clash,), (), (ScheduledBreak("lunch", brk.start, brk.start + 60),)):
        broken = dataclasses.replace(plan, routes=(dataclasses.replace(route, breaks=bad),))
        assert "break" in codes(problem, broken)


def test_pinned_job_stays_with_its_technician() -> None:
    job = make_job("J1", location=at(0.01))
    near = make_tech("near", start=at(0.01))
    far = make_tech("far", start=at(-0.1), pins=(Pin("J1"),))
    problem = Problem((near, far), (job,))
    plan = solve_valid(problem)
    assert assigned(plan) == {"J1": "far"}
    route = plan.routes[0]
    moved = dataclasses.replace(route, technician_id="near")
    assert "pin" in codes(problem, dataclasses.replace(plan, routes=(moved,)))


def test_fixed_pin_fixes_the_start_time() -> None:
    tech = make_tech(pins=(Pin("J1", start=14 * H),))
    problem = Problem((tech,), (make_job("J1"), make_job("J2", location=at(0.02))))
    plan = solve_valid(problem)
    start = {v.ref: v.start for v in plan.routes[0].visits}
    assert start["J1"] == 14 * H
    assert "pin" in codes(problem, replace_visit(
        plan, "T1", [v.ref for v in plan.routes[0].visits].index("J1"),
        start=14 * H + 60, end=14 * H + 60 + 1800, waiting=60 + plan.routes[0].visits[
            [v.ref for v in plan.routes[0].visits].index("J1")].waiting))


def test_same_technician_and_not_before_links() -> None:
    a = make_job("A", location=at(0.01))
    b = make_job("B", location=at(-0.01), same_technician_as="A", not_before="A")
    t1 = make_tech("T1", start=at(0.01))
    t2 = make_tech("T2", start=at(-0.01))
    problem = Problem((t1, t2), (a, b))
    plan = solve_valid(problem)
    where = assigned(plan)
    assert where["A"] == where["B"]
    route = plan.routes[0]
    starts = {v.ref: v for v in route.visits}
    assert starts["B"].start >= starts["A"].end
    early = replace_visit(plan, route.technician_id, [v.ref for v in route.visits].index("B"),
                          start=starts["A"].start, end=starts["A"].start + 1800)
    assert "link" in codes(problem, early)
    b_visit = starts["B"]
    alone = dataclasses.replace(route, visits=tuple(v for v in route.visits if v.ref == "A"))
    split = dataclasses.replace(plan, routes=(alone, dataclasses.replace(
        route, technician_id="T2" if route.technician_id == "T1" else "T1",
        visits=(b_visit,))))
    assert "link" in codes(problem, split)


def test_reserved_breaks_mode_gives_a_valid_plan_with_breaks() -> None:
    # Force the large-problem path (breaks reserved during search, inserted afterwards).
    from optimizer import SolverOptions

    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    techs = (make_tech("T1", breaks=(lunch,)), make_tech("T2", breaks=(lunch,), start=at(0.03)))
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * (i % 4), 0.01 * (i // 4)), duration=H,
                          windows=(TimeWindow(8 * H, 17 * H),)) for i in range(12))
    problem = Problem(techs, jobs, options=SolverOptions(exact_breaks_max_jobs=0))
    plan = solve_valid(problem)
    assert plan.stats["breaks"] == "reserved"
    for route in plan.routes:
        [brk] = route.breaks
        assert 12 * H <= brk.start <= 13 * H
    assert plan.kpis["jobs_assigned"] + len(plan.unassigned) == 12
