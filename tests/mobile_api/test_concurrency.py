"""The same Idempotency-Key sent twice at once (a phone retrying on a flaky connection) applies
once and both answers are the first answer: real commits on separate connections. Runs on both
databases (SQLite serialises writers; on PostgreSQL the duplicate waits on the key's unique
index and then replays)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from app import geo
from tests.conftest import MUNICH, build_app

SENDS = 6


@pytest.fixture
def separate_app(scratch_databases: Any, tmp_path: Any) -> Iterator[Any]:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 2,
                                               "pool_timeout": 120})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_concurrent_sends_of_one_key_check_in_once(separate_app: Any) -> None:
    from flask_jwt_extended import create_access_token

    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.auth.models import User
    from app.extensions import db
    from app.mobile_api.models import SiteVisit
    from app.workorders import service as workorders

    app = separate_app
    with app.app_context():
        tech = User(email="tech@example.test", full_name="Tech", role="technician",
                    password_hash="x")
        customer = Customer(account_number="C-1", name="Stadtwerke", sla_tier="silver")
        db.session.add_all([tech, customer])
        db.session.flush()  # flush: ids for the site and the job
        site = Site(customer_id=customer.id, name="Plant", address_line="Marienplatz 1",
                    city="München", location=geo.to_point(*MUNICH))
        model = EquipmentModel(manufacturer="Carrier", model="30XA", category="chiller")
        db.session.add_all([site, model])
        db.session.flush()  # flush: ids for the asset
        asset = Asset(tag="A-1", site_id=site.id, equipment_model_id=model.id)
        db.session.add(asset)
        db.session.flush()  # flush: the asset's id for the job
        job = workorders.new_work_order(db.session, site=site, asset=asset, title="Alarm",
                                        description="HP1", actor=None)
        job.assignee_user_id, job.status = tech.id, "en_route"
        job.scheduled_start = job.created_at
        db.session.commit()
        token = create_access_token(identity=str(tech.id),
                                    additional_claims={"role": "technician"})
        job_id = job.id

    start = threading.Barrier(SENDS)

    def send(_i: int) -> tuple[int, bool, Any]:
        client = app.test_client()
        start.wait()
        r = client.post(f"/mobile/v1/jobs/{job_id}/check-in",
                        headers={"Authorization": f"Bearer {token}",
                                 "Idempotency-Key": "flaky-network-1"},
                        json={"lat": MUNICH[0], "lng": MUNICH[1], "accuracy_m": 10})
        return r.status_code, r.headers.get("Idempotent-Replayed") == "true", r.get_json()

    with ThreadPoolExecutor(SENDS) as pool:
        answers = list(pool.map(send, range(SENDS)))

    assert [status for status, _, _ in answers] == [201] * SENDS, answers
    assert sum(not replayed for _, replayed, _ in answers) == 1
    assert len({body["id"] for _, _, body in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SiteVisit)) == 1
