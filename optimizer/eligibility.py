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
    leg,
    service_duration,
    skill_surplus,
    start_place,
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


def _reach(problem: Problem, job: Job, shift: Shift, fixed: int | None) -> str | None:
    """None if some window is reachable and the job fits in the shift, else a reason code."""
    tech = shift.tech
    _go_m, go_s = leg(problem.travel, start_place(problem, tech), job_place(problem, job))
    _back_m, back_s = leg(problem.travel, job_place(problem, job), end_place(problem, tech))
    dur = service_duration(job, tech, problem.weights.level_duration_factor)
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
    """(job index -> allowed shift indexes, unassigned jobs with reasons)."""
    allowed: dict[int, list[int]] = {}
    unassigned: list[Unassigned] = []
    pins = pinned_to(problem)
    for ji, job in enumerate(problem.jobs):
        pin = pins.get(job.id)
        cands = [s for s in range(len(shifts)) if pin is None or shifts[s].tech.id == pin[0]]
        skilled = [s for s in cands if skill_surplus(job, shifts[s].tech) is not None]
        if not skilled:
            unassigned.append(Unassigned(job.id, "missing_skill", _skill_detail(problem, job)))
            continue
        stocked = [s for s in skilled if parts_coverable(problem, job, shifts[s].tech)]
        if not stocked:
            parts = ", ".join(f"{q} x {p}" for p, q in sorted(job.parts.items()))
            where = "in any qualified van or warehouse" if problem.allow_pickups else (
                "in any qualified technician's van (warehouse pick-ups not allowed)"
            )
            unassigned.append(Unassigned(job.id, "parts_unavailable", f"{parts} not {where}"))
            continue
        tooled = [s for s in stocked if tools_coverable(problem, job, shifts[s].tech)]
        if not tooled:
            need = ", ".join(sorted(job.tools))
            where = "in any qualified van or warehouse" if problem.allow_pickups else (
                "in any qualified technician's van (warehouse pick-ups not allowed)"
            )
            unassigned.append(Unassigned(job.id, "tools_unavailable", f"{need} not {where}"))
            continue
        fixed = pin[1] if pin else None
        reasons = {s: _reach(problem, job, shifts[s], fixed) for s in tooled}
        ok = [s for s, r in reasons.items() if r is None]
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
