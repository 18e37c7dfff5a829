"""MTBF, MTTR, failures by code, PM compliance and rising failure rates, computed in SQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db import utcnow
from tests.conftest import assert_error


@pytest.fixture
def failure(db_session: Any, make_work_order: Any) -> Any:
    """failure(asset, days_ago, repair_hours=None, code=None, status="completed")."""

    def make(asset: Any, days_ago: float, repair_hours: float | None = None,
             code: str | None = None, status: str = "completed", type: str = "corrective"
             ) -> Any:
        now = utcnow()
        wo = make_work_order(asset=asset, status=status, type=type)
        wo.created_at = now - timedelta(days=days_ago)
        if repair_hours is not None:
            wo.responded_at = wo.created_at + timedelta(hours=2)
            wo.completed_at = wo.responded_at + timedelta(hours=repair_hours)
        wo.failure_code = code
        db_session.commit()
        return wo

    return make


def test_asset_and_model_figures(db_session: Any, login: Any, make_asset: Any,
                                 make_equipment_model: Any, failure: Any) -> None:
    office = login("dispatcher")
    model = make_equipment_model()
    a, b = make_asset(equipment_model=model), make_asset(equipment_model=model)
    failure(a, 100, repair_hours=2, code="electrical")
    failure(a, 60, repair_hours=4, code="electrical")
    failure(a, 20, repair_hours=6, code="mechanical")
    failure(a, 10, status="cancelled")  # not a failure
    failure(a, 5, type="preventive")  # not a failure
    failure(a, 500)  # before the period
    failure(b, 50, repair_hours=1)
    failure(b, 30, status="new")  # still open: no repair time

    mine = office.get(f"/api/v1/maintenance/reliability/assets/{a.id}?days=365").get_json()
    assert mine["failures"] == 3
    assert mine["mtbf_hours"] == pytest.approx(40 * 24, abs=0.1)  # 80 days over 2 gaps
    assert mine["mttr_hours"] == pytest.approx(4.0, abs=0.01)
    assert mine["failures_by_code"] == {"electrical": 2, "mechanical": 1}
    fleet = office.get(f"/api/v1/maintenance/reliability/equipment-models/{model.id}"
                       ).get_json()
    assert fleet["failures"] == 5
    assert fleet["mtbf_hours"] == pytest.approx((80 + 20) * 24 / 3, abs=0.1)
    assert fleet["mttr_hours"] == pytest.approx(13 / 4, abs=0.01)
    assert_error(office.get("/api/v1/maintenance/reliability/assets/999999"), 404)
    assert_error(login("technician").get(
        f"/api/v1/maintenance/reliability/assets/{a.id}"), 403)


def test_pm_compliance_counts_orders_done_before_their_window_closed(
        db_session: Any, login: Any, make_asset: Any, make_plan: Any, generate: Any) -> None:
    from tests.maintenance.conftest import orders_of

    office = login("dispatcher")
    asset = make_asset()
    today = utcnow().date()
    plan = make_plan(asset=asset, interval_unit="day", interval_count=7, horizon_days=20,
                     start_date=today - timedelta(days=30), window_after_days=1)
    generate(today=today - timedelta(days=30))
    on_time, late, never, *_ = orders_of(db_session, plan)
    for order, completed in ((on_time, on_time.time_windows[0].end_at - timedelta(hours=1)),
                             (late, late.time_windows[0].end_at + timedelta(days=2))):
        order.status, order.completed_at = "completed", completed
    db_session.commit()
    figures = office.get(f"/api/v1/maintenance/reliability/assets/{asset.id}").get_json()
    assert (figures["pm_due"], figures["pm_on_time"]) == (3, 1)  # due by today: 3
    assert figures["pm_compliance"] == pytest.approx(1 / 3, abs=1e-3)
    assert never.status == "new"


def test_rising_failure_rates_are_flagged(login: Any, make_asset: Any, failure: Any) -> None:
    office = login("dispatcher")
    rising, steady = make_asset(), make_asset()
    for days_ago in (170, 60, 40, 20, 5):
        failure(rising, days_ago)
    for days_ago in (170, 150, 120, 60, 30):
        failure(steady, days_ago)
    flagged = office.get("/api/v1/maintenance/reliability/rising?days=180").get_json()
    assert [(f["asset_id"], f["earlier"], f["recent"]) for f in flagged] == [
        (rising.id, 1, 4)]


def test_a_meter_plan_shows_its_forecast_per_asset(login: Any, make_asset: Any,
                                                   make_plan: Any, read_meter: Any) -> None:
    office = login("dispatcher")
    asset = make_asset()
    read_meter(asset, [(20, 1000), (15, 1100), (10, 1195), (5, 1300), (1, 1400)])
    plan = make_plan(asset=asset, schedule_kind="meter", meter="hours", meter_interval=500)
    [row] = office.get(f"/api/v1/maintenance/plans/{plan.id}/forecasts").get_json()
    assert (row["threshold"], row["current"]) == ("1500.00", "1400.00")
    forecast = row["forecast"]
    assert 19 < forecast["slope_per_day"] < 22
    assert forecast["earliest_at"] <= forecast["likely_at"] <= forecast["latest_at"]
