"""The SLA clock on its own: business-hours arithmetic across weekends, holidays and pauses."""

from datetime import UTC, datetime, timedelta

import pytest

from app.workorders.sla_clock import Calendar, add_business_minutes, elapsed_business_minutes

# Mon–Fri 08:00–17:00 in Munich; 2026-12-25 (a Friday) is a holiday.
OFFICE = Calendar.from_config(
    "Europe/Berlin", {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ["2026-12-25"])


def berlin(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    # December: Berlin is UTC+1.
    return datetime(2026, month, day, hour - 1, minute, tzinfo=UTC)


def test_24x7_adds_plain_minutes_and_ignores_weekends():
    start = datetime(2026, 12, 25, 22, 0, tzinfo=UTC)
    assert add_business_minutes(Calendar.twenty_four_seven(), start, 240) == start + timedelta(
        hours=4)
    assert elapsed_business_minutes(Calendar.twenty_four_seven(), start,
                                    start + timedelta(days=2)) == 48 * 60


def test_business_minutes_skip_the_evening_and_the_weekend():
    # Friday 2026-12-18 16:00 + 4 business hours: 1 h on Friday, 3 h on Monday from 08:00.
    assert add_business_minutes(OFFICE, berlin(18, 16), 240) == berlin(21, 11)


def test_a_holiday_does_not_count():
    # Thursday 2026-12-24 16:30 + 2 h: 30 min Thursday, Friday is a holiday, weekend, Monday.
    assert add_business_minutes(OFFICE, berlin(24, 16, 30), 120) == berlin(28, 9, 30)


def test_start_outside_hours_begins_at_the_next_opening():
    assert add_business_minutes(OFFICE, berlin(19, 12), 60) == berlin(21, 9)  # Saturday
    assert add_business_minutes(OFFICE, berlin(21, 6), 30) == berlin(21, 8, 30)  # before 08:00


def test_weekend_holiday_and_pause_together():
    # Thursday 24th 15:00 -> Tuesday 29th 12:00: Thu 2 h, Fri holiday, weekend, Mon 9 h,
    # Tue 4 h = 15 h; a pause on Monday 10:00–12:00 takes 2 h off.
    pause = (berlin(28, 10), berlin(28, 12))
    assert elapsed_business_minutes(OFFICE, berlin(24, 15), berlin(29, 12)) == 15 * 60
    assert elapsed_business_minutes(OFFICE, berlin(24, 15), berlin(29, 12), [pause]) == 13 * 60
    # A 10-hour target: Thu 2 h + Mon 8 h; with the pause Mon gives 7 h, so Tue 09:00.
    assert add_business_minutes(OFFICE, berlin(24, 15), 600) == berlin(28, 16)
    assert add_business_minutes(OFFICE, berlin(24, 15), 600, [pause]) == berlin(29, 9)


def test_a_pause_outside_business_hours_changes_nothing():
    night = (berlin(21, 18), berlin(22, 7))
    assert add_business_minutes(OFFICE, berlin(21, 16), 120, [night]) == berlin(22, 9)


def test_an_open_pause_counts_until_the_end_of_the_measurement():
    start, now = berlin(21, 8), berlin(21, 12)
    assert elapsed_business_minutes(OFFICE, start, now, [(berlin(21, 10), None)]) == 120


def test_daylight_saving_change_keeps_local_hours():
    # Sunday 2026-03-29 Berlin moves to UTC+2: Monday opens at 06:00 UTC instead of 07:00.
    friday_1630 = datetime(2026, 3, 27, 15, 30, tzinfo=UTC)  # 16:30 CET
    assert add_business_minutes(OFFICE, friday_1630, 60) == datetime(2026, 3, 30, 6, 30,
                                                                     tzinfo=UTC)


def test_elapsed_is_zero_for_reversed_intervals_and_a_calendar_needs_hours():
    assert elapsed_business_minutes(OFFICE, berlin(22, 12), berlin(21, 12)) == 0
    with pytest.raises(ValueError):
        add_business_minutes(Calendar.from_config("UTC", {}), berlin(21, 12), 10)
