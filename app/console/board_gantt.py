"""The day board's drawing: each technician's route (from the board service) as bars on a
06:00-20:00 track, and the map's routes and sites with their states. Only geometry and words
live here; every time, ETA and "running late" comes from the dispatch services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app import geo
from app.console.web import site_zone, time_formatter
from app.dispatch.service.board import BoardRow
from app.dispatch.service.day_route import Stop

# The board spans 06:00-20:00 site time.
BOARD_START_H, BOARD_HOURS = 6, 14
IDLE_MIN = timedelta(minutes=5)  # shorter gaps are not drawn as idle

# Site states on the map, with their colours (the legend and the map read the same table).
STATE_COLOURS = {"planned": "#0b5cad", "en_route": "#c77700", "on_site": "#8a4baf",
                 "done": "#1e7b34", "late": "#b3261e", "proposed": "#f0a500"}


def state_names() -> dict[str, str]:
    return {"planned": _("planned"), "en_route": _("en route"), "on_site": _("on site"),
            "done": _("done"), "late": _("running late"), "proposed": _("proposed")}


def late_reason_names() -> dict[str, str]:
    return {"window": _("misses the customer's time window"),
            "sla": _("misses the SLA due time")}


@dataclass
class Bar:
    kind: str  # shift | idle | travel | pickup | break | job | proposed
    left: float
    width: float
    label: str = ""
    title: str = ""
    job: dict[str, Any] = field(default_factory=dict)


class Track:
    """Instants <-> percent of the board's width for one day."""

    def __init__(self, day: date) -> None:
        self.origin = datetime.combine(day, time(BOARD_START_H), tzinfo=site_zone())
        self.total = BOARD_HOURS * 3600

    def percent(self, at: datetime) -> float:
        return (at - self.origin).total_seconds() / self.total * 100

    def span(self, start: datetime | None, end: datetime | None) -> tuple[float, float] | None:
        if start is None or end is None:
            return None
        left, right = max(0.0, self.percent(start)), min(100.0, self.percent(end))
        if right <= left:
            return None
        return round(left, 2), round(right - left, 2)

    def bar(self, kind: str, start: datetime | None, end: datetime | None, **extra: Any
            ) -> Bar | None:
        found = self.span(start, end)
        return Bar(kind, found[0], found[1], **extra) if found else None


def site_state(status: str, running_late: bool) -> str:
    if status in ("completed", "closed"):
        return "done"
    if status in ("on_site", "on_hold"):
        return "on_site"
    if running_late:
        return "late"
    if status == "en_route":
        return "en_route"
    return "planned"


@dataclass(frozen=True)
class Words:
    """The states' and late reasons' names, translated once for a whole board (not once
    per bar: a city day draws hundreds of bars and map sites)."""

    states: dict[str, str] = field(default_factory=state_names)
    late_reasons: dict[str, str] = field(default_factory=late_reason_names)
    # the texts of the bars drawn many times a row, translated once (without values: their
    # %(...)s placeholders are filled per bar)
    travel: str = field(default_factory=lambda: _("travel %(min)d min, %(km)s km"))
    idle: str = field(default_factory=lambda: _("idle"))
    running_late_why: str = field(default_factory=lambda: _("running late: %(why)s"))
    shift: str = field(default_factory=lambda: _("shift"))
    pickup: str = field(default_factory=lambda: _("pick-up"))
    pickup_at: str = field(default_factory=lambda: _("pick-up at %(place)s"))
    break_: str = field(default_factory=lambda: _("break"))
    en_route_to: str = field(default_factory=lambda: _("en route to %(number)s"))
    on_site_at: str = field(default_factory=lambda: _("on site at %(number)s"))
    would_start: str = field(default_factory=lambda: _("%(number)s would start here"))
    last_position: str = field(default_factory=lambda: _("last position at %(time)s"))
    # the clock time of an instant, in the site's zone and the page's locale (`fmt_time`)
    time: Callable[[datetime | None], str] = field(default_factory=time_formatter)


