"""A fast first plan for large problems, built outside OR-Tools (``FAST_INSERTION``).

OR-Tools' insertion starts try every position of every allowed route through all of the
model's filters (time, work, one per binding part): on a city day of 100 technicians x 1,000
jobs that took 12 CPU seconds before the first plan existed (``benchmarks/scale.py``). This
start inserts the jobs one at a time, pinned jobs first, then by value (must-serve, then
priority or ``Job.value``, as the drop penalty prices it), then those with the
fewest allowed routes, each at its cheapest position (arc cost of the technician plus SLA
lateness of the job itself) that keeps the route feasible in the model's own terms: the same
time matrices, cumul domains and route limits (``Built.transit_service``, ``domains``,
``route_limits``) and the van stock of binding parts. A job the van cannot cover may bring a
pick-up in, first in the route: a free copy of the shared pick-up nodes at the cheapest
warehouse whose stock, less what other routes take there, covers what the route lacks (one
pick-up per route here; more restocking is left to the search); the same pick-up fetches the
tools a job needs and the van lacks, when its warehouse has them. A position is checked in
O(1) from the latest feasible start of each visit (forward time slack). Jobs linked to another
job (``same_technician_as``, ``not_before``) are left to the search. OR-Tools then re-checks
the routes (``ReadAssignmentFromRoutes``) and searches on.
"""

from __future__ import annotations

from optimizer.costs import SCALE, drop_units, per_second, top_value
from optimizer.eligibility import pinned_to
from optimizer.model import Problem
from optimizer.routing_model import Built

Domain = tuple[int, int, list[tuple[int, int]]]


def wanted(problem: Problem, built: Built) -> bool:
    """Whether the problem is large enough for the fast start
    (``SolverOptions.fast_start_min_pairs``: 100 x 1,000 = 100,000 pairs use it, a 60 x 600
    day, 36,000, keeps OR-Tools' start)."""
    pairs = len(built.job_of_node) * len(built.shifts)
    return pairs >= problem.options.fast_start_min_pairs


def _earliest(dom: Domain, x: int) -> int | None:
    lo, hi, holes = dom
    x = max(x, lo)
    for a, b in holes:
        if a <= x <= b:
            x = b + 1
    return x if x <= hi else None


def _latest(dom: Domain, y: int) -> int | None:
    lo, hi, holes = dom
    y = min(y, hi)
    for a, b in reversed(holes):
        if a <= y <= b:
            y = a - 1
    return y if y >= lo else None


