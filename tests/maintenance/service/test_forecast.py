"""The Theil–Sen meter trend (pure Python, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.maintenance.service.forecast import forecast_threshold, theil_sen

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_theil_sen_ignores_one_wild_reading_that_least_squares_would_follow() -> None:
    points = [(float(d), 10.0 * d) for d in range(10)]
    points[5] = (5.0, 900.0)  # a mistyped reading
    slope, intercept, low, high = theil_sen(points)
    assert slope == 10.0
    assert abs(intercept) < 1e-9
    assert low <= slope <= high


def test_forecast_gives_a_likely_date_between_earliest_and_latest() -> None:
    # About 8 h a day with some noise, last reading 1000 h; threshold 1400 h: ~50 days.
    values = [600, 611, 612, 633, 640, 647, 661, 669, 676, 690]
    readings = [(T0 + timedelta(days=5 * i), Decimal(v)) for i, v in enumerate(values)]
    forecast = forecast_threshold(readings, Decimal(1000))
    assert forecast is not None
    assert 1.6 < forecast.slope_per_day < 2.4
    assert forecast.earliest_at is not None and forecast.latest_at is not None
    assert forecast.earliest_at <= forecast.likely_at <= forecast.latest_at
    assert forecast.earliest_at < forecast.latest_at  # the noise shows as a range
    last = readings[-1][0]
    days = (forecast.likely_at - last).total_seconds() / 86400
    assert abs(days - (1000 - 690) / forecast.slope_per_day) < 1e-6


def test_no_forecast_from_too_few_readings_or_a_standing_meter() -> None:
    two = [(T0, Decimal(1)), (T0 + timedelta(days=1), Decimal(2))]
    assert forecast_threshold(two, Decimal(10)) is None
    standing = [(T0 + timedelta(days=d), Decimal(50)) for d in range(5)]
    forecast = forecast_threshold(standing, Decimal(60))
    assert forecast is not None and forecast.likely_at is None


def test_a_threshold_already_passed_is_due_at_the_last_reading() -> None:
    readings = [(T0 + timedelta(days=d), Decimal(10 * d)) for d in range(5)]
    forecast = forecast_threshold(readings, Decimal(30))
    assert forecast is not None and forecast.likely_at == readings[-1][0]