def _job_bar(track: Track, stop: Stop, visit: dict[str, Any], tech_id: int,
             highlight: int | None, words: Words) -> Bar | None:
    wo = stop.work_order
    assert wo is not None
    reasons = [words.late_reasons.get(r, r) for r in visit.get("late_reasons", [])]
    late = bool(visit.get("running_late")) and wo.status not in ("completed", "closed")
    state = site_state(wo.status, late)
    title = f"{wo.number} {wo.title} · {words.time(stop.planned_start)}–" \
            f"{words.time(stop.planned_end)} · {words.states[state]}"
    if late:
        title += " · " + words.running_late_why % {"why": ", ".join(reasons)}
    return track.bar("job", stop.planned_start, stop.planned_end, label=wo.number, title=title,
                     job={"id": wo.id, "version": wo.version, "number": wo.number,
                          "technician_id": tech_id, "late": late, "reasons": reasons,
                          "state": state, "highlight": wo.id == highlight,
                          "movable": wo.status in ("new", "scheduled", "dispatched",
                                                   "on_hold")})


def gantt_row(day: date, row: BoardRow, *, now: datetime, highlight: int | None = None,
              proposed: list[dict[str, Any]] | None = None,
              words: Words | None = None) -> dict[str, Any]:
    """The bars of one technician's day: shift, idle time, travel, pick-ups, breaks, jobs (and
    a proposed insertion), the 'now' line, and what the technician is doing now."""
    track = Track(day)
    words = words or Words()
    tech = row.technician
    bars: list[Bar] = [b for b in (track.bar("shift", w["start"], w["end"], title=words.shift)
                                   for w in row.windows) if b]
    visits = {v["work_order_id"]: v for v in row.visits}
    busy: list[tuple[datetime, datetime]] = []
    stops = row.route.stops if row.route is not None else []
    doing = None
    for stop in stops:
        if stop.planned_start is None:
            continue
        end = stop.planned_end or stop.planned_start
        arrival = stop.planned_arrival or stop.planned_start
        if stop.travel_s:
            leave = arrival - timedelta(seconds=stop.travel_s)
            bar = track.bar("travel", leave, arrival, title=words.travel % {
                "min": stop.travel_min, "km": stop.travel_km})
            if bar:
                bars.append(bar)
            busy.append((leave, arrival))
        busy.append((arrival, end))
        if stop.kind == "pickup":
            house = stop.warehouse.code if stop.warehouse is not None else ""
            bar = track.bar("pickup", stop.planned_start, end, label=words.pickup,
                            title=words.pickup_at % {"place": house})
        elif stop.kind == "break":
            bar = track.bar("break", stop.planned_start, end, label=words.break_,
                            title=words.break_)
        else:
            wo = stop.work_order
            assert wo is not None
            bar = _job_bar(track, stop, visits.get(wo.id, {}), tech.id, highlight, words)
            if wo.status == "en_route":
                doing = words.en_route_to % {"number": wo.number}
            elif wo.status in ("on_site", "on_hold"):
                doing = words.on_site_at % {"number": wo.number}
        if bar:
            bars.append(bar)
    for p in proposed or []:
        if p["technician_id"] == tech.id:
            bar = track.bar("proposed", p["start"], p["end"], label=p["number"],
                            title=words.would_start % {"number": p["number"]})
            if bar:
                bars.append(bar)
    for w in row.windows:
        bars += _idle(track, w["start"], w["end"], busy, words.idle)
    now_at = track.percent(now)
    where = None
    if tech.last_position_at is not None:
        where = words.last_position % {"time": words.time(tech.last_position_at)}
    return {"tech": tech, "bars": bars, "working": bool(row.windows),
            "now": round(now_at, 2) if 0 <= now_at <= 100 else None,
            "doing": doing, "where": where,
            "late": [b.job["number"] for b in bars if b.kind == "job" and b.job["late"]]}