def fast_routes(problem: Problem, built: Built) -> list[list[int]]:
    """Routes as lists of OR-Tools indexes, one per shift (vehicle), possibly empty.

    Call it once the model is closed (``CloseModelWithParameters``): start and end indexes are
    only final then."""
    routing, manager = built.routing, built.manager
    n_v = len(built.shifts)
    legs = [built.metres_seconds(v) for v in range(n_v)]  # each route's travel profile
    starts = [manager.IndexToNode(routing.Start(v)) for v in range(n_v)]
    ends = [manager.IndexToNode(routing.End(v)) for v in range(n_v)]
    w = problem.weights
    km = [w.travel * s.tech.cost_per_km * SCALE / 1000.0 for s in built.shifts]
    hr = [w.travel * s.tech.cost_per_hour * SCALE / 3600.0 for s in built.shifts]
    stock = [{p: s.tech.van_stock.get(p, 0) for p in built.part_dims} for s in built.shifts]
    pins = pinned_to(problem)
    top = top_value(w, problem.jobs)
    in_model = {problem.jobs[ji].id for ji in built.job_of_node.values()}
    linked: set[object] = set()
    for ji in built.job_of_node.values():
        job = problem.jobs[ji]
        for other in (job.same_technician_as, job.not_before):
            if other in in_model:
                linked |= {job.id, other}

    nodes: list[list[int]] = [[] for _ in range(n_v)]  # visits in order (a pick-up first)
    early: list[list[int]] = [[lim[0]] for lim in built.route_limits]  # start, visits
    late: list[list[int]] = [[lim[1]] for lim in built.route_limits]  # visits, end
    used: list[dict[str, int]] = [dict.fromkeys(built.part_dims, 0) for _ in range(n_v)]
    # Shared pick-up nodes (``Built.pickup_of_node``: node -> (warehouse, copy)): a route short
    # of a binding part may take one free copy at a warehouse whose stock, less what the other
    # routes already take there, covers what the route lacks.
    free: dict[int, list[int]] = {}
    for nd, (wi, _) in sorted(built.pickup_of_node.items(), reverse=True):
        wh = problem.warehouses[wi]
        if any(wh.stock.get(p, 0) for p in built.part_dims) or wh.tools & built.tool_dims.keys():
            free.setdefault(wi, []).append(nd)
    wh_of: dict[int, int] = {}  # route -> warehouse of its pick-up
    pk_of: dict[int, int] = {}  # route -> its pick-up node
    taken: dict[int, dict[str, int]] = {wi: dict.fromkeys(built.part_dims, 0) for wi in free}

    def short(v: int, p: str, need: int) -> int:
        return max(0, need - stock[v][p])

    def fits(v: int, wi: int, parts: dict[str, int]) -> bool:
        """Route ``v``'s loads plus ``parts`` are covered by its van and a pick-up at ``wi``."""
        have = problem.warehouses[wi].stock
        for p in built.part_dims:
            mine = short(v, p, used[v][p]) if wh_of.get(v) == wi else 0
            if short(v, p, used[v][p] + parts.get(p, 0)) > have.get(p, 0) - taken[wi][p] + mine:
                return False
        return True

    def order_key(node: int) -> tuple[int, float, int, int]:
        job = problem.jobs[built.job_of_node[node]]
        dom = built.domains[node]
        return (0 if job.id in pins else 1, -drop_units(w, job, top), len(built.allowed[
            built.job_of_node[node]]), dom[1])

    todo = sorted((nd for nd, ji in built.job_of_node.items()
                   if problem.jobs[ji].id not in linked), key=lambda nd: (order_key(nd), nd))
    for j in todo:
        job = problem.jobs[built.job_of_node[j]]
        dom = built.domains[j]
        parts = {p: q for p, q in job.parts.items() if p in built.part_dims}
        coef = per_second(w.lateness_per_hour.get(job.priority, 0.0)) if job.sla_due else 0
        cands: list[tuple[float, int, int, int]] = []  # cost, route, position, new pick-up
        for v in built.allowed[built.job_of_node[j]]:
            lacks = job.tools - built.shifts[v].tech.tools  # to fetch at the pick-up
            dist, tsec = legs[v]
            route, e, lt = nodes[v], early[v], late[v]
            # Jobs with binding parts or tools to fetch go behind the pick-up when the route
            # has one.
            extra, lowest, via = 0.0, 0, -1
            if (parts or lacks) and v in wh_of:
                lowest = route.index(pk_of[v]) + 1
            if v in wh_of:
                if not fits(v, wh_of[v], parts) or not lacks <= problem.warehouses[
                        wh_of[v]].tools:
                    continue
            elif lacks or any(used[v][p] + q > stock[v][p] for p, q in parts.items()):
                # A pick-up goes first: the cheapest warehouse that covers the route.
                s_v, first = starts[v], route[0] if route else ends[v]
                best: tuple[float, int, tuple[list[int], list[int]]] | None = None
                for wi, copies in free.items():
                    if (not copies or not fits(v, wi, parts)
                            or not lacks <= problem.warehouses[wi].tools):
                        continue
                    pk = copies[-1]
                    times = _schedule(built, v, [pk, *route], s_v, ends[v])
                    if times is None:
                        continue
                    x = (km[v] * (dist[s_v][pk] + dist[pk][first] - dist[s_v][first])
                         + hr[v] * (tsec[s_v][pk] + tsec[pk][first] - tsec[s_v][first]))
                    if best is None or x < best[0]:
                        best = (x, wi, times)
                if best is None:
                    continue
                extra, via, (e, lt) = best[0], best[1], best[2]
                route, lowest = [free[via][-1], *route], 1
            svc = built.transit_service[v]
            prev = route[lowest - 1] if lowest else starts[v]
            t_row, d_row = tsec[j], dist[j]
            for pos in range(lowest, len(route) + 1):
                nxt = route[pos] if pos < len(route) else ends[v]
                c = _earliest(dom, e[pos] + tsec[prev][j] + svc[prev])
                if c is not None and c + t_row[nxt] + svc[j] <= lt[pos]:
                    cost = extra + (km[v] * (dist[prev][j] + d_row[nxt] - dist[prev][nxt])
                                    + hr[v] * (tsec[prev][j] + t_row[nxt] - tsec[prev][nxt]))
                    if coef and c > job.sla_due:  # type: ignore[operator]
                        cost += coef * (c - job.sla_due)  # type: ignore[operator]
                    cands.append((cost, v, pos, via))
                prev = nxt
        for _, v, pos, via in sorted(cands):
            # ``via`` >= 0: a new pick-up at that warehouse goes first, ``pos`` counts it.
            base = nodes[v] if via < 0 else [free[via][-1], *nodes[v]]
            trial = [*base[:pos], j, *base[pos:]]
            times = _schedule(built, v, trial, starts[v], ends[v])
            if times is None:
                continue
            if via >= 0:
                pk_of[v] = free[via].pop()
                wh_of[v] = via
            at = wh_of.get(v)
            for p, q in parts.items():
                before = short(v, p, used[v][p])
                used[v][p] += q
                if at is not None:
                    taken[at][p] += short(v, p, used[v][p]) - before
            nodes[v] = trial
            early[v], late[v] = times
            break
    return [[manager.NodeToIndex(nd) for nd in route] for route in nodes]


def _schedule(
    built: Built, v: int, route: list[int], start: int, end: int
) -> tuple[list[int], list[int]] | None:
    """(earliest start of the route and of each visit, latest start of each visit and of the
    end) of ``route`` on shift ``v``, or None when it breaks a time rule."""
    tsec, svc = built.metres_seconds(v)[1], built.transit_service[v]
    lo, end_hi, span = built.route_limits[v]
    early = [lo]
    prev = start
    for nd in route:
        c = _earliest(built.domains[nd], early[-1] + tsec[prev][nd] + svc[prev])
        if c is None:
            return None
        early.append(c)
        prev = nd
    finish = early[-1] + tsec[prev][end] + svc[prev]
    if finish > end_hi:
        return None
    if span is not None and route:
        depart = max(lo, early[1] - tsec[start][route[0]] - svc[start])
        if finish - depart > span:
            return None
    late = [end_hi]
    nxt = end
    for nd in reversed(route):
        y = _latest(built.domains[nd], late[-1] - tsec[nd][nxt] - svc[nd])
        if y is None:
            return None
        late.append(y)
        nxt = nd
    late.reverse()
    return early, late
