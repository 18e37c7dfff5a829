"""Business-time arithmetic for SLA clocks. Pure functions: no database, no Flask.

A `Calendar` is either 24x7 or a weekly schedule of opening intervals in a time zone with
holidays (local dates). Paused intervals (e.g. on hold for the customer) never count.
Everything takes and returns UTC-aware datetimes; local time only decides where the business
intervals fall (so daylight-saving changes are handled by zoneinfo).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The farthest ahead a due time may lie. Policy targets go up to a year of running clock
# (525,600 minutes), which office hours take almost four years to reach; a calendar too thin to
# reach a target within this horizon makes the target unreachable (refused when the policy is
# written), and one with no business hours at all gives up at once.
MAX_HORIZON_DAYS = 100 * 366

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Calendar:
    """When an SLA clock runs. `weekly` maps a weekday index (0 = Monday) to local intervals."""

    timezone: str = "UTC"
    weekly: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always: bool = False

    @classmethod
    def twenty_four_seven(cls) -> Calendar:
        return cls(always=True)

    @classmethod
    def from_config(cls, timezone: str, weekly_hours: dict[str, list[list[str]]],
                    holidays: Iterable[str] = ()) -> Calendar:
        """From the stored shape: {"mon": [["08:00", "17:00"]]}, ["2026-12-25"]."""
        weekly: dict[int, tuple[tuple[time, time], ...]] = {}
        for name, spans in weekly_hours.items():
            weekly[WEEKDAYS.index(name)] = tuple(
                sorted((parse_clock(a), parse_clock(b)) for a, b in spans))
        return cls(timezone=timezone, weekly=weekly,
                   holidays=frozenset(date.fromisoformat(d) for d in holidays))


def parse_clock(value: str) -> time:
    """"08:00" -> time(8, 0); "24:00" means the end of the day."""
    if value == "24:00":
        return time.max
    return time.fromisoformat(value)


def _local_day_intervals(calendar: Calendar, day: date, tz: ZoneInfo) -> list[Interval]:
    if day in calendar.holidays:
        return []
    result = []
    for opens, closes in calendar.weekly.get(day.weekday(), ()):
        start = datetime.combine(day, opens, tz).astimezone(UTC)
        if closes == time.max:
            end = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(UTC)
        else:
            end = datetime.combine(day, closes, tz).astimezone(UTC)
        if end > start:
            result.append((start, end))
    return result


def weekly_business_minutes(calendar: Calendar) -> float:
    """Running-clock minutes in a week without holidays (daylight saving ignored)."""
    if calendar.always:
        return 7 * 24 * 60.0
    total = 0.0
    for spans in calendar.weekly.values():
        for opens, closes in spans:
            end = 24 * 60.0 if closes == time.max else closes.hour * 60 + closes.minute
            total += max(0.0, end - (opens.hour * 60 + opens.minute))
    return total


def business_intervals(calendar: Calendar, start: datetime) -> Iterator[Interval]:
    """Business intervals from `start` on, in order, clipped to begin at `start`."""
    if calendar.always:
        yield start, datetime.max.replace(tzinfo=UTC)
        return
    tz = ZoneInfo(calendar.timezone)
    day = start.astimezone(tz).date() - timedelta(days=1)  # an interval may span midnight UTC
    for _ in range(MAX_HORIZON_DAYS):
        for a, b in _local_day_intervals(calendar, day, tz):
            if b > start:
                yield max(a, start), b
        day += timedelta(days=1)


def _minus_pauses(interval: Interval, pauses: Sequence[Interval]) -> Iterator[Interval]:
    """The parts of `interval` outside every pause (pauses sorted by start)."""
    start, end = interval
    for p_start, p_end in pauses:
        if p_end <= start or p_start >= end:
            continue
        if p_start > start:
            yield start, p_start
        start = max(start, p_end)
        if start >= end:
            return
    if start < end:
        yield start, end


def _normalise(pauses: Iterable[tuple[datetime, datetime | None]], now: datetime | None
               ) -> list[Interval]:
    open_end = now or datetime.max.replace(tzinfo=UTC)
    return sorted((a, b or open_end) for a, b in pauses)


def add_business_minutes(calendar: Calendar, start: datetime, minutes: float,
                         pauses: Iterable[tuple[datetime, datetime | None]] = ()) -> datetime:
    """The instant at which `minutes` of running clock have passed since `start`.

    An open pause (end None) is treated as never ending, so the answer is only meaningful for
    clocks that are running; callers compute due times after a pause has ended.
    """
    remaining = timedelta(minutes=minutes)
    # Fail fast for a target the horizon cannot hold even without holidays and pauses.
    if minutes > weekly_business_minutes(calendar) * MAX_HORIZON_DAYS / 7:
        raise ValueError("the target lies beyond the calendar's horizon")
    normalised = _normalise(pauses, None)
    if remaining <= timedelta(0):
        for a, _b in (piece for iv in business_intervals(calendar, start)
                      for piece in _minus_pauses(iv, normalised)):
            return a
        raise ValueError("the calendar has no business hours")
    for interval in business_intervals(calendar, start):
        for a, b in _minus_pauses(interval, normalised):
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
    raise ValueError("the target lies beyond the calendar's horizon")


def elapsed_business_minutes(calendar: Calendar, start: datetime, end: datetime,
                             pauses: Iterable[tuple[datetime, datetime | None]] = ()) -> float:
    """Running-clock minutes between two instants, minus paused time (open pauses run to end)."""
    if end <= start:
        return 0.0
    normalised = _normalise(pauses, end)
    total = timedelta(0)
    for interval in business_intervals(calendar, start):
        if interval[0] >= end:
            break
        clipped = (interval[0], min(interval[1], end))
        for a, b in _minus_pauses(clipped, normalised):
            total += b - a
        if interval[1] >= end:
            break
    return total.total_seconds() / 60
