"""Who should go? Every active technician ranked for one work order, each with the reasons.

"From where they will be": the site of their previous visit that day, else their last GPS
position if fresh (today only), else their home base. The free slot is the earliest start
after `now` that fits the shift, the customer's windows and the visits already planned
(travel to the job and on to the next visit included) and leaves room for the lunch break:
a slot that would take away the last place for the break inside its window is not offered,
the job then starts after the break. (A day whose visits already leave no room for the break
is not made worse by the slot, so it is not blocked by it.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

import optimizer as opt
from app import geo
from app.assets.models import Site
from app.auth.models import User
from app.config import Config
from app.db import ids_param, load_related
from app.dispatch.models import (
    ExceptionKind,
    Technician,
    TechnicianSkill,
    Territory,
    WeeklyShift,
)
from app.dispatch.service.availability import (
    Availability,
    ExceptionSpan,
    ShiftHours,
    availability_on,
    exceptions_on,
)
from app.dispatch.service.problem import (
    TravelMemo,
    day_clock,
    job_parts,
    local_day,
    point_of,
    reservations_of,
    stock_with_reservations,
    travel_between,
    warehouses,
)
from app.errors import Conflict
from app.inventory import service as inventory
from app.inventory.models import Part
from app.workorders import service as workorders
from app.workorders.models import CLOSED_STATES, Status, WorkOrder, WorkOrderSkill

# Ranking: minutes-equivalent penalties added to "minutes until the job can start".
PICKUP_PENALTY_MIN = 20
OUTSIDE_TERRITORY_PENALTY_MIN = 30
LOAD_WEIGHT_MIN = 60  # a fully loaded day counts like an hour's delay

# Why a technician cannot take the job (or only with a detour): a stable machine code and the
# text a dispatcher reads, all in one place so they can be translated together.
REASON_TEXTS = {
    "not_on_shift": "not on shift that day",
    "on_leave": "on leave that day",
    "off_sick": "off sick that day",
    "in_training": "in training that day",
    "shift_over": "shift already over that day",
    "outside_customer_window": "outside the customer's time window",
    "missing_skill": "missing skills: {detail}",
    "parts_unavailable": "{detail}",
    "no_capacity": "no capacity left that day",
    "no_free_slot": "no free slot before the shift ends",
    "outside_territory": "site outside territory {detail}",
    "parts_to_pick": "parts to pick up: {detail}",
    "missing_tools": "missing tools, in no warehouse: {detail}",
    "tools_to_fetch": "tools to fetch at a warehouse: {detail}",
}
# Codes that are a detour or a note, not a refusal.
NOT_BLOCKING = frozenset({"outside_territory", "parts_to_pick", "tools_to_fetch"})
ABSENT = ("not_on_shift", "on_leave", "off_sick", "in_training", "shift_over")
_ABSENCE_OF_EXCEPTION = {ExceptionKind.leave: "on_leave", ExceptionKind.sickness: "off_sick",
                         ExceptionKind.training: "in_training"}


@dataclass(slots=True)
class Busy:
    start: datetime
    end: datetime
    point: opt.Point
    work_order_id: int


@dataclass
class Slot:
    start: datetime
    end: datetime
    origin: str  # previous_visit | gps | home_base
    travel_m: int
    travel_s: int


@dataclass(frozen=True, slots=True)
class RosterUser:
    id: int
    full_name: str


@dataclass(frozen=True, slots=True)
class RosterTerritory:
    id: int
    name: str
    area: Any  # the stored polygon, read with `geo.polygon_vertices` when a site is checked


@dataclass(frozen=True, slots=True)
class DayShift:
    """The technician's weekly shift on the ranked day's weekday (`ShiftHours`)."""

    starts: time
    ends: time
    break_earliest: time | None
    break_latest: time | None
    break_minutes: int


@dataclass(frozen=True, slots=True)
class RosterTechnician:
    """What the ranking reads of an active technician, from one row of plain columns (the
    roster is read on every request; ORM objects for it cost more than the ranking)."""

    id: int
    user_id: int
    user: RosterUser
    timezone: str
    territory_id: int | None
    territory: RosterTerritory | None
    max_daily_minutes: int
    tools: list[str]
    is_active: bool
    home: opt.Point
    last_position: opt.Point | None
    last_position_at: datetime | None
    shift: DayShift | None  # none on that weekday


@dataclass
class Candidate:
    technician: RosterTechnician
    eligible: bool = True
    reasons: list[str] = field(default_factory=list)
    reason_codes: list[str] = field(default_factory=list)
    missing_skills: list[dict[str, Any]] = field(default_factory=list)
    in_territory: bool | None = None
    working_today: bool = False
    earliest_start: datetime | None = None
    earliest_end: datetime | None = None
    travel_from: str | None = None
    travel_km: float | None = None
    travel_min: int | None = None
    planned_minutes: int = 0
    shift_minutes: int = 0
    load: float = 0.0
    parts_in_van: bool = True
    parts_to_pick: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0
    rank: int = 0

    def add_reason(self, code: str, detail: str = "") -> None:
        """Note why (code once, each text); a blocking reason makes the technician ineligible."""
        if code not in self.reason_codes:
            self.reason_codes.append(code)
        self.reasons.append(REASON_TEXTS[code].format(detail=detail))
        if code not in NOT_BLOCKING:
            self.eligible = False

    @property
    def blocking_codes(self) -> list[str]:
        return [code for code in self.reason_codes if code not in NOT_BLOCKING]


# The ranking's statements, built once (their cache keys with them).
_ROSTER = (select(Technician.id, Technician.user_id, User.full_name, Technician.timezone,
                  Technician.territory_id, Territory.name, Territory.area,
                  Technician.max_daily_minutes, Technician.tools, Technician.is_active,
                  *geo.latitude_longitude(Technician.home_base),
                  *geo.latitude_longitude(Technician.last_position),
                  Technician.last_position_at, WeeklyShift.starts, WeeklyShift.ends,
                  WeeklyShift.break_earliest, WeeklyShift.break_latest,
                  WeeklyShift.break_minutes)
           .join(User, User.id == Technician.user_id)
           .outerjoin(Territory, Territory.id == Technician.territory_id)
           .outerjoin(WeeklyShift, (WeeklyShift.technician_id == Technician.id)
                      & (WeeklyShift.weekday == bindparam("weekday")))
           .where(Technician.is_active.is_(True))
           .order_by(Technician.id))
_SKILL_LEVELS = select(TechnicianSkill.technician_id, TechnicianSkill.skill_id,
                       TechnicianSkill.level).where(
    TechnicianSkill.skill_id.in_(ids_param("skill_ids")))
_SCHEDULES = (select(WorkOrder.id, WorkOrder.assignee_user_id, WorkOrder.scheduled_start,
                     WorkOrder.scheduled_end, *geo.latitude_longitude(Site.location))
              .join(Site, Site.id == WorkOrder.site_id)
              .where(WorkOrder.assignee_user_id.in_(ids_param("user_ids")),
                     WorkOrder.status != Status.cancelled,
                     WorkOrder.scheduled_start >= bindparam("start"),
                     WorkOrder.scheduled_start < bindparam("end"),
                     func.coalesce(WorkOrder.scheduled_end, WorkOrder.scheduled_start)
                     >= bindparam("ending_after"),
                     WorkOrder.id != bindparam("exclude"))
              .order_by(WorkOrder.scheduled_start))


def roster(session: Session, day: date) -> list[RosterTechnician]:
    """The active technicians by id, as the ranking reads them, each with the weekly shift
    of `day`'s weekday (one statement, plain rows)."""
    return [RosterTechnician(
        tech_id, user_id, RosterUser(user_id, full_name), timezone, territory_id,
        RosterTerritory(territory_id, territory, area) if territory_id is not None else None,
        max_minutes, list(tools or ()), active, opt.Point(lat, lng),
        opt.Point(last_lat, last_lng) if last_lat is not None else None, last_at,
        DayShift(*hours) if hours[0] is not None else None)
        for (tech_id, user_id, full_name, timezone, territory_id, territory, area, max_minutes,
             tools, active, lat, lng, last_lat, last_lng, last_at, *hours)
        in session.execute(_ROSTER, {"weekday": day.weekday()})]


