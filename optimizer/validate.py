"""``validate``: recheck a plan against every rule, from scratch and without OR-Tools.

Codes (stable): unknown_job, duplicate_job, missing_job, unknown_technician, unknown_shift,
skill, pin, time_window, duration, travel, shift, max_work, break, parts, pickup, link,
unassigned_reason, tools (a job's tool neither in the van nor fetched at an earlier pick-up),
must_serve (a must-serve job left unassigned).
"""

from __future__ import annotations

from optimizer.eligibility import job_windows, pinned_to
from optimizer.model import Id, Job, Plan, Problem, Route, Technician, Violation, Visit
from optimizer.travel import (
    Place,
    end_place,
    job_place,
    leg,
    service_duration,
    start_place,
    warehouse_place,
)

REASONS = frozenset({
    "missing_skill", "no_reachable_window", "parts_unavailable", "out_of_capacity",
    "shift_too_short", "invalid_link", "tools_unavailable",
})


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every broken rule of ``plan`` (empty when the plan is feasible)."""
    out: list[Violation] = []
    jobs = {j.id: j for j in problem.jobs}
    techs = {t.id: t for t in problem.technicians}
    seen: dict[Id, tuple[Route, int]] = {}
    for route in plan.routes:
        tech = techs.get(route.technician_id)
        if tech is None:
            out.append(Violation("unknown_technician", None, route.technician_id, "not in problem"))
            continue
        if not 0 <= route.shift < len(tech.shifts):
            out.append(Violation("unknown_shift", None, tech.id, f"shift {route.shift}"))
            continue
        for pos, visit in enumerate(route.visits):
            if visit.kind != "job":
                continue
            if visit.ref not in jobs:
                out.append(Violation("unknown_job", visit.ref, tech.id, "not in problem"))
            elif visit.ref in seen:
                out.append(Violation("duplicate_job", visit.ref, tech.id, "planned twice"))
            else:
                seen[visit.ref] = (route, pos)
        out += _check_route(problem, tech, route, jobs)
    dropped = {u.job_id for u in plan.unassigned}
    for u in plan.unassigned:
        if u.reason not in REASONS:
            out.append(Violation("unassigned_reason", u.job_id, None, f"unknown {u.reason!r}"))
        if u.job_id in seen:
            out.append(Violation("duplicate_job", u.job_id, None, "both planned and unassigned"))
        elif u.job_id in jobs and jobs[u.job_id].must_serve:
            out.append(Violation("must_serve", u.job_id, None,
                                 f"must be served, left out: {u.reason}"))
    for jid in jobs:
        if jid not in seen and jid not in dropped:
            out.append(Violation("missing_job", jid, None, "neither planned nor unassigned"))
    out += _check_links(problem, seen)
    out += _check_warehouse_stock(problem, plan)
    return out


def _check_warehouse_stock(problem: Problem, plan: Plan) -> list[Violation]:
    """All pick-ups at a warehouse together take no more than its stock."""
    taken: dict[tuple[Id, str], int] = {}
    for route in plan.routes:
        for v in route.visits:
            if v.kind == "pickup":
                for part, qty in v.picked.items():
                    taken[(v.ref, part)] = taken.get((v.ref, part), 0) + qty
    stock = {w.id: w.stock for w in problem.warehouses}
    return [Violation("pickup", None, None, f"{qty} x {part} taken at {wid!r} in all, "
                      f"it has {stock[wid].get(part, 0)}")
            for (wid, part), qty in sorted(taken.items(), key=str)
            if wid in stock and qty > stock[wid].get(part, 0)]


def _check_route(
    problem: Problem, tech: Technician, route: Route, jobs: dict[Id, Job]
) -> list[Violation]:
    out: list[Violation] = []
    tid = tech.id
    shift = tech.shifts[route.shift]
    factors = problem.weights.level_duration_factor
    pins = pinned_to(problem)
    if route.start_time < shift.start or route.end_time > shift.end:
        out.append(Violation("shift", None, tid,
                             f"route {route.start_time}..{route.end_time} outside shift "
                             f"{shift.start}..{shift.end}"))
    if tech.max_work_s is not None and route.end_time - route.start_time > tech.max_work_s:
        out.append(Violation("max_work", None, tid,
                             f"works {route.end_time - route.start_time}s > {tech.max_work_s}s"))
    stock = {p: q for p, q in tech.van_stock.items()}
    carried = set(tech.tools)
    services: list[tuple[int, int]] = []
    prev_place: Place = start_place(problem, tech)
    prev_end = route.start_time
    warehouses = {w.id: w for w in problem.warehouses}
    for visit in route.visits:
        if visit.kind == "job":
            job = jobs.get(visit.ref)
            if job is None:
                continue
            place = job_place(problem, job)
            jid = job.id
            for skill, level in job.skills.items():
                if tech.skills.get(skill, 0) < level:
                    out.append(Violation("skill", jid, tid, f"needs {skill}>={level}"))
            pin = pins.get(jid)
            if pin is not None and pin[0] != tid:
                out.append(Violation("pin", jid, tid, f"pinned to {pin[0]!r}"))
            if pin is not None and pin[1] is not None and visit.start != pin[1]:
                out.append(Violation("pin", jid, tid, f"fixed at {pin[1]}, starts {visit.start}"))
            if not any(w.contains(visit.start) for w in job_windows(job)):
                out.append(Violation("time_window", jid, tid, f"starts at {visit.start}"))
            dur = service_duration(job, tech, factors)
            if visit.end - visit.start != dur:
                out.append(Violation("duration", jid, tid,
                                     f"service {visit.end - visit.start}s, expected {dur}s"))
            for part, qty in job.parts.items():
                stock[part] = stock.get(part, 0) - qty
                if stock[part] < 0:
                    out.append(Violation("parts", jid, tid, f"van runs out of {part}"))
            for tool in sorted(job.tools - carried):
                out.append(Violation("tools", jid, tid, f"{tool} neither in the van nor fetched"))
        else:
            wh = warehouses.get(visit.ref)
            if wh is None or not problem.allow_pickups:
                out.append(Violation("pickup", None, tid, f"pick-up at {visit.ref!r} not allowed"))
                continue
            place = warehouse_place(problem, wh)
            if visit.end - visit.start != wh.pickup_duration:
                out.append(Violation("duration", None, tid, f"pick-up at {wh.id!r} duration"))
            if wh.hours is not None and not (wh.hours.contains(visit.start)
                                             and wh.hours.contains(visit.end)):
                out.append(Violation("pickup", None, tid,
                                     f"{wh.id!r} closed during {visit.start}..{visit.end}"))
            for tool in sorted(visit.tools - wh.tools):
                out.append(Violation("pickup", None, tid, f"no {tool} at {wh.id!r}"))
            carried |= visit.tools
            for part, qty in visit.picked.items():
                if qty < 0 or qty > wh.stock.get(part, 0):
                    out.append(Violation("pickup", None, tid, f"{qty} x {part} at {wh.id!r}"))
                stock[part] = stock.get(part, 0) + qty
        metres, secs = leg(problem.travel, prev_place, place)
        if (visit.travel_s, visit.travel_m) != (secs, metres):
            out.append(Violation("travel", _ref(visit), tid,
                                 f"leg is {secs}s/{metres}m, plan says "
                                 f"{visit.travel_s}s/{visit.travel_m}m"))
        out += _gap(route, tid, prev_end, visit.start, secs, _ref(visit))
        if visit.arrival > visit.start or visit.waiting != visit.start - visit.arrival:
            out.append(Violation("travel", _ref(visit), tid, "arrival/waiting inconsistent"))
        services.append((visit.start, visit.end))
        prev_place, prev_end = place, visit.end
    metres, secs = leg(problem.travel, prev_place, end_place(problem, tech))
    if (route.return_travel_s, route.return_travel_m) != (secs, metres):
        out.append(Violation("travel", None, tid, "return leg differs from the travel model"))
    out += _gap(route, tid, prev_end, route.end_time, secs, None)
    out += _check_breaks(tech, route, services)
    return out


def _ref(visit: Visit) -> Id | None:
    return visit.ref if visit.kind == "job" else None


def _gap(
    route: Route, tid: Id, lo: int, hi: int, travel_s: int, ref: Id | None
) -> list[Violation]:
    """Between two stops there must be room for the drive plus every break taken in between."""
    inside = sum(b.end - b.start for b in route.breaks if b.start >= lo and b.end <= hi)
    if hi - lo < travel_s + inside:
        return [Violation("travel", ref, tid,
                          f"{hi - lo}s between stops < {travel_s}s drive + {inside}s breaks")]
    return []


def _check_breaks(
    tech: Technician, route: Route, services: list[tuple[int, int]]
) -> list[Violation]:
    out: list[Violation] = []
    tid = tech.id
    shift = tech.shifts[route.shift]
    due = {b.id: b for b in tech.breaks if shift.start <= b.window.start <= shift.end}
    done: set[Id] = set()
    for sb in route.breaks:
        b = due.get(sb.id)
        if b is None or sb.id in done:
            out.append(Violation("break", None, tid, f"unexpected break {sb.id!r}"))
            continue
        done.add(sb.id)
        if not b.window.contains(sb.start):
            out.append(Violation("break", None, tid, f"{sb.id!r} starts at {sb.start}"))
        if sb.end - sb.start != b.duration:
            out.append(Violation("break", None, tid, f"{sb.id!r} lasts {sb.end - sb.start}s"))
        for edge in (route.start_time, route.end_time):
            if sb.start < edge < sb.end:
                out.append(Violation("break", None, tid, f"{sb.id!r} straddles route edge {edge}"))
        for s, e in services:
            if sb.start < e and s < sb.end:
                out.append(Violation("break", None, tid, f"{sb.id!r} overlaps a service at {s}"))
    for bid in due:
        if bid not in done:
            out.append(Violation("break", None, tid, f"break {bid!r} not scheduled"))
    return out


def _check_links(problem: Problem, seen: dict[Id, tuple[Route, int]]) -> list[Violation]:
    out: list[Violation] = []
    for job in problem.jobs:
        if job.id not in seen:
            continue
        route, pos = seen[job.id]
        if job.same_technician_as is not None and job.same_technician_as in seen:
            other = seen[job.same_technician_as][0]
            if (other.technician_id, other.shift) != (route.technician_id, route.shift):
                out.append(Violation("link", job.id, route.technician_id,
                                     f"not with the technician of {job.same_technician_as!r}"))
        if job.not_before is not None and job.not_before in seen:
            oroute, opos = seen[job.not_before]
            if route.visits[pos].start < oroute.visits[opos].end:
                out.append(Violation("link", job.id, route.technician_id,
                                     f"starts before {job.not_before!r} has ended"))
    return out
