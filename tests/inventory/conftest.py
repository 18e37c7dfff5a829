"""Inventory factories. Work orders are known to inventory only through the seam in
app.inventory.work_orders; `work_orders` registers a plain in-process lookup over refs the
test defines (restoring the previous lookup afterwards), so these tests do not depend on the
work-orders package."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from app import geo
from app.inventory.work_orders import (
    WorkOrderRef,
    current_work_order_lookup,
    register_work_order_lookup,
    restore_work_order_lookup,
)
from tests.conftest import MUNICH

_ids = itertools.count(900_000)


class WorkOrderBook:
    """The work orders inventory can see in a test: `open(...)`, `closed(...)`."""

    def __init__(self) -> None:
        self.refs: dict[int, WorkOrderRef] = {}

    def lookup(self, _session: Any, work_order_id: int) -> WorkOrderRef | None:
        return self.refs.get(work_order_id)

    def add(self, *, status: str = "scheduled", accepts_parts: bool = True,
            assignee: Any = None, customer_id: int = 1) -> WorkOrderRef:
        wo_id = next(_ids)
        ref = WorkOrderRef(id=wo_id, number=f"WO-2026-{wo_id:06d}", status=status,
                           accepts_parts=accepts_parts,
                           assignee_user_id=getattr(assignee, "id", assignee),
                           customer_id=customer_id)
        self.refs[wo_id] = ref
        return ref

    def open(self, **kw: Any) -> WorkOrderRef:
        return self.add(**kw)

    def closed(self, **kw: Any) -> WorkOrderRef:
        return self.add(status="closed", accepts_parts=False, **kw)


@pytest.fixture
def work_orders() -> Iterator[WorkOrderBook]:
    book = WorkOrderBook()
    previous = current_work_order_lookup()
    register_work_order_lookup(book.lookup)
    try:
        yield book
    finally:
        restore_work_order_lookup(previous)


@pytest.fixture
def make_part(db_session: Any) -> Any:
    from app.inventory.models import Part

    def make(**overrides: Any) -> Any:
        n = uuid.uuid4().hex[:8].upper()
        part = Part(**{"sku": f"P-{n}", "name": f"Part {n}", "unit": "pcs",
                       "unit_cost": Decimal("12.50"), "reorder_point": 0,
                       "reorder_quantity": 0, **overrides})
        db_session.add(part)
        db_session.commit()
        return part

    return make


@pytest.fixture
def make_warehouse(db_session: Any) -> Any:
    from app.inventory.models import StockLocation

    def make(lat: float = MUNICH[0], lng: float = MUNICH[1], **overrides: Any) -> Any:
        n = uuid.uuid4().hex[:6].upper()
        location = StockLocation(**{"code": f"WH-{n}", "name": f"Warehouse {n}",
                                    "kind": "warehouse", "location": geo.to_point(lat, lng),
                                    **overrides})
        db_session.add(location)
        db_session.commit()
        return location

    return make


@pytest.fixture
def make_van(db_session: Any, make_user: Any) -> Any:
    """make_van(owner=<technician user>|None -> a new technician, **fields)."""
    from app.inventory.models import StockLocation

    def make(owner: Any = None, **overrides: Any) -> Any:
        owner = owner or make_user("technician")
        n = uuid.uuid4().hex[:6].upper()
        van = StockLocation(**{"code": f"VAN-{n}", "name": f"Van {n}", "kind": "van",
                               "owner_user_id": owner.id, **overrides})
        db_session.add(van)
        db_session.commit()
        return van

    return make


@pytest.fixture
def warehouse_user(make_user: Any) -> Any:
    return make_user("warehouse")


@pytest.fixture
def receive(db_session: Any, warehouse_user: Any) -> Any:
    """receive(part, location, quantity): stock in through the ledger, committed."""
    from app.inventory import service

    def do(part: Any, location: Any, quantity: int) -> Any:
        movement = service.record_movement(db_session, kind="receipt", part_id=part.id,
                                           quantity=quantity, to_location_id=location.id,
                                           actor=warehouse_user)
        db_session.commit()
        return movement

    return do


@pytest.fixture
def level_of(db_session: Any) -> Any:
    """level_of(part, location) -> (on_hand, reserved), read fresh from the database."""
    from sqlalchemy import select

    from app.inventory.models import StockLevel

    def read(part: Any, location: Any) -> tuple[int, int]:
        row = db_session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.part_id == part.id, StockLevel.location_id == location.id)).first()
        return (row[0], row[1]) if row else (0, 0)

    return read