def missing_skills(tech: Technician, wo: WorkOrder) -> list[dict[str, Any]]:
    """The job's skills the technician lacks or holds below the level (a ranking of the
    roster reads the levels with `skill_levels` and calls `skills_lacking`)."""
    return skills_lacking({ts.skill_id: ts.level for ts in tech.skills}, required_skills(wo))


def required_skills(wo: WorkOrder) -> list[tuple[int, str, int]]:
    """The job's skills as (skill id, code, minimum level): read once for a whole roster."""
    return [(s.skill_id, s.skill.code, s.min_level) for s in wo.skills]


def skills_lacking(have: dict[int, int], required: list[tuple[int, str, int]]
            ) -> list[dict[str, Any]]:
    """The `required` skills (`required_skills`) that levels `have` lack or hold too low."""
    return [{"skill": code, "required": level, "have": have.get(skill_id, 0)}
            for skill_id, code, level in required if have.get(skill_id, 0) < level]


def skill_levels(session: Session, techs: list[RosterTechnician], skill_ids: list[int]
                 ) -> dict[int, dict[int, int]]:
    """technician id -> skill id -> level of the skills `skill_ids` (the job's), for the
    whole roster in one query of plain rows (the ranking needs no skill objects, only the
    job's own)."""
    out: dict[int, dict[int, int]] = {t.id: {} for t in techs}
    if techs and skill_ids:
        for tech_id, skill_id, level in session.execute(
                _SKILL_LEVELS, {"skill_ids": sorted(set(skill_ids))}):
            if tech_id in out:  # (an inactive technician's levels are read and left)
                out[tech_id][skill_id] = level
    return out


