"""Inventory rules at the service level, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.errors import Conflict, Forbidden, InsufficientStock, Unprocessable
from app.inventory import service
from app.inventory.models import Reservation, StockLevel, StockMovement


def _movements(db_session, part):
    return db_session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.part_id == part.id))


def test_receipt_and_transfer_move_stock_through_the_ledger(db_session, make_part,
                                                            make_warehouse, make_van, receive,
                                                            level_of, warehouse_user):
    part, wh, van = make_part(), make_warehouse(), make_van()
    receive(part, wh, 10)
    movement = service.record_movement(db_session, kind="transfer", part_id=part.id,
                                       quantity=4, from_location_id=wh.id,
                                       to_location_id=van.id, actor=warehouse_user)
    db_session.commit()
    assert (movement.kind, movement.quantity) == ("transfer", 4)
    assert movement.unit_cost == part.unit_cost
    assert level_of(part, wh) == (6, 0)
    assert level_of(part, van) == (4, 0)
    assert service.verify_stock(db_session) == []


def test_transfer_of_more_than_available_is_refused_and_writes_nothing(
        db_session, make_part, make_warehouse, receive, level_of, warehouse_user, work_orders):
    part, wh, other = make_part(sku="FLT-1"), make_warehouse(), make_warehouse()
    receive(part, wh, 5)
    service.reserve_parts(db_session, work_order_id=work_orders.open().id, location_id=wh.id,
                          lines=[(part.id, 3)], actor=warehouse_user)
    db_session.commit()
    with pytest.raises(InsufficientStock) as exc:
        service.record_movement(db_session, kind="transfer", part_id=part.id, quantity=3,
                                from_location_id=wh.id, to_location_id=other.id,
                                actor=warehouse_user)
    assert "FLT-1" in exc.value.message
    assert exc.value.details["shortages"] == [
        {"part_id": part.id, "sku": "FLT-1", "requested": 3, "available": 2}]
    db_session.commit()
    assert level_of(part, wh) == (5, 3)  # reserved stock is not moved
    assert level_of(part, other) == (0, 0)
    assert _movements(db_session, part) == 1


def test_transfer_to_the_same_location_is_refused(db_session, make_part, make_warehouse,
                                                  receive, warehouse_user):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    with pytest.raises(Unprocessable) as exc:
        service.record_movement(db_session, kind="transfer", part_id=part.id, quantity=1,
                                from_location_id=wh.id, to_location_id=wh.id,
                                actor=warehouse_user)
    assert exc.value.error == "same_location"


def test_reserve_is_all_or_nothing_and_names_the_short_parts(
        db_session, make_part, make_warehouse, receive, level_of, warehouse_user, work_orders):
    plenty, scarce, wh = make_part(sku="BLT-1"), make_part(sku="CAP-9"), make_warehouse()
    receive(plenty, wh, 10)
    receive(scarce, wh, 1)
    with pytest.raises(InsufficientStock) as exc:
        service.reserve_parts(db_session, work_order_id=work_orders.open().id,
                              location_id=wh.id, lines=[(plenty.id, 2), (scarce.id, 2)],
                              actor=warehouse_user)
    assert "CAP-9" in exc.value.message and "BLT-1" not in exc.value.message
    db_session.commit()
    assert level_of(plenty, wh) == (10, 0)
    assert db_session.scalar(select(func.count()).select_from(Reservation)
                             .where(Reservation.part_id == plenty.id)) == 0


def test_issue_consumes_the_work_orders_reservation_first(
        db_session, make_part, make_warehouse, receive, level_of, warehouse_user, work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    mine, theirs = work_orders.open(), work_orders.open()
    [held] = service.reserve_parts(db_session, work_order_id=mine.id, location_id=wh.id,
                                   lines=[(part.id, 3)], actor=warehouse_user)
    service.reserve_parts(db_session, work_order_id=theirs.id, location_id=wh.id,
                          lines=[(part.id, 2)], actor=warehouse_user)
    db_session.commit()
    assert service.available_stock(db_session, wh.id) == {part.id: 0}
    # Everything is reserved, but 2 of it for this work order: issuing 2 works.
    [issued] = service.issue_parts_to_work_order(db_session, work_order_id=mine.id,
                                                 location_id=wh.id, lines=[(part.id, 2)],
                                                 actor=warehouse_user)
    db_session.commit()
    assert (issued.kind, issued.work_order_id, issued.from_location_id) == ("issue", mine.id,
                                                                           wh.id)
    assert level_of(part, wh) == (3, 3)
    assert (held.status, held.open_quantity) == ("active", 1)
    # A third unit for this work order: its last reserved unit; a fourth: nothing free.
    service.issue_parts_to_work_order(db_session, work_order_id=mine.id, location_id=wh.id,
                                      lines=[(part.id, 1)], actor=warehouse_user)
    db_session.commit()
    assert held.status == "fulfilled" and held.open_quantity == 0
    with pytest.raises(InsufficientStock):
        service.issue_parts_to_work_order(db_session, work_order_id=mine.id,
                                          location_id=wh.id, lines=[(part.id, 1)],
                                          actor=warehouse_user)
    assert level_of(part, wh) == (2, 2)
    assert service.verify_stock(db_session) == []


def test_multi_line_issue_is_all_or_nothing(db_session, make_part, make_warehouse, receive,
                                            level_of, warehouse_user, work_orders):
    a, b, wh = make_part(), make_part(), make_warehouse()
    receive(a, wh, 5)
    receive(b, wh, 1)
    wo = work_orders.open()
    service.reserve_parts(db_session, work_order_id=wo.id, location_id=wh.id,
                          lines=[(a.id, 2)], actor=warehouse_user)
    db_session.commit()
    with pytest.raises(InsufficientStock):
        service.issue_parts_to_work_order(db_session, work_order_id=wo.id, location_id=wh.id,
                                          lines=[(a.id, 3), (b.id, 2)], actor=warehouse_user)
    db_session.commit()
    assert level_of(a, wh) == (5, 2)  # the reservation was not consumed either
    assert db_session.scalar(select(Reservation.open_quantity)
                             .where(Reservation.work_order_id == wo.id)) == 2
    assert _movements(db_session, a) == 1


def test_issue_to_closed_or_unknown_work_order_is_refused(db_session, make_part,
                                                          make_warehouse, receive,
                                                          warehouse_user, work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    with pytest.raises(Conflict) as closed:
        service.issue_parts_to_work_order(db_session, work_order_id=work_orders.closed().id,
                                          location_id=wh.id, lines=[(part.id, 1)],
                                          actor=warehouse_user)
    assert closed.value.error == "work_order_closed"
    with pytest.raises(Unprocessable) as unknown:
        service.issue_parts_to_work_order(db_session, work_order_id=123, location_id=wh.id,
                                          lines=[(part.id, 1)], actor=warehouse_user)
    assert unknown.value.error == "unknown_work_order"


def test_without_a_registered_lookup_every_work_order_is_unknown(db_session):
    from app.inventory.work_orders import (
        current_work_order_lookup,
        find_work_order,
        restore_work_order_lookup,
    )

    previous = current_work_order_lookup()
    restore_work_order_lookup(None)
    try:
        assert find_work_order(db_session, 1) is None
    finally:
        restore_work_order_lookup(previous)


def test_cancelling_a_work_order_releases_its_reservations(
        db_session, make_part, make_warehouse, receive, level_of, warehouse_user, work_orders):
    a, b, wh = make_part(), make_part(), make_warehouse()
    receive(a, wh, 4)
    receive(b, wh, 4)
    wo, other = work_orders.open(), work_orders.open()
    service.reserve_parts(db_session, work_order_id=wo.id, location_id=wh.id,
                          lines=[(a.id, 2), (b.id, 1)], actor=warehouse_user)
    service.reserve_parts(db_session, work_order_id=other.id, location_id=wh.id,
                          lines=[(a.id, 1)], actor=warehouse_user)
    released = service.release_reservations_for_work_order(db_session, wo.id,
                                                           actor=warehouse_user,
                                                           reason="work order cancelled")
    db_session.commit()
    assert released == 2
    assert service.available_stock(db_session, wh.id) == {a.id: 3, b.id: 4}
    statuses = db_session.execute(select(Reservation.status, Reservation.release_reason)
                                  .where(Reservation.work_order_id == wo.id)).all()
    assert statuses == [("released", "work order cancelled")] * 2
    assert service.release_reservations_for_work_order(db_session, wo.id, actor=None,
                                                       reason="again") == 0
    assert service.verify_stock(db_session) == []


def test_returns_cannot_exceed_what_was_issued(db_session, make_part, make_warehouse, receive,
                                               level_of, warehouse_user, work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    wo = work_orders.open()
    service.issue_parts_to_work_order(db_session, work_order_id=wo.id, location_id=wh.id,
                                      lines=[(part.id, 3)], actor=warehouse_user)
    service.record_movement(db_session, kind="return", part_id=part.id, quantity=2,
                            to_location_id=wh.id, work_order_id=wo.id, actor=warehouse_user)
    with pytest.raises(Conflict) as exc:
        service.record_movement(db_session, kind="return", part_id=part.id, quantity=2,
                                to_location_id=wh.id, work_order_id=wo.id,
                                actor=warehouse_user)
    assert exc.value.error == "return_exceeds_issued"
    db_session.commit()
    assert level_of(part, wh) == (4, 0)


def test_cycle_count_adjusts_to_the_counted_quantity_with_a_reason(
        db_session, make_part, make_warehouse, receive, level_of, warehouse_user, work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 10)
    down = service.record_movement(db_session, kind="adjustment", part_id=part.id,
                                   location_id=wh.id, counted_quantity=7,
                                   reason="cycle count: 3 damaged", actor=warehouse_user)
    assert (down.quantity, down.from_location_id, down.to_location_id) == (3, wh.id, None)
    up = service.record_movement(db_session, kind="adjustment", part_id=part.id,
                                 location_id=wh.id, counted_quantity=9, reason="found 2",
                                 actor=warehouse_user)
    assert (up.quantity, up.from_location_id, up.to_location_id) == (2, None, wh.id)
    db_session.commit()
    assert level_of(part, wh) == (9, 0)
    with pytest.raises(Unprocessable) as no_reason:
        service.record_movement(db_session, kind="adjustment", part_id=part.id,
                                location_id=wh.id, counted_quantity=1, reason="  ",
                                actor=warehouse_user)
    assert no_reason.value.error == "reason_required"
    service.reserve_parts(db_session, work_order_id=work_orders.open().id, location_id=wh.id,
                          lines=[(part.id, 5)], actor=warehouse_user)
    with pytest.raises(Conflict) as below:
        service.record_movement(db_session, kind="adjustment", part_id=part.id,
                                location_id=wh.id, counted_quantity=4, reason="lost",
                                actor=warehouse_user)
    assert below.value.error == "count_below_reserved"
    assert service.verify_stock(db_session) == []


def test_technicians_move_stock_only_from_their_own_van_and_for_their_work_orders(
        db_session, make_part, make_warehouse, make_van, make_user, receive, level_of,
        work_orders):
    tech, colleague = make_user("technician"), make_user("technician")
    part, wh = make_part(), make_warehouse()
    mine, theirs = make_van(owner=tech), make_van(owner=colleague)
    receive(part, mine, 3)
    receive(part, theirs, 3)
    assert service.van_of_technician(db_session, tech.id).id == mine.id
    with pytest.raises(Forbidden) as other_van:
        service.record_movement(db_session, kind="transfer", part_id=part.id, quantity=1,
                                from_location_id=theirs.id, to_location_id=mine.id, actor=tech)
    assert other_van.value.error == "not_your_van"
    with pytest.raises(Forbidden) as not_assigned:
        service.issue_parts_to_work_order(
            db_session, work_order_id=work_orders.open(assignee=colleague).id,
            location_id=mine.id, lines=[(part.id, 1)], actor=tech)
    assert not_assigned.value.error == "not_your_work_order"
    with pytest.raises(Forbidden):
        service.record_movement(db_session, kind="receipt", part_id=part.id, quantity=1,
                                to_location_id=mine.id, actor=tech)
    service.issue_parts_to_work_order(db_session, work_order_id=work_orders.open(
        assignee=tech).id, location_id=mine.id, lines=[(part.id, 2)], actor=tech)
    service.record_movement(db_session, kind="transfer", part_id=part.id, quantity=1,
                            from_location_id=mine.id, to_location_id=wh.id, actor=tech)
    db_session.commit()
    assert level_of(part, mine) == (0, 0) and level_of(part, theirs) == (3, 0)
    assert level_of(part, wh) == (1, 0)


def test_a_van_belongs_to_one_active_technician(db_session, make_user, warehouse_user):
    tech, dispatcher = make_user("technician"), make_user("dispatcher")
    service.create_location(db_session, code="VAN-A", name="Van A", kind="van",
                            owner_user_id=tech.id, actor=warehouse_user)
    with pytest.raises(Conflict) as second:
        service.create_location(db_session, code="VAN-B", name="Van B", kind="van",
                                owner_user_id=tech.id, actor=warehouse_user)
    assert second.value.error == "technician_has_van"
    with pytest.raises(Unprocessable):
        service.create_location(db_session, code="VAN-C", name="Van C", kind="van",
                                owner_user_id=dispatcher.id, actor=warehouse_user)
    with pytest.raises(Unprocessable):
        service.create_location(db_session, code="WH-X", name="No point", kind="warehouse",
                                actor=warehouse_user)


def test_ledger_running_balances_per_location(db_session, make_part, make_warehouse,
                                              make_van, receive, warehouse_user):
    part, wh, van = make_part(), make_warehouse(), make_van()
    receive(part, wh, 10)
    service.record_movement(db_session, kind="transfer", part_id=part.id, quantity=4,
                            from_location_id=wh.id, to_location_id=van.id,
                            actor=warehouse_user)
    receive(part, wh, 1)
    entries, total = service.part_ledger(db_session, part.id, page=1, page_size=10,
                                         actor=warehouse_user)
    assert total == 3
    assert [(e.movement.kind, e.from_balance_after, e.to_balance_after) for e in entries] == [
        ("receipt", None, 10), ("transfer", 6, 4), ("receipt", None, 7)]
    page2, _ = service.part_ledger(db_session, part.id, page=2, page_size=2,
                                   actor=warehouse_user)
    assert [(e.movement.kind, e.to_balance_after) for e in page2] == [("receipt", 7)]


def test_verify_reports_a_level_that_disagrees_with_the_ledger(db_session, make_part,
                                                               make_warehouse, receive):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    assert service.verify_stock(db_session) == []
    db_session.execute(update(StockLevel).where(StockLevel.part_id == part.id)
                       .values(on_hand=6))
    [mismatch] = service.verify_stock(db_session)
    assert (mismatch.part_id, mismatch.location_id, mismatch.field, mismatch.stored,
            mismatch.expected) == (part.id, wh.id, "on_hand", 6, 5)


def test_low_stock_pools_warehouses_only_and_suggests_whole_lots(
        db_session, make_part, make_warehouse, make_van, receive, warehouse_user, work_orders):
    low = make_part(sku="AAA-LOW", reorder_point=10, reorder_quantity=5)
    fine = make_part(sku="AAA-OK", reorder_point=3, reorder_quantity=5)
    make_part(sku="AAA-NEVER", reorder_point=0, reorder_quantity=0)
    wh1, wh2, van = make_warehouse(), make_warehouse(), make_van()
    receive(low, wh1, 4)
    receive(low, wh2, 4)
    receive(low, van, 50)  # vans are not the reorder pool
    receive(fine, wh1, 6)
    service.reserve_parts(db_session, work_order_id=work_orders.open().id, location_id=wh1.id,
                          lines=[(fine.id, 3)], actor=warehouse_user)
    lines, total = service.low_stock(db_session, page=1, page_size=500, actor=warehouse_user)
    found = {line.part.sku: (line.available, line.suggested_order_quantity) for line in lines}
    assert found["AAA-LOW"] == (8, 5)  # 8 + 5 > 10
    assert found["AAA-OK"] == (3, 5)  # reserved stock is not available: 3 <= 3
    assert "AAA-NEVER" not in found
    assert total >= 2
