"""Turn an OR-Tools assignment into a :class:`Plan` (routes, visits, breaks, unassigned)."""

from __future__ import annotations

import dataclasses

from optimizer.eligibility import capacity_reason
from optimizer.model import Plan, Problem, Route, ScheduledBreak, Technician, Unassigned, Visit
from optimizer.routing_model import Built


def open_breaks(built: Built, assignment: object) -> bool:
    """Whether the assignment leaves any break's start or performance a range (OR-Tools'
    iterated local search can): its routes then need ``optimizer.breaks.retime``."""
    a = assignment  # pywrapcp.Assignment
    return any(a.StartMin(iv) != a.StartMax(iv)  # type: ignore[attr-defined]
               or a.PerformedMin(iv) != a.PerformedMax(iv)  # type: ignore[attr-defined]
               for ivs in built.breaks for _bid, iv in ivs)


def decode_routes(problem: Problem, built: Built, assignment: object) -> list[Route]:
    routing, manager, time = built.routing, built.manager, built.time
    a = assignment  # pywrapcp.Assignment
    routes: list[Route] = []
    for v, shift in enumerate(built.shifts):
        brks: list[ScheduledBreak] = []
        for bid, iv in built.breaks[v]:
            # Min, not Value: the search can leave a break's start a range, and
            # ``StartValue`` then aborts the process (a C++ CHECK); see ``open_breaks``.
            if a.PerformedMin(iv):  # type: ignore[attr-defined]
                st = a.StartMin(iv)  # type: ignore[attr-defined]
                brks.append(ScheduledBreak(bid, st, st + a.DurationMin(iv)))  # type: ignore[attr-defined]
        brks.sort(key=lambda b: b.start)
        dist, travel_s = built.metres_seconds(v)
        idx = routing.Start(v)
        start_time = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
        prev_node = manager.IndexToNode(idx)
        prev_end = start_time
        visits: list[Visit] = []
        idx = a.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            start = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
            t_s, t_m = travel_s[prev_node][node], dist[prev_node][node]
            arrival = prev_end + t_s + _breaks_between(brks, prev_end, start)
            arrival = min(arrival, start)
            end = start + built.service[v][node]
            if node in built.job_of_node:
                ref = problem.jobs[built.job_of_node[node]].id
                visits.append(Visit("job", ref, arrival, start, end, start - arrival, t_s, t_m))
            else:
                wi, _ = built.pickup_of_node[node]
                visits.append(Visit("pickup", problem.warehouses[wi].id, arrival, start, end,
                                    start - arrival, t_s, t_m))
            prev_node, prev_end = node, end
            idx = a.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
        end_node = manager.IndexToNode(idx)
        end_time = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
        if not visits:
            continue
        visits[0], start_time = _leave_late(visits[0], start_time, brks)
        if any(v.kind == "pickup" for v in visits):
            visits = with_picks(problem, shift.tech, visits, _solver_picks(built, a, v))
        routes.append(Route(
            technician_id=shift.tech.id, shift=shift.shift_index, start_time=start_time,
            end_time=end_time, visits=tuple(visits), breaks=tuple(brks),
            return_travel_s=travel_s[prev_node][end_node],
            return_travel_m=dist[prev_node][end_node],
        ))
    return routes


def _leave_late(first: Visit, start_time: int, brks: list[ScheduledBreak]) -> tuple[Visit, int]:
    """Depart just in time for the first visit instead of waiting there (no break before it)."""
    if first.waiting <= 0 or any(b.start < first.start and b.end > start_time for b in brks):
        return first, start_time
    depart = first.start - first.travel_s
    v = first
    return dataclasses.replace(v, arrival=v.start, waiting=0), max(start_time, depart)


def _breaks_between(brks: list[ScheduledBreak], lo: int, hi: int) -> int:
    return sum(b.end - b.start for b in brks if b.start >= lo and b.end <= hi)


def _solver_picks(built: Built, a: object, v: int) -> list[dict[str, int]]:
    """What each pick-up of route ``v`` takes in the solver's assignment, in route order."""
    routing, manager = built.routing, built.manager
    out: list[dict[str, int]] = []
    idx = a.Value(routing.NextVar(routing.Start(v)))  # type: ignore[attr-defined]
    while not routing.IsEnd(idx):
        if manager.IndexToNode(idx) in built.pickup_of_node:
            picks = {}
            for part, dim in built.part_dims.items():
                k = dim.CumulVar(routing.Start(v))
                offset = a.Value(k)  # type: ignore[attr-defined]
                qty = offset - a.Value(dim.SlackVar(idx))  # type: ignore[attr-defined]
                if qty > 0:
                    picks[part] = qty
            out.append(picks)
        idx = a.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
    return out