def schedules_of(session: Session, user_ids: list[int], start: datetime, end: datetime,
                 *, exclude: int | None = None, ending_after: datetime | None = None
                 ) -> dict[int, list[Busy]]:
    """Per technician user: the visits starting in [start, end), cancelled ones left out;
    with `ending_after`, only those that end then or later. Each site's coordinates come as
    floats (hundreds of rows for a roster's day)."""
    out: dict[int, list[Busy]] = {u: [] for u in user_ids}
    if not user_ids:
        return out
    # no order is excluded: id 0 (ids start at 1)
    rows = session.execute(_SCHEDULES, {"user_ids": list(out), "start": start, "end": end,
                                        "ending_after": ending_after or start,
                                        "exclude": exclude or 0})
    for wo_id, user_id, begin, finish, lat, lng in rows:
        out[user_id].append(Busy(begin, finish or begin, opt.Point(lat, lng), wo_id))
    return out


def schedule_of(session: Session, tech: Technician, start: datetime, end: datetime,
                *, exclude: int | None = None) -> list[Busy]:
    """The technician's visits starting in [start, end), cancelled ones left out."""
    return schedules_of(session, [tech.user_id], start, end, exclude=exclude)[tech.user_id]


def start_position(tech: Technician | RosterTechnician, now: datetime, today: bool
                   ) -> tuple[opt.Point, str]:
    """Where the technician starts from: the last GPS position if fresh (today only), else
    the home base."""
    fresh = now - timedelta(minutes=Config.DISPATCH_POSITION_FRESH_MINUTES)
    if (today and tech.last_position is not None and tech.last_position_at is not None
            and tech.last_position_at >= fresh):
        last = tech.last_position
        return (last if isinstance(last, opt.Point) else point_of(last)), "gps"
    return (tech.home if isinstance(tech, RosterTechnician) else point_of(tech.home_base),
            "home_base")


