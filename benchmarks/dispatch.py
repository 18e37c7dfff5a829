"""Dispatch through the app on `flask seed-demo --size city` data (SpatiaLite by default).

    .venv/bin/python benchmarks/dispatch.py [--limit-s 30] [--jobs 600] [--database-url URL]

Builds a fresh database in a temporary instance directory (or uses --database-url, which must
be empty), runs the migrations, seeds the city demo data and adds `--jobs` open work orders on
demo sites for next Monday (the demo seeders make no work orders), then prints:

- candidates for one job through the API: median and p95 ms over 30 requests;
- a day plan for the 60 technicians and the jobs: time to the first feasible plan, objective,
  share assigned and on-time share after `--limit-s` seconds, and `optimizer.validate`;
- applying that plan (ms), then one emergency insertion into it through the API (ms).
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
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit-s", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary instance dir.")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="fieldops_bench_")
    try:
        run(args, instance)
    finally:
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)


def run(args: argparse.Namespace, instance: str) -> None:
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", instance)
    url = args.database_url or f"sqlite:///{instance}/bench.sqlite3"

    from flask_jwt_extended import create_access_token
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    import optimizer as opt
    from app import create_app
    from app.assets.models import Asset, Site
    from app.auth.models import Role, User
    from app.demo import seed_demo
    from app.dispatch import service as dispatch
    from app.dispatch.models import OptimizationRun, RunKind
    from app.dispatch.service.plans import new_run, store_plan
    from app.dispatch.service.problem import build_day_problem
    from app.extensions import db
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrderSkill

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    day = _next_monday()
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision="heads")
        seed_demo(db.session, seed=args.seed, size="city")
        db.session.commit()
        print(f"database: {url.split('://')[0]}; migrations + seed-demo city: "
              f"{time.perf_counter() - t0:.1f} s")
        rng = random.Random(args.seed)
        sites = list(db.session.scalars(select(Site).order_by(Site.id)))
        urgent_site_id = sites[len(sites) // 2].id
        assets = {a.site_id: a for a in db.session.scalars(select(Asset).order_by(Asset.id))}
        t0 = time.perf_counter()
        job_ids = []
        for _ in range(args.jobs):
            site = rng.choice(sites)
            asset = assets.get(site.id)
            skills = ([WorkOrderSkill(skill_id=s.skill_id, min_level=min(s.min_level, 3))
                       for s in asset.equipment_model.skills] if asset is not None else [])
            job_ids.append(workorders.new_work_order(
                db.session, site=site, asset=asset, title="Benchmark fault",
                description="Generated.", actor=None,
                priority=rng.choices(["P1", "P2", "P3", "P4"], [1, 3, 8, 4])[0],
                estimated_duration_min=rng.choice([30, 45, 60, 60, 90, 120]),
                skills=skills).id)
        db.session.commit()
        print(f"{args.jobs} work orders made in {time.perf_counter() - t0:.1f} s")
        boss = db.session.scalar(select(User).where(User.role == Role.dispatcher).limit(1))
        token = create_access_token(identity=str(boss.id),
                                    additional_claims={"role": boss.role})
        headers = {"Authorization": f"Bearer {token}"}
        techs = db.session.scalar(select(func.count()).select_from(
            select(User.id).where(User.role == Role.technician).subquery()))
        print(f"technicians: {techs}; plan date {day}")

    client = app.test_client()
    one = job_ids[0]
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        r = client.get(f"/api/v1/work-orders/{one}/candidates?date={day}", headers=headers)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.get_json()
    times.sort()
    print(f"candidates (API, {len(r.get_json())} technicians ranked): median "
          f"{_ms(statistics.median(times))}, p95 {_ms(times[int(len(times) * 0.95) - 1])}")

    with app.app_context():
        t0 = time.perf_counter()
        dp = build_day_problem(db.session, day, work_order_ids=job_ids)
        build_s = time.perf_counter() - t0
        problem = dp.problem
        print(f"problem from rows: {len(problem.technicians)} technicians, "
              f"{len(problem.jobs)} jobs, {len(problem.warehouses)} warehouses in "
              f"{build_s:.2f} s")
        first_opts = opt.SolverOptions(solution_limit=1)
        import dataclasses

        t0 = time.perf_counter()
        first = opt.solve(dataclasses.replace(problem, options=first_opts), args.limit_s)
        first_s = time.perf_counter() - t0
        print(f"first feasible plan: {first_s:.2f} s, objective {first.objective:,.0f}, "
              f"assigned {first.kpis.get('assigned_share')}")
        t0 = time.perf_counter()
        plan = opt.solve(problem, args.limit_s)
        solve_s = time.perf_counter() - t0
        violations = opt.validate(problem, plan)
        print(f"plan after {solve_s:.1f} s (limit {args.limit_s:g} s): objective "
              f"{plan.objective:,.0f}, assigned share {plan.kpis.get('assigned_share')}, "
              f"on-time share {plan.kpis.get('on_time_share')}, travel "
              f"{plan.kpis.get('travel_km')} km, violations {len(violations)}")
        run = new_run(db.session, kind=RunKind.plan, day=day, problem=problem,
                      versions=dp.versions, time_limit_s=args.limit_s, keep_assigned=True,
                      actor=boss)
        store_plan(db.session, run, problem, plan)
        db.session.commit()
        t0 = time.perf_counter()
        dispatch.apply_run(db.session, run.id, actor=db.session.get(User, boss.id))
        db.session.commit()
        print(f"apply ({len([v for v in run.visits if v.kind == 'job'])} visits): "
              f"{_ms(time.perf_counter() - t0)}")
        urgent_site = db.session.get(Site, urgent_site_id)
        urgent = workorders.new_work_order(db.session, site=urgent_site, asset=None,
                                           title="Urgent", description="Flooding.", actor=None,
                                           priority="P1", estimated_duration_min=45)
        db.session.commit()
        urgent_id = urgent.id
        from app.dispatch.service.problem import day_clock

        now = day_clock(day).instant(10 * 3600)
        t0 = time.perf_counter()
        result = dispatch.insert_emergency(db.session, urgent_id, now=now,
                                           actor=db.session.get(User, boss.id))
        db.session.commit()
        insert_s = time.perf_counter() - t0
        runs = db.session.scalar(select(func.count()).select_from(OptimizationRun))
        print(f"emergency insertion at 10:00 (service, incl. storing the run): "
              f"{_ms(insert_s)}; technician {result.technician_id}, moved "
              f"{len(result.moved)} visits, valid={result.run.status == 'done'}; runs {runs}")


if __name__ == "__main__":
    main()
