"""Plan KPIs, computed from the routes alone (pure Python; used by solve and insert)."""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.costs import job_value
from optimizer.model import Id, Problem, Route, Unassigned


def compute_kpis(
    problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned]
) -> dict[str, object]:
    """Travel km/min, share assigned, on-time share (SLA), utilisation per technician shift.

    Utilisation = (travel + service) / shift length; on time = service starts by ``sla_due``.
    ``working_min``: the routes' spans (departure to return); ``cost``: the plan's cost in
    currency by component (:func:`plan_costs`).
    """
    jobs = {j.id: j for j in problem.jobs}
    techs = {t.id: t for t in problem.technicians}
    travel_m = travel_s = 0
    served = on_time = with_sla = 0
    utilisation: dict[str, float] = {}
    lateness_s = 0
    for r in routes:
        busy = r.return_travel_s
        travel_m += r.return_travel_m
        travel_s += r.return_travel_s
        for v in r.visits:
            travel_m += v.travel_m
            travel_s += v.travel_s
            busy += v.travel_s + (v.end - v.start)
            if v.kind != "job":
                continue
            served += 1
            due = jobs[v.ref].sla_due if v.ref in jobs else None
            if due is not None:
                with_sla += 1
                if v.start <= due:
                    on_time += 1
                else:
                    lateness_s += v.start - due
        shift = techs[r.technician_id].shifts[r.shift]
        length = max(1, shift.end - shift.start)
        utilisation[_key(r.technician_id, r.shift)] = round(busy / length, 4)
    total = len(problem.jobs)
    by_priority: dict[str, int] = {}
    for u in unassigned:
        p = jobs[u.job_id].priority if u.job_id in jobs else 0
        by_priority[f"P{p}"] = by_priority.get(f"P{p}", 0) + 1
    return {
        "travel_km": round(travel_m / 1000.0, 3),
        "travel_min": round(travel_s / 60.0, 1),
        "jobs_total": total,
        "jobs_assigned": served,
        "assigned_share": round(served / total, 4) if total else 1.0,
        "on_time_share": round(on_time / with_sla, 4) if with_sla else 1.0,
        "lateness_min": round(lateness_s / 60.0, 1),
        "routes_used": sum(1 for r in routes if r.visits),
        "unassigned_by_priority": by_priority,
        "utilisation": utilisation,
        "working_min": round(sum(r.end_time - r.start_time for r in routes) / 60.0, 1),
        "cost": plan_costs(problem, routes, unassigned),
    }


def plan_costs(
    problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned]
) -> dict[str, float]:
    """The plan's cost in currency, recomputed from the routes: ``travel`` (cost per km and per
    driving hour), ``working_time`` (cost per working hour x span), ``lateness`` (SLA),
    ``unassigned`` (drop penalties: job value or priority penalty; must-serve jobs at their
    value), ``fixed`` (per route used) and ``total``. The solver's objective adds the load
    balance term and prices must-serve drops far higher."""
    w = problem.weights
    jobs = {j.id: j for j in problem.jobs}
    techs = {t.id: t for t in problem.technicians}
    travel = working = lateness = 0.0
    for r in routes:
        tech = techs[r.technician_id]
        metres = r.return_travel_m + sum(v.travel_m for v in r.visits)
        secs = r.return_travel_s + sum(v.travel_s for v in r.visits)
        travel += w.travel * (metres / 1000.0 * tech.cost_per_km
                              + secs / 3600.0 * tech.cost_per_hour)
        working += (r.end_time - r.start_time) / 3600.0 * tech.cost_per_working_hour
        for v in r.visits:
            job = jobs.get(v.ref) if v.kind == "job" else None
            if job is not None and job.sla_due is not None and v.start > job.sla_due:
                lateness += (v.start - job.sla_due) / 3600.0 * w.lateness_per_hour.get(
                    job.priority, 0.0)
    dropped = sum(job_value(w, jobs[u.job_id]) for u in unassigned if u.job_id in jobs)
    fixed = w.vehicle_fixed * sum(1 for r in routes if r.visits)
    out = {"travel": travel, "working_time": working, "lateness": lateness,
           "unassigned": dropped, "fixed": fixed}
    out["total"] = sum(out.values())
    return {k: round(v, 2) for k, v in out.items()}


def _key(tech_id: Id, shift: int) -> str:
    return f"{tech_id}" if shift == 0 else f"{tech_id}#{shift}"
