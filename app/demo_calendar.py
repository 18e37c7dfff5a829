"""The demo's working calendar (Munich): which days are worked, and when, so that every demo
job falls in working hours on a working day, whatever the hour `flask seed-demo` runs at."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEMO_TZ = ZoneInfo("Europe/Berlin")
# Bavarian public holidays (the business calendar and the demo's working days skip them).
HOLIDAYS = ("2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-05-01",
            "2026-05-14", "2026-05-25", "2026-06-04", "2026-08-15", "2026-10-03",
            "2026-11-01", "2026-12-25", "2026-12-26", "2027-01-01", "2027-01-06",
            "2027-03-26", "2027-03-29", "2027-05-01", "2027-05-06", "2027-05-17",
            "2027-05-27", "2027-08-15", "2027-10-03", "2027-11-01", "2027-12-25",
            "2027-12-26")
_HOLIDAY_DATES = frozenset(date.fromisoformat(d) for d in HOLIDAYS)
DAY_STARTS, DAY_ENDS = time(8, 0), time(17, 0)
# The day plan is made for a day not yet begun: today before 07:00, else the next working day.
PLAN_TODAY_UNTIL = time(7, 0)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _HOLIDAY_DATES


def next_working_day(day: date, *, after: bool = True) -> date:
    """The first working day after `day` (or on it, with after=False)."""
    day = day + timedelta(days=1) if after else day
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def local_at(day: date, at: time) -> datetime:
    """A Munich wall-clock time on `day`, as a UTC instant."""
    return datetime.combine(day, at, DEMO_TZ).astimezone(UTC)


def plan_day(now: datetime) -> date:
    """The demo's day: today when it is a working day not yet begun, else the next working
    day. Technicians' days and the demo day plan are for this day."""
    local = now.astimezone(DEMO_TZ)
    if is_working_day(local.date()) and local.time() < PLAN_TODAY_UNTIL:
        return local.date()
    return next_working_day(local.date())


LIVE_UNTIL = time(13, 0)


def live_moment(now: datetime) -> datetime:
    """`now` in the working morning; else the last working day's 13:00, so jobs under way
    (en route, on site) and finished ones happened in working hours too."""
    local = now.astimezone(DEMO_TZ)
    if is_working_day(local.date()) and DAY_STARTS <= local.time() <= LIVE_UNTIL:
        return now
    day = local.date() if is_working_day(local.date()) and local.time() > LIVE_UNTIL \
        else previous_working_day(local.date())
    return local_at(day, LIVE_UNTIL)


class Bookings:
    """Each technician's booked visits per day, one after another from the start of the
    day with some travel in between, never past the end of the working day."""

    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.next_free: dict[tuple[int, date], datetime] = {}

    def book(self, user_id: int, day: date, minutes: int,
             earliest: datetime | None = None) -> datetime:
        """The start of a `minutes` visit on `day` (not before `earliest`), or on the next
        working day with room."""
        day = next_working_day(day, after=False)
        for _ in range(30):
            free = max(self.next_free.get((user_id, day), local_at(day, DAY_STARTS)),
                       earliest or local_at(day, DAY_STARTS))
            start = free + timedelta(minutes=self.rng.choice((15, 20, 25, 30)))
            end = start + timedelta(minutes=minutes)
            if end <= local_at(day, DAY_ENDS):
                self.next_free[(user_id, day)] = end
                return start
            day = next_working_day(day)
        raise ValueError("no room in the next 30 working days")  # a demo sizing mistake

    def mark(self, user_id: int, day: date, end: datetime) -> None:
        """Something else already fills the day until `end`."""
        key = (user_id, day)
        self.next_free[key] = max(self.next_free.get(key, end), end)
