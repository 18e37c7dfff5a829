"""Factories and helpers for hand-made optimizer problems (no database, no Flask).

Coordinates are around Amsterdam; 0.01 degree of latitude is about 1.1 km (about 2 min at the
default 40 km/h with road factor 1.3). Times are seconds since midnight.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from optimizer import (
    Job,
    Plan,
    Point,
    Problem,
    SolverOptions,
    Technician,
    TimeWindow,
    Weights,
    solve,
    validate,
)

H = 3600
DAY = TimeWindow(8 * H, 17 * H)
BASE = Point(52.37, 4.89)
LIMIT_S = 1.0


def at(dlat: float = 0.0, dlng: float = 0.0) -> Point:
    return Point(BASE.lat + dlat, BASE.lng + dlng)


def make_tech(tech_id: str = "T1", **kw: Any) -> Technician:
    kw.setdefault("start", BASE)
    kw.setdefault("shifts", (DAY,))
    return Technician(id=tech_id, **kw)


def make_job(job_id: str = "J1", **kw: Any) -> Job:
    kw.setdefault("location", at(0.01))
    kw.setdefault("duration", 30 * 60)
    return Job(id=job_id, **kw)


def windows_and_loads(seed: int, n: int, width: int, vans: int,
                      options: SolverOptions | None = None) -> Problem:
    """A small Solomon-R-like day: ``n`` jobs of 10 minutes with a ``width``-second window
    opening between 8:00 and 15:00 and a "load" of 5-20, ``vans`` vans of 100, no load
    balance."""
    rng = random.Random(seed)
    jobs = []
    for i in range(n):
        open_at = rng.randint(8 * H, 15 * H)
        jobs.append(make_job(f"C{i}", location=at(rng.uniform(-0.05, 0.05),
                                                   rng.uniform(-0.05, 0.05)),
                             duration=600, windows=(TimeWindow(open_at, open_at + width),),
                             parts={"load": rng.randint(5, 20)}))
    techs = tuple(make_tech(f"V{k}", van_stock={"load": 100}) for k in range(vans))
    return Problem(techs, tuple(jobs), weights=Weights(balance_per_hour=0.0),
                   options=options or SolverOptions())


def replace_visit(plan: Plan, tech_id: object, pos: int, **changes: Any) -> Plan:
    """A copy of ``plan`` with one visit changed (to build broken plans for ``validate``)."""
    routes = []
    for r in plan.routes:
        if r.technician_id == tech_id:
            visits = list(r.visits)
            visits[pos] = dataclasses.replace(visits[pos], **changes)
            r = dataclasses.replace(r, visits=tuple(visits))
        routes.append(r)
    return dataclasses.replace(plan, routes=tuple(routes))


def codes(problem: Problem, plan: Plan) -> set[str]:
    return {v.code for v in validate(problem, plan)}


def solve_valid(problem: Problem, limit_s: float = LIMIT_S, seed: int = 0) -> Plan:
    """Solve and insist the plan passes ``validate``."""
    plan = solve(problem, limit_s, seed=seed)
    assert validate(problem, plan) == []
    return plan


def assigned(plan: Plan) -> dict[object, object]:
    """job id -> technician id."""
    return {v.ref: r.technician_id for r in plan.routes for v in r.visits if v.kind == "job"}


def reasons(plan: Plan) -> dict[object, str]:
    return {u.job_id: u.reason for u in plan.unassigned}
