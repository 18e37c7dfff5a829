"""Reservations hold stock at a location for a work order: available = on hand - reserved.

A level's `reserved` always equals the open quantity of its active reservations; issuing to
a work order consumes its reservations first; cancelling a work order releases them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.errors import Conflict, InsufficientStock, NotFound
from app.inventory.models import Part, Reservation, ReservationStatus, StockLocation
from app.inventory.service import levels
from app.inventory.service.locations import active_location, is_technician
from app.inventory.service.orders import open_work_order
from app.inventory.service.parts_lookup import merge_lines, parts_by_id


def shortage_error(location: StockLocation, parts: dict[int, Part],
                   shortages: list[tuple[int, int, int]]) -> InsufficientStock:
    """409 insufficient_stock naming each short part: (part_id, requested, available)."""
    names = ", ".join(f"{parts[p].sku} (requested {q}, available {a})"
                      for p, q, a in shortages)
    return InsufficientStock(
        f"Not enough stock at {location.code}: {names}.",
        errors={"lines": [f"{parts[p].sku}: requested {q}, available {a}."
                          for p, q, a in shortages]},
        shortages=[{"part_id": p, "sku": parts[p].sku, "requested": q, "available": a}
                   for p, q, a in shortages],
    )


def reserve_parts(session: Session, *, work_order_id: int, location_id: int,
                  lines: Iterable[tuple[int, int]], actor: User | None) -> list[Reservation]:
    """Hold stock at a location for an open work order: all lines or none (409 naming the
    parts that are short)."""
    merged = merge_lines(lines)
    location = active_location(session, location_id, "location_id")
    ref = open_work_order(session, work_order_id, actor)
    parts = parts_by_id(session, merged, field="lines", must_be_active=True)
    with session.begin_nested():
        locked = levels.lock_levels(session, ((p, location.id) for p in merged))
        shortages = []
        for part_id, quantity in merged.items():
            level = locked.get((part_id, location.id))
            available = level.available if level else 0
            if available < quantity:
                shortages.append((part_id, quantity, available))
        if shortages:
            raise shortage_error(location, parts, shortages)
        for part_id, quantity in merged.items():
            if not levels.hold(session, part_id, location.id, quantity):
                # Only reachable if the lock above is not a lock (it always is): stay correct.
                level = locked.get((part_id, location.id))
                raise shortage_error(location, parts, [(part_id, quantity,
                                                        level.available if level else 0)])
        reservations = [
            Reservation(part_id=part_id, location_id=location.id, work_order_id=ref.id,
                        quantity=quantity, open_quantity=quantity,
                        status=ReservationStatus.active,
                        created_by_id=actor.id if actor else None)
            for part_id, quantity in merged.items()
        ]
        session.add_all(reservations)
        session.flush()  # flush: ids for the response, inside the savepoint
    return reservations


def _close(reservation: Reservation, status: ReservationStatus, reason: str | None) -> None:
    reservation.open_quantity = 0
    reservation.status = status
    reservation.closed_at = utcnow()
    if reason is not None:
        reservation.release_reason = reason


def _locked_active(session: Session, stmt: Select[tuple[Reservation]]) -> list[Reservation]:
    return list(session.scalars(
        stmt.where(Reservation.status == ReservationStatus.active)
        .order_by(Reservation.id).with_for_update()
        .execution_options(populate_existing=True)))


def _release(session: Session, reservations: list[Reservation], reason: str | None) -> int:
    for reservation in reservations:
        if not levels.unhold(session, reservation.part_id, reservation.location_id,
                             reservation.open_quantity):
            raise Conflict("Stock level and reservations disagree; run `flask inventory "
                           "verify`.", error="ledger_mismatch")
        _close(reservation, ReservationStatus.released, reason)
    return len(reservations)


def release_reservation(session: Session, reservation_id: int, *, reason: str | None = None,
                        actor: User | None) -> Reservation:
    """Give a reservation's open quantity back to its location; only active ones."""
    reservation = get_reservation(session, reservation_id, actor=actor)
    with session.begin_nested():
        locked = _locked_active(session, select(Reservation).where(
            Reservation.id == reservation.id))
        if not locked:
            raise Conflict(f"The reservation is already {reservation.status}.",
                           error="reservation_closed")
        _release(session, locked, reason)
    return reservation


def release_reservations_for_work_order(session: Session, work_order_id: int, *,
                                        actor: User | None, reason: str) -> int:
    """Release every active reservation of a work order (e.g. it was cancelled); the count."""
    with session.begin_nested():
        return _release(session, _locked_active(session, select(Reservation).where(
            Reservation.work_order_id == work_order_id)), reason)


def consume_for_issue(session: Session, work_order_id: int, part_id: int, location_id: int,
                      quantity: int) -> int:
    """Consume up to `quantity` of the work order's reservations of this part here, oldest
    first; the number consumed (the caller takes them out of `reserved`)."""
    consumed = 0
    for reservation in _locked_active(session, select(Reservation).where(
            Reservation.work_order_id == work_order_id, Reservation.part_id == part_id,
            Reservation.location_id == location_id)):
        if consumed == quantity:
            break
        used = min(reservation.open_quantity, quantity - consumed)
        consumed += used
        if used == reservation.open_quantity:
            _close(reservation, ReservationStatus.fulfilled, None)
        else:
            reservation.open_quantity -= used
    return consumed


def list_reservations(session: Session, *, work_order_id: int | None = None,
                      location_id: int | None = None, part_id: int | None = None,
                      status: str | None = None, actor: User | None) -> Select[tuple[Reservation]]:
    """Reservations, newest first; a technician sees those at its own van only."""
    stmt = select(Reservation).order_by(Reservation.id.desc())
    if is_technician(actor):
        stmt = stmt.join(StockLocation, StockLocation.id == Reservation.location_id).where(
            StockLocation.owner_user_id == actor.id)
    if work_order_id is not None:
        stmt = stmt.where(Reservation.work_order_id == work_order_id)
    if location_id is not None:
        stmt = stmt.where(Reservation.location_id == location_id)
    if part_id is not None:
        stmt = stmt.where(Reservation.part_id == part_id)
    if status:
        stmt = stmt.where(Reservation.status == status)
    return stmt


def get_reservation(session: Session, reservation_id: int, *, actor: User | None) -> Reservation:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None or (is_technician(actor)
                               and reservation.location.owner_user_id != actor.id):
        raise NotFound("Reservation not found.")
    return reservation
