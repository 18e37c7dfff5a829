"""CSV export speed and memory: the work-order list exported at growing sizes.

    .venv/bin/python benchmarks/exports.py [--sizes 2000,8000,20000] [--database-url URL]

Seeds the city demo data and a generated history (see reports.py) in steps, and after each
step streams `GET /api/v1/work-orders?format=csv` through the app, reading it chunk by chunk
as a client would. Prints rows, megabytes, wall and CPU seconds, and the peak Python memory
allocated during the export (tracemalloc): flat in the number of rows when the export
streams page by page.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,8000,20000")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="fieldops_bench_exports_")
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", instance)
    try:
        run(args, instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def run(args: argparse.Namespace, instance: str) -> None:
    from flask_jwt_extended import create_access_token
    from flask_migrate import upgrade
    from reports import generate_history
    from sqlalchemy import select

    from app import create_app
    from app.auth.models import Role, User
    from app.demo import seed_demo
    from app.extensions import db

    url = args.database_url or f"sqlite:///{instance}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(7)
    with app.app_context():
        upgrade(revision="heads")
        seed_demo(db.session, seed=7, size="city")
        db.session.commit()
        boss = db.session.scalar(select(User).where(User.role == Role.dispatcher).limit(1))
        token = create_access_token(identity=str(boss.id), additional_claims={"role": boss.role})
    headers = {"Authorization": f"Bearer {token}"}
    print(f"database: {url.split(':')[0]}; CSV export of /api/v1/work-orders")
    print(f"{'rows':>8} {'MB':>7} {'wall s':>8} {'CPU s':>7} {'peak MB':>8}")
    done = 0
    for size in (int(s) for s in args.sizes.split(",")):
        with app.app_context():
            generate_history(db.session, rng, size - done, 90, datetime.now(UTC),
                             prefix=f"WO-E{size}-")
            db.session.commit()
        done = size
        client = app.test_client()
        tracemalloc.start()
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.get("/api/v1/work-orders?format=csv", headers=headers,
                              buffered=False)
        total = lines = 0
        for chunk in response.response:
            total += len(chunk)
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        response.close()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"{lines - 1:>8} {total / 1e6:>7.1f} {wall:>8.1f} {cpu:>7.1f} {peak:>8.1f}")


if __name__ == "__main__":
    main()
