"""Every SLA target a policy accepts can be computed (issue 13, item 4): long targets on a
business calendar give a due date years ahead, and a target the calendar cannot reach is
refused when the policy is written, not when an order is created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.workorders.sla_clock import Calendar, add_business_minutes, elapsed_business_minutes
from tests.conftest import assert_error

OFFICE = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_the_clock_reaches_the_longest_accepted_target_on_office_hours() -> None:
    calendar = Calendar.from_config("Europe/Berlin", OFFICE, ["2027-12-24", "2028-12-25"])
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    due = add_business_minutes(calendar, start, 525_600)
    # 8,760 h at 45 h a week: about 3.7 years.
    assert start + timedelta(days=3 * 366) < due < start + timedelta(days=4 * 366)
    assert elapsed_business_minutes(calendar, start, due) == pytest.approx(525_600)


def test_a_target_no_calendar_week_can_reach_is_an_error_not_a_hang() -> None:
    calendar = Calendar.from_config("UTC", {"sun": [["00:00", "00:01"]]})
    with pytest.raises(ValueError, match="horizon"):
        add_business_minutes(calendar, datetime(2026, 11, 30, tzinfo=UTC), 525_600)


def _calendar(admin: Any, name: str, weekly: dict[str, list[list[str]]]) -> int:
    response = admin.post("/api/v1/business-calendars", json={
        "name": name, "timezone": "Europe/Berlin", "weekly_hours": weekly})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_a_year_long_target_on_office_hours_works_for_new_orders(login: Any,
                                                                 make_asset: Any,
                                                                 make_customer: Any,
                                                                 make_site: Any) -> None:
    admin = login("admin")
    calendar_id = _calendar(admin, "Office long", OFFICE)
    policy = admin.put("/api/v1/sla-policies", json={
        "sla_tier": "bronze", "priority": "P4", "response_minutes": 525_600,
        "resolution_minutes": 525_600, "calendar_id": calendar_id})
    assert policy.status_code == 200, policy.get_json()
    asset = make_asset(site=make_site(customer=make_customer(sla_tier="bronze")))
    created = login("dispatcher").post("/api/v1/work-orders", json={
        "asset_id": asset.id, "priority": "P4", "title": "Slow", "description": "Whenever."})
    assert created.status_code == 201, created.get_json()
    due = datetime.fromisoformat(created.get_json()["resolution_due_at"])
    assert due > datetime.now(UTC) + timedelta(days=3 * 366)


def test_a_target_the_calendar_cannot_reach_is_refused_at_write(login: Any) -> None:
    admin = login("admin")
    calendar_id = _calendar(admin, "One minute", {"sun": [["03:00", "03:01"]]})
    body = assert_error(admin.put("/api/v1/sla-policies", json={
        "sla_tier": "bronze", "priority": "P3", "response_minutes": 60,
        "resolution_minutes": 525_600, "calendar_id": calendar_id}), 422, "sla_unreachable")
    assert "resolution_minutes" in body["errors"]
    fine = admin.put("/api/v1/sla-policies", json={
        "sla_tier": "bronze", "priority": "P3", "response_minutes": 60,
        "resolution_minutes": 600, "calendar_id": calendar_id})
    assert fine.status_code == 200, fine.get_json()