def _first_start(at: datetime, windows: list[tuple[datetime, datetime]]) -> datetime | None:
    """The earliest time >= at inside one of the service-start windows (none: any time)."""
    if not windows:
        return at
    starts = [max(at, lo) for lo, hi in windows if max(at, lo) <= hi]
    return min(starts) if starts else None


def start_windows(wo: WorkOrder) -> list[tuple[datetime, datetime]]:
    duration = timedelta(minutes=wo.estimated_duration_min)
    return [(w.start_at, w.end_at - duration) for w in wo.time_windows
            if w.end_at - duration >= w.start_at]


def break_fits(avail: Availability, visits: list[Busy], shift: tuple[datetime, datetime],
               home: opt.Point, legs: Callable[[opt.Point, opt.Point], tuple[int, int]]
               = travel_between) -> bool:
    """Whether the break (``break_minutes`` inside [break_earliest, break_latest]) fits
    between the visits of this shift window: never during a service, and a gap must hold the
    drive between its two sites as well as the break. `legs`: `travel_between`, or a memo of
    it for a whole ranking."""
    lo, hi = avail.break_earliest, avail.break_latest
    need = timedelta(minutes=avail.break_minutes)
    if not need or lo is None or hi is None or hi <= shift[0] or lo >= shift[1]:
        return True
    prev_end, prev_point = shift[0], home
    for visit in [*sorted(visits, key=lambda b: b.start), None]:
        start, point = (shift[1], None) if visit is None else (visit.start, visit.point)
        if max(prev_end, lo) + need <= min(start, hi):
            drive = legs(prev_point, point)[1] if point is not None else 0
            if start - prev_end - timedelta(seconds=drive) >= need:
                return True
        if visit is not None:
            prev_end, prev_point = max(prev_end, visit.end), visit.point
    return False


@dataclass(frozen=True)
class JobFacts:
    """What the slot search reads of a job, read once for a whole roster: the site's point,
    the service's duration and the windows its start must fall in; and the legs driven,
    each computed once for the roster."""

    site: opt.Point
    duration: timedelta
    windows: list[tuple[datetime, datetime]]
    legs: TravelMemo = field(default_factory=TravelMemo, compare=False)

    @classmethod
    def of(cls, wo: WorkOrder) -> JobFacts:
        return cls(point_of(wo.site.location), timedelta(minutes=wo.estimated_duration_min),
                   start_windows(wo))


def earliest_slot(wo: WorkOrder, avail: Availability, busy: list[Busy], *, now: datetime,
                  home: tuple[opt.Point, str], facts: JobFacts | None = None) -> Slot | None:
    """The earliest feasible start for `wo` between the technician's planned visits, leaving
    room for the break (see the module docstring). `facts`: `JobFacts.of(wo)`, when the
    caller ranks many technicians for the job."""
    facts = facts or JobFacts.of(wo)
    site, duration, windows, legs = facts.site, facts.duration, facts.windows, facts.legs
    for shift_start, shift_end in avail.windows:
        prev_end, prev_point, origin = shift_start, home[0], home[1]
        inside = [b for b in busy if b.end > shift_start and b.start < shift_end]
        shift = (shift_start, shift_end)
        # When the break still fits, where the job may start if the break is taken first.
        after_break = None
        if avail.break_minutes and avail.break_earliest is not None \
                and break_fits(avail, inside, shift, home[0], legs):
            after_break = avail.break_earliest + timedelta(minutes=avail.break_minutes)
        for nxt in [*inside, None]:
            limit = shift_end if nxt is None else min(nxt.start, shift_end)
            leave = max(prev_end, now)
            metres, secs = legs(prev_point, site)
            onward = legs(site, nxt.point)[1] if nxt is not None else 0
            # Leave now; or, when that takes the break's place, take the break first.
            departures = [leave] if after_break is None else [leave, max(leave, after_break)]
            for depart in departures:
                start = _first_start(depart + timedelta(seconds=secs), windows)
                if start is None or start + duration + timedelta(seconds=onward) > limit:
                    continue
                slot = Slot(start, start + duration, origin, metres, secs)
                here = Busy(slot.start, slot.end, site, wo.id)
                if after_break is None or break_fits(avail, [*inside, here], shift, home[0],
                                                     legs):
                    return slot
            if nxt is not None:
                prev_end, prev_point, origin = max(prev_end, nxt.end), nxt.point, "previous_visit"
    return None