def _idle(track: Track, start: datetime, end: datetime,
          busy: list[tuple[datetime, datetime]], title: str) -> list[Bar]:
    out = []
    cursor = start
    for b_start, b_end in sorted(busy):
        if b_end <= cursor:
            continue
        if b_start - cursor >= IDLE_MIN and b_start <= end:
            out.append((cursor, b_start))
        cursor = max(cursor, b_end)
    if end - cursor >= IDLE_MIN:
        out.append((cursor, end))
    return [b for b in (track.bar("idle", a, z, title=title) for a, z in out) if b]


def map_layers(rows: list[BoardRow], *, highlight: int | None = None,
               proposed: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per technician: the route in stop order from its start, the last position, and each
    job site with its state (for the map script)."""
    out = []
    states = state_names()
    for row in rows:
        tech = row.technician
        visits = {v["work_order_id"]: v for v in row.visits}
        home = geo.to_latlng(tech.home_base)
        route = [[home["lat"], home["lng"]]] if home else []
        sites = []
        for stop in row.route.stops if row.route is not None else []:
            if stop.point is None:
                continue
            route.append([stop.point.lat, stop.point.lng])
            if stop.work_order is not None:
                wo = stop.work_order
                v = visits.get(wo.id, {})
                state = site_state(wo.status, bool(v.get("running_late")))
                sites.append({"at": [stop.point.lat, stop.point.lng], "state": state,
                              "label": f"{wo.number} {wo.title} · {states[state]}",
                              "highlight": wo.id == highlight})
        for p in proposed or []:
            if p["technician_id"] == tech.id:
                sites.append({"at": p["at"], "state": "proposed", "highlight": True,
                              "label": f"{p['number']} · {states['proposed']}"})
        where = geo.to_latlng(tech.last_position) if tech.last_position is not None else None
        out.append({"name": tech.user.full_name, "route": route if len(route) > 1 else [],
                    "position": [where["lat"], where["lng"]] if where else None,
                    "sites": sites})
    return out


# --- the bars as markup -----------------------------------------------------------------------
# A city day draws about 3,000 bars: written by Jinja, each attribute and condition a Python
# call of its own, they were half of the board page's Python calls. The same elements, with
# every text escaped as the template escaped it (whitespace between the bars aside).


def bar_styles(rows: list[dict[str, Any]]) -> str:
    """The bars' and now lines' positions as one stylesheet (the page's policy refuses style
    attributes): numbers and ids only."""
    parts = []
    for r, row in enumerate(rows, 1):
        parts += [f"#bar-{r}-{i}{{left:{b.left}%;width:{b.width}%}}"
                  for i, b in enumerate(row["bars"], 1)]
        if row["now"] is not None:
            parts.append(f"#now-{r}{{left:{row['now']}%}}")
    return "".join(parts)


def bars_markup(r: int, bars: list[Bar], work_order_path: str, words: Words) -> Markup:
    """Row `r`'s bars: a job as a link to its work order (draggable while it can move), a
    proposed insertion and the other kinds as spans; `board_bars.js` reads `data-left` and
    `data-width` for bars a live refresh brings."""
    path = escape(work_order_path)
    out = []
    for i, b in enumerate(bars, 1):
        at = (f'id="bar-{r}-{i}" data-left="{b.left}" data-width="{b.width}" '
              f'title="{escape(b.title)}"')
        if b.kind == "job":
            job = b.job
            late = " late" if job["late"] else ""
            lit = " highlight" if job["highlight"] else ""
            drag = (f' draggable="true" data-job="{job["id"]}:{job["version"]}"'
                    if job["movable"] else "")
            tail = f" · {escape(words.states['late'])}" if job["late"] else ""
            out.append(f'<a class="bar job state-{escape(job["state"])}{late}{lit}" {at} '
                       f'href="{path}{job["id"]}"{drag} data-number="{escape(job["number"])}">'
                       f'{escape(b.label)}{tail}</a>')
        elif b.kind == "proposed":
            out.append(f'<span class="bar proposed highlight" {at}>{escape(b.label)} · '
                       f'{escape(words.states["proposed"])}</span>')
        else:
            out.append(f'<span class="bar {escape(b.kind)}" {at}>{escape(b.label)}</span>')
    return Markup("\n      ".join(out))
