"""Large problems: time accounting in the stats, a working week in one call, the fast start,
and the shared travel and service-time matrices that keep the model small."""

from __future__ import annotations

import random

from optimizer_factories import H, at, make_job, make_tech, solve_valid

from optimizer import (
    Break,
    Pin,
    Point,
    Problem,
    SolverOptions,
    TimeWindow,
    TravelModel,
    Warehouse,
)
from optimizer.travel import leg, legs_between

DAY = 24 * H
WEEK = 5


def _week_tech(tech_id: str, **kw: object) -> object:
    return make_tech(
        tech_id,
        shifts=tuple(TimeWindow(d * DAY + 8 * H, d * DAY + 17 * H) for d in range(WEEK)),
        breaks=tuple(Break(f"lunch-{d}", TimeWindow(d * DAY + 12 * H, d * DAY + 13 * H), 1800)
                     for d in range(WEEK)),
        **kw,
    )


def _week_problem(**options: object) -> Problem:
    techs = (_week_tech("T1"), _week_tech("T2", start=at(0.02, 0.02)))
    jobs = tuple(
        make_job(f"D{d}-{k}", location=at(0.004 * k, 0.003 * d), duration=45 * 60,
                 windows=(TimeWindow(d * DAY + 8 * H, d * DAY + 17 * H),))
        for d in range(WEEK) for k in range(6)
    )
    return Problem(techs, jobs, options=SolverOptions(**options))  # type: ignore[arg-type]


def test_stats_separate_model_build_from_search() -> None:
    problem = Problem((make_tech("T1"),), tuple(make_job(f"J{i}", location=at(0.01 * i))
                                                for i in range(5)))
    plan = solve_valid(problem)
    st = plan.stats
    for key in ("build_s", "search_s", "build_cpu_s", "search_cpu_s", "first_feasible_s",
                "first_feasible_cpu_s"):
        assert isinstance(st[key], float) and st[key] >= 0, key
    # The first plan exists only once the model is built: counted from the call.
    assert st["first_feasible_s"] >= st["build_s"]  # type: ignore[operator]


def test_a_week_plans_each_day_as_its_own_route_with_its_lunch() -> None:
    problem = _week_problem()
    plan = solve_valid(problem, limit_s=2.0)
    assert not plan.unassigned
    days = {r.shift for r in plan.routes}
    assert days == set(range(WEEK))
    for route in plan.routes:
        d = route.shift
        assert d * DAY + 8 * H <= route.start_time and route.end_time <= d * DAY + 17 * H
        assert {v.ref.split("-")[0] for v in route.visits} == {f"D{d}"}  # type: ignore[union-attr]
        assert [b.id for b in route.breaks] == [f"lunch-{d}"]


def test_a_week_with_the_fast_start_validates_and_serves_every_day() -> None:
    problem = _week_problem(fast_start_min_pairs=1, exact_breaks_max_jobs=0)
    plan = solve_valid(problem, limit_s=2.0)
    assert plan.stats["first_solution_strategy"] == "FAST_INSERTION"
    assert not plan.unassigned
    assert {r.shift for r in plan.routes} == set(range(WEEK))


def test_fast_start_keeps_pins_links_and_parts_with_pickups() -> None:
    techs = (
        make_tech("T1", skills={"hvac": 3}, van_stock={"filter": 1},
                  pins=(Pin("P", start=10 * H),)),
        make_tech("T2", skills={"hvac": 3}, start=at(0.02)),
    )
    jobs = (
        make_job("P", location=at(0.01)),
        make_job("F1", location=at(0.012), parts={"filter": 1}),
        make_job("F2", location=at(0.014), parts={"filter": 2}),
        make_job("A", location=at(0.005, 0.01)),
        make_job("B", location=at(0.006, 0.01), same_technician_as="A", not_before="A"),
        *(make_job(f"J{i}", location=at(0.003 * i, -0.004)) for i in range(6)),
    )
    wh = Warehouse("W", at(0.0, 0.005), {"filter": 10})
    problem = Problem(techs, jobs, warehouses=(wh,), allow_pickups=True,
                      options=SolverOptions(fast_start_min_pairs=1))
    plan = solve_valid(problem, limit_s=2.0)
    assert plan.stats["first_solution_strategy"] == "FAST_INSERTION"
    assert not plan.unassigned
    p_route = next(r for r in plan.routes if any(v.ref == "P" for v in r.visits))
    assert p_route.technician_id == "T1"
    assert next(v for v in p_route.visits if v.ref == "P").start == 10 * H


def test_vectorised_travel_legs_equal_the_legs_plans_are_checked_with() -> None:
    rng = random.Random(5)
    points = [Point(52.3 + rng.uniform(0, 0.2), 4.8 + rng.uniform(0, 0.3)) for _ in range(120)]
    points += points[:3]  # repeated places
    for travel in (TravelModel(), TravelModel(road_factor=1.0, speed_kmh=33.3)):
        metres, secs = legs_between(travel, points, points[:40])
        for i, a in enumerate(points):
            for j, b in enumerate(points[:40]):
                assert (int(metres[i, j]), int(secs[i, j])) == leg(travel, a, b)


def test_technicians_differing_only_on_jobs_one_cannot_do_share_a_time_matrix() -> None:
    techs = (make_tech("T1", skills={"hvac": 3}),
             make_tech("T2", skills={"hvac": 3, "plumbing": 5}, start=at(0.01)))
    jobs = (
        *(make_job(f"H{i}", location=at(0.004 * i), skills={"hvac": 2},
                   scale_duration_by_level=True) for i in range(4)),
        make_job("W", location=at(0.01, 0.01), skills={"plumbing": 1},
                 scale_duration_by_level=True),
    )
    plan = solve_valid(Problem(techs, jobs))
    assert plan.stats["time_profiles"] == 1
    done_by = {v.ref: r.technician_id for r in plan.routes for v in r.visits}
    assert done_by["W"] == "T2"
    w_visit = next(v for r in plan.routes for v in r.visits if v.ref == "W")
    assert w_visit.end - w_visit.start == round(30 * 60 * 0.7)  # 4 levels above: factor 0.7
