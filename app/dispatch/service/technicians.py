"""Technician profiles, their skills, weekly shifts, exceptions; territories."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from app import geo
from app.assets import service as assets_service
from app.auth.models import Role, User
from app.db import matches_text, utcnow
from app.dispatch.models import (
    ShiftException,
    Technician,
    TechnicianSkill,
    Territory,
    WeeklyShift,
)
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.fields import tool_codes

# What the API shows of a technician, loaded for a whole page in one query per relation.
TECHNICIAN_SHOWN = (selectinload(Technician.skills).selectinload(TechnicianSkill.skill),
                    selectinload(Technician.shifts))


def list_technicians(session: Session, *, active: bool | None = None, skill: str | None = None,
                     min_level: int = 1, territory_id: int | None = None,
                     q: str | None = None) -> Select[Any]:
    stmt = (select(Technician).join(User, User.id == Technician.user_id)
            .options(contains_eager(Technician.user), *TECHNICIAN_SHOWN)
            .order_by(User.full_name, Technician.id))
    if active is not None:
        stmt = stmt.where(Technician.is_active == active)
    if territory_id:
        stmt = stmt.where(Technician.territory_id == territory_id)
    if q:
        stmt = stmt.where(matches_text(User.full_name, q))
    if skill:
        skill_row = assets_service.skills_by_code(session, [skill])[skill]
        stmt = stmt.where(Technician.skills.any(
            (TechnicianSkill.skill_id == skill_row.id) & (TechnicianSkill.level >= min_level)))
    return stmt


def get_technician(session: Session, technician_id: int, *, actor: User,
                   shown: bool = False) -> Technician:
    """Staff who plan see every technician; a technician sees only itself. `shown`: load
    what the API shows (skills, shifts, name) with it."""
    options = [*TECHNICIAN_SHOWN, selectinload(Technician.user)] if shown else []
    tech = session.get(Technician, technician_id, options=options)
    if tech is None or (actor.role == Role.technician and tech.user_id != actor.id):
        raise NotFound("Technician not found.")
    return tech


# Built once (its cache key with it): read on every request of the phone's day.
_TECHNICIAN_OF_USER = select(Technician).where(Technician.user_id == bindparam("user_id"))


def get_technician_for_user(session: Session, user_id: int) -> Technician | None:
    return session.scalar(_TECHNICIAN_OF_USER, {"user_id": user_id})


def _check_user(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None or user.role != Role.technician:
        raise Unprocessable("The user must exist and have the role technician.",
                            errors={"user_id": ["Not a technician user."]})
    if get_technician_for_user(session, user_id) is not None:
        raise Conflict("This user already has a technician profile.", error="duplicate_profile")


def _skills(session: Session, entries: list[dict[str, Any]]) -> list[TechnicianSkill]:
    codes = [e["skill"] for e in entries]
    if len(set(codes)) != len(codes):
        raise Unprocessable("A skill is listed twice.", errors={"skills": ["Duplicate skill."]})
    found = assets_service.skills_by_code(session, codes)
    return [TechnicianSkill(skill=found[e["skill"]], level=e["level"]) for e in entries]


def _shifts(entries: list[dict[str, Any]]) -> list[WeeklyShift]:
    days = [e["weekday"] for e in entries]
    if len(set(days)) != len(days):
        raise Unprocessable("One shift per weekday.", errors={"shifts": ["Weekday twice."]})
    return [WeeklyShift(**e) for e in entries]


def create_technician(session: Session, data: dict[str, Any], *, actor: User) -> Technician:
    """A profile for an existing technician user: home base, skills, weekly shifts."""
    values = dict(data)
    _check_user(session, values["user_id"])
    if values.get("territory_id"):
        get_territory(session, values["territory_id"])
    skills = _skills(session, values.pop("skills", []))
    shifts = _shifts(values.pop("shifts", []))
    home = values.pop("home_base")
    values["tools"] = tool_codes(values.get("tools", []))
    tech = Technician(**values, home_base=geo.to_point(home["lat"], home["lng"]))
    tech.skills = skills
    tech.shifts = shifts
    session.add(tech)
    session.flush()  # flush: the response carries the new id
    return tech


def update_technician(session: Session, tech: Technician, changes: dict[str, Any], *,
                      actor: User) -> Technician:
    values = dict(changes)
    if "home_base" in values:
        home = values.pop("home_base")
        tech.home_base = geo.to_point(home["lat"], home["lng"])
    if values.get("territory_id"):
        get_territory(session, values["territory_id"])
    if "skills" in values:
        tech.skills = _skills(session, values.pop("skills"))
    if "shifts" in values:
        _swap_shifts(session, tech, _shifts(values.pop("shifts")))
    if "tools" in values:
        values["tools"] = tool_codes(values["tools"])
    for key, value in values.items():
        setattr(tech, key, value)
    return tech


def replace_skills(session: Session, tech: Technician, entries: list[dict[str, Any]], *,
                   actor: User) -> Technician:
    tech.skills = _skills(session, entries)
    return tech


def replace_shifts(session: Session, tech: Technician, entries: list[dict[str, Any]], *,
                   actor: User) -> Technician:
    _swap_shifts(session, tech, _shifts(entries))
    return tech


def _swap_shifts(session: Session, tech: Technician, shifts: list[WeeklyShift]) -> None:
    """The old week goes before the new one comes: the unit of work inserts before it
    deletes, and a weekday is unique per technician."""
    tech.shifts = []
    session.flush()  # flush: delete the old rows before the new ones are inserted
    tech.shifts = shifts


def list_exceptions(session: Session, tech: Technician, *, since: datetime | None = None
                    ) -> Select[Any]:
    stmt = (select(ShiftException).where(ShiftException.technician_id == tech.id)
            .order_by(ShiftException.starts_at))
    if since:
        stmt = stmt.where(ShiftException.ends_at > since)
    return stmt


def add_exception(session: Session, tech: Technician, data: dict[str, Any], *,
                  actor: User) -> ShiftException:
    """Exceptions of the same kind may not overlap (a double-booked leave is a mistake)."""
    if data["ends_at"] <= data["starts_at"]:
        raise Unprocessable("The exception must end after it starts.",
                            errors={"ends_at": ["Not after starts_at."]})
    clash = session.scalar(select(ShiftException.id).where(
        ShiftException.technician_id == tech.id, ShiftException.kind == data["kind"],
        ShiftException.starts_at < data["ends_at"], ShiftException.ends_at > data["starts_at"]))
    if clash is not None:
        raise Conflict("An exception of this kind already covers part of that time.",
                       error="overlapping_exception")
    row = ShiftException(technician_id=tech.id, created_by_id=actor.id, **data)
    session.add(row)
    session.flush()  # flush: the response carries the new id
    return row


def delete_exception(session: Session, tech: Technician, exception_id: int, *,
                     actor: User) -> None:
    row = session.get(ShiftException, exception_id)
    if row is None or row.technician_id != tech.id:
        raise NotFound("Exception not found.")
    session.delete(row)


def record_position(session: Session, tech: Technician, *, lat: float, lng: float,
                    at: datetime, accuracy_m: float | None, actor: User) -> bool:
    """Keep the newest fix only (fixes from an offline phone may arrive out of order)."""
    if actor.role == Role.technician and tech.user_id != actor.id:
        raise Forbidden("Only your own position.")
    if at > utcnow():
        at = utcnow()  # a phone clock ahead of ours must not pin the position forever
    if tech.last_position_at is not None and at <= tech.last_position_at:
        return False
    tech.last_position = geo.to_point(lat, lng)
    tech.last_position_at = at
    tech.last_position_accuracy_m = accuracy_m
    return True


# --- territories -------------------------------------------------------------------------

def list_territories(session: Session) -> Select[Any]:
    return select(Territory).order_by(Territory.name)


def get_territory(session: Session, territory_id: int) -> Territory:
    territory = session.get(Territory, territory_id)
    if territory is None:
        raise NotFound("Territory not found.")
    return territory


def _check_boundary(session: Session, boundary: list[dict[str, float]]) -> None:
    distinct = {(p["lat"], p["lng"]) for p in boundary}
    if len(distinct) < 3:
        raise Unprocessable("A territory needs at least three distinct corners.",
                            errors={"boundary": ["At least 3 distinct points."]})
    if not geo.polygon_is_valid(session, boundary):
        raise Unprocessable("The territory's boundary crosses itself.",
                            errors={"boundary": ["The edges must not cross or touch."]},
                            error="invalid_boundary")


def create_territory(session: Session, data: dict[str, Any], *, actor: User) -> Territory:
    if session.scalar(select(Territory.id).where(Territory.name == data["name"])) is not None:
        raise Conflict("A territory with this name exists.", error="duplicate_territory")
    _check_boundary(session, data["boundary"])
    territory = Territory(name=data["name"], area=geo.to_polygon(data["boundary"]))
    session.add(territory)
    session.flush()  # flush: the response carries the new id
    return territory


def update_territory(session: Session, territory: Territory, changes: dict[str, Any], *,
                     actor: User) -> Territory:
    if "boundary" in changes:
        _check_boundary(session, changes["boundary"])
        territory.area = geo.to_polygon(changes["boundary"])
    if "name" in changes:
        territory.name = changes["name"]
    return territory
