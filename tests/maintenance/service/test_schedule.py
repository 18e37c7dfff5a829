"""Calendar due dates and the business calendar's moves (pure functions, no database)."""

from __future__ import annotations

from datetime import date

from app.maintenance.service.schedule import CalendarRule, WorkingDays, due_dates, step_after

OFFICE_WEEK = WorkingDays.from_calendar(
    {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ["2026-12-24", "2026-12-25"])
NO_CALENDAR = WorkingDays(frozenset(), frozenset())


def test_every_two_weeks_on_monday_and_thursday() -> None:
    rule = CalendarRule(start=date(2026, 12, 2), unit="week", every=2, weekdays=("mon", "thu"))
    found = due_dates(rule, NO_CALENDAR, "none", after=date(2026, 12, 1),
                      until=date(2026, 12, 31))
    # The start's week: Thursday only (Monday is before the start); then every other week.
    assert found == [date(2026, 12, 3), date(2026, 12, 14), date(2026, 12, 17),
                     date(2026, 12, 28), date(2026, 12, 31)]


def test_monthly_on_the_31st_keeps_to_the_last_day_of_short_months() -> None:
    rule = CalendarRule(start=date(2026, 1, 31), unit="month", every=1, day_of_month=31)
    found = due_dates(rule, NO_CALENDAR, "none", after=date(2026, 1, 1),
                      until=date(2026, 4, 30))
    assert found == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                     date(2026, 4, 30)]


def test_every_n_days() -> None:
    rule = CalendarRule(start=date(2026, 12, 1), unit="day", every=10)
    assert due_dates(rule, NO_CALENDAR, "none", after=date(2026, 12, 5),
                     until=date(2026, 12, 31)) == [date(2026, 12, 11), date(2026, 12, 21),
                                                   date(2026, 12, 31)]


def test_a_holiday_or_weekend_moves_to_the_previous_or_next_working_day() -> None:
    # Monthly on the 24th: 24 Dec 2026 is a holiday (Thursday), 24 Jan 2027 a Sunday.
    rule = CalendarRule(start=date(2026, 12, 24), unit="month", every=1)
    window = {"after": date(2026, 12, 1), "until": date(2027, 2, 28)}
    assert due_dates(rule, OFFICE_WEEK, "previous", **window) == [
        date(2026, 12, 23), date(2027, 1, 22), date(2027, 2, 24)]
    # Next: over the holidays 24 and 25 Dec and the weekend to Monday 28 Dec.
    assert due_dates(rule, OFFICE_WEEK, "next", **window) == [
        date(2026, 12, 28), date(2027, 1, 25), date(2027, 2, 24)]
    assert due_dates(rule, OFFICE_WEEK, "none", **window) == [
        date(2026, 12, 24), date(2027, 1, 24), date(2027, 2, 24)]


def test_a_moved_date_is_not_doubled_when_two_dates_land_on_one_day() -> None:
    # Daily on every day; moving Saturday and Sunday back lands both on Friday: once.
    rule = CalendarRule(start=date(2026, 12, 4), unit="day", every=1)
    found = due_dates(rule, OFFICE_WEEK, "previous", after=date(2026, 12, 3),
                      until=date(2026, 12, 8))
    assert found == [date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8)]


def test_step_after_a_completion() -> None:
    assert step_after(date(2026, 1, 31), "month", 1) == date(2026, 2, 28)
    assert step_after(date(2026, 12, 7), "week", 2) == date(2026, 12, 21)
    assert step_after(date(2026, 12, 7), "day", 3) == date(2026, 12, 10)
