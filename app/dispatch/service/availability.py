"""When a technician can work on a given day: weekly shift, minus leave/sickness/training,
plus overtime; times are the technician's local wall clock turned into UTC instants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.db import ids_param
from app.dispatch.models import ExceptionKind, ShiftException, Technician

Interval = tuple[datetime, datetime]


class Worker(Protocol):
    """What availability reads of a technician: a `Technician`, or a roster row of the
    candidates (`candidates.RosterTechnician`)."""

    @property
    def id(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def max_daily_minutes(self) -> int: ...


class ShiftHours(Protocol):
    """A weekly shift's hours: a `WeeklyShift`, or the day's shift of a candidates' roster
    row (`candidates.DayShift`)."""

    @property
    def starts(self) -> time: ...
    @property
    def ends(self) -> time: ...
    @property
    def break_earliest(self) -> time | None: ...
    @property
    def break_latest(self) -> time | None: ...
    @property
    def break_minutes(self) -> int: ...


class ExceptionSpan(NamedTuple):
    """What availability reads of a shift exception (leave, sickness, training, overtime)."""

    technician_id: int
    kind: ExceptionKind
    starts_at: datetime
    ends_at: datetime


# The roster's statements, built once (their cache keys with them): the candidates of a work
# order read them on every request, as plain rows.
_EXCEPTIONS = (
    select(ShiftException.technician_id, ShiftException.kind, ShiftException.starts_at,
           ShiftException.ends_at)
    .where(ShiftException.technician_id.in_(ids_param("technician_ids")),
           ShiftException.starts_at < bindparam("latest"),
           ShiftException.ends_at > bindparam("earliest"))
    .order_by(ShiftException.starts_at, ShiftException.id))


@dataclass(frozen=True)
class Availability:
    day: date
    windows: tuple[Interval, ...]  # UTC, sorted, non-overlapping
    break_earliest: datetime | None
    break_latest: datetime | None
    break_minutes: int
    max_minutes: int

    @property
    def working_minutes(self) -> int:
        total = sum((end - start).total_seconds() for start, end in self.windows) / 60
        return int(min(total - self.break_minutes, self.max_minutes)) if total else 0

    @property
    def start(self) -> datetime | None:
        return self.windows[0][0] if self.windows else None

    @property
    def end(self) -> datetime | None:
        return self.windows[-1][1] if self.windows else None


@lru_cache(maxsize=4096)
def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # The same few shift times of a day, for every technician of a roster, on every request.
    return datetime.combine(day, at, zone).astimezone(UTC)


def _subtract(windows: list[Interval], cut: Interval) -> list[Interval]:
    out = []
    for start, end in windows:
        if cut[1] <= start or cut[0] >= end:
            out.append((start, end))
            continue
        if cut[0] > start:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def _union(windows: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _day_bounds(tech: Worker, day: date) -> Interval:
    return _zone_day_bounds(tech.timezone, day)


@lru_cache(maxsize=1024)
def _zone_day_bounds(timezone: str, day: date) -> Interval:
    # The same one or two time zones for a whole roster, on every request.
    zone = ZoneInfo(timezone)
    return _local(day, time(0), zone), _local(day + timedelta(days=1), time(0), zone)


def exceptions_on(session: Session, techs: Sequence[Worker], day: date
                  ) -> dict[int, list[ExceptionSpan]]:
    """Every technician's exceptions touching `day`, in one query for the whole roster
    (technician id -> exceptions by start; a technician without any maps to [])."""
    out: dict[int, list[ExceptionSpan]] = {t.id: [] for t in techs}
    if not techs:
        return out
    bounds = {t.id: _zone_day_bounds(t.timezone, day) for t in techs}
    earliest = min(b[0] for b in bounds.values())
    latest = max(b[1] for b in bounds.values())
    rows = session.execute(_EXCEPTIONS, {"technician_ids": sorted(bounds), "latest": latest,
                                         "earliest": earliest})
    for row in rows:
        day_start, day_end = bounds[row.technician_id]
        if row.starts_at < day_end and row.ends_at > day_start:
            out[row.technician_id].append(ExceptionSpan._make(row))
    return out


def availability_on(session: Session, tech: Worker, day: date,
                    exceptions: list[ExceptionSpan] | None = None, *,
                    shifts: Mapping[int, ShiftHours] | None = None) -> Availability:
    """The technician's working windows on `day` (local date), in UTC. `exceptions`: the
    ones `exceptions_on` found for this technician (else they are read here); `shifts`: the
    roster's shifts of that weekday by technician id (else `tech.shifts` is read)."""
    zone = ZoneInfo(tech.timezone)
    windows: list[Interval] = []
    brk_from = brk_to = None
    brk_minutes = 0
    shift: ShiftHours | None
    if shifts is not None:
        shift = shifts.get(tech.id)
    else:
        assert isinstance(tech, Technician)  # a roster row comes with the roster's shifts
        shift = next((s for s in tech.shifts if s.weekday == day.weekday()), None)
    if shift is not None and tech.is_active:
        windows.append((_local(day, shift.starts, zone), _local(day, shift.ends, zone)))
        if shift.break_minutes and shift.break_earliest and shift.break_latest:
            brk_from = _local(day, shift.break_earliest, zone)
            brk_to = _local(day, shift.break_latest, zone)
            brk_minutes = shift.break_minutes
    day_start, day_end = _day_bounds(tech, day)
    if exceptions is None:
        exceptions = exceptions_on(session, [tech], day)[tech.id]
    for row in exceptions:
        span = (max(row.starts_at, day_start), min(row.ends_at, day_end))
        if row.kind == ExceptionKind.overtime:
            windows = _union([*windows, span])
        else:
            windows = _subtract(windows, span)
    windows = _union(windows)
    if brk_from is not None and brk_to is not None and not any(
            s < brk_to and e > brk_from for s, e in windows):
        brk_from = brk_to = None
        brk_minutes = 0
    return Availability(day=day, windows=tuple(windows), break_earliest=brk_from,
                        break_latest=brk_to, break_minutes=brk_minutes,
                        max_minutes=tech.max_daily_minutes)
