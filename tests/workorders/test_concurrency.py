"""Races with real commits on separate connections: numbering, optimistic locking, the SLA
tick, duplicate fault reports. Both databases (SQLite serialises writers; on PostgreSQL the
atomic counter UPDATE, the version-guarded UPDATE, the conditional tick UPDATE and the asset
row lock do the work)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app import geo
from tests.conftest import MUNICH, build_app


@pytest.fixture
def separate_app(scratch_databases: Any, tmp_path: Any) -> Iterator[Any]:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 22, "max_overflow": 5,
                                               "pool_timeout": 120})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(separate_app: Any) -> dict[str, Any]:
    """A customer with one asset, a dispatcher, a customer user and their tokens."""
    from flask_jwt_extended import create_access_token

    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.auth.models import User
    from app.extensions import db

    with separate_app.app_context():
        customer = Customer(account_number="C-RACE", name="Race GmbH", sla_tier="gold")
        model = EquipmentModel(manufacturer="Daikin", model="EWAD-1", category="chiller")
        site = Site(customer=customer, name="Plant", address_line="Arnulfstraße 1",
                    city="München", location=geo.to_point(*MUNICH))
        asset = Asset(tag="RACE-1", site=site, equipment_model=model)
        dispatcher = User(email="d@example.test", full_name="D", role="dispatcher",
                          password_hash="x")
        reporter = User(email="c@example.test", full_name="C", role="customer",
                        password_hash="x")
        db.session.add_all([customer, model, site, asset, dispatcher])
        db.session.flush()  # flush: the customer id for the customer user
        reporter.customer_id = customer.id
        db.session.add(reporter)
        db.session.commit()
        tokens = {u.role: create_access_token(identity=str(u.id),
                                              additional_claims={"role": u.role})
                  for u in (dispatcher, reporter)}
        return {"asset_id": asset.id, "site_id": site.id, "tokens": tokens,
                "dispatcher_id": dispatcher.id}


def _fire(app: Any, n: int, request: Any) -> list[Any]:
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        client = app.test_client()
        start.wait()
        return request(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_creations_get_unique_numbers(separate_app: Any, world: Any) -> None:
    from app.extensions import db
    from app.workorders.models import WorkOrder

    headers = {"Authorization": f"Bearer {world['tokens']['dispatcher']}"}
    results = _fire(separate_app, 16, lambda client, i: client.post(
        "/api/v1/work-orders", headers=headers,
        json={"site_id": world["site_id"], "title": f"Job {i}", "description": "Race"}))
    assert [r.status_code for r in results] == [201] * 16, [r.get_json() for r in results]
    numbers = [r.get_json()["number"] for r in results]
    assert len(set(numbers)) == 16
    with separate_app.app_context():
        assert sorted(db.session.scalars(select(WorkOrder.number))) == sorted(numbers)
        db.session.rollback()


def test_two_concurrent_edits_one_wins_one_gets_409(separate_app: Any, world: Any) -> None:
    from app.extensions import db
    from app.workorders.models import WorkOrder, WorkOrderEvent

    headers = {"Authorization": f"Bearer {world['tokens']['dispatcher']}"}
    created = separate_app.test_client().post(
        "/api/v1/work-orders", headers=headers,
        json={"site_id": world["site_id"], "title": "Original", "description": "x"}).get_json()
    results = _fire(separate_app, 2, lambda client, i: client.patch(
        f"/api/v1/work-orders/{created['id']}", headers=headers,
        json={"version": created["version"], "title": f"Edit {i}"}))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409).get_json()
    assert loser["error"] == "version_conflict"
    winner = next(r for r in results if r.status_code == 200).get_json()
    with separate_app.app_context():
        assert db.session.get(WorkOrder, created["id"]).title == winner["title"]
        edits = db.session.scalars(select(WorkOrderEvent).where(
            WorkOrderEvent.work_order_id == created["id"],
            WorkOrderEvent.kind == "field_changed")).all()
        assert [e.data["new"] for e in edits] == [winner["title"]]  # the loser wrote nothing
        db.session.rollback()


@pytest.mark.postgres_only
def test_the_database_refuses_a_write_based_on_a_stale_read(separate_app: Any,
                                                            world: Any) -> None:
    """Both edits passed the friendly version check; the conditional UPDATE stops the second."""
    from sqlalchemy.orm import Session

    from app.assets.models import Site
    from app.auth.models import User
    from app.errors import VersionConflict
    from app.extensions import db
    from app.workorders import service
    from app.workorders.models import WorkOrder

    with separate_app.app_context():
        engine = db.engine
        with Session(engine) as setup:
            site = setup.get(Site, world["site_id"])
            wo = service.new_work_order(setup, site=site, asset=None, title="T",
                                        description="x", actor=None)
            setup.commit()
            wo_id = wo.id
        with Session(engine) as first, Session(engine) as second:
            a, b = first.get(WorkOrder, wo_id), second.get(WorkOrder, wo_id)
            actor_a = first.get(User, world["dispatcher_id"])
            actor_b = second.get(User, world["dispatcher_id"])
            service.update_work_order(first, a, {"title": "A"}, version=1, actor=actor_a)
            first.commit()
            with pytest.raises(VersionConflict):
                service.update_work_order(second, b, {"title": "B"}, version=1, actor=actor_b)
            second.rollback()
        with Session(engine) as check:
            assert check.get(WorkOrder, wo_id).title == "A"


def test_concurrent_ticks_record_each_sla_event_once(separate_app: Any, world: Any) -> None:
    from app.assets.models import Site
    from app.db import utcnow
    from app.extensions import db
    from app.notifications.models import Notification
    from app.workorders import service
    from app.workorders.models import SlaPolicy, WorkOrderEvent

    with separate_app.app_context():
        db.session.add(SlaPolicy(sla_tier="gold", priority="P1", response_minutes=30,
                                 resolution_minutes=60))
        db.session.commit()
        site = db.session.get(Site, world["site_id"])
        ids = []
        for n in range(5):
            wo = service.new_work_order(db.session, site=site, asset=None, title=f"T{n}",
                                        description="x", actor=None, priority="P1")
            ids.append(wo.id)
        db.session.commit()
    later = utcnow() + timedelta(minutes=45)  # response breached, resolution at 75 %
    start = threading.Barrier(4)

    def tick(_: int) -> Any:
        with separate_app.app_context():
            start.wait()
            result = service.run_sla_tick(db.session, now=later)
            db.session.commit()
            return result

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(tick, range(4)))
    assert sum(r.breaches for r in results) == 5 and sum(r.warnings for r in results) == 5
    with separate_app.app_context():
        events = db.session.execute(select(WorkOrderEvent.work_order_id, WorkOrderEvent.kind,
                                           func.count()).where(
            WorkOrderEvent.kind.in_(("sla_warning", "sla_breached")))
            .group_by(WorkOrderEvent.work_order_id, WorkOrderEvent.kind)).all()
        assert sorted(events) == sorted([(i, k, 1) for i in ids
                                         for k in ("sla_breached", "sla_warning")])
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world["dispatcher_id"])) == 10
        db.session.rollback()


def test_concurrent_reports_of_one_asset_open_one_work_order(separate_app: Any,
                                                             world: Any) -> None:
    from app.extensions import db
    from app.workorders.models import FaultReport, WorkOrder

    headers = {"Authorization": f"Bearer {world['tokens']['customer']}"}
    results = _fire(separate_app, 6, lambda client, i: client.post(
        "/api/v1/fault-reports", headers=headers,
        json={"asset_tag": "RACE-1", "description": f"Noise {i}"}))
    assert [r.status_code for r in results] == [201] * 6, [r.get_json() for r in results]
    assert sorted(r.get_json()["merged"] for r in results) == [False] + [True] * 5
    assert len({r.get_json()["tracking_number"] for r in results}) == 1
    with separate_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkOrder)) == 1
        assert db.session.scalar(select(func.count()).select_from(FaultReport)) == 6
        db.session.rollback()
