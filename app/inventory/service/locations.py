"""Warehouses and vans, and who may see or move stock from which.

Warehouse staff and admins manage every location; dispatchers read them; a technician sees
only its own van and moves stock only out of it.
"""

from __future__ import annotations

from datetime import time
from typing import Any, TypeGuard

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from app import geo
from app.auth.models import Role, User
from app.db import matches_text
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.fields import tool_codes
from app.inventory.models import LocationKind, StockLevel, StockLocation

MANAGERS = (Role.admin, Role.warehouse)


def is_technician(actor: User | None) -> TypeGuard[User]:
    return actor is not None and actor.role == Role.technician


def list_locations(session: Session, *, kind: str | None = None,
                   owner_user_id: int | None = None, is_active: bool | None = None,
                   q: str | None = None, actor: User | None) -> Select[tuple[StockLocation]]:
    """Locations by code; a technician's list holds its own van only."""
    stmt = select(StockLocation).order_by(StockLocation.code, StockLocation.id)
    if is_technician(actor):
        stmt = stmt.where(StockLocation.owner_user_id == actor.id)
    if kind:
        stmt = stmt.where(StockLocation.kind == kind)
    if owner_user_id is not None:
        stmt = stmt.where(StockLocation.owner_user_id == owner_user_id)
    if is_active is not None:
        stmt = stmt.where(StockLocation.is_active == is_active)
    if q:
        stmt = stmt.where(or_(matches_text(StockLocation.code, q),
                              matches_text(StockLocation.name, q)))
    return stmt


def get_location(session: Session, location_id: int, *, actor: User | None) -> StockLocation:
    """A location the actor may see (another technician's van is not found)."""
    location = session.get(StockLocation, location_id)
    if location is None or (is_technician(actor) and location.owner_user_id != actor.id):
        raise NotFound("Stock location not found.")
    return location


def _active_van_of(user_id: int) -> tuple[Any, ...]:
    return (StockLocation.owner_user_id == user_id, StockLocation.kind == LocationKind.van,
            StockLocation.is_active.is_(True))


def van_of_technician(session: Session, user_id: int) -> StockLocation | None:
    """The technician's active van, if it has one."""
    return session.scalar(select(StockLocation).where(*_active_van_of(user_id)))


# Built once (its cache key with it): the phone's day reads it on every request.
_VAN_WITH_STOCK = (
    select(StockLocation, StockLevel.part_id, StockLevel.on_hand - StockLevel.reserved)
    .outerjoin(StockLevel, (StockLevel.location_id == StockLocation.id)
               & (StockLevel.on_hand > 0))
    .where(StockLocation.owner_user_id == bindparam("user_id"),
           StockLocation.kind == LocationKind.van, StockLocation.is_active.is_(True))
    .order_by(StockLocation.id))


def van_with_stock(session: Session, user_id: int
                   ) -> tuple[StockLocation | None, dict[int, int]]:
    """``van_of_technician`` and that van's ``available_stock`` in one query."""
    rows = session.execute(_VAN_WITH_STOCK, {"user_id": user_id}).all()
    if not rows:
        return None, {}
    van = rows[0][0]
    return van, {part_id: int(free) for loc, part_id, free in rows
                 if loc is van and part_id is not None}


def vans_of_technicians(session: Session, user_ids: list[int]) -> dict[int, StockLocation]:
    """Technician user id -> its active van, for many technicians in one query."""
    if not user_ids:
        return {}
    rows = session.scalars(select(StockLocation).where(
        StockLocation.owner_user_id.in_(user_ids), StockLocation.kind == LocationKind.van,
        StockLocation.is_active.is_(True)).order_by(StockLocation.id))
    out: dict[int, StockLocation] = {}
    for van in rows:
        assert van.owner_user_id is not None  # vans are filtered by owner above
        out.setdefault(van.owner_user_id, van)
    return out


def active_location(session: Session, location_id: int, field: str) -> StockLocation:
    """A location stock may move into or out of; an unknown or inactive one is a bad request."""
    location = session.get(StockLocation, location_id)
    if location is None:
        raise Unprocessable("Unknown stock location.",
                            errors={field: [f"No stock location {location_id}."]})
    if not location.is_active:
        raise Conflict("The stock location is inactive.", error="location_inactive",
                       errors={field: ["Inactive."]})
    return location


def check_source_allowed(location: StockLocation, actor: User | None) -> None:
    """A technician moves stock only out of (or back into) its own van."""
    if is_technician(actor) and location.owner_user_id != actor.id:
        raise Forbidden("Technicians may only move stock of their own van.",
                        error="not_your_van")


