"""A priority-first start for large days: cheapest feasible insertion, P1 jobs first, then a
short ruin-and-recreate in Python that trades low-priority visits for more valuable ones.

OR-Tools' insertion starts evaluate every position of every vehicle with all dimension filters
and take seconds on a 600-job day with part dimensions and per-technician service times (on a
busy two-core machine the first plan of a 60 x 600 day could take longer than the whole time
limit). This start is plain Python over the model's own figures (the ``Built`` matrices, the
cumul windows, allowed vehicles, binding parts):

- *insertion*: jobs are taken by priority class (P1 first), then fewest allowed routes, then
  shortest service; each goes where it adds the least travel time among the positions where
  the route stays feasible. A position is screened with forward time slack (conservative with
  several windows: a delay never jumps a window gap) and confirmed by timing the whole route;
- *ruin and recreate* (``improve``): remove a job and its nearest planned neighbours, re-insert
  every unplanned job in the same priority order, keep the result when the dropped penalties
  plus travel cost did not grow. A job that did not fit a route is not tried there again until
  that route changes.

*Pick-ups*: a job needing a binding part or a tool its van lacks comes in together with a
free copy of the shared pick-up nodes (``Built.pickup_of_node``) at a warehouse that has it,
placed anywhere before the job within the warehouse's hours, when the route cannot supply the
job already. OR-Tools' insertion starts and its ruin and recreate insert one node at a time and
never a pick-up (it costs something and is worth nothing alone) together with its job, so such
jobs stayed dropped. A pick-up picks what the rest of the route needs beyond the van, within
the warehouse's stock less what other routes take there; one no longer needed leaves its route
when jobs are removed.

The routes then seed OR-Tools' local search (``optimizer.search``). Linked jobs
(``same_technician_as``, ``not_before``) are left to OR-Tools.
"""

from __future__ import annotations

import itertools
import time as _time
from random import Random

from optimizer.costs import SCALE, drop_units, top_value
from optimizer.model import Problem
from optimizer.routing_model import Built

# share of rounds that ruin around an unplanned job (removing planned jobs worth no more),
# the others around a random planned job
TARGETED = 0.3
RUIN_SIZE = (4, 16)  # jobs removed per round
# accept a worse plan by up to this share of the smallest drop penalty (falling to zero)
THRESHOLD = 0.5
# a job brought in with a new pick-up: at most this many (route, positions, warehouse)
# candidates are timed in full before giving up on it
PICKUP_TRIES = 30


