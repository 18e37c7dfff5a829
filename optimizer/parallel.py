"""Independent searches in several processes, the best plan kept
(``SolverOptions.parallel_searches``).

Each process runs the whole ``solve`` on the same problem with its own seed (``seed``,
``seed + 1``, ...: the seed permutes the order in which jobs enter the model, so the searches
take different paths) until one shared deadline, ``time_limit_s`` from the call, process start
included. The plan with the lowest objective wins (the lowest seed on a tie), so with
``SolverOptions.solution_limit`` the result is reproducible on any machine. It buys quality
with cores, not with time: ``stats["parallel"]`` carries every search's objective and the CPU
seconds of all of them, to report the gain per core, never as a single-thread result.

Processes are started with ``spawn`` (a fork of a process holding OR-Tools' or a web server's
threads is unsafe). A daemonic process (e.g. a Celery prefork worker) may not start children:
there the one search of ``seed`` runs in process and ``stats["parallel"]["fallback"]`` says so.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time as _time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from optimizer.model import Plan, Problem


def _search(problem: Problem, deadline: float, min_search_s: float, seed: int
            ) -> tuple[Plan, float]:
    from optimizer.search import solve_problem

    c0 = _time.process_time()
    plan = solve_problem(problem, max(min_search_s, deadline - _time.time()), seed=seed)
    return plan, _time.process_time() - c0


def solve_parallel(problem: Problem, time_limit_s: float, seed: int) -> Plan:
    from optimizer.search import MIN_SEARCH_S, solve_problem

    searches = problem.options.parallel_searches
    single = dataclasses.replace(
        problem, options=dataclasses.replace(problem.options, parallel_searches=1))
    if multiprocessing.current_process().daemon:
        plan = solve_problem(single, time_limit_s, seed=seed)
        return _with_stats(plan, {"searches": 1, "fallback": "daemonic process", "seeds": [seed]})
    deadline = _time.time() + time_limit_s
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=searches, mp_context=ctx) as pool:
        futures = [pool.submit(_search, single, deadline, MIN_SEARCH_S, seed + k)
                   for k in range(searches)]
        results = [f.result() for f in futures]
    best = min(range(searches), key=lambda k: (results[k][0].objective, k))
    return _with_stats(results[best][0], {
        "searches": searches,
        "seeds": [seed + k for k in range(searches)],
        "objectives": [r[0].objective for r in results],
        "best_seed": seed + best,
        "cpu_s": round(sum(r[1] for r in results), 3),
    })


def _with_stats(plan: Plan, parallel: dict[str, Any]) -> Plan:
    return dataclasses.replace(plan, stats={**plan.stats, "parallel": parallel})
