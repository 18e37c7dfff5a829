"""Dispatch test factories for work orders, parts, warehouses and vans (import the fixtures
into a test module: `from tests.dispatch.factories import *`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)


def local(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """A Berlin wall-clock time on `day`, as a UTC instant."""
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


@pytest.fixture
def make_order(db_session: Any, make_site: Any, make_skill: Any) -> Any:
    """make_order(lat, lng, skills={"hvac": 2}, priority="P3", duration=60, windows=[(a, b)],
    assignee=tech, start=datetime, status=None, site=None)."""
    from app.assets.models import Skill
    from app.workorders import service
    from app.workorders.models import WorkOrderSkill

    def skill(code: str) -> Any:
        return db_session.query(Skill).filter_by(code=code).one_or_none() or make_skill(code)

    def make(lat: float = 48.1374, lng: float = 11.5755, skills: dict[str, int] | None = None,
             priority: str = "P3", duration: int = 60, windows: list[Any] = (),
             assignee: Any = None, start: datetime | None = None, status: str | None = None,
             site: Any = None) -> Any:
        site = site or make_site(lat=lat, lng=lng)
        wo = service.new_work_order(
            db_session, site=site, asset=None, title=f"Job {uuid.uuid4().hex[:4]}",
            description="Fault.", actor=None, priority=priority, estimated_duration_min=duration,
            skills=[WorkOrderSkill(skill=skill(c), min_level=lvl)
                    for c, lvl in (skills or {}).items()],
            time_windows=list(windows))
        if assignee is not None:
            service.assign_work_order(db_session, wo, assignee_user_id=assignee.user_id,
                                      scheduled_start=start, scheduled_end=None, version=None,
                                      actor=None)
        if status is not None:
            wo.status = status
        db_session.commit()
        return wo

    return make


@pytest.fixture
def make_part(db_session: Any) -> Any:
    from app.inventory import service

    def make(sku: str | None = None) -> Any:
        part = service.create_part(db_session, sku=sku or f"P-{uuid.uuid4().hex[:6]}",
                                   name="Pressure switch", actor=None)
        db_session.commit()
        return part

    return make


@pytest.fixture
def make_stock_location(db_session: Any) -> Any:
    """make_stock_location(kind="warehouse"|"van", owner=tech, lat, lng, stock={part: qty},
    reserve={work_order: {part: qty}})."""
    from app.inventory import service

    def make(kind: str = "warehouse", owner: Any = None, lat: float = 48.18,
             lng: float = 11.50, stock: dict[Any, int] | None = None,
             reserve: dict[Any, dict[Any, int]] | None = None) -> Any:
        loc = service.create_location(
            db_session, code=f"{kind[:2].upper()}-{uuid.uuid4().hex[:6]}", name=kind,
            kind=kind, owner_user_id=owner.user_id if owner is not None else None,
            point={"lat": lat, "lng": lng} if kind == "warehouse" else None, actor=None)
        for part, qty in (stock or {}).items():
            service.record_movement(db_session, kind="receipt", part_id=part.id, quantity=qty,
                                    to_location_id=loc.id, actor=None)
        for wo, lines in (reserve or {}).items():
            # Inventory reserves only for scheduled (or later) orders; a new order keeps its
            # reservations when it is unassigned again, which is the state made here.
            status, wo.status = wo.status, "scheduled"
            service.reserve_parts(db_session, work_order_id=wo.id, location_id=loc.id,
                                  lines=[(p.id, q) for p, q in lines.items()], actor=None)
            wo.status = status
        db_session.commit()
        return loc

    return make
