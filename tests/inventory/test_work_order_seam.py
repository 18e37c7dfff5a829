"""Inventory against the real work-orders package, through the seam (no test lookup here):
an open order takes parts (already while new, so planning can route them), cancelling it
gives its parts back, and a cancelled one takes no more."""

from __future__ import annotations

import pytest

from app.errors import Conflict
from app.inventory import service


def test_cancelling_a_real_work_order_releases_its_reservations(db_session, make_site,
                                                                make_user, make_part,
                                                                make_warehouse, receive,
                                                                level_of):
    from app.inventory.models import Reservation
    from app.workorders import service as work_orders

    staff, dispatcher = make_user("warehouse"), make_user("dispatcher")
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    wo = work_orders.new_work_order(db_session, site=make_site(), asset=None,
                                    title="Chiller down", description="No cooling.",
                                    actor=dispatcher)
    db_session.commit()
    [held] = service.reserve_parts(db_session, work_order_id=wo.id, location_id=wh.id,
                                   lines=[(part.id, 3)], actor=staff)
    db_session.commit()
    assert level_of(part, wh) == (5, 3)
    work_orders.transition_work_order(db_session, wo, "cancelled", actor=dispatcher,
                                      reason="Customer fixed it")
    db_session.commit()
    assert level_of(part, wh) == (5, 0)
    held = db_session.get(Reservation, held.id)
    db_session.refresh(held)
    assert (held.status, held.release_reason) == ("released", "Customer fixed it")
    assert service.verify_stock(db_session) == []
    with pytest.raises(Conflict) as cancelled:
        service.reserve_parts(db_session, work_order_id=wo.id, location_id=wh.id,
                              lines=[(part.id, 1)], actor=staff)
    assert cancelled.value.error == "work_order_closed"
