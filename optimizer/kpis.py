"""Plan KPIs, computed from the routes alone (pure Python; used by solve and insert)."""

from __future__ import annotations

from collections.abc import Sequence

from optimizer.model import Id, Problem, Route, Unassigned


def compute_kpis(
    problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned]
) -> dict[str, object]:
    """Travel km/min, share assigned, on-time share (SLA), utilisation per technician shift.

    Utilisation = (travel + service) / shift length; on time = service starts by ``sla_due``.
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
    }


def _key(tech_id: Id, shift: int) -> str:
    return f"{tech_id}" if shift == 0 else f"{tech_id}#{shift}"
