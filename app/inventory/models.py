"""Parts, stock locations (warehouses and vans), stock levels, the ledger and reservations.

Quantities are whole units (int); money is Decimal. The stock ledger (`stock_movements`) is
append-only and every movement changes the levels it touches in the same transaction, so the
balance recomputed from the ledger always equals `stock_levels.on_hand` (`flask inventory
verify` checks it).

`work_order_id` columns carry no foreign key: inventory knows work orders only through the
seam in `work_orders.py` (the service checks existence and state there before writing), and
its tests plug their own work orders into that seam.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import geo
from app.assets.models import EquipmentModel
from app.db import UTCDateTime, utcnow
from app.extensions import Model


class LocationKind(StrEnum):
    warehouse = "warehouse"
    van = "van"


class MovementKind(StrEnum):
    receipt = "receipt"  # into a location from a supplier
    transfer = "transfer"  # between two locations
    issue = "issue"  # out of a location to a work order
    return_ = "return"  # from a work order back into a location
    adjustment = "adjustment"  # after a cycle count, with a reason


class ReservationStatus(StrEnum):
    active = "active"  # holds open_quantity at its location
    fulfilled = "fulfilled"  # consumed by issues to its work order
    released = "released"  # given back (cancelled work order, or by hand)


LOCATION_KIND_VALUES = tuple(k.value for k in LocationKind)
MOVEMENT_KIND_VALUES = tuple(k.value for k in MovementKind)
RESERVATION_STATUS_VALUES = tuple(s.value for s in ReservationStatus)


class PartEquipmentModel(Model):
    """A part fits an equipment model (many to many)."""

    __tablename__ = "part_equipment_models"

    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="CASCADE"),
                                         primary_key=True)
    equipment_model_id: Mapped[int] = mapped_column(
        ForeignKey("equipment_models.id", ondelete="CASCADE"), primary_key=True, index=True)

    part: Mapped[Part] = relationship(back_populates="compatibility")
    equipment_model: Mapped[EquipmentModel] = relationship()


class Part(Model):
    """A spare part in the catalogue."""

    __tablename__ = "parts"
    __table_args__ = (
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
        CheckConstraint("reorder_quantity >= 0", name="reorder_quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20), default="pcs")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    # Total available across warehouses at or below this triggers a reorder (0: never).
    reorder_point: Mapped[int] = mapped_column(default=0)
    reorder_quantity: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    compatibility: Mapped[list[PartEquipmentModel]] = relationship(
        back_populates="part", cascade="all, delete-orphan",
        order_by="PartEquipmentModel.equipment_model_id")

    @property
    def equipment_model_ids(self) -> list[int]:
        return [link.equipment_model_id for link in self.compatibility]


class StockLocation(Model):
    """Where stock is kept: a warehouse (with a point) or a technician's van."""

    __tablename__ = "stock_locations"
    __table_args__ = (
        CheckConstraint(f"kind IN {LOCATION_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("kind = 'van' OR owner_user_id IS NULL", name="only_vans_have_owners"),
        CheckConstraint("kind = 'van' OR location IS NOT NULL", name="warehouse_has_point"),
        *geo.point_indexes("stock_locations", "location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # At most one van per technician: NULLs (warehouses, unassigned vans) do not collide.
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    address_line: Mapped[str | None] = mapped_column(String(300))
    # A warehouse's address point; a van's last known position.
    location: Mapped[Any] = mapped_column(geo.point_type(nullable=True), nullable=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # A warehouse's daily opening hours (local wall clock; NULL: always open) and the reusable
    # tools a technician may fetch there (codes, sorted).
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    tools: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def point(self) -> dict[str, float] | None:
        return geo.to_latlng(self.location)


class StockLevel(Model):
    """How many of a part are at a location, and how many of those are reserved."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("part_id", "location_id", name="uq_stock_levels_part_location"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(Model):
    """One line of the append-only stock ledger; never updated or deleted."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(f"kind IN {MOVEMENT_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("from_location_id IS NOT NULL OR to_location_id IS NOT NULL",
                        name="touches_a_location"),
        CheckConstraint("from_location_id IS NULL OR to_location_id IS NULL "
                        "OR from_location_id <> to_location_id", name="not_to_itself"),
        CheckConstraint("kind NOT IN ('issue', 'return') OR work_order_id IS NOT NULL",
                        name="work_order_for_issue_and_return"),
        CheckConstraint("kind <> 'adjustment' OR reason IS NOT NULL",
                        name="reason_for_adjustment"),
        Index("ix_stock_movements_part_id_id", "part_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"),
                                                         index=True)
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"),
                                                       index=True)
    # No FK to work_orders yet (sibling migration branch); the lead's merge migration adds it.
    work_order_id: Mapped[int | None] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # The part's cost when it moved (or the receipt's purchase cost): the ledger's value.
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    part: Mapped[Part] = relationship()


class Reservation(Model):
    """Stock held at a location for a work order: counted in the level's `reserved`."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint(f"status IN {RESERVATION_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("open_quantity >= 0 AND open_quantity <= quantity",
                        name="open_quantity_range"),
        CheckConstraint("(status = 'active') = (open_quantity > 0)",
                        name="active_iff_open"),
        Index("ix_reservations_work_order_status", "work_order_id", "status"),
        Index("ix_reservations_part_location_status", "part_id", "location_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("stock_locations.id"))
    # No FK to work_orders: see the module docstring.
    work_order_id: Mapped[int]
    quantity: Mapped[int]
    open_quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=ReservationStatus.active)
    release_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()
