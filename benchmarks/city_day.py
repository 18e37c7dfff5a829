"""A synthetic but realistic day in one city: 60 technicians, 600 jobs, solved and disrupted.

    .venv/bin/python benchmarks/city_day.py --limit-s 60 [--seed 1] [--json out.json]

Prints: model build time, time to first feasible plan, objective after 10/30/60 s (from one run's
improvement trace), share assigned, on-time share, peak memory, validation, and the median and
p95 time of 100 successive emergency insertions (``optimizer.insert``) during the day.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimizer import (
    Break,
    Job,
    Point,
    Problem,
    Technician,
    TimeWindow,
    Warehouse,
    insert,
    solve,
    validate,
    with_job,
)
from optimizer.model import SolverOptions

H = 3600
CENTRE = Point(52.37, 4.89)
SKILLS = ("hvac", "electrical", "plumbing", "refrigeration", "elevator")
PARTS = tuple(f"part-{k:02d}" for k in range(12))


def _near(rng: random.Random, km: float) -> Point:
    # ~111 km per degree latitude, ~68 km per degree longitude at 52 N.
    return Point(CENTRE.lat + rng.uniform(-km, km) / 111.0,
                 CENTRE.lng + rng.uniform(-km, km) / 68.0)


def make_day(seed: int, n_tech: int = 60, n_jobs: int = 600) -> Problem:
    rng = random.Random(seed)
    techs = []
    for t in range(n_tech):
        start_h = rng.choice((7, 8, 8, 8, 9))
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 3))}
        stock = {p: rng.randint(0, 3) for p in rng.sample(PARTS, 6)}
        techs.append(Technician(
            id=f"tech-{t:02d}", start=_near(rng, 18), shifts=(TimeWindow(start_h * H,
                                                                          (start_h + 9) * H),),
            breaks=(Break("lunch", TimeWindow(12 * H, 13 * H + 1800), 1800),),
            skills=skills, max_work_s=9 * H, van_stock=stock,
            cost_per_km=rng.choice((0.35, 0.45)), cost_per_hour=rng.choice((28.0, 35.0)),
        ))
    jobs = []
    for j in range(n_jobs):
        kind = rng.random()
        if kind < 0.6:
            windows: tuple[TimeWindow, ...] = (TimeWindow(8 * H, 17 * H),)
        elif kind < 0.9:
            windows = (TimeWindow(8 * H, 12 * H),) if rng.random() < 0.5 else (
                TimeWindow(12 * H, 17 * H),)
        else:
            s = rng.randint(8, 15)
            windows = (TimeWindow(s * H, (s + 2) * H),)
        priority = rng.choices((1, 2, 3, 4), weights=(5, 15, 50, 30))[0]
        due = {1: 8 * H + rng.randint(2, 4) * H, 2: rng.randint(12, 17) * H,
               3: 17 * H, 4: None}[priority]
        n_sk = 1 if rng.random() < 0.85 else 2
        need = {s: rng.randint(1, 4) for s in rng.sample(SKILLS, n_sk)}
        parts = {rng.choice(PARTS): rng.randint(1, 2)} if rng.random() < 0.3 else {}
        jobs.append(Job(
            id=f"job-{j:03d}", location=_near(rng, 12), duration=rng.randint(10, 45) * 60,
            windows=windows, skills=need, priority=priority, sla_due=due, parts=parts,
            scale_duration_by_level=rng.random() < 0.5,
        ))
    warehouses = tuple(
        Warehouse(f"wh-{k}", _near(rng, 10), {p: 50 for p in PARTS}, pickup_duration=900)
        for k in range(3)
    )
    return Problem(tuple(techs), tuple(jobs), warehouses=warehouses, allow_pickups=True)


def _best_at(trace: list[tuple[float, float]], t: float) -> float | None:
    vals = [c for s, c in trace if s <= t]
    return min(vals) if vals else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-s", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--technicians", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=600)
    ap.add_argument("--insertions", type=int, default=100)
    ap.add_argument("--json", default=None)
    ap.add_argument("--metaheuristic", default=SolverOptions().metaheuristic)
    args = ap.parse_args(argv)
    problem = make_day(args.seed, args.technicians, args.jobs)
    problem = dataclasses.replace(problem, options=SolverOptions(metaheuristic=args.metaheuristic))
    t0 = time.perf_counter()
    plan = solve(problem, args.limit_s, seed=0)
    wall = time.perf_counter() - t0
    violations = validate(problem, plan)
    stats, kpis = plan.stats, plan.kpis
    trace = list(stats.get("objective_trace") or [])  # type: ignore[arg-type]
    build = float(stats.get("build_s") or 0.0)  # type: ignore[arg-type]
    first = stats.get("first_solution_s")
    out: dict[str, object] = {
        "technicians": args.technicians, "jobs": args.jobs, "limit_s": args.limit_s,
        "build_s": build,
        "first_feasible_s": None if first is None else round(build + float(first), 3),  # type: ignore[arg-type]
        "wall_s": round(wall, 2),
        "objective": {f"{t}s": _best_at(trace, t) for t in (10, 30, 60) if t <= args.limit_s},
        "final_objective": plan.objective,
        "assigned_share": kpis["assigned_share"], "on_time_share": kpis["on_time_share"],
        "unassigned_by_priority": kpis["unassigned_by_priority"],
        "unassigned_reasons": _count(u.reason for u in plan.unassigned),
        "travel_km": kpis["travel_km"], "routes_used": kpis["routes_used"],
        "pickups": sum(v.kind == "pickup" for r in plan.routes for v in r.visits),
        "violations": len(violations), "time_profiles": stats.get("time_profiles"),
        "part_dimensions": len(stats.get("part_dimensions") or []),  # type: ignore[arg-type]
    }
    print(json.dumps(out, indent=1), flush=True)
    # 100 emergencies arriving through the day, each inserted into the current plan.
    rng = random.Random(args.seed + 1)
    times: list[float] = []
    inserted = 0
    bad = 0
    current, cur_plan = problem, plan
    for k in range(args.insertions):
        now = 9 * H + k * (5 * H // max(1, args.insertions))
        job = Job(id=f"emergency-{k:03d}", location=_near(rng, 15),
                  duration=rng.randint(20, 60) * 60, priority=1, sla_due=now + 2 * H,
                  windows=(TimeWindow(now, 17 * H),),
                  skills={rng.choice(SKILLS): rng.randint(1, 3)})
        s = time.perf_counter()
        cur_plan = insert(current, cur_plan, job, now)
        times.append((time.perf_counter() - s) * 1000)
        current = with_job(current, job)
        inserted += bool(cur_plan.stats.get("inserted"))
    if args.insertions:
        after = validate(current, cur_plan)
        bad = len(after)
        for v in after[:5]:
            print(f"  ! {v.code} job={v.job_id} tech={v.technician_id}: {v.detail}")
        q = statistics.quantiles(times, n=20)
        ins = {"count": args.insertions, "inserted": inserted,
               "median_ms": round(statistics.median(times), 1), "p95_ms": round(q[18], 1),
               "violations_after": bad}
        out["insertions"] = ins
        print(json.dumps({"insertions": ins}, indent=1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_memory_mb"] = round(peak_mb, 1)
    print(f"peak memory: {peak_mb:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0 if not violations and not bad else 1


def _count(items: object) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:  # type: ignore[attr-defined]
        out[x] = out.get(x, 0) + 1
    return out


if __name__ == "__main__":
    raise SystemExit(main())
