"""Two generators at once (threads, separate connections, real commits) create every
preventive order exactly once, on SQLite and on PostgreSQL: the occurrence's unique key
decides, not a check in Python."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app import geo
from tests.conftest import MUNICH, build_app

TODAY = date(2026, 12, 7)


@pytest.fixture
def separate_app(scratch_databases: Any, tmp_path: Any) -> Iterator[Any]:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 8, "max_overflow": 2,
                                               "pool_timeout": 120})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def plans(separate_app: Any) -> list[int]:
    """Three plans over six assets: weekly, every 3 days on a model, and a floating one."""
    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.extensions import db
    from app.maintenance.models import MaintenancePlan

    with separate_app.app_context():
        customer = Customer(account_number="C-PM", name="PM GmbH", sla_tier="gold")
        model = EquipmentModel(manufacturer="Daikin", model="EWAD-PM", category="chiller")
        site = Site(customer=customer, name="Plant", address_line="Arnulfstraße 1",
                    city="München", location=geo.to_point(*MUNICH))
        assets = [Asset(tag=f"PM-{n}", site=site, equipment_model=model) for n in range(6)]
        db.session.add_all([customer, model, site, *assets])
        db.session.flush()  # flush: ids for the plans
        made = [
            MaintenancePlan(name="Weekly", asset_id=assets[0].id, start_date=TODAY,
                            interval_unit="week", interval_count=1, weekdays=["mon", "thu"],
                            horizon_days=28),
            MaintenancePlan(name="Every 3 days", equipment_model_id=model.id,
                            start_date=TODAY, interval_unit="day", interval_count=3,
                            horizon_days=14),
            MaintenancePlan(name="Floating", site_id=site.id, start_date=TODAY,
                            anchor="floating", interval_unit="month", interval_count=1,
                            horizon_days=7),
        ]
        db.session.add_all(made)
        db.session.commit()
        ids = [p.id for p in made]
        db.session.remove()
        return ids


def _generate_in_threads(app: Any, n: int) -> list[int]:
    from app.extensions import db
    from app.maintenance import service

    start = threading.Barrier(n)

    def run(_i: int) -> int:
        with app.app_context():
            start.wait()
            try:
                report = service.generate_preventive_orders(
                    db.session, today=TODAY, now=datetime(2026, 12, 7, 6, tzinfo=UTC))
                db.session.commit()
                return report.created_count
            finally:
                db.session.remove()  # the connection goes back before the thread ends

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_two_generators_at_once_create_each_order_exactly_once(separate_app: Any,
                                                                plans: list[int]) -> None:
    from app.extensions import db
    from app.maintenance.models import PlanOccurrence
    from app.workorders.models import WorkOrder

    created = _generate_in_threads(separate_app, 2)

    # weekly: Mon/Thu from Mon 7 Dec to Mon 4 Jan = 9; every 3 days x 6 assets over 14 days
    # = 5 x 6 = 30;
    # floating: one per asset = 6.
    expected = 9 + 30 + 6
    assert sum(created) == expected, created
    with separate_app.app_context():
        orders = db.session.scalar(select(func.count()).select_from(WorkOrder)
                                   .where(WorkOrder.type == "preventive"))
        keys = db.session.execute(select(PlanOccurrence.plan_id, PlanOccurrence.asset_id,
                                         PlanOccurrence.occurrence_key)).all()
        linked = db.session.scalar(select(func.count(func.distinct(
            PlanOccurrence.work_order_id))))
        db.session.rollback()
    assert orders == expected and len(keys) == expected and linked == expected
    assert len(set(keys)) == expected
    # Once more, concurrently: nothing new.
    assert _generate_in_threads(separate_app, 2) == [0, 0]