def absence_reason(tech: RosterTechnician, shift: ShiftHours | None,
                   exceptions: list[ExceptionSpan]) -> str:
    """Why a technician has no working time that day: no shift on that weekday (`shift`,
    the technician's weekly shift of that weekday, is None), or the leave / sickness /
    training among the day's `exceptions` (from `exceptions_on`, read once for the roster)
    that takes the shift away."""
    if not tech.is_active or shift is None:
        return "not_on_shift"
    kinds = {e.kind for e in exceptions}
    return next((code for kind, code in _ABSENCE_OF_EXCEPTION.items() if kind in kinds),
                "not_on_shift")


def outside_customer_windows(wo: WorkOrder, avail: Availability, now: datetime,
                             facts: JobFacts | None = None) -> bool:
    """The customer's windows leave no start inside the technician's remaining working time
    (visits and travel aside)."""
    if not wo.time_windows:
        return False
    facts = facts or JobFacts.of(wo)
    duration, starts = facts.duration, facts.windows
    for shift_start, shift_end in avail.windows:
        lo, hi = max(shift_start, now), shift_end - duration
        if any(max(lo, a) <= min(hi, b) for a, b in starts):
            return False
    return True


def explain_nobody(candidates: list[Candidate]) -> tuple[str, str] | None:
    """The true reason no technician can take a job, from the candidates: nobody on shift,
    or every technician with the skills absent / outside the window / without parts or room.
    None when someone with the skills could go (the planner's own reason then holds)."""
    if not candidates:
        return "no_technicians", "There is no active technician."
    if all(set(c.blocking_codes) & set(ABSENT) for c in candidates):
        return "nobody_on_shift", "Nobody is on shift that day: " + _tally(candidates) + "."
    qualified = [c for c in candidates if "missing_skill" not in c.reason_codes]
    if not qualified or any(not c.blocking_codes for c in qualified):
        return None
    codes = {c.blocking_codes[0] for c in qualified}
    code = codes.pop() if len(codes) == 1 else "no_qualified_technician_free"
    return code, "No technician with the skills can go: " + _tally(qualified) + "."


def _tally(candidates: list[Candidate]) -> str:
    return "; ".join(f"{c.technician.user.full_name} {REASON_TEXTS[c.blocking_codes[0]]}"
                     .replace("{detail}", "").strip() for c in candidates)


@dataclass
class PartSources:
    """Where parts could come from, read once for the whole roster: each technician's van,
    the warehouses by id, and what every one of those locations has available."""

    vans: dict[int, Any]
    houses: list[Any]
    available: dict[int, dict[int, int]]

    @classmethod
    def read(cls, session: Session, user_ids: list[int], needs: dict[int, int]
             ) -> PartSources:
        if not needs:
            return cls({}, [], {})
        vans = inventory.vans_of_technicians(session, user_ids)
        houses = warehouses(session)
        ids = [v.id for v in vans.values()] + [w.id for w in houses]
        return cls(vans, houses, inventory.available_stocks(session, ids))

    def for_jobs(self, location_id: int, reservations: list[tuple[int, int, int, int]]
                 ) -> dict[int, int]:
        return stock_with_reservations(self.available.get(location_id, {}), location_id,
                                       reservations)