class Routes:
    """Mutable routes over a built model, with per-route timing and van loads."""

    def __init__(self, problem: Problem, built: Built) -> None:
        routing, manager, time = built.routing, built.manager, built.time
        self.built = built
        nv = self.nv = len(built.shifts)
        self.tt = built.travel_s  # the problem's own model: nearness for ruin
        # each route drives by its technician's profile (optimizer.model.TravelModel.profiles)
        self.vtt = [built.metres_seconds(v)[1] for v in range(nv)]
        self.vdist = [built.metres_seconds(v)[0] for v in range(nv)]
        # service times as the time dimension holds them (``Built.transit_service``: where
        # technicians' service profiles were merged to save matrices, the longer time), so
        # that OR-Tools accepts the routes
        self.svc = built.transit_service
        self.starts = [manager.IndexToNode(routing.Start(v)) for v in range(nv)]
        self.ends = [manager.IndexToNode(routing.End(v)) for v in range(nv)]
        self.depart = [time.CumulVar(routing.Start(v)).Min() for v in range(nv)]
        self.close = [time.CumulVar(routing.End(v)).Max() for v in range(nv)]
        self.span = [time.GetSpanUpperBoundForVehicle(v) for v in range(nv)]
        self.wins = dict(built.windows)
        for nd in built.pickup_of_node:  # the pick-up within the warehouse's hours
            lo, hi, _ = built.domains[nd]
            self.wins[nd] = [(lo, hi)]
        parts = sorted(built.part_dims)
        self.demand = {node: [problem.jobs[ji].parts.get(p, 0) for p in parts]
                       for node, ji in built.job_of_node.items()}
        self.need = {node: [(k, q) for k, q in enumerate(d) if q]
                     for node, d in self.demand.items()}
        self.cap = [[s.tech.van_stock.get(p, 0) for p in parts] for s in built.shifts]
        self.load = [[0] * len(parts) for _ in range(nv)]
        w = problem.weights
        top = top_value(w, problem.jobs)
        # the drop penalty as the model prices it (a job's value, must-serve far above all)
        self.penalty = {node: drop_units(w, problem.jobs[ji], top) / SCALE
                        for node, ji in built.job_of_node.items()}
        # travel cost per second and per metre of each route (currency), as in the model
        self.per_s = [w.travel * s.tech.cost_per_hour / 3600.0 for s in built.shifts]
        self.per_m = [w.travel * s.tech.cost_per_km / 1000.0 for s in built.shifts]
        self.per_span = [s.tech.cost_per_working_hour / 3600.0 for s in built.shifts]
        # Pick-up nodes by warehouse, what each warehouse offers of the binding parts and of
        # the tools some van lacks (the model's tool dimensions), and who holds which copy.
        self.wh_of = {nd: wi for nd, (wi, _) in built.pickup_of_node.items()}
        self.copies: dict[int, list[int]] = {}
        for nd in sorted(self.wh_of):
            self.copies.setdefault(self.wh_of[nd], []).append(nd)
        tools = set(built.tool_dims)
        self.wh_stock = {wi: [problem.warehouses[wi].stock.get(p, 0) for p in parts]
                         for wi in self.copies}
        self.wh_tools = {wi: problem.warehouses[wi].tools & tools for wi in self.copies}
        self.van_tools = [s.tech.tools for s in built.shifts]
        self.tool_need = {node: problem.jobs[ji].tools & tools
                          for node, ji in built.job_of_node.items()}
        self.at: dict[int, int] = {}  # pick-up node on a route -> route
        self.took: list[dict[int, list[int]]] = [{} for _ in range(nv)]  # route -> wh -> picked
        self.wh_taken = {wi: [0] * len(parts) for wi in self.copies}  # all routes together
        fetchable = set().union(*self.wh_tools.values())
        self.allowed = {node: [v for v in built.allowed[ji]
                               if problem.jobs[ji].tools - built.shifts[v].tech.tools
                               <= fetchable]
                        for node, ji in built.job_of_node.items()}

        linked: set[object] = set()
        ids = {problem.jobs[ji].id for ji in built.job_of_node.values()}
        for ji in built.job_of_node.values():
            job = problem.jobs[ji]
            for other in (job.same_technician_as, job.not_before):
                if other is not None and other in ids:
                    linked.update((job.id, other))

        def key(node: int) -> tuple[int, int, int, int]:
            ji = built.job_of_node[node]
            job = problem.jobs[ji]
            return (0 if job.must_serve else job.priority, len(built.allowed[ji]),
                    min(self.svc[v][node] for v in built.allowed[ji]), node)

        self.order = sorted((n for n, ji in built.job_of_node.items()
                             if problem.jobs[ji].id not in linked), key=key)
        self.rank = {n: k for k, n in enumerate(self.order)}
        self.routes: list[list[int]] = [[] for _ in range(nv)]
        self.sched: list[tuple[list[int], list[int]]] = [([], [self.close[v] - self.depart[v]])
                                                          for v in range(nv)]
        self.version = [0] * nv
        self.failed: dict[int, dict[int, int]] = {}  # node -> route -> version it failed at
        self.planned: dict[int, int] = {}  # node -> route
        self._route_cost: dict[int, tuple[list[int], float]] = {}

    # -- timing ----------------------------------------------------------------------------
    def _first_start(self, node: int, t: int) -> tuple[int, int] | None:
        """(service start, end of the window it is in) at or after ``t``."""
        for a, b in self.wins[node]:
            if t <= b:
                return max(t, a), b
        return None

    def timed(self, v: int, seq: list[int]) -> tuple[list[int], list[int], int] | None:
        """Service starts, the end of each start's window, and the return time; None if the
        route breaks a window, its shift end or its span limit."""
        tt, svc = self.vtt[v], self.svc[v]
        t, prev = self.depart[v], self.starts[v]
        st: list[int] = []
        latest: list[int] = []
        for node in seq:
            got = self._first_start(node, t + tt[prev][node])
            if got is None:
                return None
            st.append(got[0])
            latest.append(got[1])
            t, prev = got[0] + svc[node], node
        end = t + tt[prev][self.ends[v]]
        if end > self.close[v]:
            return None
        if seq and end - max(self.depart[v], st[0] - tt[self.starts[v]][seq[0]]) > self.span[v]:
            return None
        return st, latest, end

    def supplied(self, v: int, seq: list[int]) -> dict[int, list[int]] | None:
        """What route ``v`` picks at each warehouse along ``seq`` (per binding part: what the
        rest of the route needs beyond the van, within the warehouse's stock left by other
        routes), or None when a job on it lacks a part or a tool."""
        cap, tools, n_p = self.cap[v], self.van_tools[v], len(self.cap[v])
        ahead = [0] * n_p  # demand still to come
        for node in seq:
            for k, q in self.need.get(node, ()):
                ahead[k] += q
        net = [0] * n_p  # used minus picked so far
        took: dict[int, list[int]] = {}
        for node in seq:
            wi = self.wh_of.get(node)
            if wi is not None:
                tools = tools | self.wh_tools[wi]
                mine = self.took[v].get(wi)
                row = took.setdefault(wi, [0] * n_p)
                for k in range(n_p):
                    want = ahead[k] - (cap[k] - net[k])
                    if want > 0:
                        have = (self.wh_stock[wi][k] - self.wh_taken[wi][k]
                                + (mine[k] if mine else 0) - row[k])
                        got = min(want, have)
                        if got > 0:
                            row[k] += got
                            net[k] -= got
                continue
            for k, q in self.need[node]:
                net[k] += q
                ahead[k] -= q
                if net[k] > cap[k]:
                    return None
            if not self.tool_need[node] <= tools:
                return None
        return took

    def _restock(self, v: int) -> None:
        """Record what route ``v`` now picks at each warehouse."""
        took = self.supplied(v, self.routes[v])
        assert took is not None
        for wi, row in self.took[v].items():
            for k, q in enumerate(row):
                self.wh_taken[wi][k] -= q
        for wi, row in took.items():
            for k, q in enumerate(row):
                self.wh_taken[wi][k] += q
        self.took[v] = took

    def _refresh(self, v: int) -> None:
        if self.copies:
            self._restock(v)
        got = self.timed(v, self.routes[v])
        assert got is not None
        st, latest, end = got
        seq, tt, svc = self.routes[v], self.vtt[v], self.svc[v]
        fs = [0] * (len(st) + 1)
        fs[-1] = self.close[v] - end
        for k in range(len(st) - 1, -1, -1):
            nxt = seq[k + 1] if k + 1 < len(st) else self.ends[v]
            arrive_next = st[k] + svc[seq[k]] + tt[seq[k]][nxt]
            wait_next = (st[k + 1] if k + 1 < len(st) else end) - arrive_next
            fs[k] = min(latest[k] - st[k], max(0, wait_next) + fs[k + 1])
        self.sched[v] = (st, fs)
        self.version[v] += 1

    # -- moves -----------------------------------------------------------------------------
    def insert(self, node: int) -> bool:
        """Put ``node`` at its cheapest feasible position; False if none."""
        need = self.need[node]
        needy = bool(need or self.tool_need[node])
        fetch = needy and bool(self.copies)
        wins = self.wins[node]
        failed = self.failed.setdefault(node, {})
        # (added travel seconds, route, position, new pick-up node or -1, its position)
        cands: list[tuple[int, int, int, int, int]] = []
        for v in self.allowed[node]:
            if failed.get(v) == self.version[v]:
                continue
            if not fetch and need and any(self.load[v][k] + q > self.cap[v][k]
                                          for k, q in need):
                failed[v] = self.version[v]
                continue
            # a new pick-up only where the route cannot supply the job even at its end
            fetching = fetch and self.supplied(v, [*self.routes[v], node]) is None
            st, fs = self.sched[v]
            tt, seq, svc = self.vtt[v], self.routes[v], self.svc[v]
            t_end, prev = self.depart[v], self.starts[v]
            found = False
            n = len(seq)
            for pos in range(n + 1):
                nxt = seq[pos] if pos < n else self.ends[v]
                t = t_end + tt[prev][node]
                for a, b in wins:
                    if t <= b:
                        start = t if t > a else a
                        break
                else:
                    break  # later positions only arrive later
                arrive = start + svc[node] + tt[node][nxt]
                if pos < n:
                    push = arrive - st[pos]
                elif seq:
                    push = arrive - (st[-1] + svc[seq[-1]] + tt[seq[-1]][nxt])
                else:
                    push = arrive - (self.depart[v] + tt[self.starts[v]][nxt])
                if push <= fs[pos]:
                    delta = tt[prev][node] + tt[node][nxt] - tt[prev][nxt]
                    if fetching:
                        cands += self._with_pickup(v, node, pos, delta)
                    else:
                        cands.append((delta, v, pos, -1, 0))
                    found = True
                if pos < n:
                    t_end, prev = st[pos] + svc[seq[pos]], seq[pos]
            if not found:
                failed[v] = self.version[v]
        cands.sort()
        tries = 0
        for _delta, v, pos, pk, at in cands:
            seq = [*self.routes[v][:pos], node, *self.routes[v][pos:]]
            if pk >= 0:
                if tries == PICKUP_TRIES:
                    continue
                tries += 1
                seq.insert(at, pk)
            if self.timed(v, seq) is None or (needy and self.supplied(v, seq) is None):
                continue
            self.routes[v] = seq
            if pk >= 0:
                self.at[pk] = v
            for k, q in need:
                self.load[v][k] += q
            self.planned[node] = v
            self._refresh(v)
            return True
        return False

    def _with_pickup(self, v: int, node: int, pos: int, delta: int
                     ) -> list[tuple[int, int, int, int, int]]:
        """Candidates for ``node`` at ``pos`` of route ``v`` with a new pick-up before it: a
        free copy at each warehouse that has some part or tool the job needs, at each position
        up to the job's (added travel plus the pick-up's duration)."""
        need, tneed = self.need[node], self.tool_need[node]
        seq, tt, svc = self.routes[v], self.vtt[v], self.svc[v]
        out: list[tuple[int, int, int, int, int]] = []
        for wi, nodes in self.copies.items():
            if not (tneed & self.wh_tools[wi] or any(self.wh_stock[wi][k] > 0
                                                     for k, _ in need)):
                continue
            pk = next((nd for nd in nodes if nd not in self.at), None)
            if pk is None:
                continue
            for at in range(pos + 1):
                prev = seq[at - 1] if at else self.starts[v]
                # the pick-up goes right before the job (at == pos) or before seq[at]
                nxt = node if at == pos else seq[at]
                added = tt[prev][pk] + tt[pk][nxt] - tt[prev][nxt]
                out.append((delta + added + svc[pk], v, pos, pk, at))
        return out

    def remove(self, nodes: list[int]) -> None:
        touched = set()
        for node in nodes:
            v = self.planned.pop(node)
            self.routes[v].remove(node)
            for k, q in enumerate(self.demand[node]):
                self.load[v][k] -= q
            touched.add(v)
        for v in touched:
            for pk in [nd for nd in self.routes[v] if nd in self.wh_of]:
                rest = [nd for nd in self.routes[v] if nd != pk]
                if self.supplied(v, rest) is not None:  # no longer needed
                    self.routes[v] = rest
                    del self.at[pk]
            self._refresh(v)  # a shorter route stays feasible (triangle inequality)

    def fill(self) -> None:
        for node in self.order:
            if node not in self.planned:
                self.insert(node)

    def cost(self) -> float:
        """Dropped penalties plus travel and working-time cost (currency), as the model counts
        them (the span from a departure that avoids waiting for the first visit)."""
        out = sum(p for n, p in self.penalty.items() if n not in self.planned)
        for v, seq in enumerate(self.routes):
            cached = self._route_cost.get(v)
            if cached is None or cached[0] != seq:
                path = [self.starts[v], *seq, self.ends[v]] if seq else []
                secs = sum(self.vtt[v][a][b] for a, b in itertools.pairwise(path))
                metres = sum(self.vdist[v][a][b] for a, b in itertools.pairwise(path))
                # a pick-up's time is priced at the driving rate, as in the model
                secs += sum(self.svc[v][nd] for nd in seq if nd in self.wh_of)
                money = secs * self.per_s[v] + metres * self.per_m[v]
                if seq and self.per_span[v]:
                    st, _, end = self.timed(v, seq)  # type: ignore[misc]
                    depart = max(self.depart[v], st[0] - self.vtt[v][self.starts[v]][seq[0]]
                                 - self.svc[v][self.starts[v]])
                    money += (end - depart) * self.per_span[v]
                cached = (list(seq), money)
                self._route_cost[v] = cached
            out += cached[1]
        return out

    # -- state -----------------------------------------------------------------------------
    def snapshot(self) -> tuple[object, ...]:
        return ([list(r) for r in self.routes], [list(x) for x in self.load],
                list(self.sched), dict(self.planned), dict(self.at),
                [{wi: list(row) for wi, row in t.items()} for t in self.took],
                {wi: list(row) for wi, row in self.wh_taken.items()})

    def restore(self, snap: tuple[object, ...]) -> None:
        routes, load, sched, planned, at, took, wh_taken = snap
        self.at = dict(at)  # type: ignore[call-overload]
        self.took = [{wi: list(row) for wi, row in t.items()}  # type: ignore[attr-defined]
                     for t in took]  # type: ignore[attr-defined]
        self.wh_taken = {wi: list(row)  # type: ignore[attr-defined]
                         for wi, row in wh_taken.items()}  # type: ignore[attr-defined]
        old = self.routes
        self.routes = [list(r) for r in routes]  # type: ignore[attr-defined]
        self.load = [list(x) for x in load]  # type: ignore[attr-defined]
        self.sched = list(sched)  # type: ignore[call-overload]
        self.planned = dict(planned)  # type: ignore[call-overload]
        for v in range(self.nv):
            if old[v] != self.routes[v]:
                self.version[v] += 1