def with_picks(problem: Problem, tech: Technician, visits: list[Visit],
               picks: list[dict[str, int]]) -> list[Visit]:
    """Each pick-up with what it takes: the solver's ``picks`` (in route order), trimmed from
    the last pick-up backwards so the van comes home with no part it picked up in vain
    (stock after the last pick-up only falls, so its surplus can always go); and each tool
    the van lacks that a later job needs and was not fetched before."""
    jobs = {j.id: j for j in problem.jobs}
    houses = {w.id: w for w in problem.warehouses}
    at = [i for i, v in enumerate(visits) if v.kind == "pickup"]
    picks = [dict(p) for p in picks]
    for part in {p for pk in picks for p in pk}:
        stock = tech.van_stock.get(part, 0) + sum(pk.get(part, 0) for pk in picks)
        surplus = stock - sum(jobs[v.ref].parts.get(part, 0) for v in visits if v.kind == "job")
        for pk in reversed(picks):
            cut = min(pk.get(part, 0), surplus)
            if cut > 0:
                pk[part] -= cut
                surplus -= cut
                if not pk[part]:
                    del pk[part]
    carried = set(tech.tools)
    out = list(visits)
    for n, i in enumerate(at):
        later = [jobs[x.ref] for x in visits[i + 1:] if x.kind == "job"]
        wanted = set().union(*(j.tools for j in later)) if later else set()
        fetched = frozenset((wanted - carried) & houses[visits[i].ref].tools)
        carried |= fetched
        out[i] = dataclasses.replace(visits[i], picked=dict(sorted(picks[n].items())),
                                     tools=fetched)
    return out


def dropped_jobs(
    problem: Problem, built: Built, assignment: object, routes: list[Route]
) -> list[Unassigned]:
    """Jobs the search left out: parts_unavailable when every qualified van's stock (plus a
    possible pick-up) is used up by its route, else out_of_capacity."""
    jobs = {j.id: j for j in problem.jobs}
    left: dict[tuple[object, int], dict[str, int]] = {}
    for r in routes:
        stock = dict(next(s.tech.van_stock for s in built.shifts
                          if s.tech.id == r.technician_id and s.shift_index == r.shift))
        for v in r.visits:
            for part, qty in (jobs[v.ref].parts.items() if v.kind == "job" else ()):
                stock[part] = stock.get(part, 0) - qty
            for part, qty in v.picked.items():
                stock[part] = stock.get(part, 0) + qty
        left[(r.technician_id, r.shift)] = stock
    out: list[Unassigned] = []
    for node, ji in built.job_of_node.items():
        idx = built.manager.NodeToIndex(node)
        if assignment.Value(built.routing.NextVar(idx)) != idx:  # type: ignore[attr-defined]
            continue
        job = problem.jobs[ji]
        short = [
            p for p in sorted(job.parts) if p in built.part_dims and all(
                left.get((s.tech.id, s.shift_index), dict(s.tech.van_stock)).get(p, 0)
                < job.parts[p] for s in (built.shifts[v] for v in built.allowed[ji])
            )
        ]
        if short and not built.pickup_of_node:
            out.append(Unassigned(job.id, "parts_unavailable",
                                  f"the stock of {', '.join(short)} in every qualified van is "
                                  "committed to other jobs"))
        else:
            out.append(capacity_reason(job))
    return out


def mark_must_serve(problem: Problem, plan: Plan) -> Plan:
    """Say clearly when a must-serve job is left out: its ``Unassigned`` detail starts with
    "must be served" and keeps the reason, and ``stats["must_serve_unserved"]`` lists
    ``{"job_id", "reason", "detail"}`` for each such job (absent when every one is served)."""
    must = {j.id for j in problem.jobs if j.must_serve}
    left = [u for u in plan.unassigned if u.job_id in must]
    if not left:
        return plan
    unassigned = tuple(
        dataclasses.replace(u, detail=f"must be served, but: {u.detail}") if u.job_id in must
        else u for u in plan.unassigned)
    stats = {**plan.stats, "must_serve_unserved": [
        {"job_id": u.job_id, "reason": u.reason, "detail": u.detail} for u in left]}
    return dataclasses.replace(plan, unassigned=unassigned, stats=stats)
