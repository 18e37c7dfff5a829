"""The append-only stock ledger: every change of on hand is a movement, written in the same
transaction as the level change it causes, all or nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.inventory.models import MovementKind, Part, StockLocation, StockMovement
from app.inventory.service import levels
from app.inventory.service.locations import (
    MANAGERS,
    active_location,
    check_source_allowed,
    is_technician,
)
from app.inventory.service.orders import open_work_order
from app.inventory.service.parts_lookup import merge_lines, parts_by_id
from app.inventory.service.reservations import consume_for_issue, shortage_error


def _movement(kind: MovementKind, part: Part, quantity: int, actor: User | None,
              **fields: object) -> StockMovement:
    fields.setdefault("unit_cost", part.unit_cost)
    return StockMovement(kind=kind, part_id=part.id, quantity=quantity,
                         actor_id=actor.id if actor else None, **fields)


def _record(session: Session, movements: list[StockMovement]) -> list[StockMovement]:
    session.add_all(movements)
    session.flush()  # flush: inside the savepoint, so a failure leaves no movement behind
    return movements


def _require_manager(actor: User | None, what: str) -> None:
    if actor is not None and actor.role not in MANAGERS:
        raise Forbidden(f"Only warehouse staff record {what}.")


def _require_quantity(quantity: int | None, field: str = "quantity") -> int:
    if quantity is None or isinstance(quantity, bool) or quantity <= 0:
        raise Unprocessable("Quantities must be positive whole numbers.",
                            errors={field: ["Must be a whole number of at least 1."]})
    return quantity


def _require_reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise Unprocessable("An adjustment needs a reason.", error="reason_required",
                            errors={"reason": ["Say why the count differs."]})
    return reason.strip()


def issue_parts_to_work_order(session: Session, *, work_order_id: int, location_id: int,
                              lines: list[tuple[int, int]], actor: User | None,
                              note: str | None = None) -> list[StockMovement]:
    """Issue parts from a location to an open work order, consuming its reservations there
    first; all lines or none (409 insufficient_stock naming the short parts)."""
    merged = merge_lines(lines)
    location = active_location(session, location_id, "from_location_id")
    check_source_allowed(location, actor)
    ref = open_work_order(session, work_order_id, actor)
    parts = parts_by_id(session, merged, field="lines")
    with session.begin_nested():
        # Lock order everywhere: reservations, then levels (in id order): no deadlocks.
        consumed = {part_id: consume_for_issue(session, ref.id, part_id, location.id, quantity)
                    for part_id, quantity in merged.items()}
        locked = levels.lock_levels(session, ((p, location.id) for p in merged))
        shortages = []
        for part_id, quantity in merged.items():
            level = locked.get((part_id, location.id))
            usable = level.available + consumed[part_id] if level else 0
            if usable < quantity:
                shortages.append((part_id, quantity, usable))
        if shortages:
            raise shortage_error(location, parts, shortages)
        for part_id, quantity in merged.items():
            if not levels.take(session, part_id, location.id, quantity, consumed[part_id]):
                raise shortage_error(location, parts, [(part_id, quantity, 0)])
        return _record(session, [
            _movement(MovementKind.issue, parts[part_id], quantity, actor,
                      from_location_id=location.id, work_order_id=ref.id, note=note)
            for part_id, quantity in merged.items()
        ])


def _receipt(session: Session, part: Part, quantity: int, to: StockLocation,
             unit_cost: Decimal | None, note: str | None, actor: User | None) -> StockMovement:
    _require_manager(actor, "receipts")
    if not part.is_active:
        raise Conflict(f"Part {part.sku} is inactive.", error="part_inactive")
    with session.begin_nested():
        levels.ensure_levels(session, [(part.id, to.id)])
        levels.put(session, part.id, to.id, quantity)
        cost = part.unit_cost if unit_cost is None else unit_cost
        return _record(session, [_movement(MovementKind.receipt, part, quantity, actor,
                                           to_location_id=to.id, unit_cost=cost,
                                           note=note)])[0]


def _transfer(session: Session, part: Part, quantity: int, source: StockLocation,
              to: StockLocation, note: str | None, actor: User | None) -> StockMovement:
    if source.id == to.id:
        raise Unprocessable("A transfer needs two different locations.", error="same_location",
                            errors={"to_location_id": ["Same as from_location_id."]})
    check_source_allowed(source, actor)
    with session.begin_nested():
        levels.ensure_levels(session, [(part.id, to.id)])
        locked = levels.lock_levels(session, [(part.id, source.id), (part.id, to.id)])
        level = locked.get((part.id, source.id))
        available = level.available if level else 0
        if available < quantity or not levels.take(session, part.id, source.id, quantity):
            raise shortage_error(source, {part.id: part}, [(part.id, quantity, available)])
        levels.put(session, part.id, to.id, quantity)
        return _record(session, [_movement(MovementKind.transfer, part, quantity, actor,
                                           from_location_id=source.id, to_location_id=to.id,
                                           note=note)])[0]


def _net_issued(session: Session, work_order_id: int, part_id: int) -> int:
    def total(kind: MovementKind) -> int:
        return int(session.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0))
                                  .where(StockMovement.kind == kind,
                                         StockMovement.work_order_id == work_order_id,
                                         StockMovement.part_id == part_id)) or 0)

    return total(MovementKind.issue) - total(MovementKind.return_)


def _return(session: Session, part: Part, quantity: int, to: StockLocation,
            work_order_id: int, note: str | None, actor: User | None) -> StockMovement:
    check_source_allowed(to, actor)
    ref = open_work_order(session, work_order_id, actor)
    with session.begin_nested():
        # Lock the work order's issues of this part: concurrent returns of it queue here, so
        # together they cannot give back more than was issued.
        session.execute(select(StockMovement.id).where(
            StockMovement.kind == MovementKind.issue, StockMovement.work_order_id == ref.id,
            StockMovement.part_id == part.id).with_for_update())
        levels.ensure_levels(session, [(part.id, to.id)])
        outstanding = _net_issued(session, ref.id, part.id)
        if quantity > outstanding:
            raise Conflict(f"Only {outstanding} of {part.sku} were issued to {ref.number} and "
                           "not returned.", error="return_exceeds_issued",
                           errors={"quantity": [f"At most {outstanding}."]},
                           outstanding=outstanding)
        levels.put(session, part.id, to.id, quantity)
        return _record(session, [_movement(MovementKind.return_, part, quantity, actor,
                                           to_location_id=to.id, work_order_id=ref.id,
                                           note=note)])[0]


def _adjustment(session: Session, part: Part, counted: int, at: StockLocation, reason: str,
                note: str | None, actor: User | None) -> StockMovement:
    _require_manager(actor, "adjustments")
    with session.begin_nested():
        levels.ensure_levels(session, [(part.id, at.id)])
        level = levels.lock_levels(session, [(part.id, at.id)])[(part.id, at.id)]
        delta = counted - level.on_hand
        if delta == 0:
            raise Unprocessable(f"The count matches the stock of {part.sku} at {at.code}; "
                                "nothing to adjust.", error="count_matches_stock",
                                errors={"counted_quantity": [f"Equals on hand ({counted})."]})
        if counted < level.reserved:
            raise Conflict(f"{level.reserved} of {part.sku} are reserved at {at.code}; release "
                           "reservations before counting fewer.", error="count_below_reserved",
                           errors={"counted_quantity": [f"At least {level.reserved}."]})
        if not levels.set_counted(session, part.id, at.id, level.on_hand, counted):
            raise Conflict("The stock changed while counting; count again.",
                           error="stock_changed")
        side = {"to_location_id": at.id} if delta > 0 else {"from_location_id": at.id}
        return _record(session, [_movement(MovementKind.adjustment, part, abs(delta), actor,
                                           reason=reason, note=note, **side)])[0]


def record_movement(session: Session, *, kind: str, part_id: int, quantity: int | None = None,
                    from_location_id: int | None = None, to_location_id: int | None = None,
                    location_id: int | None = None, work_order_id: int | None = None,
                    counted_quantity: int | None = None, reason: str | None = None,
                    note: str | None = None, unit_cost: Decimal | None = None,
                    actor: User | None) -> StockMovement:
    """Post one movement to the ledger and change the levels it touches; stock never goes
    below zero and reserved stock is never moved (409 insufficient_stock)."""
    part = parts_by_id(session, [part_id])[part_id]

    def location(value: int | None, field: str) -> StockLocation:
        if value is None:
            raise Unprocessable(f"A {kind} needs {field}.", errors={field: ["Required."]})
        return active_location(session, value, field)

    def work_order(value: int | None) -> int:
        if value is None:
            raise Unprocessable(f"A {kind} needs a work order.",
                                errors={"work_order_id": ["Required."]})
        return value

    if kind == MovementKind.adjustment:
        if counted_quantity is None or counted_quantity < 0:
            raise Unprocessable("An adjustment needs the counted quantity.",
                                errors={"counted_quantity": ["A whole number of at least 0."]})
        return _adjustment(session, part, counted_quantity, location(location_id, "location_id"),
                           _require_reason(reason), note, actor)
    quantity = _require_quantity(quantity)
    if kind == MovementKind.receipt:
        return _receipt(session, part, quantity, location(to_location_id, "to_location_id"),
                        unit_cost, note, actor)
    if kind == MovementKind.transfer:
        return _transfer(session, part, quantity,
                         location(from_location_id, "from_location_id"),
                         location(to_location_id, "to_location_id"), note, actor)
    if kind == MovementKind.issue:
        location(from_location_id, "from_location_id")
        return issue_parts_to_work_order(
            session, work_order_id=work_order(work_order_id),
            location_id=from_location_id,  # type: ignore[arg-type]
            lines=[(part_id, quantity)], actor=actor, note=note)[0]
    if kind == MovementKind.return_:
        return _return(session, part, quantity, location(to_location_id, "to_location_id"),
                       work_order(work_order_id), note, actor)
    raise Unprocessable("Unknown movement kind.", errors={"kind": [f"Unknown: {kind}."]})


def _touching_van_of(actor: User) -> object:
    vans = select(StockLocation.id).where(StockLocation.owner_user_id == actor.id)
    return or_(StockMovement.from_location_id.in_(vans), StockMovement.to_location_id.in_(vans))


def list_movements(session: Session, *, part_id: int | None = None,
                   location_id: int | None = None, work_order_id: int | None = None,
                   kind: str | None = None, actor: User | None) -> Select[tuple[StockMovement]]:
    """Ledger lines, newest first; a technician sees those touching its own van only."""
    stmt = select(StockMovement).order_by(StockMovement.id.desc())
    if is_technician(actor):
        stmt = stmt.where(_touching_van_of(actor))  # type: ignore[arg-type]
    if part_id is not None:
        stmt = stmt.where(StockMovement.part_id == part_id)
    if location_id is not None:
        stmt = stmt.where(or_(StockMovement.from_location_id == location_id,
                              StockMovement.to_location_id == location_id))
    if work_order_id is not None:
        stmt = stmt.where(StockMovement.work_order_id == work_order_id)
    if kind:
        stmt = stmt.where(StockMovement.kind == kind)
    return stmt


def get_movement(session: Session, movement_id: int, *, actor: User | None) -> StockMovement:
    stmt = select(StockMovement).where(StockMovement.id == movement_id)
    if is_technician(actor):
        stmt = stmt.where(_touching_van_of(actor))  # type: ignore[arg-type]
    movement = session.scalar(stmt)
    if movement is None:
        raise NotFound("Stock movement not found.")
    return movement

