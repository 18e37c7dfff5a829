"""A country-scale day split by territory and solved on real Celery workers.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/country_day.py --techs 500 --jobs 5000 \\
        --parts 10 --workers 2 --limit-s 60 [--peer] [--redis redis://127.0.0.1:6379/5]

Starts ``--workers`` Celery worker processes (``celery -A app.celery_worker worker``, solo
pool, one task at a time each) on the local Redis, splits the day into ``--parts`` territories
(k-means on the technicians' starts, ``optimizer.territory``), solves the parts on the workers
(``fieldops.solve_part``), merges them and repairs the border. Prints the parts (technicians,
jobs, worker, wall and CPU seconds each), the split / solve / repair / total wall, the workers'
CPU seconds, jobs assigned and whether the whole plan validates. With ``--peer`` the same day
is also solved in this one process by ``optimizer.solve`` at the same total limit (model
build included in its wall), with its CPU seconds: the peer runs after the split run, on the
same data.

The day: ``--cities`` cities spread over a 800 x 600 km country; technicians live within 25 km
of a city, jobs lie within 35 km (so some sit between cities' technicians); skills with levels,
one or two windows, priorities, a lunch break.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer import Break, Job, Point, Problem, Technician, TimeWindow, solve, validate  # noqa: E402

H = 3600
SKILLS = ("hvac", "electrical", "plumbing", "refrigeration", "elevator")


def make_country_day(seed: int, n_tech: int, n_jobs: int, cities: int) -> Problem:
    rng = random.Random(seed)
    centres = [Point(47.5 + rng.uniform(0, 5.4), 6.5 + rng.uniform(0, 8.0))
               for _ in range(cities)]

    def near(c: Point, km: float) -> Point:
        return Point(c.lat + rng.uniform(-km, km) / 111.0, c.lng + rng.uniform(-km, km) / 73.0)

    techs = []
    for t in range(n_tech):
        c = centres[t % cities]
        start_h = rng.choice((7, 8, 8, 9))
        techs.append(Technician(
            id=f"T{t:04d}", start=near(c, 25), shifts=(TimeWindow(start_h * H, (start_h + 9) * H),),
            breaks=(Break("lunch", TimeWindow(12 * H, 13 * H), 1800),),
            skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 3))},
            max_work_s=8 * H))
    jobs = []
    for j in range(n_jobs):
        c = centres[rng.randrange(cities)]
        windows: tuple[TimeWindow, ...] = ()
        r = rng.random()
        if r < 0.3:
            a = rng.choice((8, 10, 13))
            windows = (TimeWindow(a * H, (a + 3) * H),)
        elif r < 0.4:
            windows = (TimeWindow(8 * H, 10 * H), TimeWindow(14 * H, 16 * H))
        jobs.append(Job(
            id=f"J{j:05d}", location=near(c, 35), duration=rng.choice((1800, 2700, 3600)),
            windows=windows, skills={rng.choice(SKILLS): rng.randint(1, 3)},
            priority=rng.choice((1, 2, 3, 3, 4, 4))))
    return Problem(tuple(techs), tuple(jobs))


def _start_workers(n: int, redis: str, tmp: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CELERY_BROKER_URL": redis,
           "CELERY_RESULT_BACKEND": redis, "FIELDOPS_INSTANCE_DIR": tmp,
           "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
    return [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.celery_worker", "worker", "--pool=solo",
         "--concurrency=1", "--prefetch-multiplier=1", "-n", f"bench{i}@%h",
         "--loglevel=WARNING", "-Q", "country"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/worker{i}.log", "wb"))
        for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=5000)
    ap.add_argument("--cities", type=int, default=10)
    ap.add_argument("--parts", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit-s", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--peer", action="store_true", help="also solve in one process")
    ap.add_argument("--repair-own-part", action="store_true",
                    help="the border repair also tries the job's own part's routes")
    ap.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL",
                                                      "redis://127.0.0.1:6379/5"))
    args = ap.parse_args(argv)

    from celery import Celery

    from app.dispatch.service.country import solve_by_territory

    problem = make_country_day(args.seed, args.techs, args.jobs, args.cities)
    print(f"day: {args.techs} technicians, {args.jobs} jobs, {args.cities} cities; "
          f"{args.parts} parts on {args.workers} Celery workers, limit {args.limit_s:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        workers = _start_workers(args.workers, args.redis, tmp)
        try:
            client = Celery("bench", broker=args.redis, backend=args.redis)
            deadline = time.monotonic() + 600
            while len(client.control.ping(timeout=1.0) or []) < args.workers:
                if time.monotonic() > deadline:
                    raise SystemExit("workers did not start: " + Path(
                        f"{tmp}/worker0.log").read_text()[-2000:])

            def send(pj, limit, seed):  # type: ignore[no-untyped-def]
                return client.send_task("fieldops.solve_part", args=[pj, limit, seed],
                                        queue="country")

            cpu0 = time.process_time()
            plan = solve_by_territory(problem, parts=args.parts, time_limit_s=args.limit_s,
                                      send=send, workers=args.workers,
                                      repair_own_part=args.repair_own_part)
            cpu_here = time.process_time() - cpu0
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:  # busy in a search: warm shutdown waits
                    w.kill()
                    w.wait()
    s = plan.stats
    print(f"{'part':>5} {'techs':>6} {'jobs':>6} {'assigned':>8} {'wall s':>7} {'cpu s':>7}"
          "  worker status")
    for p in s["part_stats"]:  # type: ignore[attr-defined]
        print(f"{p['key']:>5} {p['technicians']:>6} {p['jobs']:>6} {p['assigned']:>8} "
              f"{p['wall_s']:>7.1f} {p['cpu_s']:>7.1f}  {p['worker']} {p['status']}")
    walls = sorted(p["wall_s"] for p in s["part_stats"])  # type: ignore[attr-defined]
    violations = validate(problem, plan)
    assigned = sum(len(r.visits) for r in plan.routes)
    print(f"split: per-part limit {s['part_limit_s']:.1f} s; part wall median "
          f"{walls[len(walls) // 2]:.1f} s, max {walls[-1]:.1f} s")
    print(f"split: wall split {s['split_s']:.1f} s + solve {s['solve_wall_s']:.1f} s + repair "
          f"{s['repair_s']:.1f} s = {s['wall_s']:.1f} s; CPU workers {s['cpu_s_workers']:.1f} s "
          f"+ this process {cpu_here:.1f} s")
    print(f"split: jobs assigned {assigned} / {len(problem.jobs)} (border repair placed "
          f"{s['repaired']} of {s['repair_tried']} tried); validate: {len(violations)} violations")
    if args.peer:
        wall0, cpu0 = time.monotonic(), time.process_time()
        one = solve(problem, args.limit_s)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        one_assigned = sum(len(r.visits) for r in one.routes)
        print(f"one process ({one.stats.get('status')}): jobs assigned {one_assigned} / "
              f"{len(problem.jobs)}; wall "
              f"{wall:.1f} s (build {one.stats.get('build_s')} s); CPU {cpu:.1f} s; "
              f"validate: {len(validate(problem, one))} violations")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
