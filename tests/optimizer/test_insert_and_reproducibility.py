"""Emergency insertion, seeds, KPIs, travel matrices, and validate's independence from OR-Tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from optimizer_factories import H, at, make_job, make_tech, solve_valid

from optimizer import (
    Break,
    Problem,
    SolverOptions,
    TimeWindow,
    TravelModel,
    insert,
    solve,
    validate,
    with_job,
)

REPO = Path(__file__).resolve().parents[2]


def _day() -> Problem:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    techs = (make_tech("T1", breaks=(lunch,)), make_tech("T2", start=at(0.05, 0.05)))
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * (i % 5), 0.01 * (i // 5)), duration=45 * 60,
                          windows=(TimeWindow(8 * H, 17 * H),)) for i in range(10))
    return Problem(techs, jobs)


def test_insert_keeps_started_visits_fixed() -> None:
    problem = _day()
    plan = solve_valid(problem)
    now = 11 * H
    urgent = make_job("urgent", location=at(0.015, 0.015), priority=1, sla_due=13 * H)
    after = insert(problem, plan, urgent, now)
    assert validate(with_job(problem, urgent), after) == []
    assert after.stats["inserted"] is True
    before = {v.ref: v for r in plan.routes for v in r.visits}
    now_planned = {v.ref: (r.technician_id, v) for r in after.routes for v in r.visits}
    started = [ref for ref, v in before.items() if v.start < now]
    assert started
    for ref in started:
        assert now_planned[ref][1] == before[ref]
    tech, visit = now_planned["urgent"]
    assert visit.start >= now
    route = after.route_of(tech)
    assert route is not None
    refs = [v.ref for v in route.visits]
    assert all(refs.index(ref) < refs.index("urgent") for ref in started if ref in refs)
    assert after.kpis["jobs_assigned"] == plan.kpis["jobs_assigned"] + 1


def test_insert_reports_why_a_job_cannot_go_in() -> None:
    problem = _day()
    plan = solve_valid(problem)
    job = make_job("X", skills={"gas": 3})
    after = insert(problem, plan, job, 10 * H)
    assert after.stats["inserted"] is False
    assert [(u.job_id, u.reason) for u in after.unassigned] == [("X", "missing_skill")]
    assert after.routes == plan.routes
    assert validate(with_job(problem, job), after) == []


@pytest.mark.parametrize("metaheuristic", ["ITERATED_LOCAL_SEARCH", "GUIDED_LOCAL_SEARCH"])
def test_same_seed_gives_the_same_plan(metaheuristic: str) -> None:
    options = SolverOptions(solution_limit=60, metaheuristic=metaheuristic)
    problem = Problem(_day().technicians, _day().jobs, options=options)
    first = solve(problem, 30, seed=7)
    second = solve(problem, 30, seed=7)
    assert first.routes == second.routes
    assert first.objective == second.objective


def test_matrix_travel_model() -> None:
    # Three places: depot 0, job at 1, job at 2; 1 <-> 2 is a slow bridge.
    dist = ((0, 1000, 1000), (1000, 0, 50_000), (1000, 50_000, 0))
    dur = ((0, 120, 120), (120, 0, 7200), (120, 7200, 0))
    travel = TravelModel(distances=dist, durations=dur)
    tech = make_tech(start_location=0)
    jobs = (make_job("A", location_index=1), make_job("B", location_index=2))
    plan = solve_valid(Problem((tech,), jobs, travel=travel))
    route = plan.routes[0]
    # Going back through the depot would need a stop there; the model has none, so the
    # direct 50 km leg is used and reported.
    assert sorted(v.travel_m for v in route.visits) == [1000, 50_000]
    assert plan.kpis["travel_km"] == 52.0


def test_kpis_report_travel_and_utilisation() -> None:
    problem = _day()
    plan = solve_valid(problem)
    k = plan.kpis
    assert k["jobs_total"] == 10 and k["jobs_assigned"] == 10
    assert k["assigned_share"] == 1.0
    legs = sum(v.travel_m for r in plan.routes for v in r.visits)
    legs += sum(r.return_travel_m for r in plan.routes)
    assert k["travel_km"] == round(legs / 1000, 3)
    util = k["utilisation"]
    assert isinstance(util, dict) and all(0 < u <= 1 for u in util.values())


def test_validate_and_insert_do_not_import_ortools() -> None:
    code = (
        "import sys, optimizer\n"
        "from optimizer import Problem, Plan, validate, insert\n"
        "p = Problem((), ())\n"
        "validate(p, Plan((), (), {}, 0.0, {}))\n"
        "assert not any(m.startswith('ortools') for m in sys.modules), 'ortools imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_insert_after_a_break_that_has_begun_keeps_it_and_its_time() -> None:
    lunch = Break("lunch", TimeWindow(12 * H, 13 * H), 1800)
    tech = make_tech("T1", breaks=(lunch,))
    jobs = tuple(make_job(f"J{i}", location=at(0.01 * i), duration=H,
                          windows=(TimeWindow(8 * H, 17 * H),)) for i in range(1, 4))
    problem = Problem((tech,), jobs)
    plan = solve_valid(problem)
    [brk] = plan.routes[0].breaks
    now = brk.start + 60  # the technician is on lunch
    urgent = make_job("urgent", location=at(0.02, 0.01), priority=1)
    after = insert(problem, plan, urgent, now)
    assert validate(with_job(problem, urgent), after) == []
    route = after.route_of("T1")
    assert route is not None and route.breaks == (brk,)
    visit = next(v for v in route.visits if v.ref == "urgent")
    assert visit.start >= brk.end


def test_insert_keeps_a_pinned_start_where_it_is() -> None:
    """A job booked by hand at 13:00 (a pin with a start) stays at 13:00 when an emergency
    goes into its route before it: found by the console's board test, where the insertion
    pulled the booked job forward to 10:19 and the run failed validation."""
    from optimizer import Pin

    tech = make_tech("T1", pins=(Pin("booked", 13 * H),))
    booked = make_job("booked", location=at(0.02, 0.02), duration=45 * 60)
    problem = Problem((tech,), (booked,))
    plan = solve_valid(problem)
    assert [v.start for r in plan.routes for v in r.visits] == [13 * H]
    urgent = make_job("urgent", location=at(0.01, 0.01), priority=1, duration=30 * 60)
    after = insert(problem, plan, urgent, 9 * H)
    assert validate(with_job(problem, urgent), after) == []
    starts = {v.ref: v.start for r in after.routes for v in r.visits}
    assert starts["booked"] == 13 * H and starts["urgent"] < 13 * H
