"""The inventory API's contract: explicit in (Create/Update/Query) and out schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from app.dispatch.schemas import WallClock
from app.fields import QueryBoolean, StrictBoolean, ToolCodes
from app.geo import LatLng
from app.inventory.models import (
    LOCATION_KIND_VALUES,
    MOVEMENT_KIND_VALUES,
    RESERVATION_STATUS_VALUES,
    MovementKind,
)
from app.routing import MAX_ID
from app.schema import Schema

MAX_QUANTITY = 1_000_000
MAX_COST = Decimal("9999999999.99")  # Numeric(12, 2)


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("NUL characters are not allowed.")


def _text(max_len: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, max_len), _no_nul], **kwargs)


def _id(**kwargs: Any) -> fields.Integer:
    """An id in a JSON body: a real integer, within the database's range."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def _query_id() -> fields.Integer:
    """An id in a query string (text by nature)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID))


def _quantity(minimum: int = 1, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(minimum, MAX_QUANTITY), **kwargs)


def _money_in_range(value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value > MAX_COST:
        raise ValidationError(f"Must be between 0 and {MAX_COST}.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError("At most two decimal places.")


# Money is a decimal string on the wire ("96.10"); JSON numbers are accepted on input too.
_money: dict[str, Any] = dict(
    as_string=True, validate=_money_in_range,
    metadata={"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
              "example": "96.10"})


def _money_out() -> fields.Decimal:
    return fields.Decimal(places=2, as_string=True,
                          metadata={"type": "string", "example": "96.10"})


# --- parts -----------------------------------------------------------------------------------

class PartOut(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    unit = fields.String()
    unit_cost = _money_out()
    reorder_point = fields.Integer()
    reorder_quantity = fields.Integer()
    equipment_model_ids = fields.List(fields.Integer())
    is_active = StrictBoolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PartCreate(Schema):
    sku = _text(60, required=True)
    name = _text(200, required=True)
    description = _text(5000, allow_none=True)
    unit = _text(20, load_default="pcs", metadata={"example": "pcs"})
    unit_cost = fields.Decimal(required=True, **_money)
    reorder_point = _quantity(0, load_default=0)
    reorder_quantity = _quantity(0, load_default=0)
    equipment_model_ids = fields.List(_id(), validate=validate.Length(max=500),
                                      load_default=list)
    is_active = StrictBoolean(load_default=True)


class PartUpdate(Schema):
    sku = _text(60)
    name = _text(200)
    description = _text(5000, allow_none=True)
    unit = _text(20)
    unit_cost = fields.Decimal(**_money)
    reorder_point = _quantity(0)
    reorder_quantity = _quantity(0)
    equipment_model_ids = fields.List(_id(), validate=validate.Length(max=500))
    is_active = StrictBoolean()


class PartQuery(Schema):
    q = _text(100)
    equipment_model_id = _query_id()
    is_active = QueryBoolean()


class LowStockOut(Schema):
    part = fields.Nested(PartOut)
    available = fields.Integer(metadata={"description": "On hand minus reserved, warehouses."})
    suggested_order_quantity = fields.Integer()


# --- stock locations -------------------------------------------------------------------------

class StockLocationOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": list(LOCATION_KIND_VALUES)})
    owner_user_id = fields.Integer(allow_none=True)
    address_line = fields.String(allow_none=True)
    point = fields.Nested(LatLng, allow_none=True)
    is_active = StrictBoolean()
    opens_at = WallClock(allow_none=True)
    closes_at = WallClock(allow_none=True)
    tools = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StockLocationCreate(Schema):
    code = _text(40, required=True)
    name = _text(200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KIND_VALUES))
    owner_user_id = _id(allow_none=True)
    address_line = _text(300, allow_none=True)
    point = fields.Nested(LatLng, allow_none=True)
    is_active = StrictBoolean(load_default=True)
    opens_at = WallClock(allow_none=True)
    closes_at = WallClock(allow_none=True)
    tools = ToolCodes(metadata={"description": "Reusable tools technicians may fetch here."})


class StockLocationUpdate(Schema):
    code = _text(40)
    name = _text(200)
    owner_user_id = _id(allow_none=True)
    address_line = _text(300, allow_none=True)
    point = fields.Nested(LatLng, allow_none=True)
    is_active = StrictBoolean()
    opens_at = WallClock(allow_none=True)
    closes_at = WallClock(allow_none=True)
    tools = ToolCodes(metadata={"description": "Replaces the list."})


class StockLocationQuery(Schema):
    kind = fields.String(validate=validate.OneOf(LOCATION_KIND_VALUES))
    owner_user_id = _query_id()
    is_active = QueryBoolean()
    q = _text(100)


# --- stock levels ----------------------------------------------------------------------------

class PartBrief(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    unit = fields.String()
    reorder_point = fields.Integer()


class LocationBrief(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class StockLevelOut(Schema):
    id = fields.Integer()
    part_id = fields.Integer()
    location_id = fields.Integer()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer(metadata={"description": "on_hand - reserved"})
    updated_at = fields.DateTime()
    part = fields.Nested(PartBrief)
    location = fields.Nested(LocationBrief)


class StockLevelQuery(Schema):
    part_id = _query_id()
    location_id = _query_id()
    location_kind = fields.String(validate=validate.OneOf(LOCATION_KIND_VALUES))
    below_reorder_point = QueryBoolean(
        metadata={"description": "true: available at or below the part's reorder point."})


# --- stock movements -------------------------------------------------------------------------

class StockMovementOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(MOVEMENT_KIND_VALUES)})
    part_id = fields.Integer()
    quantity = fields.Integer()
    from_location_id = fields.Integer(allow_none=True)
    to_location_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    unit_cost = _money_out()
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


# Which fields each kind needs (required) and accepts at all.
_KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    MovementKind.receipt: ({"to_location_id", "quantity"}, {"unit_cost", "note"}),
    MovementKind.transfer: ({"from_location_id", "to_location_id", "quantity"}, {"note"}),
    MovementKind.issue: ({"from_location_id", "work_order_id", "quantity"}, {"note"}),
    MovementKind.return_: ({"to_location_id", "work_order_id", "quantity"}, {"note"}),
    MovementKind.adjustment: ({"location_id", "counted_quantity", "reason"}, {"note"}),
}
_OPTIONAL = {"from_location_id", "to_location_id", "location_id", "work_order_id", "quantity",
             "counted_quantity", "reason", "note", "unit_cost"}


class StockMovementCreate(Schema):
    """One ledger line. receipt: to_location_id, quantity [, unit_cost]; transfer:
    from_location_id, to_location_id, quantity; issue: from_location_id, work_order_id,
    quantity; return: to_location_id, work_order_id, quantity; adjustment (cycle count):
    location_id, counted_quantity, reason."""

    kind = fields.String(required=True, validate=validate.OneOf(MOVEMENT_KIND_VALUES))
    part_id = _id(required=True)
    quantity = _quantity()
    from_location_id = _id()
    to_location_id = _id()
    location_id = _id()
    work_order_id = _id()
    counted_quantity = _quantity(0)
    reason = _text(2000)
    note = _text(2000)
    unit_cost = fields.Decimal(**_money)

    @validates_schema
    def _fields_fit_kind(self, data: dict[str, Any], **_: Any) -> None:
        kind = data.get("kind")
        if kind not in _KIND_FIELDS:
            return
        required, extra = _KIND_FIELDS[kind]
        errors: dict[str, list[str]] = {}
        for name in sorted(required - data.keys()):
            errors[name] = [f"Required for a {kind}."]
        for name in sorted((_OPTIONAL - required - extra) & data.keys()):
            errors[name] = [f"Not used by a {kind}."]
        if kind == MovementKind.adjustment and not (data.get("reason") or "").strip():
            errors.setdefault("reason", ["An adjustment needs a reason."])
        if (kind == MovementKind.transfer and "from_location_id" in data
                and data.get("from_location_id") == data.get("to_location_id")):
            errors["to_location_id"] = ["Must differ from from_location_id."]
        if errors:
            raise ValidationError(errors)


class StockMovementQuery(Schema):
    part_id = _query_id()
    location_id = _query_id()
    work_order_id = _query_id()
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KIND_VALUES))


class LedgerEntryOut(Schema):
    movement = fields.Nested(StockMovementOut)
    from_balance_after = fields.Integer(allow_none=True, metadata={
        "description": "On hand at from_location_id right after this movement."})
    to_balance_after = fields.Integer(allow_none=True, metadata={
        "description": "On hand at to_location_id right after this movement."})


class LedgerQuery(Schema):
    location_id = _query_id()


# --- reservations ----------------------------------------------------------------------------

class ReservationOut(Schema):
    id = fields.Integer()
    part_id = fields.Integer()
    location_id = fields.Integer()
    work_order_id = fields.Integer()
    quantity = fields.Integer()
    open_quantity = fields.Integer(metadata={"description": "Still held (0 once closed)."})
    status = fields.String(metadata={"enum": list(RESERVATION_STATUS_VALUES)})
    release_reason = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class PartLine(Schema):
    part_id = _id(required=True)
    quantity = _quantity(required=True)


class ReservationCreate(Schema):
    work_order_id = _id(required=True)
    location_id = _id(required=True)
    lines = fields.List(fields.Nested(PartLine), required=True,
                        validate=validate.Length(1, 200))


class ReservationRelease(Schema):
    reason = _text(2000)


class ReservationQuery(Schema):
    work_order_id = _query_id()
    location_id = _query_id()
    part_id = _query_id()
    status = fields.String(validate=validate.OneOf(RESERVATION_STATUS_VALUES))
