"""The only code that changes stock_levels: atomic conditional updates, rows locked in id order.

Every decrement is `UPDATE ... WHERE <enough stock>` and its row count is checked, so two
requests racing for the last unit cannot both win, on PostgreSQL (row locks, READ COMMITTED
re-checks the WHERE after waiting) and on SQLite (writers serialised by BEGIN IMMEDIATE). The
CHECK constraints on stock_levels are the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import table_of, utcnow
from app.inventory.models import StockLevel

Key = tuple[int, int]  # (part_id, location_id)


def ensure_levels(session: Session, keys: Iterable[Key]) -> None:
    """Create missing level rows at zero; a concurrent creator of the same row is fine."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    session.execute(
        insert(table_of(StockLevel))
        .values([{"part_id": p, "location_id": loc, "on_hand": 0, "reserved": 0,
                  "updated_at": now} for p, loc in wanted])
        .on_conflict_do_nothing(index_elements=["part_id", "location_id"])
    )


def lock_levels(session: Session, keys: Iterable[Key]) -> dict[Key, StockLevel]:
    """The existing levels for these keys, fresh from the database and row-locked (PostgreSQL)
    in id order, so two transactions touching the same rows never deadlock."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.scalars(
        select(StockLevel)
        .where(or_(*(and_(StockLevel.part_id == p, StockLevel.location_id == loc)
                     for p, loc in wanted)))
        .order_by(StockLevel.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(row.part_id, row.location_id): row for row in rows}


def _where(part_id: int, location_id: int) -> list:
    return [StockLevel.part_id == part_id, StockLevel.location_id == location_id]


def _changed(session: Session, stmt) -> bool:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def take(session: Session, part_id: int, location_id: int, quantity: int,
         from_reserved: int = 0) -> bool:
    """Remove `quantity` from on hand, `from_reserved` of it out of the reserved units; False
    (nothing changed) when the unreserved rest is not available."""
    return _changed(session, update(StockLevel).where(
        *_where(part_id, location_id),
        StockLevel.reserved >= from_reserved,
        StockLevel.on_hand - StockLevel.reserved >= quantity - from_reserved,
    ).values(on_hand=StockLevel.on_hand - quantity,
             reserved=StockLevel.reserved - from_reserved, updated_at=utcnow()))


def put(session: Session, part_id: int, location_id: int, quantity: int) -> bool:
    """Add `quantity` to on hand (the row must exist: ensure_levels first)."""
    return _changed(session, update(StockLevel).where(*_where(part_id, location_id))
                    .values(on_hand=StockLevel.on_hand + quantity, updated_at=utcnow()))


def hold(session: Session, part_id: int, location_id: int, quantity: int) -> bool:
    """Reserve `quantity` if that much is available; False (nothing changed) otherwise."""
    return _changed(session, update(StockLevel).where(
        *_where(part_id, location_id),
        StockLevel.on_hand - StockLevel.reserved >= quantity,
    ).values(reserved=StockLevel.reserved + quantity, updated_at=utcnow()))


def unhold(session: Session, part_id: int, location_id: int, quantity: int) -> bool:
    """Give back `quantity` reserved units."""
    return _changed(session, update(StockLevel).where(
        *_where(part_id, location_id), StockLevel.reserved >= quantity,
    ).values(reserved=StockLevel.reserved - quantity, updated_at=utcnow()))


def set_counted(session: Session, part_id: int, location_id: int, observed: int,
                counted: int) -> bool:
    """Set on hand to a cycle count, only if it still is what the caller saw."""
    return _changed(session, update(StockLevel).where(
        *_where(part_id, location_id), StockLevel.on_hand == observed,
        StockLevel.reserved <= counted,
    ).values(on_hand=counted, updated_at=utcnow()))
