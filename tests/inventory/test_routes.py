"""The inventory API as its users see it: roles, ownership, bad input, the one error shape."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.conftest import assert_error

READ_PATHS = ("/api/v1/parts", "/api/v1/parts/low-stock", "/api/v1/stock-locations",
              "/api/v1/stock-levels", "/api/v1/stock-movements", "/api/v1/reservations")


@pytest.mark.parametrize("path", READ_PATHS)
def test_customers_see_nothing_of_inventory(login, path):
    assert_error(login("customer").get(path), 403, "forbidden")


def test_anonymous_requests_need_a_token(client):
    assert_error(client.get("/api/v1/stock-levels"), 401)


def test_customers_cannot_open_a_part_or_its_ledger(login, make_part):
    part = make_part()
    customer = login("customer")
    assert_error(customer.get(f"/api/v1/parts/{part.id}"), 403)
    assert_error(customer.get(f"/api/v1/parts/{part.id}/ledger"), 403)


def test_dispatchers_read_but_do_not_write(login, make_part, make_warehouse, receive):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 3)
    dispatcher = login("dispatcher")
    levels = dispatcher.get(f"/api/v1/stock-levels?part_id={part.id}")
    assert levels.status_code == 200
    assert [(lv["location_id"], lv["on_hand"], lv["available"]) for lv in levels.get_json()] == [
        (wh.id, 3, 3)]
    assert_error(dispatcher.post("/api/v1/parts", json={"sku": "X-1", "name": "X",
                                                        "unit_cost": "1.00"}), 403)
    assert_error(dispatcher.post("/api/v1/stock-movements", json={
        "kind": "receipt", "part_id": part.id, "quantity": 1, "to_location_id": wh.id}), 403)
    assert_error(dispatcher.post("/api/v1/reservations", json={
        "work_order_id": 1, "location_id": wh.id,
        "lines": [{"part_id": part.id, "quantity": 1}]}), 403)


def test_warehouse_manages_the_catalogue_with_decimal_costs(login, make_equipment_model):
    fits, other = make_equipment_model(), make_equipment_model()
    staff = login("warehouse")
    r = staff.post("/api/v1/parts", json={
        "sku": "VLV-0042", "name": "Solenoid valve", "unit_cost": "96.10",
        "reorder_point": 4, "reorder_quantity": 10, "equipment_model_ids": [fits.id]})
    assert r.status_code == 201, r.get_json()
    part = r.get_json()
    assert part["unit_cost"] == "96.10" and part["equipment_model_ids"] == [fits.id]
    listed = staff.get(f"/api/v1/parts?equipment_model_id={fits.id}").get_json()
    assert [p["sku"] for p in listed] == ["VLV-0042"]
    assert staff.get(f"/api/v1/parts?equipment_model_id={other.id}").get_json() == []
    assert_error(staff.post("/api/v1/parts", json={"sku": "vlv-0042", "name": "Dup",
                                                   "unit_cost": "1"}), 409, "duplicate_sku")
    assert_error(staff.post("/api/v1/parts", json={"sku": "N-1", "name": "Neg",
                                                   "unit_cost": "-1.00"}), 422)
    assert_error(staff.post("/api/v1/parts", json={"sku": "N-2", "name": "Unknown model",
                                                   "unit_cost": "1", "equipment_model_ids":
                                                   [2_000_000_000]}), 422)
    patched = staff.patch(f"/api/v1/parts/{part['id']}",
                          json={"unit_cost": "99.99", "equipment_model_ids": [other.id]})
    assert patched.status_code == 200
    assert patched.get_json()["unit_cost"] == "99.99"
    assert patched.get_json()["equipment_model_ids"] == [other.id]
    assert_error(staff.post("/api/v1/parts", json={"sku": "U-1", "name": "x",
                                                   "unit_cost": "1", "colour": "red"}), 422)


def test_warehouses_need_a_point_and_vans_an_active_technician(login, make_user):
    staff = login("warehouse")
    r = staff.post("/api/v1/stock-locations", json={
        "code": "WH-N", "name": "Nord", "kind": "warehouse",
        "point": {"lat": 48.2, "lng": 11.6}})
    assert r.status_code == 201
    assert r.get_json()["point"] == {"lat": 48.2, "lng": 11.6}
    assert_error(staff.post("/api/v1/stock-locations", json={
        "code": "WH-S", "name": "Süd", "kind": "warehouse"}), 422)
    tech = make_user("technician")
    van = staff.post("/api/v1/stock-locations", json={
        "code": "VAN-1", "name": "Van 1", "kind": "van", "owner_user_id": tech.id})
    assert van.status_code == 201 and van.get_json()["point"] is None
    assert_error(staff.post("/api/v1/stock-locations", json={
        "code": "VAN-2", "name": "Van 2", "kind": "van", "owner_user_id": tech.id}),
        409, "technician_has_van")
    retired = make_user("technician", is_active=False)
    assert_error(staff.post("/api/v1/stock-locations", json={
        "code": "VAN-3", "name": "Van 3", "kind": "van", "owner_user_id": retired.id}), 422)


def test_technicians_see_only_their_own_van(login, make_user, make_part, make_van,
                                            make_warehouse, receive):
    tech = make_user("technician")
    part, mine, theirs, wh = make_part(), make_van(owner=tech), make_van(), make_warehouse()
    receive(part, mine, 2)
    receive(part, theirs, 5)
    receive(part, wh, 7)
    me = login(tech)
    assert [loc["id"] for loc in me.get("/api/v1/stock-locations").get_json()] == [mine.id]
    assert [lv["location_id"] for lv in me.get("/api/v1/stock-levels").get_json()] == [mine.id]
    assert_error(me.get(f"/api/v1/stock-locations/{theirs.id}"), 404)
    assert me.get(f"/api/v1/stock-locations/{mine.id}").status_code == 200
    movements = me.get("/api/v1/stock-movements").get_json()
    assert {m["to_location_id"] for m in movements} == {mine.id}
    ledger = me.get(f"/api/v1/parts/{part.id}/ledger").get_json()
    assert [e["movement"]["to_location_id"] for e in ledger] == [mine.id]


def test_technician_moves_stock_only_out_of_their_own_van(login, make_user, make_part,
                                                          make_van, receive, work_orders):
    tech = make_user("technician")
    part, mine, theirs = make_part(), make_van(owner=tech), make_van()
    receive(part, mine, 2)
    receive(part, theirs, 5)
    me = login(tech)
    body = {"kind": "transfer", "part_id": part.id, "quantity": 1,
            "from_location_id": theirs.id, "to_location_id": mine.id}
    assert_error(me.post("/api/v1/stock-movements", json=body), 403, "not_your_van")
    assert_error(me.post("/api/v1/stock-movements", json={
        "kind": "receipt", "part_id": part.id, "quantity": 1, "to_location_id": mine.id}), 403)
    issued = me.post("/api/v1/stock-movements", json={
        "kind": "issue", "part_id": part.id, "quantity": 2, "from_location_id": mine.id,
        "work_order_id": work_orders.open(assignee=tech).id})
    assert issued.status_code == 201, issued.get_json()
    levels = {lv["location_id"]: lv["on_hand"]
              for lv in login("warehouse").get(f"/api/v1/stock-levels?part_id={part.id}")
              .get_json()}
    assert levels == {mine.id: 0, theirs.id: 5}


BAD_MOVEMENTS = [
    ({"kind": "receipt", "quantity": 0}, "quantity"),
    ({"kind": "receipt", "quantity": -3}, "quantity"),
    ({"kind": "receipt", "quantity": 1.5}, "quantity"),
    ({"kind": "receipt"}, "quantity"),
    ({"kind": "receipt", "quantity": 1, "work_order_id": 5}, "work_order_id"),
    ({"kind": "transfer", "quantity": 1, "to_location_id": "WH"}, "from_location_id"),
    ({"kind": "adjustment", "counted_quantity": 1, "to_location_id": None}, "reason"),
    ({"kind": "adjustment", "counted_quantity": 1, "reason": ""}, "reason"),
    ({"kind": "issue", "quantity": 1, "from_location_id": "WH"}, "work_order_id"),
    ({"kind": "teleport", "quantity": 1}, "kind"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_MOVEMENTS)
def test_bad_movements_get_422_and_write_nothing(login, make_part, make_warehouse, receive,
                                                 extra, field):
    part, wh, other = make_part(), make_warehouse(), make_warehouse()
    receive(part, wh, 5)
    names = {"WH": wh.id}
    body = {"part_id": part.id,
            **{k: names.get(v, v) if isinstance(v, str) else v for k, v in extra.items()}}
    if body.get("kind") in ("receipt", "return"):
        body.setdefault("to_location_id", other.id)
    if body.get("kind") == "adjustment":
        body["location_id"] = wh.id
        body = {k: v for k, v in body.items() if v is not None}
    staff = login("warehouse")
    error = assert_error(staff.post("/api/v1/stock-movements", json=body), 422)
    assert field in json.dumps(error.get("errors", {})), error
    ledger = staff.get(f"/api/v1/parts/{part.id}/ledger").get_json()
    assert len(ledger) == 1  # only the receipt from the set-up


def test_same_location_transfer_and_unknown_or_closed_work_orders(login, make_part,
                                                                  make_warehouse, receive,
                                                                  work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    staff = login("warehouse")
    assert_error(staff.post("/api/v1/stock-movements", json={
        "kind": "transfer", "part_id": part.id, "quantity": 1, "from_location_id": wh.id,
        "to_location_id": wh.id}), 422)
    issue = {"kind": "issue", "part_id": part.id, "quantity": 1, "from_location_id": wh.id}
    assert_error(staff.post("/api/v1/stock-movements",
                            json={**issue, "work_order_id": 424242}), 422, "unknown_work_order")
    assert_error(staff.post("/api/v1/stock-movements",
                            json={**issue, "work_order_id": work_orders.closed().id}),
                 409, "work_order_closed")
    short = assert_error(staff.post("/api/v1/stock-movements", json={
        **issue, "quantity": 6, "work_order_id": work_orders.open().id}),
        409, "insufficient_stock")
    assert short["shortages"][0]["available"] == 5
    assert staff.get(f"/api/v1/stock-levels?part_id={part.id}").get_json()[0]["on_hand"] == 5


def test_reservations_hold_and_release_stock(login, make_part, make_warehouse, receive,
                                             work_orders):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 5)
    staff = login("warehouse")
    wo = work_orders.open()
    r = staff.post("/api/v1/reservations", json={
        "work_order_id": wo.id, "location_id": wh.id,
        "lines": [{"part_id": part.id, "quantity": 4}]})
    assert r.status_code == 201, r.get_json()
    [reservation] = r.get_json()
    assert (reservation["status"], reservation["open_quantity"]) == ("active", 4)
    level = staff.get(f"/api/v1/stock-levels?part_id={part.id}").get_json()[0]
    assert (level["on_hand"], level["reserved"], level["available"]) == (5, 4, 1)
    short = assert_error(staff.post("/api/v1/reservations", json={
        "work_order_id": wo.id, "location_id": wh.id,
        "lines": [{"part_id": part.id, "quantity": 2}]}), 409, "insufficient_stock")
    assert part.sku in short["message"]
    listed = staff.get(f"/api/v1/reservations?work_order_id={wo.id}").get_json()
    assert [x["id"] for x in listed] == [reservation["id"]]
    released = staff.post(f"/api/v1/reservations/{reservation['id']}/release",
                          json={"reason": "customer postponed"})
    assert released.status_code == 200
    assert released.get_json()["status"] == "released"
    assert_error(staff.post(f"/api/v1/reservations/{reservation['id']}/release", json={}),
                 409, "reservation_closed")
    assert staff.get(f"/api/v1/stock-levels?part_id={part.id}").get_json()[0]["available"] == 5
    assert_error(staff.post("/api/v1/reservations", json={
        "work_order_id": wo.id, "location_id": wh.id,
        "lines": [{"part_id": part.id, "quantity": 0}]}), 422)


def test_stock_level_filters(login, make_part, make_warehouse, make_van, receive):
    low, ok = make_part(reorder_point=5), make_part(reorder_point=1)
    wh, van = make_warehouse(), make_van()
    receive(low, wh, 5)
    receive(ok, wh, 9)
    receive(ok, van, 1)
    staff = login("warehouse")

    def ids(query):
        r = staff.get(f"/api/v1/stock-levels?{query}")
        assert r.status_code == 200, r.get_json()
        return {(lv["part_id"], lv["location_id"]) for lv in r.get_json()
                if lv["part_id"] in (low.id, ok.id)}

    assert ids("location_kind=van") == {(ok.id, van.id)}
    assert ids(f"location_id={wh.id}") == {(low.id, wh.id), (ok.id, wh.id)}
    assert ids("below_reorder_point=true") == {(low.id, wh.id), (ok.id, van.id)}
    assert ids("below_reorder_point=false") == {(ok.id, wh.id)}


def test_low_stock_and_ledger_endpoints(login, make_part, make_warehouse, make_van, receive):
    part, wh, van = make_part(sku="AAA-0001", reorder_point=6, reorder_quantity=4), \
        make_warehouse(), make_van()
    receive(part, wh, 8)
    staff = login("warehouse")
    moved = staff.post("/api/v1/stock-movements", json={
        "kind": "transfer", "part_id": part.id, "quantity": 3, "from_location_id": wh.id,
        "to_location_id": van.id, "note": "for tomorrow"})
    assert moved.status_code == 201
    low = login("dispatcher").get("/api/v1/parts/low-stock?page_size=500").get_json()
    [line] = [x for x in low if x["part"]["id"] == part.id]
    assert (line["available"], line["suggested_order_quantity"]) == (5, 4)
    r = staff.get(f"/api/v1/parts/{part.id}/ledger?page_size=1&page=2")
    assert r.status_code == 200
    assert json.loads(r.headers["X-Pagination"])["total"] == 2
    [entry] = r.get_json()
    assert entry["movement"]["kind"] == "transfer"
    assert (entry["from_balance_after"], entry["to_balance_after"]) == (5, 3)
    assert_error(staff.get("/api/v1/parts/2000000000/ledger"), 404)


def test_a_posted_movement_answers_what_the_ledger_stores(login, make_part, make_warehouse):
    """The answer to a movement is the ledger row as stored (it is answered from the values
    written, not read again): the same as reading the ledger, for a cost given and for the
    part's own cost taken by default."""
    part, wh = make_part(unit_cost=Decimal("7.25")), make_warehouse()
    staff = login("warehouse")
    answers = [staff.post("/api/v1/stock-movements", json=body) for body in (
        {"kind": "receipt", "part_id": part.id, "quantity": 2, "to_location_id": wh.id,
         "unit_cost": "3.5", "note": "first delivery"},
        {"kind": "receipt", "part_id": part.id, "quantity": 1, "to_location_id": wh.id})]
    assert [a.status_code for a in answers] == [201, 201]
    ledger = staff.get(f"/api/v1/stock-movements?part_id={part.id}").get_json()
    stored = {m["id"]: m for m in ledger}
    assert [a.get_json() for a in answers] == [stored[a.get_json()["id"]] for a in answers]
    assert [a.get_json()["unit_cost"] for a in answers] == ["3.50", "7.25"]


def test_deactivating_a_location_that_holds_stock_is_refused(login, make_part, make_warehouse,
                                                             receive):
    part, wh = make_part(), make_warehouse()
    receive(part, wh, 1)
    assert_error(login("warehouse").patch(f"/api/v1/stock-locations/{wh.id}",
                                          json={"is_active": False}), 409, "location_has_stock")


def test_flask_inventory_verify(app, make_part, make_warehouse, receive, db_session):
    from sqlalchemy import update

    from app.inventory.models import StockLevel

    part, wh = make_part(), make_warehouse()
    receive(part, wh, 2)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["inventory", "verify"])
    assert ok.exit_code == 0, ok.output
    db_session.execute(update(StockLevel).where(StockLevel.part_id == part.id)
                       .values(on_hand=3))
    db_session.commit()
    bad = runner.invoke(args=["inventory", "verify"])
    assert bad.exit_code == 1
    assert f"part {part.id} at location {wh.id}: on_hand stored 3, expected 2" in bad.output
