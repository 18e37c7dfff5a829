"""Reading stock: levels, availability, low stock, a part's ledger with running balances, and
the verification that the ledger and the stored levels agree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select, union_all
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.auth.models import User
from app.inventory.models import (
    LocationKind,
    Part,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockLocation,
    StockMovement,
)
from app.inventory.service.catalogue import get_part
from app.inventory.service.locations import is_technician


def list_stock_levels(session: Session, *, part_id: int | None = None,
                      location_id: int | None = None, location_kind: str | None = None,
                      below_reorder_point: bool | None = None,
                      actor: User | None) -> Select[tuple[StockLevel]]:
    """Levels by location and part; `below_reorder_point` keeps those whose available stock
    is at or below the part's reorder point. A technician sees its own van only."""
    stmt = (select(StockLevel)
            .join(StockLevel.part).join(StockLevel.location)
            .options(contains_eager(StockLevel.part), contains_eager(StockLevel.location))
            .order_by(StockLocation.code, Part.sku, StockLevel.id))
    if is_technician(actor):
        stmt = stmt.where(StockLocation.owner_user_id == actor.id)
    if part_id is not None:
        stmt = stmt.where(StockLevel.part_id == part_id)
    if location_id is not None:
        stmt = stmt.where(StockLevel.location_id == location_id)
    if location_kind:
        stmt = stmt.where(StockLocation.kind == location_kind)
    if below_reorder_point is not None:
        at_or_below = StockLevel.on_hand - StockLevel.reserved <= Part.reorder_point
        stmt = stmt.where(at_or_below if below_reorder_point else ~at_or_below)
    return stmt


def available_stock(session: Session, location_id: int) -> dict[int, int]:
    """part_id -> on hand minus reserved at the location (parts with nothing held omitted)."""
    rows = session.execute(select(StockLevel.part_id, StockLevel.on_hand - StockLevel.reserved)
                           .where(StockLevel.location_id == location_id,
                                  StockLevel.on_hand > 0))
    return {part_id: int(available) for part_id, available in rows}


def available_stocks(session: Session, location_ids: list[int]) -> dict[int, dict[int, int]]:
    """available_stock for many locations in one query: location id -> part id -> available."""
    out: dict[int, dict[int, int]] = {loc: {} for loc in location_ids}
    if not location_ids:
        return out
    rows = session.execute(select(StockLevel.location_id, StockLevel.part_id,
                                  StockLevel.on_hand - StockLevel.reserved)
                           .where(StockLevel.location_id.in_(location_ids),
                                  StockLevel.on_hand > 0))
    for location_id, part_id, available in rows:
        out[location_id][part_id] = int(available)
    return out


@dataclass(frozen=True)
class LowStockLine:
    part: Part
    available: int  # across active warehouses
    suggested_order_quantity: int