def _check_owner(session: Session, owner_user_id: int, location_id: int | None) -> None:
    owner = session.get(User, owner_user_id)
    if owner is None or not owner.is_active or owner.role != Role.technician:
        raise Unprocessable("A van's owner must be an active technician.",
                            errors={"owner_user_id": ["Not an active technician."]})
    taken = session.scalar(select(StockLocation.id).where(
        StockLocation.owner_user_id == owner_user_id))
    if taken is not None and taken != location_id:
        raise Conflict("This technician already has a van.", error="technician_has_van",
                       errors={"owner_user_id": [f"Already owns location {taken}."]})


def _check_code_free(session: Session, code: str, location_id: int | None = None) -> None:
    stmt = select(StockLocation.id).where(func.lower(StockLocation.code) == code.lower())
    if location_id is not None:
        stmt = stmt.where(StockLocation.id != location_id)
    if session.scalar(stmt) is not None:
        raise Conflict("A stock location with this code already exists.",
                       error="duplicate_code", errors={"code": ["Already taken."]})


def _check_hours(opens_at: time | None, closes_at: time | None) -> None:
    """Opening hours: both or neither, closing after opening (local wall clock)."""
    if (opens_at is None) != (closes_at is None):
        raise Unprocessable("Give both opening and closing time, or neither.",
                            errors={"closes_at": ["Both or neither."]})
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise Unprocessable("A warehouse closes after it opens.",
                            errors={"closes_at": ["After opens_at."]})


def create_location(session: Session, *, code: str, name: str, kind: str,
                    owner_user_id: int | None = None, address_line: str | None = None,
                    point: dict[str, float] | None = None, is_active: bool = True,
                    opens_at: time | None = None, closes_at: time | None = None,
                    tools: list[str] | None = None,
                    actor: User | None) -> StockLocation:
    """A warehouse (needs a point, no owner) or a van (at most one per active technician)."""
    code = code.strip()
    if kind == LocationKind.warehouse:
        if point is None:
            raise Unprocessable("A warehouse needs a point.",
                                errors={"point": ["Required for a warehouse."]})
        if owner_user_id is not None:
            raise Unprocessable("Only vans have an owner.",
                                errors={"owner_user_id": ["Only for vans."]})
    _check_code_free(session, code)
    _check_hours(opens_at, closes_at)
    if owner_user_id is not None:
        _check_owner(session, owner_user_id, None)
    location = StockLocation(
        code=code, name=name.strip(), kind=kind, owner_user_id=owner_user_id,
        address_line=address_line, is_active=is_active,
        location=geo.to_point(point["lat"], point["lng"]) if point else None,
        opens_at=opens_at, closes_at=closes_at, tools=tool_codes(tools or []),
    )
    session.add(location)
    session.flush()  # flush: the response needs the new id
    return location


def update_location(session: Session, location: StockLocation, changes: dict[str, Any], *,
                    actor: User | None) -> StockLocation:
    """Rename, move, reassign a van, or deactivate a location that holds no stock."""
    changes = dict(changes)
    if "code" in changes:
        changes["code"] = changes["code"].strip()
        _check_code_free(session, changes["code"], location.id)
    if "point" in changes:
        point = changes.pop("point")
        if point is None and location.kind == LocationKind.warehouse:
            raise Unprocessable("A warehouse needs a point.",
                                errors={"point": ["Required for a warehouse."]})
        location.location = geo.to_point(point["lat"], point["lng"]) if point else None
    if "owner_user_id" in changes:
        owner_user_id = changes.pop("owner_user_id")
        if owner_user_id is not None:
            if location.kind != LocationKind.van:
                raise Unprocessable("Only vans have an owner.",
                                    errors={"owner_user_id": ["Only for vans."]})
            _check_owner(session, owner_user_id, location.id)
        location.owner_user_id = owner_user_id
    if changes.get("is_active") is False and location.is_active:
        held = session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))
                              .where(StockLevel.location_id == location.id))
        if held:
            raise Conflict("Move the stock out before deactivating the location.",
                           error="location_has_stock", on_hand=int(held))
    if "tools" in changes:
        changes["tools"] = tool_codes(changes["tools"])
    _check_hours(changes.get("opens_at", location.opens_at),
                 changes.get("closes_at", location.closes_at))
    for key, value in changes.items():
        setattr(location, key, value)
    session.flush()  # flush: updated_at in the response
    return location
