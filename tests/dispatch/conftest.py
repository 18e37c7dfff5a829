"""Dispatch factories: technicians with skills, weekly shifts and a home base."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

WEEKDAYS = range(5)


@pytest.fixture
def make_technician(db_session: Any, make_user: Any, make_skill: Any) -> Any:
    """make_technician(skills={"hvac": 3}, lat=.., lng=.., user=None, shifts=None, **fields).

    Default: Mon–Fri 08:00–17:00 local with a 30-minute break between 12:00 and 13:30."""
    from app import geo
    from app.assets.models import Skill
    from app.dispatch.models import Technician, TechnicianSkill, WeeklyShift

    def skill(code: str) -> Any:
        return db_session.query(Skill).filter_by(code=code).one_or_none() or make_skill(code)

    def make(skills: dict[str, int] | None = None, lat: float = 48.1374, lng: float = 11.5755,
             user: Any = None, shifts: list[dict[str, Any]] | None = None,
             **overrides: Any) -> Any:
        user = user or make_user("technician")
        tech = Technician(user=user, home_base=geo.to_point(lat, lng), **overrides)
        tech.skills = [TechnicianSkill(skill=skill(code), level=level)
                       for code, level in (skills or {}).items()]
        tech.shifts = [WeeklyShift(**s) for s in shifts] if shifts is not None else [
            WeeklyShift(weekday=d, starts=time(8), ends=time(17), break_earliest=time(12),
                        break_latest=time(13, 30), break_minutes=30) for d in WEEKDAYS]
        db_session.add(tech)
        db_session.commit()
        return tech

    return make


# Work orders, parts, warehouses and vans for candidates, plans and pick lists.
from tests.dispatch.factories import make_order, make_part, make_stock_location  # noqa: E402,F401
