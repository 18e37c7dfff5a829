"""A day larger than one machine: split by territory, parts solved on Celery workers, merged.

`optimizer.territory` does the splitting, merging and border repair; this module sends the
parts to workers (the `fieldops.solve_part` task: problem JSON in, plan JSON and the worker's
timings out), waits for them, and returns one plan for the whole day. The transport is a
callable, so the same code runs with Celery (`celery_sender`) or in-process (tests of the
merge, the benchmark's one-process peer). See docs/country_scale.md for N workers.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

import optimizer as opt
from app.dispatch.service.problem import (
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
)
from optimizer.territory import merge, repair, split

# (problem JSON, time limit, seed) -> something with .get(timeout=...) -> result dict
Sender = Callable[[dict[str, Any], float, int], Any]


def solve_part_json(problem: dict[str, Any], time_limit_s: float, seed: int = 0
                    ) -> dict[str, Any]:
    """What a worker does with one part: solve it, report where and how long."""
    wall, cpu = time.monotonic(), time.process_time()
    plan = opt.solve(problem_from_json(problem), time_limit_s, seed=seed)
    return {"plan": plan_to_json(plan), "wall_s": round(time.monotonic() - wall, 3),
            "cpu_s": round(time.process_time() - cpu, 3),
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def celery_sender(celery: Any) -> Sender:
    return lambda problem, limit, seed: celery.send_task(
        "fieldops.solve_part", args=[problem, limit, seed])


class _Done:
    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def get(self, timeout: float | None = None) -> dict[str, Any]:
        return self.value


def local_sender(problem: dict[str, Any], limit: float, seed: int) -> _Done:
    """Solve in this process, one part after the other (a reference, not for production)."""
    return _Done(solve_part_json(problem, limit, seed))


def solve_by_territory(problem: opt.Problem, *, parts: int, time_limit_s: float,
                       send: Sender, workers: int = 1,
                       territory_of: Mapping[Any, object] | None = None,
                       neighbours: int = 12, repair_own_part: bool = False,
                       seed: int = 0) -> opt.Plan:
    """Split, solve the parts through `send`, merge, repair the border.

    Each part gets ``time_limit_s * workers / parts`` (at least 1 s): with as many workers as
    `workers` the parts finish in about ``time_limit_s``. ``stats`` carries, per part, its size,
    the worker that solved it, its wall and CPU seconds; and the split, wait and repair times.
    """
    t0 = time.monotonic()
    pieces = split(problem, parts, territory_of=territory_of)
    per_part = max(1.0, time_limit_s * max(1, workers) / max(1, len(pieces)))
    t_split = time.monotonic()
    pending = [send(problem_to_json(p.problem), per_part, seed) for p in pieces]
    waves = -(-len(pieces) // max(1, workers))
    results = [r.get(timeout=4 * per_part * waves + 600) for r in pending]
    t_solved = time.monotonic()
    plans = [plan_from_json(r["plan"]) for r in results]
    merged = repair(problem, merge(problem, plans), parts=pieces, neighbours=neighbours,
                    own_part=repair_own_part)
    t_end = time.monotonic()
    stats = {
        **merged.stats, "parts": len(pieces), "part_limit_s": per_part,
        "split_s": round(t_split - t0, 3), "solve_wall_s": round(t_solved - t_split, 3),
        "repair_s": round(t_end - t_solved, 3), "wall_s": round(t_end - t0, 3),
        "cpu_s_workers": round(sum(r["cpu_s"] for r in results), 3),
        "part_stats": [{"key": str(p.key), "technicians": len(p.problem.technicians),
                        "jobs": len(p.problem.jobs), "worker": r["worker"],
                        "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                        "status": pl.stats.get("status"),
                        "assigned": sum(len(rt.visits) for rt in pl.routes)}
                       for p, r, pl in zip(pieces, results, plans, strict=True)],
    }
    return opt.Plan(merged.routes, merged.unassigned, merged.kpis, merged.objective, stats)
