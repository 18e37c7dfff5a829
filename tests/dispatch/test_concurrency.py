"""Two dispatchers assigning the same technician at the same time, with real commits."""

import threading
from datetime import time

from tests.dispatch.factories import local


def test_concurrent_overlapping_assignments_let_exactly_one_through(scratch_databases,
                                                                    tmp_path):
    from flask_jwt_extended import create_access_token
    from werkzeug.security import generate_password_hash

    from app import geo
    from app.assets.models import Customer, Site
    from app.auth.models import User
    from app.dispatch.models import Technician, WeeklyShift
    from app.extensions import db
    from app.workorders import service as workorders
    from tests.conftest import build_app

    app = build_app(scratch_databases.create(), tmp_path)
    with app.app_context():
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")
        boss = User(email="boss@example.test", full_name="Boss", role="dispatcher",
                    password_hash=pw)
        tuser = User(email="tech@example.test", full_name="Tech", role="technician",
                     password_hash=pw)
        customer = Customer(account_number="C-1", name="C", sla_tier="silver")
        site = Site(customer=customer, name="S", address_line="x", city="München",
                    postal_code="80331", location=geo.to_point(48.14, 11.57))
        tech = Technician(user=tuser, home_base=geo.to_point(48.15, 11.55))
        tech.shifts = [WeeklyShift(weekday=0, starts=time(8), ends=time(17))]
        db.session.add_all([boss, tuser, customer, site, tech])
        db.session.flush()
        orders = [workorders.new_work_order(db.session, site=site, asset=None, title=f"t{i}",
                                            description="d", actor=None) for i in range(2)]
        db.session.commit()
        jobs = [(wo.id, wo.version) for wo in orders]
        tech_id = tech.id
        token = create_access_token(identity=str(boss.id),
                                    additional_claims={"role": "dispatcher"})
    results: list[int] = []
    barrier = threading.Barrier(2)

    def assign(wo_id: int, version: int) -> None:
        client = app.test_client()
        barrier.wait()
        r = client.put(f"/api/v1/work-orders/{wo_id}/assignment",
                       headers={"Authorization": f"Bearer {token}"},
                       json={"technician_id": tech_id, "start": local(9).isoformat(),
                             "version": version})
        results.append(r.status_code)

    threads = [threading.Thread(target=assign, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200, 409]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
