"""Greedy forward scheduling of one route (pure Python), used by ``insert``.

Given the stop sequence, a route is timed as early as possible: each service starts at the
earliest window opening after arrival; a pending break is taken at the latest leg where
postponing it would miss its window, either before driving or on arrival, whichever lets the
service start sooner (or for free during waiting).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.model import Break, Id, ScheduledBreak, TimeWindow, Visit, VisitKind
from optimizer.travel import Place


@dataclass(frozen=True, slots=True)
class Stop:
    kind: VisitKind
    ref: Id
    place: Place
    duration: int
    windows: tuple[TimeWindow, ...]
    picked: dict[str, int]
    tools: frozenset[str] = frozenset()


def earliest_start(windows: tuple[TimeWindow, ...], t: int) -> int | None:
    best: int | None = None
    for w in windows:
        if t <= w.end:
            s = max(t, w.start)
            best = s if best is None else min(best, s)
    return best


def _with_break(
    t: int, d: int, b: Break, windows: tuple[TimeWindow, ...]
) -> tuple[int, int, int] | None:
    """(break start, arrival, service start) for the better of break-then-drive and
    drive-then-break, or None if the break window is gone."""
    best: tuple[int, int, int] | None = None
    for bs, drive_first in ((max(t, b.window.start), False), (max(t + d, b.window.start), True)):
        if bs > b.window.end:
            continue
        ready = bs + b.duration + (0 if drive_first else d)
        s = earliest_start(windows, ready)
        if s is not None and (best is None or s < best[2]):
            best = (bs, t + d if drive_first else ready, s)
    return best


def time_route(
    stops: list[Stop],
    legs: list[tuple[int, int]],
    back: tuple[int, int],
    depart: int,
    pending: list[Break],
    at_home: bool = True,
) -> tuple[list[Visit], list[ScheduledBreak], int, int] | None:
    """Visits, breaks, departure, return time; ``legs[i]`` = (metres, s) into ``stops[i]``.

    ``at_home``: the route has not started, so a break may be taken before ``depart``.
    """
    visits: list[Visit] = []
    brks: list[ScheduledBreak] = []
    pend = sorted(pending, key=lambda b: b.window.start)
    while at_home and pend and pend[0].window.start + pend[0].duration <= depart:
        b = pend.pop(0)
        brks.append(ScheduledBreak(b.id, b.window.start, b.window.start + b.duration))
    t = depart
    first_depart = depart
    for i, stop in enumerate(stops):
        metres, d = legs[i]
        arrival = t + d
        s = earliest_start(stop.windows, arrival)
        while pend:
            b = pend[0]
            late = s is None or s + stop.duration > b.window.end
            option = _with_break(t, d, b, stop.windows)
            if option is None:
                if late:
                    return None
                break
            if late or option[2] <= (s if s is not None else option[2]):
                pend.pop(0)
                bs, arrival, s = option
                brks.append(ScheduledBreak(b.id, bs, bs + b.duration))
                continue
            break
        if s is None:
            return None
        if i == 0 and not brks_in(brks, t, s):
            first_depart = max(t, s - d)
            arrival = s
        visits.append(Visit(stop.kind, stop.ref, arrival, s, s + stop.duration, s - arrival, d,
                            metres, dict(stop.picked), stop.tools))
        t = s + stop.duration
    end = t + back[1]
    for b in pend:
        bs = max(t, b.window.start)
        if bs > b.window.end:
            return None
        if bs < end:  # taken before driving home
            end += b.duration
        brks.append(ScheduledBreak(b.id, bs, bs + b.duration))
    return visits, brks, first_depart, end


def brks_in(brks: list[ScheduledBreak], lo: int, hi: int) -> bool:
    return any(b.start >= lo and b.end <= hi for b in brks)