def suggested_order(available: int, reorder_point: int, reorder_quantity: int) -> int:
    """Enough reorder lots to lift available stock above the reorder point."""
    shortfall = reorder_point - available + 1
    if reorder_quantity <= 0:
        return max(shortfall, 0)
    lots = max(1, -(-shortfall // reorder_quantity))
    return lots * reorder_quantity


def low_stock(session: Session, *, page: int, page_size: int,
              actor: User | None) -> tuple[list[LowStockLine], int]:
    """Active parts whose available stock across active warehouses (vans are not the reorder
    pool) is at or below their reorder point (0: not reordered); one page and the total."""
    pooled = (select(StockLevel.part_id,
                     func.sum(StockLevel.on_hand - StockLevel.reserved).label("available"))
              .join(StockLocation, StockLocation.id == StockLevel.location_id)
              .where(StockLocation.kind == LocationKind.warehouse,
                     StockLocation.is_active.is_(True))
              .group_by(StockLevel.part_id).subquery())
    available = func.coalesce(pooled.c.available, 0)
    stmt = (select(Part, available)
            .outerjoin(pooled, pooled.c.part_id == Part.id)
            .where(Part.is_active.is_(True), Part.reorder_point > 0,
                   available <= Part.reorder_point))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    offset = (page - 1) * page_size
    if offset >= total:
        return [], int(total)  # past the end (also keeps absurd page numbers off the driver)
    rows = session.execute(stmt.options(selectinload(Part.compatibility))
                           .order_by(Part.sku, Part.id).limit(page_size).offset(offset))
    return [LowStockLine(part, int(avail),
                         suggested_order(int(avail), part.reorder_point, part.reorder_quantity))
            for part, avail in rows], int(total)


@dataclass(frozen=True)
class LedgerEntry:
    movement: StockMovement
    from_balance_after: int | None  # on hand at from_location after this movement
    to_balance_after: int | None


def _deltas(part_id: int | None = None):  # type: ignore[no-untyped-def]
    """(movement_id, part_id, location_id, delta) for every location each movement touches."""
    m = StockMovement
    out = select(m.id.label("movement_id"), m.part_id, m.from_location_id.label("location_id"),
                 (-m.quantity).label("delta")).where(m.from_location_id.is_not(None))
    into = select(m.id.label("movement_id"), m.part_id, m.to_location_id.label("location_id"),
                  m.quantity.label("delta")).where(m.to_location_id.is_not(None))
    if part_id is not None:
        out, into = out.where(m.part_id == part_id), into.where(m.part_id == part_id)
    return union_all(out, into).subquery()


def part_ledger(session: Session, part_id: int, *, location_id: int | None = None, page: int,
                page_size: int, actor: User | None) -> tuple[list[LedgerEntry], int]:
    """A part's movements, oldest first, each with the running on-hand balance of the
    locations it touched; one page and the total."""
    get_part(session, part_id, actor=actor)
    deltas = _deltas(part_id)
    running = select(
        deltas.c.movement_id, deltas.c.location_id,
        func.sum(deltas.c.delta).over(partition_by=deltas.c.location_id,
                                      order_by=deltas.c.movement_id).label("balance"),
    ).subquery()
    stmt = select(StockMovement).where(StockMovement.part_id == part_id)
    if location_id is not None:
        stmt = stmt.where(or_(StockMovement.from_location_id == location_id,
                              StockMovement.to_location_id == location_id))
    if is_technician(actor):
        vans = select(StockLocation.id).where(StockLocation.owner_user_id == actor.id)
        stmt = stmt.where(or_(StockMovement.from_location_id.in_(vans),
                              StockMovement.to_location_id.in_(vans)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    offset = (page - 1) * page_size
    if offset >= total:
        return [], int(total)  # past the end (also keeps absurd page numbers off the driver)
    movements = list(session.scalars(stmt.order_by(StockMovement.id)
                                      .limit(page_size).offset(offset)))
    balances: dict[tuple[int, int], int] = {}
    if movements:
        rows = session.execute(select(running).where(
            running.c.movement_id.in_([m.id for m in movements])))
        balances = {(mid, loc): int(bal) for mid, loc, bal in rows}
    return [LedgerEntry(m,
                        balances.get((m.id, m.from_location_id)) if m.from_location_id else None,
                        balances.get((m.id, m.to_location_id)) if m.to_location_id else None)
            for m in movements], int(total)


@dataclass(frozen=True)
class Mismatch:
    part_id: int
    location_id: int
    field: str  # "on_hand" or "reserved"
    stored: int
    expected: int  # from the ledger (on_hand) or the active reservations (reserved)


def verify_stock(session: Session) -> list[Mismatch]:
    """Every level against the ledger (on hand) and the active reservations (reserved)."""
    deltas = _deltas()
    ledger: dict[tuple[int, int], int] = defaultdict(int)
    for part_id, location_id, total in session.execute(
            select(deltas.c.part_id, deltas.c.location_id, func.sum(deltas.c.delta))
            .group_by(deltas.c.part_id, deltas.c.location_id)):
        ledger[(part_id, location_id)] = int(total)
    held: dict[tuple[int, int], int] = defaultdict(int)
    for part_id, location_id, total in session.execute(
            select(Reservation.part_id, Reservation.location_id,
                   func.sum(Reservation.open_quantity))
            .where(Reservation.status == ReservationStatus.active)
            .group_by(Reservation.part_id, Reservation.location_id)):
        held[(part_id, location_id)] = int(total)
    stored = {(lv.part_id, lv.location_id): (lv.on_hand, lv.reserved)
              for lv in session.execute(select(StockLevel.part_id, StockLevel.location_id,
                                               StockLevel.on_hand, StockLevel.reserved))}
    mismatches = []
    for key in sorted(set(ledger) | set(held) | set(stored)):
        part_id, location_id = key
        on_hand, reserved = stored.get(key, (0, 0))
        if on_hand != ledger[key]:
            mismatches.append(Mismatch(part_id, location_id, "on_hand", on_hand, ledger[key]))
        if reserved != held[key]:
            mismatches.append(Mismatch(part_id, location_id, "reserved", reserved, held[key]))
    return mismatches
