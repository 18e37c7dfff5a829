"""A dispatch day on its own committed database (scratch database, real commits), for tests
that need separate connections and threads: plan runs, releases."""

from __future__ import annotations

import time as clock
from datetime import time
from typing import Any


def day_app(scratch_databases: Any, tmp_path: Any, jobs: int = 6, **config: Any
            ) -> tuple[Any, dict[str, str], list[int]]:
    """An app on its own committed database: a dispatcher, a technician working Mondays and
    `jobs` open work orders around Munich. Returns (app, auth headers, work order ids)."""
    from flask_jwt_extended import create_access_token
    from werkzeug.security import generate_password_hash

    from app import geo
    from app.assets.models import Customer, Site
    from app.auth.models import User
    from app.dispatch.models import Technician, WeeklyShift
    from app.extensions import db
    from app.workorders import service as workorders
    from tests.conftest import build_app

    app = build_app(scratch_databases.create(), tmp_path, **config)
    with app.app_context():
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")
        boss = User(email="boss@example.test", full_name="Boss", role="dispatcher",
                    password_hash=pw)
        tuser = User(email="tech@example.test", full_name="Tech", role="technician",
                     password_hash=pw)
        customer = Customer(account_number="C-1", name="C", sla_tier="silver")
        tech = Technician(user=tuser, home_base=geo.to_point(48.15, 11.55))
        tech.shifts = [WeeklyShift(weekday=0, starts=time(8), ends=time(17))]
        db.session.add_all([boss, tuser, customer, tech])
        db.session.flush()
        ids = []
        for i in range(jobs):
            site = Site(customer=customer, name=f"S{i}", address_line="x", city="München",
                        postal_code="80331",
                        location=geo.to_point(48.10 + i * 0.013, 11.50 + (i % 3) * 0.03))
            db.session.add(site)
            db.session.flush()
            ids.append(workorders.new_work_order(db.session, site=site, asset=None,
                                                 title=f"t{i}", description="d", actor=None,
                                                 estimated_duration_min=45).id)
        db.session.commit()
        token = create_access_token(identity=str(boss.id),
                                    additional_claims={"role": "dispatcher"})
    return app, {"Authorization": f"Bearer {token}"}, ids


def wait_for(client: Any, headers: dict[str, str], run_id: int, statuses: set[str],
             limit_s: float = 120) -> dict[str, Any]:
    deadline = clock.monotonic() + limit_s
    while True:
        body = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()
        if body["status"] in statuses or clock.monotonic() > deadline:
            return body
        clock.sleep(0.1)


def close(app: Any) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
