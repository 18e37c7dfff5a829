"""Scale: 100 technicians x 1,000 jobs in one day, and a working week (5 shifts each) in one call.

    .venv/bin/python benchmarks/scale.py [--limit-s 10] [--seed 1] [--cases day,week,...]
        [--json out.json]

Each case runs in a fresh process, so that its peak memory (``ru_maxrss``, which counts
OR-Tools' C++ allocations too) is its own. Per case it prints: model build time (wall and
CPU), time to the first feasible plan from the call, objective after the limit, jobs
assigned and left out by priority, routes per day, peak RSS, the violations ``validate``
finds, and wall and CPU seconds of the whole ``solve`` call (``time_limit_s`` covers it all).

Cases (the day comes from ``benchmarks/city_day.py``'s generator):
- ``day``: 100 x 1,000 city day, the default start (``optimizer.start`` above its size);
- ``day-ortools-start``: the same day with the fast start switched off, for comparison (on
  this mixed-priority day that is the priority-first start of ``optimizer.construct``; on a
  day of one priority and one service profile, OR-Tools' own insertion start);
- ``week``: the same technicians on five shifts (Monday to Friday, lunch each day) and
  1,000 jobs spread over the week (a quarter of them "any day", five windows);
- ``week-busy``: a realistic week load: 20 technicians x 5 shifts, 1,000 jobs (10 a day each).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.city_day import make_day
from optimizer import Break, Problem, TimeWindow, solve, validate

H = 3600
DAY = 24 * H
DAYS = 5
CASES = ("day", "day-ortools-start", "week", "week-busy")


def make_week(seed: int, n_tech: int = 100, n_jobs: int = 1000, days: int = DAYS) -> Problem:
    """City-day technicians on ``days`` shifts (a lunch break each day), jobs over the week."""
    day = make_day(seed, n_tech, n_jobs)
    rng = random.Random(seed + 7)
    techs = []
    for t in day.technicians:
        (shift,) = t.shifts
        techs.append(dataclasses.replace(
            t,
            shifts=tuple(TimeWindow(d * DAY + shift.start, d * DAY + shift.end)
                         for d in range(days)),
            breaks=tuple(Break(f"lunch-{d}", TimeWindow(d * DAY + 12 * H, d * DAY + 13 * H + 1800),
                               1800) for d in range(days)),
        ))
    jobs = []
    for job in day.jobs:
        if rng.random() < 0.25 and job.priority >= 3:
            # Any day this week: the same hours every day, SLA at the end of the week.
            windows = tuple(TimeWindow(d * DAY + w.start, d * DAY + w.end)
                            for d in range(days) for w in job.windows)
            due = None if job.sla_due is None else (days - 1) * DAY + job.sla_due
        else:
            d = rng.randrange(days)
            windows = tuple(TimeWindow(d * DAY + w.start, d * DAY + w.end) for w in job.windows)
            due = None if job.sla_due is None else d * DAY + job.sla_due
        jobs.append(dataclasses.replace(job, windows=windows, sla_due=due))
    return dataclasses.replace(day, technicians=tuple(techs), jobs=tuple(jobs))


def problem_of(case: str, seed: int) -> Problem:
    if case.startswith("day"):
        return make_day(seed, 100, 1000)
    if case == "week":
        return make_week(seed, 100, 1000)
    if case == "week-busy":
        return make_week(seed, 20, 1000)
    raise SystemExit(f"unknown case {case!r}; known: {', '.join(CASES)}")


def run_one(case: str, limit_s: float, seed: int) -> dict[str, object]:
    """Solve one case in this process and report on it."""
    problem = problem_of(case, seed)
    if case == "day-ortools-start":
        problem = dataclasses.replace(problem, options=dataclasses.replace(
            problem.options, fast_start_min_pairs=10**18))  # OR-Tools' insertion start
    t0, c0 = time.perf_counter(), time.process_time()
    plan = solve(problem, limit_s)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    violations = validate(problem, plan)
    st, kpis = plan.stats, plan.kpis
    per_day: dict[int, int] = {}
    for r in plan.routes:
        per_day[r.shift] = per_day.get(r.shift, 0) + 1
    return {
        "case": case, "technicians": len(problem.technicians), "jobs": len(problem.jobs),
        "shifts": sum(len(t.shifts) for t in problem.technicians), "limit_s": limit_s,
        "build_s": st.get("build_s"), "build_cpu_s": st.get("build_cpu_s"),
        "first_feasible_s": st.get("first_feasible_s"),
        "first_feasible_cpu_s": st.get("first_feasible_cpu_s"),
        "start": st.get("first_solution_strategy"), "objective": plan.objective,
        "first_objective": (st.get("objective_trace") or [(None, None)])[0][1],  # type: ignore[index]
        "assigned": kpis.get("jobs_assigned"),
        "unassigned_by_priority": kpis.get("unassigned_by_priority"),
        "routes_per_day": [per_day.get(d, 0) for d in range(max(per_day, default=-1) + 1)],
        "time_profiles": st.get("time_profiles"), "nodes": st.get("nodes"),
        "violations": len(violations), "violation_codes": sorted({v.code for v in violations}),
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-s", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--json", default=None)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.limit_s, args.seed)))
        return 0
    rows = []
    for case in args.cases.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", case, "--limit-s", str(args.limit_s),
             "--seed", str(args.seed)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| case | techs x jobs (shifts) | build s (CPU) | first feasible s (CPU) | start | "
          "first / final objective | assigned | left out | peak RSS MB | violations | "
          "wall s (CPU) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['technicians']} x {r['jobs']} ({r['shifts']}) | "
              f"{r['build_s']} ({r['build_cpu_s']}) | {r['first_feasible_s']} "
              f"({r['first_feasible_cpu_s']}) | {r['start']} | "
              f"{r['first_objective']} / {r['objective']} | {r['assigned']} | "
              f"{r['unassigned_by_priority']} | {r['peak_rss_mb']} | {r['violations']} | "
              f"{r['wall_s']} ({r['cpu_s']}) |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if all(r["violations"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
