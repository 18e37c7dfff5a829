"""Turn an OR-Tools assignment into a :class:`Plan` (routes, visits, breaks, unassigned)."""

from __future__ import annotations

from optimizer.eligibility import capacity_reason
from optimizer.model import Problem, Route, ScheduledBreak, Unassigned, Visit
from optimizer.routing_model import Built


def decode_routes(problem: Problem, built: Built, assignment: object) -> list[Route]:
    routing, manager, time = built.routing, built.manager, built.time
    a = assignment  # pywrapcp.Assignment
    routes: list[Route] = []
    for v, shift in enumerate(built.shifts):
        brks: list[ScheduledBreak] = []
        for bid, iv in built.breaks[v]:
            if a.PerformedValue(iv):  # type: ignore[attr-defined]
                st = a.StartValue(iv)  # type: ignore[attr-defined]
                brks.append(ScheduledBreak(bid, st, st + a.DurationValue(iv)))  # type: ignore[attr-defined]
        brks.sort(key=lambda b: b.start)
        idx = routing.Start(v)
        start_time = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
        prev_node = manager.IndexToNode(idx)
        prev_end = start_time
        visits: list[Visit] = []
        picked_at: int | None = None
        idx = a.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            start = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
            t_s, t_m = built.travel_s[prev_node][node], built.dist[prev_node][node]
            arrival = prev_end + t_s + _breaks_between(brks, prev_end, start)
            arrival = min(arrival, start)
            end = start + built.service[v][node]
            if node in built.job_of_node:
                ref = problem.jobs[built.job_of_node[node]].id
                visits.append(Visit("job", ref, arrival, start, end, start - arrival, t_s, t_m))
            else:
                wi, _ = built.pickup_of_node[node]
                picked_at = len(visits)
                visits.append(Visit("pickup", problem.warehouses[wi].id, arrival, start, end,
                                    start - arrival, t_s, t_m))
            prev_node, prev_end = node, end
            idx = a.Value(routing.NextVar(idx))  # type: ignore[attr-defined]
        end_node = manager.IndexToNode(idx)
        end_time = a.Value(time.CumulVar(idx))  # type: ignore[attr-defined]
        if not visits:
            continue
        visits[0], start_time = _leave_late(visits[0], start_time, brks)
        if picked_at is not None:
            visits[picked_at] = _with_picks(problem, shift.tech.van_stock, visits, picked_at)
        routes.append(Route(
            technician_id=shift.tech.id, shift=shift.shift_index, start_time=start_time,
            end_time=end_time, visits=tuple(visits), breaks=tuple(brks),
            return_travel_s=built.travel_s[prev_node][end_node],
            return_travel_m=built.dist[prev_node][end_node],
        ))
    return routes


def _leave_late(first: Visit, start_time: int, brks: list[ScheduledBreak]) -> tuple[Visit, int]:
    """Depart just in time for the first visit instead of waiting there (no break before it)."""
    if first.waiting <= 0 or any(b.start < first.start and b.end > start_time for b in brks):
        return first, start_time
    depart = first.start - first.travel_s
    v = first
    return Visit(v.kind, v.ref, v.start, v.start, v.end, 0, v.travel_s, v.travel_m, v.picked), (
        max(start_time, depart)
    )


def _breaks_between(brks: list[ScheduledBreak], lo: int, hi: int) -> int:
    return sum(b.end - b.start for b in brks if b.start >= lo and b.end <= hi)


def _with_picks(problem: Problem, stock: object, visits: list[Visit], at: int) -> Visit:
    """The pick-up carries exactly what the rest of the route needs beyond the van stock."""
    jobs = {j.id: j for j in problem.jobs}
    total: dict[str, int] = {}
    for vis in visits:
        if vis.kind == "job":
            for part, qty in jobs[vis.ref].parts.items():
                total[part] = total.get(part, 0) + qty
    van = dict(stock)  # type: ignore[call-overload]
    picks = {p: q - van.get(p, 0) for p, q in sorted(total.items()) if q > van.get(p, 0)}
    v = visits[at]
    return Visit(v.kind, v.ref, v.arrival, v.start, v.end, v.waiting, v.travel_s, v.travel_m,
                 picks)


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