def _parts(sources: PartSources, tech: RosterTechnician, needs: dict[int, int],
           reservations: list[tuple[int, int, int, int]], origin: opt.Point,
           names: dict[int, str]) -> tuple[bool, list[dict[str, Any]], list[str]]:
    """Whether the van holds the job's parts; else what to pick up where."""
    if not needs:
        return True, [], []
    van = sources.vans.get(tech.user_id)
    held = sources.for_jobs(van.id, reservations) if van is not None else {}
    short = {p: q - held.get(p, 0) for p, q in needs.items() if held.get(p, 0) < q}
    if not short:
        return True, [], []
    houses = sorted(sources.houses, key=lambda w: travel_between(origin,
                                                                 point_of(w.location))[0])
    stocks = {w.id: sources.for_jobs(w.id, reservations) for w in houses}
    picks, problems = [], []
    for part_id, qty in sorted(short.items()):
        source = next((w for w in houses if stocks[w.id].get(part_id, 0) >= qty), None)
        if source is None:
            problems.append(f"{names.get(part_id, part_id)} x{qty} is in no warehouse")
            continue
        picks.append({"part_id": part_id, "sku": names.get(part_id), "quantity": qty,
                      "warehouse_id": source.id, "warehouse_code": source.code})
    return False, picks, problems


