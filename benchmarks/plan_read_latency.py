"""Latency of ordinary reads while a day plan is being solved (issue 12: a plan run must never
hold the database).

    .venv/bin/python benchmarks/plan_read_latency.py [--limit-s 30] [--jobs 300]
        [--database sqlite|postgis|both] [--postgres-url URL]

For each database: a fresh one (a temporary SQLite + SpatiaLite file; for PostGIS a scratch
database created on the server of `--postgres-url` and dropped afterwards), the schema by the
migrations, `seed-demo --size city` and `--jobs` open work orders for next Monday. Then it
requests a plan through the API with `--limit-s` (solved by the in-process pool, as under
`make run`) and then issues ordinary reads until the run has finished: GET /api/v1/me and
GET /api/v1/work-orders (first page) alternately, and every tenth read the run itself (the
dispatcher's poll). It prints count, p50, p95 and max per endpoint, the same reads with no
run as a baseline, failed reads (e.g. 503 "database is locked") and the run's end state.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

READS = ("/api/v1/me", "/api/v1/work-orders?page_size=25")


def _next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def _figures(samples: list[float]) -> str:
    if not samples:
        return "count 0"
    ordered = sorted(samples)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return (f"count {len(ordered):5d}  p50 {statistics.median(ordered) * 1000:8.1f} ms  "
            f"p95 {p95 * 1000:8.1f} ms  max {ordered[-1] * 1000:8.1f} ms")


def _postgres_scratch(base_url: str) -> tuple[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    name = f"fieldops_bench_{uuid.uuid4().hex[:8]}"

    def dsn(url: Any) -> str:
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    with psycopg.connect(dsn(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name)
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def drop() -> None:
        with psycopg.connect(dsn(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.render_as_string(hide_password=False), drop


def measure(label: str, url: str, args: argparse.Namespace) -> None:
    from flask_jwt_extended import create_access_token
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.assets.models import Asset, Site
    from app.auth.models import Role, User
    from app.demo import seed_demo
    from app.extensions import db
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrderSkill

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    day = _next_monday()
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision="heads")
        seed_demo(db.session, seed=args.seed, size="city")
        rng = random.Random(args.seed)
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        assets = {a.site_id: a for a in db.session.scalars(select(Asset).order_by(Asset.id))}
        for _ in range(args.jobs):
            site = rng.choice(sites)
            asset = assets.get(site.id)
            skills = ([WorkOrderSkill(skill_id=s.skill_id, min_level=min(s.min_level, 3))
                       for s in asset.equipment_model.skills] if asset is not None else [])
            workorders.new_work_order(
                db.session, site=site, asset=asset, title="Benchmark fault",
                description="Generated.", actor=None,
                priority=rng.choices(["P1", "P2", "P3", "P4"], [1, 3, 8, 4])[0],
                estimated_duration_min=rng.choice([30, 45, 60, 90]), skills=skills)
        db.session.commit()
        boss = db.session.scalar(select(User).where(User.role == Role.dispatcher).limit(1))
        headers = {"Authorization": "Bearer " + create_access_token(
            identity=str(boss.id), additional_claims={"role": boss.role})}
        print(f"[{label}] migrations, city demo and {args.jobs} work orders: "
              f"{time.perf_counter() - t0:.1f} s; plan date {day}")

    client = app.test_client()

    failures: list[str] = []

    def read(path: str) -> float:
        t0 = time.perf_counter()
        r = client.get(path, headers=headers)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:  # e.g. 503 "database is locked": counted, still timed
            failures.append(f"{r.status_code} after {elapsed:.1f} s")
        return elapsed

    baseline: dict[str, list[float]] = {p: [] for p in READS}
    for i in range(60):
        path = READS[i % 2]
        baseline[path].append(read(path))

    r = client.post("/api/v1/dispatch/plans", headers=headers,
                    json={"date": day.isoformat(), "time_limit_s": args.limit_s})
    if r.status_code != 202:
        raise SystemExit(f"plan request answered {r.status_code}: {r.get_json()}")
    run_id = r.get_json()["id"]
    poll = f"/api/v1/dispatch/plans/{run_id}"
    during: dict[str, list[float]] = {p: [] for p in (*READS, poll)}
    t_run = time.perf_counter()
    status, i = "queued", 0
    while status in ("queued", "running"):
        path = READS[i % 2]
        during[path].append(read(path))
        i += 1
        if i % 10 == 0:  # the dispatcher's poll is an ordinary read too
            t0 = time.perf_counter()
            status = client.get(poll, headers=headers).get_json()["status"]
            during[poll].append(time.perf_counter() - t0)
        time.sleep(0.02)  # a client that reads, not a flood: leaves the solver its share
    run = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()
    for path in READS:
        print(f"[{label}] GET {path:36s} no run    {_figures(baseline[path])}")
        print(f"[{label}] GET {path:36s} during run {_figures(during[path])}")
    print(f"[{label}] GET {'/api/v1/dispatch/plans/<id>':36s} during run "
          f"{_figures(during[poll])}")
    every = [t for samples in during.values() for t in samples]
    print(f"[{label}] all reads during the run      {_figures(every)}")
    print(f"[{label}] failed reads during the run: {len(failures)} {failures[:3]}")
    print(f"[{label}] run {run_id}: {run['status']} after {time.perf_counter() - t_run:.1f} s "
          f"of reading (limit {args.limit_s:g} s); assigned share "
          f"{(run.get('kpis') or {}).get('assigned_share')}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit-s", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("BENCH_POSTGRES_URL",
                                               "postgresql+psycopg://postgres@127.0.0.1:5432/"
                                               "postgres"))
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="fieldops_bench_")
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", instance)
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    try:
        if args.database in ("sqlite", "both"):
            measure("sqlite", f"sqlite:///{instance}/bench.sqlite3", args)
        if args.database in ("postgis", "both"):
            url, drop = _postgres_scratch(args.postgres_url)
            try:
                measure("postgis", url, args)
            finally:
                drop()
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
