"""Which technician shifts may serve which job, and why a job cannot be served at all.

This cheap per-job analysis runs before the routing model is built: jobs no shift can serve
never enter the model and get a reason naming the constraint; the rest get the list of shifts
(routes) allowed to serve them, which becomes ``SetAllowedVehiclesForIndex``.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.model import (
    Break,
    Id,
    Job,
    Problem,
    Technician,
    TimeWindow,
    Unassigned,
    Warehouse,
)
from optimizer.travel import (
    end_place,
    job_place,
    legs_between,
    service_duration,
    skill_surplus,
    start_place,
    travel_of,
)

OPEN = TimeWindow(0, 10**9)


@dataclass(frozen=True, slots=True)
class Shift:
    """One route to plan: a technician's shift (a vehicle for OR-Tools)."""

    tech_index: int
    tech: Technician
    shift_index: int
    window: TimeWindow
    breaks: tuple[Break, ...]


def shifts_of(problem: Problem) -> list[Shift]:
    """Every (technician, shift) pair, with the breaks whose start window lies in the shift."""
    out: list[Shift] = []
    for ti, tech in enumerate(problem.technicians):
        for si, win in enumerate(tech.shifts):
            brks = tuple(
                b for b in tech.breaks if win.start <= b.window.start and b.window.start <= win.end
            )
            out.append(Shift(ti, tech, si, win, brks))
    return out


def job_windows(job: Job) -> tuple[TimeWindow, ...]:
    return job.windows or (OPEN,)


def pickup_windows(wh: Warehouse) -> tuple[TimeWindow, ...]:
    """When a pick-up may start: the whole pick-up within the warehouse's opening hours."""
    if wh.hours is None:
        return (OPEN,)
    return (TimeWindow(wh.hours.start, max(wh.hours.start, wh.hours.end - wh.pickup_duration)),)


def pinned_to(problem: Problem) -> dict[Id, tuple[Id, int | None]]:
    """job id -> (technician id, fixed start or None)."""
    pins: dict[Id, tuple[Id, int | None]] = {}
    for tech in problem.technicians:
        for pin in tech.pins:
            pins[pin.job_id] = (tech.id, pin.start)
    return pins


def parts_coverable(problem: Problem, job: Job, tech: Technician) -> bool:
    """The van alone, or the van plus pick-ups at any warehouses, covers the job's parts."""
    for part, qty in job.parts.items():
        have = tech.van_stock.get(part, 0)
        if have >= qty:
            continue
        if not problem.allow_pickups:
            return False
        if have + sum(w.stock.get(part, 0) for w in problem.warehouses) < qty:
            return False
    return True


def tools_coverable(problem: Problem, job: Job, tech: Technician) -> bool:
    """The van carries the job's tools, or each missing one can be fetched at a warehouse."""
    missing = job.tools - tech.tools
    if not missing:
        return True
    if not problem.allow_pickups:
        return False
    return all(any(t in w.tools for w in problem.warehouses) for t in missing)


def _reach(
    job: Job, shift: Shift, fixed: int | None, go_s: int, back_s: int, dur: int
) -> str | None:
    """None if some window is reachable and the job fits in the shift, else a reason code."""
    tech = shift.tech
    reachable = False
    for win in job_windows(job):
        lo, hi = (fixed, fixed) if fixed is not None else (win.start, win.end)
        if fixed is not None and not win.contains(fixed):
            continue
        start = max(shift.window.start + go_s, lo)
        if start > hi:
            continue
        reachable = True
        if start + dur + back_s > shift.window.end:
            continue
        if tech.max_work_s is not None and go_s + dur + back_s > tech.max_work_s:
            continue
        return None
    return "shift_too_short" if reachable else "no_reachable_window"