def rank_candidates(session: Session, wo: WorkOrder, *, now: datetime,
                    day: Any = None) -> list[Candidate]:
    """Every active technician for `wo`, best first; those who cannot go last, with why."""
    day = day or local_day(now)
    today = day == local_day(now)
    reservations = reservations_of(session, [wo.id])
    needs = job_parts(reservations).get(wo.id, {})
    names: dict[int, str] = {pid: sku for pid, sku in session.execute(
        select(Part.id, Part.sku).where(Part.id.in_(needs)))} if needs else {}
    # What the ranking reads of the job, one statement each: its skills with their codes
    # for `missing_skills` (the roster's are plain levels by id), its windows and its site.
    load_related(session, [wo], WorkOrder.skills, joinedload(WorkOrderSkill.skill))
    load_related(session, [wo], WorkOrder.time_windows)
    load_related(session, [wo], WorkOrder.site)
    facts = JobFacts.of(wo)
    site = facts.site
    out: list[Candidate] = []
    techs = roster(session, day)
    required = required_skills(wo)
    levels = skill_levels(session, techs, [skill_id for skill_id, _c, _l in required])
    shifts = {t.id: t.shift for t in techs if t.shift is not None}
    clock = day_clock(day)
    exceptions = exceptions_on(session, techs, day)
    avails = {t.id: availability_on(session, t, day, exceptions[t.id], shifts=shifts)
              for t in techs}
    working = [t for t in techs if avails[t.id].windows]
    # The visits that may overlap someone's working time: of those at work, starting from
    # 12 hours before the day until the end of the latest shift (not the next morning's),
    # and ending once the earliest shift has begun (not yesterday's).
    until = max((avails[t.id].windows[-1][1] for t in working), default=clock.origin)
    since = min((avails[t.id].windows[0][0] for t in working), default=clock.origin)
    schedules = schedules_of(session, [t.user_id for t in working],
                             clock.origin - timedelta(hours=12), until, exclude=wo.id,
                             ending_after=since)
    sources = PartSources.read(session, [t.user_id for t in techs], needs)
    tools = set(wo.required_tools or ())
    fetchable = {t for wh in warehouses(session) for t in (wh.tools or ())} if tools else set()
    inside: dict[int, bool] = {}  # territory id -> whether the site lies in it, once each
    for tech in techs:
        c = Candidate(technician=tech)
        c.missing_skills = skills_lacking(levels[tech.id], required)
        if c.missing_skills:
            c.add_reason("missing_skill", ", ".join(
                f"{m['skill']} level {m['required']} (has {m['have']})"
                for m in c.missing_skills))
        lacking = tools - set(tech.tools or ())
        if lacking - fetchable:
            c.add_reason("missing_tools", ", ".join(sorted(lacking - fetchable)))
        elif lacking:
            c.add_reason("tools_to_fetch", ", ".join(sorted(lacking)))
        if tech.territory is not None:
            if tech.territory.id not in inside:
                inside[tech.territory.id] = geo.point_in_polygon(
                    site.lat, site.lng, geo.polygon_vertices(tech.territory.area) or [])
            c.in_territory = inside[tech.territory.id]
            if not c.in_territory:
                c.add_reason("outside_territory", tech.territory.name)
        avail = avails[tech.id]
        c.working_today = bool(avail.windows)
        c.shift_minutes = avail.working_minutes
        busy: list[Busy] = []
        if avail.windows:
            first, last = avail.windows[0][0], avail.windows[-1][1]
            busy = [b for b in schedules[tech.user_id] if b.start < last and b.end > first]
        c.planned_minutes = int(sum([(b.end - b.start).total_seconds() for b in busy]) // 60)
        c.load = round(c.planned_minutes / c.shift_minutes, 3) if c.shift_minutes else 0.0
        home = start_position(tech, now, today)
        slot = None
        if not c.working_today:
            c.add_reason(absence_reason(tech, shifts.get(tech.id), exceptions[tech.id]))
        elif avail.end is not None and avail.end <= now:
            c.add_reason("shift_over")
        elif outside_customer_windows(wo, avail, now, facts):
            c.add_reason("outside_customer_window")
        elif c.planned_minutes + wo.estimated_duration_min > c.shift_minutes:
            c.add_reason("no_capacity")
        else:
            slot = earliest_slot(wo, avail, busy, now=now, home=home, facts=facts)
            if slot is None:
                c.add_reason("no_free_slot")
        if slot is not None:
            c.earliest_start, c.earliest_end = slot.start, slot.end
            c.travel_from, metres, secs = slot.origin, slot.travel_m, slot.travel_s
        else:
            metres, secs = facts.legs(home[0], site)
            c.travel_from = home[1]
        c.travel_km, c.travel_min = round(metres / 1000, 1), -(-secs // 60)
        c.parts_in_van, c.parts_to_pick, problems = _parts(sources, tech, needs, reservations,
                                                           home[0], names)
        for problem in problems:
            c.add_reason("parts_unavailable", problem)
        if not problems and c.parts_to_pick:
            c.add_reason("parts_to_pick", ", ".join(
                f"{p['sku']} x{p['quantity']} at {p['warehouse_code']}" for p in c.parts_to_pick))
        wait = ((c.earliest_start - now).total_seconds() / 60
                if c.earliest_start is not None else 10_000)
        c.score = round(max(wait, 0) + c.travel_min
                        + (PICKUP_PENALTY_MIN if c.parts_to_pick else 0)
                        + (OUTSIDE_TERRITORY_PENALTY_MIN if c.in_territory is False else 0)
                        + LOAD_WEIGHT_MIN * c.load, 1)
        out.append(c)
    out.sort(key=lambda c: (not c.eligible, bool(c.missing_skills), c.score,
                            c.technician.id))
    for i, c in enumerate(out, 1):
        c.rank = i
    return out


def candidates_for(session: Session, work_order_id: int, *, now: datetime, day: Any = None,
                   actor: User) -> list[Candidate]:
    """Open work orders only: a finished one has no one to send. The ranking loads what it
    reads of the order (skills, windows, site): rating, SLA pauses and policy, which the API
    shows of an order, are not read."""
    wo = workorders.get_work_order_for(session, work_order_id, actor=actor, shown=False)
    if wo.status in CLOSED_STATES:
        raise Conflict(f"Work order {wo.number} is {wo.status}.", error="not_assignable")
    return rank_candidates(session, wo, now=now, day=day)
