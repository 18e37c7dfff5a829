"""Issue 13, item 14: append-only tables refuse UPDATE and DELETE in the database itself, on
both databases. The rows are committed through the app, then plain SQL on a separate
connection (no ORM, no service) tries to change or remove them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import geo
from tests.conftest import MUNICH, build_app

# table -> a harmless-looking change of one column
APPEND_ONLY = {
    "work_order_events": "kind = 'tampered'",
    "stock_movements": "quantity = quantity + 100",
    "asset_status_changes": "reason = 'tampered'",
    "audit_log": "actor_email = 'someone.else@example.test'",
}


@pytest.fixture(scope="module")
def seeded(scratch_databases: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """A database of its own with one committed row in every append-only table."""
    from app.assets import service as assets
    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.auth.models import AuditLogEntry, User
    from app.extensions import db
    from app.inventory import service as inventory
    from app.inventory.models import Part, StockLocation
    from app.workorders import service as workorders

    app = build_app(scratch_databases.create(), tmp_path_factory.mktemp("append_only"))
    with app.app_context():
        admin = User(email="admin@example.test", full_name="Admin", role="admin",
                     password_hash="x")
        customer = Customer(account_number="C-1", name="Stadtwerke", sla_tier="silver")
        db.session.add_all([admin, customer])
        db.session.flush()  # flush: ids for the site
        site = Site(customer_id=customer.id, name="Plant", address_line="Marienplatz 1",
                    city="München", location=geo.to_point(*MUNICH))
        model = EquipmentModel(manufacturer="Carrier", model="30XA", category="chiller")
        part = Part(sku="OIL-1", name="Oil", unit_cost=100)
        warehouse = StockLocation(code="WH-1", name="Main", kind="warehouse",
                                  location=geo.to_point(*MUNICH))
        db.session.add_all([site, model, part, warehouse])
        db.session.flush()  # flush: ids for the asset
        asset = Asset(tag="A-1", site_id=site.id, equipment_model_id=model.id)
        db.session.add(asset)
        db.session.flush()  # flush: the asset's id
        workorders.new_work_order(db.session, site=site, asset=asset, title="Alarm",
                                  description="HP1", actor=None)
        inventory.record_movement(db.session, kind="receipt", part_id=part.id, quantity=5,
                                  to_location_id=warehouse.id, actor=admin)
        assets.update_asset(db.session, asset, {"status": "down",
                                                "status_reason": "Moved"}, actor=admin)
        db.session.add(AuditLogEntry(action="update", target_type="users",
                                     target_id=str(admin.id), changes={"role": ["a", "b"]},
                                     actor_user_id=admin.id, actor_email=admin.email))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _count(conn: Any, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("table", sorted(APPEND_ONLY))
def test_plain_sql_cannot_update_or_delete(seeded: Any, table: str) -> None:
    from app.extensions import db

    with seeded.app_context(), db.engine.connect() as conn:
        before = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        assert before, f"{table} has no row to protect"
        for statement in (f"UPDATE {table} SET {APPEND_ONLY[table]}", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
        assert conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all() == before
        # Inserting stays allowed (it is a log, after all) — rolled back here.
        conn.execute(text(f"INSERT INTO {table} SELECT * FROM {table} WHERE 1 = 0"))
        conn.rollback()


def test_a_work_order_with_history_cannot_be_deleted_by_sql(seeded: Any) -> None:
    from app.extensions import db

    with seeded.app_context(), db.engine.connect() as conn:
        orders = _count(conn, "work_orders")
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM work_orders"))
        conn.rollback()
        assert _count(conn, "work_orders") == orders
