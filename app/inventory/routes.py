"""Inventory API: parts, stock locations, stock levels, the stock ledger, reservations.

Warehouse staff and admins write; dispatchers read; technicians read their own van (and move
stock out of it); customers see nothing of inventory.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.db import as_written, fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.inventory import service
from app.inventory.models import Part, Reservation, StockLevel, StockLocation, StockMovement
from app.inventory.schemas import (
    LedgerEntryOut,
    LedgerQuery,
    LowStockOut,
    PartCreate,
    PartOut,
    PartQuery,
    PartUpdate,
    ReservationCreate,
    ReservationOut,
    ReservationQuery,
    ReservationRelease,
    StockLevelOut,
    StockLevelQuery,
    StockLocationCreate,
    StockLocationOut,
    StockLocationQuery,
    StockLocationUpdate,
    StockMovementCreate,
    StockMovementOut,
    StockMovementQuery,
)

blp = Blueprint("inventory", __name__, url_prefix="/api/v1",
                description="Parts, warehouses and vans, the stock ledger, reservations.")

WRITERS = (Role.admin, Role.warehouse)
READERS = (Role.admin, Role.warehouse, Role.dispatcher)
VAN_READERS = (*READERS, Role.technician)


# --- parts -----------------------------------------------------------------------------------

@blp.route("/parts")
class Parts(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(PartQuery, location="query")
    @blp.response(200, PartOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Part]:
        """The parts catalogue, by SKU; filter by text, compatible equipment model, active."""
        return fetch_page(db.session, service.list_parts(db.session, **query, actor=actor()),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(PartCreate)
    @blp.response(201, PartOut)
    @blp.alt_response(409, schema=ErrorSchema, description="SKU taken (duplicate_sku).")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown equipment models.")
    def post(self, body: dict[str, Any]) -> Part:
        """Add a part to the catalogue (warehouse, admin)."""
        part = service.create_part(db.session, **body, actor=actor())
        db.session.commit()
        return part


@blp.route("/parts/low-stock")
class LowStock(MethodView):
    @require_roles(*READERS)
    @blp.response(200, LowStockOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[service.LowStockLine]:
        """Active parts whose available stock across active warehouses is at or below their
        reorder point (a reorder point of 0 means never reorder), with the suggested order
        quantity: enough reorder lots to get above the reorder point."""
        lines, total = service.low_stock(db.session, page=pagination_parameters.page,
                                         page_size=pagination_parameters.page_size,
                                         actor=actor())
        pagination_parameters.item_count = total
        return lines


@blp.route("/parts/<id:part_id>")
class PartById(MethodView):
    @require_roles(*VAN_READERS)
    @blp.response(200, PartOut)
    def get(self, part_id: int) -> Part:
        """One part."""
        return service.get_part(db.session, part_id, actor=actor())

    @require_roles(*WRITERS)
    @blp.arguments(PartUpdate)
    @blp.response(200, PartOut)
    @blp.alt_response(409, schema=ErrorSchema, description="SKU taken (duplicate_sku).")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown equipment models.")
    def patch(self, body: dict[str, Any], part_id: int) -> Part:
        """Change a part; `equipment_model_ids` replaces the compatibility list."""
        part = service.update_part(db.session, service.get_part(db.session, part_id), body,
                                   actor=actor())
        db.session.commit()
        return part


@blp.route("/parts/<id:part_id>/ledger")
class PartLedger(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(LedgerQuery, location="query")
    @blp.response(200, LedgerEntryOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], part_id: int,
            pagination_parameters: Any) -> list[service.LedgerEntry]:
        """Every movement of a part, oldest first, with the on-hand balance of each location
        it touched right after it (technicians: movements of their own van)."""
        entries, total = service.part_ledger(db.session, part_id, **query,
                                             page=pagination_parameters.page,
                                             page_size=pagination_parameters.page_size,
                                             actor=actor())
        pagination_parameters.item_count = total
        return entries


# --- stock locations -------------------------------------------------------------------------

@blp.route("/stock-locations")
class StockLocations(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(StockLocationQuery, location="query")
    @blp.response(200, StockLocationOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[StockLocation]:
        """Warehouses and vans by code (technicians: their own van)."""
        return fetch_page(db.session,
                          service.list_locations(db.session, **query, actor=actor()),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(StockLocationCreate)
    @blp.response(201, StockLocationOut)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Code taken (duplicate_code) or technician has a van.")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="Warehouse without point, or owner not a technician.")
    def post(self, body: dict[str, Any]) -> StockLocation:
        """Add a warehouse (with a point) or a van (owned by one active technician)."""
        location = service.create_location(db.session, **body, actor=actor())
        db.session.commit()
        return location


@blp.route("/stock-locations/<id:location_id>")
class StockLocationById(MethodView):
    @require_roles(*VAN_READERS)
    @blp.response(200, StockLocationOut)
    def get(self, location_id: int) -> StockLocation:
        """One location (technicians: only their own van)."""
        return service.get_location(db.session, location_id, actor=actor())

    @require_roles(*WRITERS)
    @blp.arguments(StockLocationUpdate)
    @blp.response(200, StockLocationOut)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Code taken, technician has a van, or stock still held.")
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid owner or point.")
    def patch(self, body: dict[str, Any], location_id: int) -> StockLocation:
        """Rename, move, reassign a van, or deactivate an empty location."""
        location = service.update_location(
            db.session, service.get_location(db.session, location_id, actor=actor()), body,
            actor=actor())
        db.session.commit()
        return location


# --- stock levels and movements --------------------------------------------------------------

@blp.route("/stock-levels")
class StockLevels(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(StockLevelQuery, location="query")
    @blp.response(200, StockLevelOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[StockLevel]:
        """Stock per part and location: on hand, reserved, available (technicians: own van)."""
        return fetch_page(db.session,
                          service.list_stock_levels(db.session, **query, actor=actor()),
                          pagination_parameters)


@blp.route("/stock-movements")
class StockMovements(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(StockMovementQuery, location="query")
    @blp.response(200, StockMovementOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[StockMovement]:
        """The stock ledger, newest first (technicians: movements of their own van)."""
        return fetch_page(db.session,
                          service.list_movements(db.session, **query, actor=actor()),
                          pagination_parameters)

    @require_roles(Role.admin, Role.warehouse, Role.technician)
    @blp.arguments(StockMovementCreate)
    @blp.response(201, StockMovementOut)
    @blp.alt_response(403, schema=ErrorSchema,
                      description="Technicians: not their van (not_your_van) or work order, "
                                  "or a receipt/adjustment.")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="insufficient_stock, work_order_closed, location_inactive, "
                                  "return_exceeds_issued, count_below_reserved.")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="Fields that do not fit the kind, unknown part, location or "
                                  "work order (unknown_work_order), adjustment without reason.")
    def post(self, body: dict[str, Any]) -> Any:
        """Post a movement to the append-only ledger; it changes the stock levels it touches
        in the same transaction. Stock never goes below zero and reserved stock is not moved.
        Technicians may transfer from, issue from and return to their own van only."""
        movement = service.record_movement(db.session, **body, actor=actor())
        db.session.flush()
        written = as_written(movement)  # a ledger row never changes: no read after the commit
        db.session.commit()
        return written


@blp.route("/stock-movements/<id:movement_id>")
class StockMovementById(MethodView):
    @require_roles(*VAN_READERS)
    @blp.response(200, StockMovementOut)
    def get(self, movement_id: int) -> StockMovement:
        """One ledger line (technicians: of their own van)."""
        return service.get_movement(db.session, movement_id, actor=actor())


# --- reservations ----------------------------------------------------------------------------

@blp.route("/reservations")
class Reservations(MethodView):
    @require_roles(*VAN_READERS)
    @blp.arguments(ReservationQuery, location="query")
    @blp.response(200, ReservationOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Reservation]:
        """Reservations, newest first (technicians: those at their own van)."""
        return fetch_page(db.session,
                          service.list_reservations(db.session, **query, actor=actor()),
                          pagination_parameters)

    @require_roles(*WRITERS)
    @blp.arguments(ReservationCreate)
    @blp.response(201, ReservationOut(many=True))
    @blp.alt_response(409, schema=ErrorSchema,
                      description="insufficient_stock (names the parts), work_order_closed, "
                                  "part_inactive, location_inactive.")
    @blp.alt_response(422, schema=ErrorSchema,
                      description="Unknown work order (unknown_work_order), part or location.")
    def post(self, body: dict[str, Any]) -> list[Reservation]:
        """Hold stock at a location for an open work order: every line or none."""
        reservations = service.reserve_parts(
            db.session, work_order_id=body["work_order_id"], location_id=body["location_id"],
            lines=[(line["part_id"], line["quantity"]) for line in body["lines"]],
            actor=actor())
        db.session.commit()
        return reservations


@blp.route("/reservations/<id:reservation_id>")
class ReservationById(MethodView):
    @require_roles(*VAN_READERS)
    @blp.response(200, ReservationOut)
    def get(self, reservation_id: int) -> Reservation:
        """One reservation (technicians: at their own van)."""
        return service.get_reservation(db.session, reservation_id, actor=actor())


@blp.route("/reservations/<id:reservation_id>/release")
class ReleaseReservation(MethodView):
    @require_roles(*WRITERS)
    @blp.arguments(ReservationRelease)
    @blp.response(200, ReservationOut)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Already fulfilled or released (reservation_closed).")
    def post(self, body: dict[str, Any], reservation_id: int) -> Reservation:
        """Release an active reservation: its open quantity becomes available again."""
        reservation = service.release_reservation(db.session, reservation_id, **body,
                                                  actor=actor())
        db.session.commit()
        return reservation
