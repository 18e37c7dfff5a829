"""Due dates of a calendar schedule, moved off non-working days by a business calendar.

Pure functions of dates: no session, so the rules are easy to test and to read.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Beyond this many steps a schedule is broken (e.g. every working day is a holiday).
_MAX_STEPS = 5000


@dataclass(frozen=True)
class WorkingDays:
    """Which local dates are working days: weekdays with business hours, minus holidays."""

    weekdays: frozenset[str]
    holidays: frozenset[date]

    @classmethod
    def from_calendar(cls, weekly_hours: dict[str, list[list[str]]] | None,
                      holidays: list[str] | None) -> WorkingDays:
        days = frozenset(d for d, spans in (weekly_hours or {}).items() if spans)
        return cls(days, frozenset(date.fromisoformat(h) for h in (holidays or [])))

    def is_working(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.weekdays and day not in self.holidays

    def shift(self, day: date, direction: str) -> date:
        """The nearest working day before (previous) or after (next) a non-working `day`."""
        if direction == "none" or not self.weekdays or self.is_working(day):
            return day
        step = timedelta(days=-1 if direction == "previous" else 1)
        for _ in range(370):
            day += step
            if self.is_working(day):
                return day
        return day  # a calendar without any working day in a year: leave the date


@dataclass(frozen=True)
class CalendarRule:
    start: date
    unit: str  # day | week | month
    every: int
    weekdays: tuple[str, ...] = ()  # week: on these weekdays (default: the start's)
    day_of_month: int | None = None  # month: on this day (default: the start's), clamped


def _add_months(day: date, months: int, day_of_month: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day_of_month, last))


def nominal_dates(rule: CalendarRule) -> Iterator[date]:
    """The schedule's dates from its start, before any move off non-working days."""
    if rule.unit == "day":
        for k in range(_MAX_STEPS):
            yield rule.start + timedelta(days=k * rule.every)
    elif rule.unit == "week":
        days = sorted(WEEKDAYS.index(d) for d in (rule.weekdays or
                                                  (WEEKDAYS[rule.start.weekday()],)))
        week_start = rule.start - timedelta(days=rule.start.weekday())
        for k in range(_MAX_STEPS):
            monday = week_start + timedelta(weeks=k * rule.every)
            for d in days:
                day = monday + timedelta(days=d)
                if day >= rule.start:
                    yield day
    else:
        dom = rule.day_of_month or rule.start.day
        first = _add_months(rule.start, 0, dom)
        offset = 0 if first >= rule.start else 1
        for k in range(_MAX_STEPS):
            yield _add_months(rule.start, offset + k * rule.every, dom)


def due_dates(rule: CalendarRule, working: WorkingDays, shift: str, *, after: date,
              until: date) -> list[date]:
    """Due dates in (after, until], each moved to a working day per `shift`; a nominal date
    is kept apart from its moved date so a move never drops or doubles an occurrence."""
    found: list[date] = []
    for nominal in nominal_dates(rule):
        moved = working.shift(nominal, shift)
        if nominal > until and moved > until:
            break
        if after < moved <= until and moved not in found:
            found.append(moved)
    return found


def next_due_date(rule: CalendarRule, working: WorkingDays, shift: str, *,
                  after: date) -> date:
    """The first due date strictly after `after`."""
    for nominal in nominal_dates(rule):
        moved = working.shift(nominal, shift)
        if moved > after:
            return moved
    raise ValueError("the schedule has no further date")


def step_after(day: date, unit: str, every: int) -> date:
    """`day` plus one interval: the floating schedule's next date after a completion."""
    if unit == "day":
        return day + timedelta(days=every)
    if unit == "week":
        return day + timedelta(weeks=every)
    return _add_months(day, every, day.day)
