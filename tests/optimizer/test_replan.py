"""Re-plan from now: the rest of a released day from the technicians' positions, moving few
visits (``optimizer.replan``)."""

from __future__ import annotations

import dataclasses

import pytest

from optimizer import Pin, Plan, Position, Problem, replan, replan_problem, validate
from tests.optimizer.optimizer_factories import H, assigned, at, make_job, make_tech, solve_valid

NOW = 11 * H


@pytest.fixture(scope="module")
def day() -> tuple[Problem, Plan]:
    techs = (make_tech("T1"), make_tech("T2", start=at(0.03, 0.02)),
             make_tech("T3", start=at(-0.02, 0.03)))
    jobs = tuple(make_job(f"J{i:02d}", location=at(0.005 * (i % 6) - 0.01, 0.006 * (i // 6)))
                 for i in range(18))
    problem = Problem(techs, jobs)
    return problem, solve_valid(problem, 2.0)


def starts(plan: Plan) -> dict[object, int]:
    return {v.ref: v.start for r in plan.routes for v in r.visits if v.kind == "job"}


def situation(plan: Plan, now: int) -> list[Position]:
    """Each technician as the plan says at ``now``: visits ended are done, the one under way
    is on site since its planned start."""
    out = []
    for r in plan.routes:
        done = tuple(v.ref for v in r.visits if v.end <= now)
        cur = next((v for v in r.visits if v.start <= now < v.end), None)
        out.append(Position(r.technician_id, done=done,
                            current=cur.ref if cur else None,
                            current_start=cur.start if cur else None))
    return out


def replanned(problem: Problem, plan: Plan, now: int, positions: list[Position],
              **kw: object) -> tuple[Problem, Plan]:
    new = replan(problem, plan, now, positions, time_limit_s=1.0, **kw)  # type: ignore[arg-type]
    rest = replan_problem(problem, plan, now, positions)
    assert validate(rest, new) == []
    return rest, new


def test_an_unchanged_situation_moves_nothing(day: tuple[Problem, Plan]) -> None:
    problem, plan = day
    _, new = replanned(problem, plan, 7 * H, [])
    assert assigned(new) == assigned(plan)
    assert starts(new) == starts(plan)  # not a minute earlier or later
    assert new.stats["moved_technician"] == 0 and new.stats["moved_time"] == 0


def test_completed_visits_leave_started_ones_stay_nobody_starts_before_now(
        day: tuple[Problem, Plan]) -> None:
    problem, plan = day
    positions = situation(plan, NOW)
    done = {j for p in positions for j in p.done}
    on_site = {p.current: p for p in positions if p.current is not None}
    assert done and on_site  # the fixture's day has both at 11:00
    rest, new = replanned(problem, plan, NOW, positions)
    now_at = assigned(new)
    assert not done & set(now_at) and not done & {u.job_id for u in new.unassigned}
    assert {j.id for j in rest.jobs} == {j.id for j in problem.jobs} - done
    for job_id, p in on_site.items():
        assert now_at[job_id] == p.technician_id
        assert starts(new)[job_id] == p.current_start
    for job_id, start in starts(new).items():
        if job_id not in on_site:
            assert start >= NOW
    assert new.stats["moved_technician"] == 0
    assert len(now_at) + len(new.unassigned) == len(problem.jobs) - len(done)


def test_en_route_visit_stays_with_its_technician(day: tuple[Problem, Plan]) -> None:
    problem, plan = day
    route = plan.routes[0]
    nxt = next(v for v in route.visits if v.start > NOW)
    positions = [Position(route.technician_id, location=at(0.001, 0.001), current=nxt.ref,
                          current_state="en_route",
                          done=tuple(v.ref for v in route.visits if v.start < NOW))]
    _, new = replanned(problem, plan, NOW, positions)
    assert assigned(new)[nxt.ref] == route.technician_id
    first = next(r for r in new.routes if r.technician_id == route.technician_id)
    assert first.start_time >= NOW


def test_locked_visits_keep_technician_and_time(day: tuple[Problem, Plan]) -> None:
    problem, plan = day
    later = [(r.technician_id, v) for r in plan.routes for v in r.visits if v.start > NOW + H]
    tech_id, visit = later[0]
    techs = tuple(dataclasses.replace(t, pins=(Pin(visit.ref, visit.start),))
                  if t.id == tech_id else t for t in problem.technicians)
    locked = dataclasses.replace(problem, technicians=techs)
    # Even when its technician's route is otherwise free to change, the locked visit stays.
    _, new = replanned(locked, plan, NOW, situation(plan, NOW))
    assert assigned(new)[visit.ref] == tech_id
    assert starts(new)[visit.ref] == visit.start


def test_a_technician_off_sick_moves_only_their_jobs(day: tuple[Problem, Plan]) -> None:
    problem, plan = day
    positions = situation(plan, NOW)
    sick = plan.routes[1].technician_id
    positions = [dataclasses.replace(p, available=False, current=None)
                 if p.technician_id == sick else p for p in positions]
    done = {j for p in positions for j in p.done}
    theirs = {v.ref for v in plan.routes[1].visits if v.ref not in done}
    assert theirs
    _, new = replanned(problem, plan, NOW, positions)
    before, after = assigned(plan), assigned(new)
    assert sick not in after.values()
    moved = {j for j, t in after.items() if before.get(j) != t}
    assert moved == theirs  # every job of theirs found another technician, nothing else moved
    assert new.stats["moved_technician"] == len(theirs)


def test_move_cost_keeps_a_worse_but_familiar_plan(day: tuple[Problem, Plan]) -> None:
    """With a high move cost nothing moves even when the old plan was made for another start;
    with none, the search is free to move visits (the count is reported either way)."""
    problem, plan = day
    positions = [Position(r.technician_id, location=at(0.03, 0.03)) for r in plan.routes]
    _, sticky = replanned(problem, plan, 8 * H, positions, move_cost=100_000.0)
    assert sticky.stats["moved_technician"] == 0
    _, free = replanned(problem, plan, 8 * H, positions, move_cost=0.0)
    assert isinstance(free.stats["moved_technician"], int)


def test_a_handed_over_job_is_priced_by_each_technicians_own_travel_profile() -> None:
    """The bike is nearer the sick colleague's job but four times slower: paid by the hour, the
    car gets it (priced at car speed, the bike would look cheaper)."""
    from optimizer import TravelModel

    travel = TravelModel(profiles={"bike": TravelModel(speed_kmh=10.0)})
    hourly = {"cost_per_km": 0.0, "cost_per_hour": 60.0, "cost_per_working_hour": 0.0}
    job = make_job("J1", location=at(0.009))
    sick = make_tech("S", start=at(0.009), **hourly)
    bike = make_tech("bike", start=at(0.0), profile="bike", **hourly)
    car = make_tech("car", start=at(0.0215), **hourly)
    before = solve_valid(Problem((sick,), (job,), travel=travel))
    problem = Problem((bike, car, sick), (job,), travel=travel)
    _, new = replanned(problem, before, 8 * 3600, [Position("S", available=False)])
    assert assigned(new) == {"J1": "car"}
