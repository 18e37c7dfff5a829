"""Work orders as inventory sees them, and cancelling one gives its reserved parts back."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app import geo
from app.inventory import service as inventory
from app.inventory.models import Part, Reservation, StockLevel, StockLocation
from app.inventory.work_orders import find_work_order
from app.workorders import service
from tests.conftest import MUNICH


def test_inventory_sees_status_and_whether_parts_are_accepted(db_session, make_work_order,
                                                              technician):
    fresh = make_work_order(status="new")
    closed = make_work_order(status="closed")
    scheduled = make_work_order(status="scheduled", assignee=technician)
    assert find_work_order(db_session, fresh.id).accepts_parts is True
    assert find_work_order(db_session, closed.id).accepts_parts is False
    ref = find_work_order(db_session, scheduled.id)
    assert (ref.number, ref.status, ref.accepts_parts, ref.assignee_user_id,
            ref.customer_id) == (scheduled.number, "scheduled", True, technician.id,
                                 scheduled.customer_id)
    assert find_work_order(db_session, 2_000_000_000) is None


def test_cancelling_releases_the_reservations(db_session, make_work_order, make_user,
                                              technician):
    stores = make_user("warehouse")
    part = Part(sku="CAP-45", name="Run capacitor 45 µF", unit="pcs",
                unit_cost=Decimal("18.00"), reorder_point=0, reorder_quantity=0)
    warehouse = StockLocation(code="WH-SEAM", name="Nord", kind="warehouse",
                              location=geo.to_point(*MUNICH))
    db_session.add_all([part, warehouse])
    db_session.commit()
    inventory.record_movement(db_session, kind="receipt", part_id=part.id, quantity=5,
                              to_location_id=warehouse.id, actor=stores)
    work_order = make_work_order(status="scheduled", assignee=technician)
    inventory.reserve_parts(db_session, work_order_id=work_order.id, location_id=warehouse.id,
                            lines=[(part.id, 2)], actor=stores)
    db_session.commit()
    service.transition_work_order(db_session, work_order, "cancelled",
                                  actor=make_user("dispatcher"), reason="Customer withdrew.")
    db_session.commit()
    level = db_session.scalar(select(StockLevel).where(StockLevel.part_id == part.id))
    assert (level.on_hand, level.reserved) == (5, 0)
    statuses = db_session.scalars(select(Reservation.status).where(
        Reservation.work_order_id == work_order.id)).all()
    assert statuses and "active" not in statuses
    timeline = db_session.scalars(service.timeline_query(work_order, actor=stores)).all()
    assert timeline[-1].data["reservations_released"] == 1
