"""Split by territory, solve the parts apart, merge, repair the border (``optimizer.territory``)."""

from __future__ import annotations

from optimizer import Problem, TimeWindow, solve, validate
from optimizer.territory import merge, repair, split
from tests.optimizer.optimizer_factories import H, at, make_job, make_tech


def test_k_means_split_keeps_every_technician_and_job_once() -> None:
    techs = tuple(make_tech(f"T{i}", start=at(0.5 * (i % 2), 0.01 * i)) for i in range(6))
    jobs = tuple(make_job(f"J{i}", location=at(0.5 * (i % 2) + 0.01, 0.002 * i))
                 for i in range(20))
    parts = split(Problem(techs, jobs), 2)
    assert len(parts) == 2
    assert sorted(t.id for p in parts for t in p.problem.technicians) == sorted(t.id for t in techs)
    assert sorted(j.id for p in parts for j in p.problem.jobs) == sorted(j.id for j in jobs)
    for p in parts:  # each territory is one city
        assert len({round(t.start.lat) for t in p.problem.technicians}) == 1


def test_jobs_a_full_territory_cannot_take_are_repaired_onto_the_neighbours_routes() -> None:
    short = (TimeWindow(8 * H, 10 * H),)
    techs = (make_tech("A", start=at(0, 0), shifts=short),
             make_tech("B", start=at(0, 0.05)))
    jobs = tuple(make_job(f"J{i}", location=at(0.002 * i, 0.01)) for i in range(6))
    problem = Problem(techs, jobs)
    parts = split(problem, 2, territory_of={"A": "west", "B": "east"})
    west = next(p for p in parts if p.key == "west")
    assert len(west.problem.jobs) == 6  # all nearer A
    plans = [solve(p.problem, 0.5) for p in parts]
    merged = merge(problem, plans)
    assert merged.unassigned  # A's two hours cannot hold six half-hour jobs and the driving
    fixed = repair(problem, merged, parts=parts)
    assert validate(problem, fixed) == []
    assert fixed.stats["repaired"] == len(merged.unassigned) and not fixed.unassigned
    assert {r.technician_id for r in fixed.routes} == {"A", "B"}
