"""Issue 13, item 8: right answers under concurrency, with real commits on separate
connections. Twenty sync calls with one Idempotency-Key all answer the first answer (never an
inner 409); the same photo sent twenty times with different keys is one photo, and every
answer names it (never a 409 from the unique sha256 index). Both databases."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from app import geo
from tests.conftest import MUNICH, build_app
from tests.mobile_api.conftest import jpeg_with_exif

SENDS = 20


@pytest.fixture(scope="module")
def world(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """An app on a database of its own, a technician and a job on site, committed."""
    from flask_jwt_extended import create_access_token

    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.auth.models import User
    from app.extensions import db
    from app.workorders import service as workorders

    tmp = tmp_path_factory.mktemp("concurrency_answers")
    app = build_app(scratch_databases.create(), tmp,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": SENDS, "max_overflow": 4,
                                               "pool_timeout": 120},
                    PHOTO_STORAGE_DIR=str(tmp / "uploads"))
    with app.app_context():
        tech = User(email="tech@example.test", full_name="Tech", role="technician",
                    password_hash="x")
        customer = Customer(account_number="C-1", name="Stadtwerke", sla_tier="silver")
        db.session.add_all([tech, customer])
        db.session.flush()  # flush: ids for the site and the jobs
        site = Site(customer_id=customer.id, name="Plant", address_line="Marienplatz 1",
                    city="München", location=geo.to_point(*MUNICH))
        model = EquipmentModel(manufacturer="Carrier", model="30XA", category="chiller")
        db.session.add_all([site, model])
        db.session.flush()  # flush: ids for the asset
        asset = Asset(tag="A-1", site_id=site.id, equipment_model_id=model.id)
        db.session.add(asset)
        db.session.flush()  # flush: the asset's id for the jobs
        jobs = {}
        for name, status in (("sync", "en_route"), ("photo", "on_site")):
            job = workorders.new_work_order(db.session, site=site, asset=asset, title=name,
                                            description="HP1", actor=None)
            job.assignee_user_id, job.status = tech.id, status
            job.scheduled_start = job.created_at
            if status == "on_site":
                job.responded_at = job.created_at
            jobs[name] = job
        db.session.commit()
        token = create_access_token(identity=str(tech.id))
        ids = {name: job.id for name, job in jobs.items()}
    yield {"app": app, "token": token, "jobs": ids}
    with app.app_context():
        db.engine.dispose()


def _at_once(fn: Any) -> list[Any]:
    start = threading.Barrier(SENDS)

    def call(i: int) -> Any:
        start.wait()
        return fn(i)

    with ThreadPoolExecutor(SENDS) as pool:
        return list(pool.map(call, range(SENDS)))


def test_twenty_syncs_with_one_key_all_answer_the_first_answer(world: dict[str, Any]) -> None:
    from app.extensions import db
    from app.mobile_api.models import SiteVisit

    app, job_id = world["app"], world["jobs"]["sync"]
    batch = {"operations": [{
        "key": "offline-check-in-1", "op": "check_in", "job_id": job_id,
        "client_time": "2026-11-23T08:00:00+00:00",
        "body": {"lat": MUNICH[0], "lng": MUNICH[1], "accuracy_m": 10}}]}

    def send(_i: int) -> tuple[int, bool, Any]:
        r = app.test_client().post(
            "/mobile/v1/sync", json=batch,
            headers={"Authorization": f"Bearer {world['token']}",
                     "Idempotency-Key": "sync-batch-1"})
        return r.status_code, r.headers.get("Idempotent-Replayed") == "true", r.get_json()

    answers = _at_once(send)
    assert [status for status, _, _ in answers] == [200] * SENDS, answers
    assert sum(not replayed for _, replayed, _ in answers) == 1
    inner = [body["results"][0]["status"] for _, _, body in answers]
    assert inner == [201] * SENDS, inner
    assert len({body["results"][0]["body"]["id"] for _, _, body in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SiteVisit)
                                 .where(SiteVisit.work_order_id == job_id)) == 1


def test_twenty_syncs_of_one_offline_operation_replay_it(world: dict[str, Any]) -> None:
    """No batch key, one operation key (the phone resent its queue from several retries)."""
    from app.extensions import db
    from app.mobile_api.models import SiteVisit
    from app.workorders.models import WorkOrder

    app, job_id = world["app"], world["jobs"]["sync"]
    with app.app_context():  # a fresh job for this test, en route, assigned like the other
        template = db.session.get(WorkOrder, job_id)
        from app.workorders import service as workorders

        job = workorders.new_work_order(db.session, site=template.site, asset=template.asset,
                                        title="again", description="HP1", actor=None)
        job.assignee_user_id, job.status = template.assignee_user_id, "en_route"
        job.scheduled_start = job.created_at
        db.session.commit()
        job_id = job.id
    batch = {"operations": [{
        "key": "offline-check-in-2", "op": "check_in", "job_id": job_id,
        "client_time": "2026-11-23T08:00:00+00:00",
        "body": {"lat": MUNICH[0], "lng": MUNICH[1], "accuracy_m": 10}}]}

    def send(_i: int) -> tuple[int, Any]:
        r = app.test_client().post("/mobile/v1/sync", json=batch,
                                   headers={"Authorization": f"Bearer {world['token']}"})
        return r.status_code, r.get_json()

    answers = _at_once(send)
    assert [status for status, _ in answers] == [200] * SENDS, answers
    results = [body["results"][0] for _, body in answers]
    assert [r["status"] for r in results] == [201] * SENDS, results
    assert sum(not r["replayed"] for r in results) == 1
    assert len({r["body"]["id"] for r in results}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SiteVisit)
                                 .where(SiteVisit.work_order_id == job_id)) == 1


def test_the_same_photo_twenty_times_with_different_keys_is_one_photo(
        world: dict[str, Any]) -> None:
    from app.extensions import db
    from app.mobile_api.models import Photo

    app, job_id = world["app"], world["jobs"]["photo"]
    data = jpeg_with_exif(size=(64, 48))

    def send(i: int) -> tuple[int, Any]:
        r = app.test_client().post(
            f"/mobile/v1/jobs/{job_id}/photos",
            headers={"Authorization": f"Bearer {world['token']}",
                     "Idempotency-Key": f"photo-try-{i}"},
            data={"kind": "before", "file": (io.BytesIO(data), "coil.jpg")},
            content_type="multipart/form-data")
        return r.status_code, r.get_json()

    answers = _at_once(send)
    statuses = sorted(status for status, _ in answers)
    assert set(statuses) <= {200, 201}, answers
    assert statuses.count(201) == 1, statuses
    assert len({body["id"] for _, body in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Photo)
                                 .where(Photo.work_order_id == job_id)) == 1