def construct(
    problem: Problem, built: Built, *, seconds: float = 0.0, iterations: int | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """Per route (shift), the job nodes in visiting order: the priority-first insertion, then
    ruin and recreate for ``seconds`` (or exactly ``iterations`` rounds, for reproducible
    runs)."""
    rs = Routes(problem, built)
    rs.fill()
    deadline = _time.monotonic() + seconds
    rng = Random(seed)
    current = best_cost = rs.cost()
    threshold = THRESHOLD * min(rs.penalty.values(), default=0.0)
    best_routes = [list(r) for r in rs.routes]
    k = 0
    while (k < iterations) if iterations is not None else (_time.monotonic() < deadline):
        k += 1
        planned = list(rs.planned)
        if not planned:
            break
        snap = rs.snapshot()
        size = rng.randint(*RUIN_SIZE)
        waiting = [n for n in rs.order if n not in rs.planned]
        if waiting and rng.random() < TARGETED:
            # make room near an unplanned job for it: remove planned jobs around it that are
            # worth no more than it is
            seed_node = waiting[min(int(rng.expovariate(4.0 / len(waiting))), len(waiting) - 1)]
            worth = rs.penalty[seed_node]
            planned = [n for n in planned if rs.penalty[n] <= worth]
        else:
            seed_node = rng.choice(planned)
        row = rs.tt[seed_node]
        victims = sorted(planned, key=lambda n: row[n] + row[n])[:size]
        if not victims:
            continue
        rs.remove(victims)
        rs.fill()
        cost = rs.cost()
        # threshold acceptance, the threshold falling to zero by the end
        left = (1 - k / iterations) if iterations else max(
            0.0, (deadline - _time.monotonic()) / seconds) if seconds > 0 else 0.0
        if cost <= current + threshold * left + 1e-9:
            current = cost
            if cost < best_cost - 1e-9:
                best_cost, best_routes = cost, [list(r) for r in rs.routes]
        else:
            rs.restore(snap)
    return best_routes


__all__ = ["Routes", "construct"]
