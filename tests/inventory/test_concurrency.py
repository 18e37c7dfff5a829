"""Stock never goes below zero, whatever arrives at the same time: many concurrent reservation
and issue requests, each on its own connection with real commits, at a location that can
satisfy only some of them. Runs on both databases (SQLite serialises writers; PostgreSQL
relies on the conditional updates and row locks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app import geo
from tests.conftest import MUNICH, build_app

STOCK = 25
REQUESTS = 60


@pytest.fixture
def separate_app(scratch_databases: Any, tmp_path: Any) -> Iterator[Any]:
    from app.extensions import db

    # Enough pooled connections that the requests really overlap in the database.
    app = build_app(scratch_databases.create(), tmp_path,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5,
                                               "pool_timeout": 120})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_concurrent_reservations_and_issues_succeed_exactly_as_far_as_stock_goes(
        separate_app: Any, work_orders: Any) -> None:
    from flask_jwt_extended import create_access_token

    from app.auth.models import User
    from app.extensions import db
    from app.inventory import service
    from app.inventory.models import (
        Part,
        Reservation,
        StockLevel,
        StockLocation,
        StockMovement,
    )

    app = separate_app
    with app.app_context():
        staff = User(email="stores@example.test", full_name="Stores", role="warehouse",
                     password_hash="x")
        part = Part(sku="CAP-35", name="Run capacitor", unit_cost=Decimal("16.00"))
        wh = StockLocation(code="WH-1", name="Nord", kind="warehouse",
                           location=geo.to_point(*MUNICH))
        db.session.add_all([staff, part, wh])
        db.session.flush()  # flush: ids for the receipt
        service.record_movement(db.session, kind="receipt", part_id=part.id, quantity=STOCK,
                                to_location_id=wh.id, actor=staff)
        db.session.commit()
        token = create_access_token(identity=str(staff.id), additional_claims={"role": "warehouse"})
        part_id, wh_id = part.id, wh.id

    orders = [work_orders.open().id for _ in range(REQUESTS)]
    start = threading.Barrier(REQUESTS)

    def fire(i: int) -> tuple[str, int, dict[str, Any]]:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        start.wait()
        if i % 2:
            kind = "issue"
            r = client.post("/api/v1/stock-movements", headers=headers, json={
                "kind": "issue", "part_id": part_id, "quantity": 1,
                "from_location_id": wh_id, "work_order_id": orders[i]})
        else:
            kind = "reserve"
            r = client.post("/api/v1/reservations", headers=headers, json={
                "work_order_id": orders[i], "location_id": wh_id,
                "lines": [{"part_id": part_id, "quantity": 1}]})
        return kind, r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(fire, range(REQUESTS)))

    won = [(kind, body) for kind, code, body in results if code == 201]
    refused = [(code, body) for _, code, body in results if code != 201]
    assert len(won) == STOCK
    assert all(code == 409 and body["error"] == "insufficient_stock"
               for code, body in refused), refused[:3]
    issued = sum(1 for kind, _ in won if kind == "issue")
    reserved = STOCK - issued

    with app.app_context():
        level = db.session.scalar(select(StockLevel).where(StockLevel.part_id == part_id))
        assert (level.on_hand, level.reserved) == (STOCK - issued, reserved)
        assert level.available == 0
        assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
            StockMovement.kind == "issue")) == issued
        assert db.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.status == "active")) == reserved
        assert service.verify_stock(db.session) == []
        db.session.rollback()
