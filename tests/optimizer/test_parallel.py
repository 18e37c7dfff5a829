"""Independent searches in several processes (``SolverOptions.parallel_searches``): the best
plan of the seeds is kept, reproducibly, and the figures of every search are reported."""

from __future__ import annotations

import dataclasses

import pytest
from optimizer_factories import H, at, make_job, make_tech

from optimizer import Problem, SolverOptions, TimeWindow, solve, validate


def _day(options: SolverOptions) -> Problem:
    techs = (make_tech("T1"), make_tech("T2", start=at(0.03, 0.02)),
             make_tech("T3", start=at(-0.02, 0.03)))
    jobs = tuple(make_job(f"J{i:02d}", location=at(0.004 * (i % 7) - 0.012, 0.005 * (i // 7)),
                          priority=1 + i % 4,
                          windows=(TimeWindow((8 + i % 5) * H, (11 + i % 5) * H),))
                 for i in range(24))
    return Problem(techs, jobs, options=options)


def test_several_searches_keep_the_best_seed_and_report_each() -> None:
    one = SolverOptions(solution_limit=30, metaheuristic="GUIDED_LOCAL_SEARCH")
    alone = [solve(_day(one), 30, seed=s) for s in (4, 5, 6)]
    problem = _day(dataclasses.replace(one, parallel_searches=3))
    plan = solve(problem, 30, seed=4)
    assert validate(problem, plan) == []
    best = min(range(3), key=lambda k: (alone[k].objective, k))
    assert plan.routes == alone[best].routes and plan.objective == alone[best].objective
    report = plan.stats["parallel"]
    assert report["searches"] == 3 and report["seeds"] == [4, 5, 6]
    assert report["objectives"] == [p.objective for p in alone]
    assert report["best_seed"] == 4 + best and report["cpu_s"] > 0
    assert len(set(report["objectives"])) > 1  # the seeds differ: the choice is real


def test_parallel_searches_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SolverOptions(parallel_searches=0)
