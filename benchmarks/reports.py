"""KPI latency on the city demo data with a generated service history.

    .venv/bin/python benchmarks/reports.py [--orders 20000] [--days 90] [--repeat 5]
                                           [--database-url URL]

Builds a fresh database in a temporary instance directory (SpatiaLite by default; or an empty
PostgreSQL database given by --database-url), runs the migrations, seeds `--size city` (60
technicians, 10,000 assets) and adds `--orders` work orders spread over the last `--days` days
with the history KPIs read: completions, SLA due times, check-ins and check-outs with an
"en route" entry, ratings and parts issued. Then prints, for a 30-day period, the median and
max wall time and the CPU time of the KPI report in total and for every breakdown, and of a
30-day daily series.
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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="fieldops_bench_reports_")
    try:
        run(args, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def generate_history(session: object, rng: random.Random, orders: int, days: int,
                     now: datetime, prefix: str = "WO-B-") -> None:
    from sqlalchemy import insert, select

    from app import geo
    from app.assets.models import Asset, Site
    from app.auth.models import Role, User
    from app.db import table_of
    from app.inventory.models import Part, StockLocation, StockMovement
    from app.mobile_api.models import SiteVisit
    from app.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderRating

    s = session
    sites = {site.id: site.customer_id for site in s.scalars(select(Site))}  # type: ignore[attr-defined]
    assets = [(a.id, a.site_id) for a in s.scalars(select(Asset))]  # type: ignore[attr-defined]
    techs = list(s.scalars(select(User.id).where(User.role == Role.technician)))  # type: ignore[attr-defined]
    parts = list(s.scalars(select(Part.id)))  # type: ignore[attr-defined]
    depot = s.scalar(select(StockLocation.id).where(StockLocation.kind == "warehouse"))  # type: ignore[attr-defined]
    spot = geo.to_point(48.14, 11.58)
    wo_rows, visit_rows, event_rows, rating_rows, move_rows = [], [], [], [], []
    for n in range(orders):
        asset_id, site_id = rng.choice(assets)
        created = now - timedelta(days=days) + timedelta(seconds=rng.randrange(days * 86400))
        done = created + timedelta(hours=rng.uniform(2, 72))
        completed = done < now and rng.random() < 0.9
        responded = created + timedelta(hours=rng.uniform(0.5, 10))
        kind = "preventive" if rng.random() < 0.2 else "corrective"
        wo_rows.append({
            "number": f"{prefix}{n:07d}", "customer_id": sites[site_id], "site_id": site_id,
            "asset_id": asset_id, "type": kind, "priority": rng.choice(["P1", "P2", "P3", "P4"]),
            "channel": "dispatcher", "status": "completed" if completed else "dispatched",
            "title": "Generated", "description": "Benchmark history.",
            "estimated_duration_min": 60, "assignee_user_id": rng.choice(techs),
            "scheduled_start": responded - timedelta(minutes=20),
            "scheduled_end": responded + timedelta(hours=1),
            "response_due_at": created + timedelta(hours=4),
            "resolution_due_at": created + timedelta(hours=24),
            "responded_at": responded if responded < now else None,
            "completed_at": done if completed else None,
            "labour_minutes": rng.randrange(20, 240) if completed else None,
            "first_time_fix": rng.random() < 0.8 if completed else None,
            "created_at": created, "updated_at": created, "version": 1, "reopen_count": 0})
    s.execute(insert(table_of(WorkOrder)), wo_rows)  # type: ignore[attr-defined]
    rows = s.execute(select(WorkOrder.id, WorkOrder.assignee_user_id, WorkOrder.responded_at,  # type: ignore[attr-defined]
                            WorkOrder.completed_at).where(WorkOrder.number.like(f"{prefix}%")))
    for wo_id, tech_id, responded, completed in rows:
        if responded is None:
            continue
        event_rows.append({"work_order_id": wo_id, "kind": "status_changed", "internal": False,
                           "data": {"from": "dispatched", "to": "en_route"},
                           "occurred_at": responded - timedelta(minutes=rng.randrange(5, 60))})
        visit_rows.append({"work_order_id": wo_id, "technician_user_id": tech_id,
                           "check_in_at": responded, "check_in_position": spot,
                           "check_in_accuracy_m": 8.0, "check_in_distance_m": 20.0,
                           "check_in_inside_geofence": True, "flagged": False,
                           "check_out_at": responded + timedelta(minutes=rng.randrange(20, 180))})
        if completed is not None and rng.random() < 0.4:
            rating_rows.append({"work_order_id": wo_id, "score": rng.choice([2, 3, 4, 5, 5]),
                                "created_at": completed + timedelta(hours=1)})
        if completed is not None and parts and depot and rng.random() < 0.3:
            move_rows.append({"kind": "issue", "part_id": rng.choice(parts),
                              "quantity": rng.randrange(1, 4), "from_location_id": depot,
                              "work_order_id": wo_id, "unit_cost": Decimal("25.00"),
                              "created_at": completed - timedelta(minutes=30)})
    for model, batch in ((WorkOrderEvent, event_rows), (SiteVisit, visit_rows),
                         (WorkOrderRating, rating_rows), (StockMovement, move_rows)):
        if batch:
            s.execute(insert(table_of(model)), batch)  # type: ignore[attr-defined]


def timed(repeat: int, call: object) -> tuple[float, float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        call()  # type: ignore[operator]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls) * 1000, max(walls) * 1000, statistics.median(cpus) * 1000


def run(args: argparse.Namespace, instance: str) -> None:
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", instance)
    url = args.database_url or f"sqlite:///{instance}/bench.sqlite3"
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db
    from app.reports.service import GROUPS, kpi_report, kpi_series

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision="heads")
        seed_demo(db.session, seed=args.seed, size="city")
        db.session.commit()
        seeded = time.perf_counter() - t0
        t0 = time.perf_counter()
        generate_history(db.session, random.Random(args.seed), args.orders, args.days, now)
        db.session.commit()
        print(f"database: {db.engine.dialect.name}; migrations + city demo {seeded:.1f} s; "
              f"{args.orders} orders of history over {args.days} days in "
              f"{time.perf_counter() - t0:.1f} s")
        start, end = now - timedelta(days=30), now
        print(f"KPI report, 30-day period, {args.repeat} runs: median / max wall ms, "
              "median CPU ms")
        for group in (None, *GROUPS):
            def call(group: str | None = group) -> None:
                kpi_report(db.session, start=start, end=end, now=now, group_by=group)
                db.session.rollback()

            median, worst, cpu = timed(args.repeat, call)
            result = kpi_report(db.session, start=start, end=end, now=now, group_by=group)
            print(f"  {group or 'total':<16} {median:8.1f} {worst:8.1f} {cpu:8.1f}   "
                  f"groups {len(result['groups']):>5}, completed "
                  f"{result['total']['completed']}")

        def series() -> None:
            kpi_series(db.session, start=start, end=end, now=now, interval="day")
            db.session.rollback()

        median, worst, cpu = timed(max(1, args.repeat // 2), series)
        print(f"  {'daily series':<16} {median:8.1f} {worst:8.1f} {cpu:8.1f}   30 points")


if __name__ == "__main__":
    main()
