"""Factories for work orders, SLA policies and calendars."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest


@pytest.fixture
def make_calendar(db_session: Any) -> Any:
    from app.workorders.models import BusinessCalendar

    def make(**overrides: Any) -> Any:
        calendar = BusinessCalendar(**{
            "name": f"Office {uuid.uuid4().hex[:6]}", "timezone": "Europe/Berlin",
            "weekly_hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": [], **overrides})
        db_session.add(calendar)
        db_session.commit()
        return calendar

    return make


@pytest.fixture
def make_sla_policy(db_session: Any) -> Any:
    """make_sla_policy(sla_tier=, priority=, response_minutes=, resolution_minutes=, calendar=)."""
    from sqlalchemy import delete

    from app.workorders.models import SlaPolicy

    def make(sla_tier: str = "silver", priority: str = "P3", response_minutes: int = 240,
             resolution_minutes: int = 480, calendar: Any = None) -> Any:
        db_session.execute(delete(SlaPolicy).where(SlaPolicy.sla_tier == sla_tier,
                                                   SlaPolicy.priority == priority))
        policy = SlaPolicy(sla_tier=sla_tier, priority=priority,
                           response_minutes=response_minutes,
                           resolution_minutes=resolution_minutes,
                           calendar_id=calendar.id if calendar is not None else None)
        db_session.add(policy)
        db_session.commit()
        return policy

    return make


@pytest.fixture
def make_work_order(db_session: Any, make_asset: Any) -> Any:
    """make_work_order(asset=, site=, status=, assignee=, **fields) through the service, so it
    has a number, SLA due times and a `created` timeline entry; then put into `status`."""
    from app.db import utcnow
    from app.workorders import service

    def make(asset: Any = None, site: Any = None, status: str = "new", assignee: Any = None,
             **overrides: Any) -> Any:
        if asset is None and site is None:
            asset = make_asset()
        work_order = service.new_work_order(
            db_session, site=site or asset.site, asset=asset,
            title=overrides.pop("title", "Chiller trips on high pressure"),
            description=overrides.pop("description", "Alarm HP1 since this morning."),
            actor=None, priority=overrides.pop("priority", "P3"),
            type=overrides.pop("type", "corrective"))
        now = utcnow()
        if assignee is not None:
            work_order.assignee_user_id = assignee.id
            work_order.scheduled_start = now + timedelta(hours=1)
            work_order.scheduled_end = now + timedelta(hours=2)
        work_order.status = status
        if status == "on_hold":
            work_order.hold_reason = overrides.pop("hold_reason", "parts")
        if status in ("on_site", "completed", "closed"):
            work_order.responded_at = now
        if status in ("completed", "closed"):
            work_order.completed_at = now
            work_order.resolution_notes = "Replaced the pressure switch."
            work_order.labour_minutes = 45
        if status in ("closed", "cancelled"):
            work_order.closed_at = now
        for key, value in overrides.items():
            setattr(work_order, key, value)
        db_session.commit()
        return work_order

    return make


@pytest.fixture
def technician(make_user: Any) -> Any:
    return make_user("technician")