def analyse(problem: Problem, shifts: list[Shift]) -> tuple[dict[int, list[int]], list[Unassigned]]:
    """(job index -> allowed shift indexes, unassigned jobs with reasons).

    Skills, parts and the legs from a technician's start and back to its end are worked out
    once per technician (all legs in one vectorised call), the time windows per shift."""
    allowed: dict[int, list[int]] = {}
    unassigned: list[Unassigned] = []
    pins = pinned_to(problem)
    tech_rows = list(dict.fromkeys(s.tech_index for s in shifts))
    row_of = {ti: k for k, ti in enumerate(tech_rows)}
    techs = [problem.technicians[ti] for ti in tech_rows]
    shifts_by_row: list[list[int]] = [[] for _ in techs]
    for si, s in enumerate(shifts):
        shifts_by_row[row_of[s.tech_index]].append(si)
    places = [job_place(problem, job) for job in problem.jobs]
    go_s: list[list[int]] = [[] for _ in techs]
    back_s: list[list[int]] = [[] for _ in techs]
    # One vectorised call per travel profile: a technician's legs are those of its own
    # profile (a bike is not a van).
    by_profile: dict[str | None, list[int]] = {}
    for k, t in enumerate(techs):
        by_profile.setdefault(t.profile, []).append(k)
    for ks in by_profile.values():
        travel = travel_of(problem, techs[ks[0]])
        _, go = legs_between(travel, [start_place(problem, techs[k]) for k in ks], places)
        _, back = legs_between(travel, places, [end_place(problem, techs[k]) for k in ks])
        for row, k in enumerate(ks):
            go_s[k], back_s[k] = go[row].tolist(), back[:, row].tolist()
    factors = problem.weights.level_duration_factor
    for ji, job in enumerate(problem.jobs):
        pin = pins.get(job.id)
        cands = [k for k, t in enumerate(techs) if pin is None or t.id == pin[0]]
        skilled = [k for k in cands if skill_surplus(job, techs[k]) is not None]
        if not skilled:
            unassigned.append(Unassigned(job.id, "missing_skill", _skill_detail(problem, job)))
            continue
        stocked = [k for k in skilled if parts_coverable(problem, job, techs[k])]
        if not stocked:
            parts = ", ".join(f"{q} x {p}" for p, q in sorted(job.parts.items()))
            where = "in any qualified van or warehouse" if problem.allow_pickups else (
                "in any qualified technician's van (warehouse pick-ups not allowed)"
            )
            unassigned.append(Unassigned(job.id, "parts_unavailable", f"{parts} not {where}"))
            continue
        tooled = [k for k in stocked if tools_coverable(problem, job, techs[k])]
        if not tooled:
            need = ", ".join(sorted(job.tools))
            where = "in any qualified van or warehouse" if problem.allow_pickups else (
                "in any qualified technician's van (warehouse pick-ups not allowed)"
            )
            unassigned.append(Unassigned(job.id, "tools_unavailable", f"{need} not {where}"))
            continue
        fixed = pin[1] if pin else None
        reasons: dict[int, str | None] = {}
        for k in tooled:
            dur = service_duration(job, techs[k], factors)
            for si in shifts_by_row[k]:
                reasons[si] = _reach(job, shifts[si], fixed, go_s[k][ji], back_s[k][ji], dur)
        ok = sorted(s for s, r in reasons.items() if r is None)
        if ok:
            allowed[ji] = ok
        elif "shift_too_short" in reasons.values():
            unassigned.append(Unassigned(
                job.id, "shift_too_short",
                "a window is reachable but the job and the way back do not fit in any shift",
            ))
        else:
            unassigned.append(Unassigned(
                job.id, "no_reachable_window",
                "no time window can be reached from any qualified technician's start in shift",
            ))
    return allowed, unassigned


def _skill_detail(problem: Problem, job: Job) -> str:
    for skill, level in sorted(job.skills.items()):
        if not any(t.skills.get(skill, 0) >= level for t in problem.technicians):
            return f"no technician has skill {skill} at level {level}"
    pins = pinned_to(problem)
    if job.id in pins:
        return f"pinned technician {pins[job.id][0]!r} lacks a required skill level"
    need = ", ".join(f"{s}>={lv}" for s, lv in sorted(job.skills.items()))
    return f"no single technician has all of {need}"


def capacity_reason(job: Job) -> Unassigned:
    return Unassigned(
        job.id, "out_of_capacity",
        "feasible for some technician alone, but no room left in any route within the time limit",
    )
