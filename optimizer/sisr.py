"""A compiled ruin-and-recreate search for plain routing days (SISR, Christiaens & Vanden
Berghe 2020), used instead of OR-Tools' iterated local search where the model allows it.

Why: on Solomon and Gehring-Homberger each iteration of OR-Tools' iterated local search is a
full descent over all its operators (~15 ms at 100 jobs, ~600 iterations in 10 s), and the
search stayed 0.5-2 % behind VROOM and PyVRP on tight-window classes whatever its parameters
(benchmarks/README.md). SISR's iterations are cheap (remove a few strings of consecutive
visits near one job, put the jobs back one by one at their cheapest feasible position,
accept by simulated annealing); compiled with numba one takes microseconds, so the search
makes hundreds of thousands of them in the same time.

What it handles (``plain``): single time windows (or one fixed start), shift windows, vehicle
capacities (parts without pick-ups), allowed technicians (skills, pins), per-technician travel
and service matrices, arc costs per technician, fixed cost per vehicle and drop penalties.
Anything else (breaks, pick-ups, tools fetched on the way, linked jobs, SLA lateness costs,
working-time costs, span limits, load balancing, several windows) stays with OR-Tools.

The plan comes back as node routes that OR-Tools restores (``ReadAssignmentFromRoutes``), so
its objective and decoding are the model's own.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np
from numba import njit  # type: ignore[import-untyped]

from optimizer.model import Problem
from optimizer.routing_model import Built

# Average jobs removed per ruin (SISR's c-bar) and the longest string (L_max): the paper's
# values (15 removed measured on 12 Gehring-Homberger instances: no better; README).
AVG_REMOVED = 10
MAX_STRING = 10
# Probability of a split string (some visits inside the string stay) and, for each further
# visit kept inside it, of keeping one more.
SPLIT_RATE = 0.5
SPLIT_DEPTH = 0.5
# Each position is skipped with this probability during the recreate ("blinks").
BLINK = 0.01
# Simulated-annealing temperatures as multiples of the initial plan's average arc cost,
# falling geometrically with the time (or the iterations) used (10 -> 0.1, 3 -> 0.03 and
# 2 -> 0.02 measured beside it: within the noise; benchmarks/README.md).
T_START = 5.0
T_END = 0.05
# Nearest jobs kept per job for the ruin.
NEIGHBOURS = 100
# Iterations per compiled call (between clock checks).
CHUNK = 200


def plain(problem: Problem, built: Built, reserve: bool) -> str | None:
    """None if this search can plan the model, else why not (for the stats)."""
    if reserve or any(s.breaks for s in built.shifts):
        return "breaks"
    if built.pickup_of_node or built.tool_dims:
        return "pick-ups or tools"
    if problem.weights.balance_per_hour > 0 and len(built.shifts) > 1:
        return "load balance"
    for s in built.shifts:
        if s.tech.cost_per_working_hour > 0 or s.tech.max_work_s is not None:
            return "working-time cost or limit"
    jobs = problem.jobs
    ids = {jobs[ji].id for ji in built.job_of_node.values()}
    for node, ji in built.job_of_node.items():
        job = jobs[ji]
        if (job.same_technician_as in ids) or (job.not_before in ids):
            return "linked jobs"
        if job.sla_due is not None and problem.weights.lateness_per_hour.get(job.priority, 0):
            return "SLA lateness cost"
        if built.domains[node][2]:
            return "several windows"
    if built.arc_cost is None:
        return "no matrices kept"
    return None


@dataclass
class Arrays:
    """The model's figures as the compiled search reads them (nodes as in ``Built``)."""

    cost: np.ndarray  # [cost class, from, to]
    vcost: np.ndarray  # vehicle -> cost class
    ttime: np.ndarray  # [time class, from, to]: service at from + travel
    vtime: np.ndarray
    early: np.ndarray  # per node, service-start window
    late: np.ndarray
    vstart: np.ndarray  # per vehicle: start node, end node, earliest start, latest end
    vend: np.ndarray
    vopen: np.ndarray
    vclose: np.ndarray
    fixed: np.ndarray  # per vehicle
    demand: np.ndarray  # [dimension, node]
    cap: np.ndarray  # [vehicle, dimension]
    allowed: np.ndarray  # [vehicle, node] 0/1
    penalty: np.ndarray  # per node (0 for depots)
    jobs: np.ndarray  # job nodes
    neigh: np.ndarray  # [job node, k] nearest job nodes, itself first
    vsig: np.ndarray  # vehicles with the same signature are interchangeable when empty
    far: np.ndarray  # per node: mean cost from the starts (recreate order)
    min_in: np.ndarray  # [time class, node]: the shortest transit into the node from any other


def arrays(built: Built) -> Arrays:
    """The figures of ``built`` for the compiled search."""
    assert built.arc_cost is not None and built.time_transit is not None
    n = len(built.places)
    nv = len(built.shifts)
    cost = np.ascontiguousarray(np.stack(built.arc_cost), dtype=np.int64)
    ttime = np.ascontiguousarray(np.stack(built.time_transit), dtype=np.int64)
    vcost = np.asarray(built.vehicle_arc_cost, dtype=np.int64)
    vtime = np.asarray(built.vehicle_time, dtype=np.int64)
    early = np.zeros(n, dtype=np.int64)
    late = np.full(n, 2**62, dtype=np.int64)
    for node, (lo, hi, _) in built.domains.items():
        early[node], late[node] = lo, hi
    vstart = np.asarray([built.manager.IndexToNode(built.routing.Start(v)) for v in range(nv)],
                        dtype=np.int64)
    vend = np.asarray([built.manager.IndexToNode(built.routing.End(v)) for v in range(nv)],
                      dtype=np.int64)
    vopen = np.asarray([lim[0] for lim in built.route_limits], dtype=np.int64)
    vclose = np.asarray([lim[1] for lim in built.route_limits], dtype=np.int64)
    fixed = np.full(nv, built.fixed_cost, dtype=np.int64)
    parts = sorted(built.part_dims)
    demand = np.zeros((max(1, len(parts)), n), dtype=np.int64)
    cap = np.full((nv, max(1, len(parts))), 2**62, dtype=np.int64)
    for d, part in enumerate(parts):  # the capacity dimensions (no pick-ups: plain)
        demand[d] = built.part_demand[part]
        cap[:, d] = built.part_capacity[part]
    allowed = np.zeros((nv, n), dtype=np.uint8)
    penalty = np.zeros(n, dtype=np.int64)
    for node, ji in built.job_of_node.items():
        for v in built.allowed[ji]:
            allowed[v, node] = 1
        penalty[node] = built.drop_penalty[node]
    jobs = np.asarray(sorted(built.job_of_node), dtype=np.int64)
    sub = cost[0][np.ix_(jobs, jobs)]
    near = np.minimum(sub, sub.T).astype(np.float64)
    np.fill_diagonal(near, -1.0)
    k = min(len(jobs), NEIGHBOURS + 1)
    order = np.argsort(near, axis=1, kind="stable")[:, :k]
    neigh = np.full((n, k), -1, dtype=np.int64)
    neigh[jobs] = jobs[order]
    sigs: dict[tuple[int, ...], int] = {}
    vsig = np.zeros(nv, dtype=np.int64)
    for v in range(nv):
        key = (int(vstart[v]), int(vend[v]), int(vopen[v]), int(vclose[v]), int(vcost[v]),
               int(vtime[v]), *cap[v].tolist(), *allowed[v].nonzero()[0].tolist())
        vsig[v] = sigs.setdefault(key, len(sigs))
    far = cost[0][np.unique(vstart)].mean(axis=0).astype(np.float64)
    off = ttime.copy()
    off[:, np.arange(n), np.arange(n)] = 2**62
    min_in = np.ascontiguousarray(off.min(axis=1))
    return Arrays(cost, vcost, ttime, vtime, early, late, vstart, vend, vopen, vclose, fixed,
                  demand, cap, allowed, penalty, jobs, neigh, vsig, far, min_in)


# --- compiled part -------------------------------------------------------------------------
# A solution: ``route[v, :rlen[v]]`` job nodes in order; ``where``/``pos`` per node (-1:
# unplanned); per route the earliest service starts ``es``, the latest ones that keep the rest
# of the route feasible ``ls``, the loads and the route cost (arcs + fixed cost if used).


@njit(cache=True)
def _schedule(v, route, rlen, es, ls, load, rcost, a_cost, vcost, ttime, vtime, early, late,
              vstart, vend, vopen, vclose, fixed, demand):
    """Recompute route ``v``'s times, load and cost; False if it breaks a window."""
    m = rlen[v]
    c = a_cost[vcost[v]]
    tt = ttime[vtime[v]]
    prev = vstart[v]
    t = vopen[v]
    total = 0
    ok = True
    for d in range(demand.shape[0]):
        load[v, d] = 0
    for i in range(m):
        u = route[v, i]
        a = t + tt[prev, u]
        if a < early[u]:
            a = early[u]
        if a > late[u]:
            ok = False
        es[v, i] = a
        t = a
        total += c[prev, u]
        for d in range(demand.shape[0]):
            load[v, d] += demand[d, u]
        prev = u
    end = vend[v]
    total += c[prev, end]
    if t + tt[prev, end] > vclose[v]:
        ok = False
    if m > 0:
        total += fixed[v]
        nxt_latest = vclose[v]
        nxt = end
        for i in range(m - 1, -1, -1):
            u = route[v, i]
            lim = nxt_latest - tt[u, nxt]
            if late[u] < lim:
                lim = late[u]
            ls[v, i] = lim
            nxt_latest = lim
            nxt = u
    else:
        total = 0
    rcost[v] = total
    return ok


@njit(cache=True)
def _remove_at(v, i, route, rlen, where, pos):
    u = route[v, i]
    m = rlen[v]
    for k in range(i, m - 1):
        route[v, k] = route[v, k + 1]
        pos[route[v, k]] = k
    rlen[v] = m - 1
    where[u] = -1
    pos[u] = -1


@njit(cache=True)
def _insert_at(v, i, u, route, rlen, where, pos):
    m = rlen[v]
    for k in range(m, i, -1):
        route[v, k] = route[v, k - 1]
        pos[route[v, k]] = k
    route[v, i] = u
    pos[u] = i
    where[u] = v
    rlen[v] = m + 1


@njit(cache=True)
def _best_insertion(u, route, rlen, es, ls, load, a_cost, vcost, ttime, vtime, early, late,
                    vstart, vend, vopen, vclose, fixed, demand, cap, allowed, vsig, min_in,
                    stamp, tick, blink):
    """Cheapest feasible (route, position, added cost) for job node ``u``; route -1 if none."""
    nv = rlen.shape[0]
    best_v = -1
    best_i = -1
    best = 2**62
    eu = early[u]
    lu = late[u]
    for v in range(nv):
        if allowed[v, u] == 0:
            continue
        m = rlen[v]
        if m == 0:
            if stamp[vsig[v]] == tick:
                continue
            stamp[vsig[v]] = tick
        fits = True
        for d in range(demand.shape[0]):
            if load[v, d] + demand[d, u] > cap[v, d]:
                fits = False
                break
        if not fits:
            continue
        c = a_cost[vcost[v]]
        tt = ttime[vtime[v]]
        prev = vstart[v]
        t_prev = vopen[v]
        end = vend[v]
        for i in range(m + 1):
            if i > 0:
                prev = route[v, i - 1]
                t_prev = es[v, i - 1]
            if t_prev + min_in[vtime[v], u] > lu:
                break  # service starts only get later along a route
            a = t_prev + tt[prev, u]
            if a > lu:
                continue  # (a later position may still be on time: matrices need not be
                # metric, a detour can be faster than the direct road)
            if a < eu:
                a = eu
            if i < m:
                nxt = route[v, i]
                ok = a + tt[u, nxt] <= ls[v, i]
            else:
                nxt = end
                ok = a + tt[u, nxt] <= vclose[v]
            if not ok:
                continue
            delta = c[prev, u] + c[u, nxt] - c[prev, nxt]
            if m == 0:
                delta += fixed[v]
            if delta < best:
                if blink > 0.0 and np.random.random() < blink:
                    continue
                best = delta
                best_v = v
                best_i = i
    return best_v, best_i, best


@njit(cache=True, nogil=True)  # arrays only: other threads run meanwhile
def _run(n_iter, temp, seed, route, rlen, es, ls, load, rcost, where, pos,
         cur_route, cur_rlen, cur_cost, best_route, best_rlen, best_cost,
         a_cost, vcost, ttime, vtime, early, late, vstart, vend, vopen, vclose, fixed, demand,
         cap, allowed, penalty, jobs, neigh, vsig, far, min_in, params):
    """``n_iter`` ruin-and-recreate iterations at temperature ``temp`` from the working
    solution (equal to the current one on entry and exit). Returns [current cost, best cost,
    accepted, improved best]."""
    if seed >= 0:
        np.random.seed(seed)
    avg_removed = params[0]
    max_string = params[1]
    split_rate = params[2]
    split_depth = params[3]
    blink = params[4]
    nv = rlen.shape[0]
    nj = jobs.shape[0]
    touched = np.zeros(nv, dtype=np.uint8)
    tlist = np.empty(nv, dtype=np.int64)
    stamp = np.zeros(nv + 1, dtype=np.int64)
    tick = 0
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    accepted = 0
    improved = 0
    cur = cur_cost[0]
    for _it in range(n_iter):
        # --- ruin
        nt = 0
        used = 0
        planned = 0
        for v in range(nv):
            if rlen[v] > 0:
                used += 1
                planned += rlen[v]
        if planned > 0:
            avg_len = planned / used
            ls_max = max_string if max_string < avg_len else avg_len
            ks_max = 4.0 * avg_removed / (1.0 + ls_max) - 1.0
            ks = int(np.random.random() * ks_max) + 1
            seed_node = jobs[np.random.randint(nj)]
            while where[seed_node] < 0:
                seed_node = jobs[np.random.randint(nj)]
            for k in range(neigh.shape[1]):
                if nt >= ks:
                    break
                c = neigh[seed_node, k]
                if c < 0:
                    break
                v = where[c]
                if v < 0 or touched[v] == 1:
                    continue
                m = rlen[v]
                lmax = ls_max if ls_max < m else m
                ln = int(np.random.random() * lmax) + 1
                if ln > m:
                    ln = m
                touched[v] = 1
                tlist[nt] = v
                nt += 1
                p = pos[c]
                keep = 0  # a block kept inside the string (a split string)
                if np.random.random() < split_rate and ln < m:
                    keep = 1
                    while ln + keep < m and np.random.random() < split_depth:
                        keep += 1
                span = ln + keep
                lo = p - span + 1
                if lo < 0:
                    lo = 0
                hi = p
                if hi > m - span:
                    hi = m - span
                st = lo + np.random.randint(hi - lo + 1)
                kst = st + np.random.randint(span - keep + 1) if keep > 0 else st
                # remove positions st..st+span-1 except kst..kst+keep-1, back to front
                for q in range(st + span - 1, st - 1, -1):
                    if q < kst or q >= kst + keep:
                        _remove_at(v, q, route, rlen, where, pos)
        feasible = True
        for t in range(nt):
            if not _schedule(tlist[t], route, rlen, es, ls, load, rcost, a_cost, vcost, ttime,
                             vtime, early, late, vstart, vend, vopen, vclose, fixed, demand):
                feasible = False
        # --- recreate
        if feasible:
            npend = 0
            for j in range(nj):
                u = jobs[j]
                if where[u] < 0:
                    pending[npend] = u
                    npend += 1
            r = np.random.random() * 11.0
            for q in range(npend):
                u = pending[q]
                if r < 4.0:
                    keys[q] = np.random.random()
                elif r < 8.0:
                    s = 0
                    for d in range(demand.shape[0]):
                        s += demand[d, u]
                    keys[q] = -s + np.random.random() * 0.5
                elif r < 10.0:
                    keys[q] = -far[u]
                else:
                    keys[q] = far[u]
            order = np.argsort(keys[:npend])
            for q in range(npend):
                u = pending[order[q]]
                tick += 1
                bv, bi, delta = _best_insertion(
                    u, route, rlen, es, ls, load, a_cost, vcost, ttime, vtime, early, late,
                    vstart, vend, vopen, vclose, fixed, demand, cap, allowed, vsig, min_in,
                    stamp, tick, blink)
                if bv < 0 or delta >= penalty[u]:
                    continue
                _insert_at(bv, bi, u, route, rlen, where, pos)
                _schedule(bv, route, rlen, es, ls, load, rcost, a_cost, vcost, ttime, vtime,
                          early, late, vstart, vend, vopen, vclose, fixed, demand)
                if touched[bv] == 0:
                    touched[bv] = 1
                    tlist[nt] = bv
                    nt += 1
        # --- cost and acceptance
        cand = 2**62
        if feasible:
            cand = 0
            for v in range(nv):
                cand += rcost[v]
            for j in range(nj):
                if where[jobs[j]] < 0:
                    cand += penalty[jobs[j]]
        accept = feasible and cand < cur - temp * np.log(1.0 - np.random.random())
        if accept:
            accepted += 1
            cur = cand
            for t in range(nt):
                v = tlist[t]
                cur_rlen[v] = rlen[v]
                for i in range(rlen[v]):
                    cur_route[v, i] = route[v, i]
            if cand < best_cost[0]:
                improved += 1
                best_cost[0] = cand
                for v in range(nv):
                    best_rlen[v] = rlen[v]
                    for i in range(rlen[v]):
                        best_route[v, i] = route[v, i]
        else:
            for t in range(nt):
                v = tlist[t]
                for i in range(rlen[v]):
                    where[route[v, i]] = -1
                    pos[route[v, i]] = -1
            for t in range(nt):
                v = tlist[t]
                rlen[v] = cur_rlen[v]
                for i in range(cur_rlen[v]):
                    u = cur_route[v, i]
                    route[v, i] = u
                    where[u] = v
                    pos[u] = i
                _schedule(v, route, rlen, es, ls, load, rcost, a_cost, vcost, ttime, vtime,
                          early, late, vstart, vend, vopen, vclose, fixed, demand)
        for t in range(nt):
            touched[tlist[t]] = 0
    cur_cost[0] = cur
    out = np.zeros(4, dtype=np.int64)
    out[0] = cur
    out[1] = best_cost[0]
    out[2] = accepted
    out[3] = improved
    return out


class Search:
    """The search state over ``Arrays``; ``routes()`` gives the best plan's node routes."""

    def __init__(self, a: Arrays, seed: int) -> None:
        self.a = a
        nv = len(a.vstart)
        n = len(a.early)
        width = max(1, len(a.jobs)) + 1
        self.route = np.zeros((nv, width), dtype=np.int64)
        self.rlen = np.zeros(nv, dtype=np.int64)
        self.es = np.zeros((nv, width), dtype=np.int64)
        self.ls = np.zeros((nv, width), dtype=np.int64)
        self.load = np.zeros((nv, a.demand.shape[0]), dtype=np.int64)
        self.rcost = np.zeros(nv, dtype=np.int64)
        self.where = np.full(n, -1, dtype=np.int64)
        self.pos = np.full(n, -1, dtype=np.int64)
        self.params = np.asarray([AVG_REMOVED, MAX_STRING, SPLIT_RATE, SPLIT_DEPTH, BLINK],
                                 dtype=np.float64)
        self.seed = seed
        for v in range(nv):
            _schedule(v, self.route, self.rlen, self.es, self.ls, self.load, self.rcost,
                      a.cost, a.vcost, a.ttime, a.vtime, a.early, a.late, a.vstart, a.vend,
                      a.vopen, a.vclose, a.fixed, a.demand)
        self.cur_route = self.route.copy()
        self.cur_rlen = self.rlen.copy()
        self.best_route = self.route.copy()
        self.best_rlen = self.rlen.copy()
        unplanned = int(a.penalty[a.jobs][self.where[a.jobs] < 0].sum())
        self.cur_cost = np.asarray([int(self.rcost.sum()) + unplanned], dtype=np.int64)
        self.best_cost = self.cur_cost.copy()
        self.iterations = 0

    def run(self, n_iter: int, temp: float) -> None:
        a = self.a
        _run(n_iter, temp, self.seed if self.iterations == 0 else -1, self.route, self.rlen,
             self.es, self.ls, self.load, self.rcost, self.where, self.pos, self.cur_route,
             self.cur_rlen, self.cur_cost, self.best_route, self.best_rlen, self.best_cost,
             a.cost, a.vcost, a.ttime, a.vtime, a.early, a.late, a.vstart, a.vend, a.vopen,
             a.vclose, a.fixed, a.demand, a.cap, a.allowed, a.penalty, a.jobs, a.neigh, a.vsig,
             a.far, a.min_in, self.params)
        self.iterations += n_iter

    def routes(self) -> list[list[int]]:
        return [[int(u) for u in self.best_route[v, :self.best_rlen[v]]]
                for v in range(len(self.best_rlen))]

    @property
    def best(self) -> int:
        return int(self.best_cost[0])


def warm() -> float:
    """Compile the search (or load it from numba's cache next to this file) on a two-job
    day; the seconds it took. ``make setup`` calls it, so that no plan pays for compiling
    (5 s on the first call after an install or a change to this file, 0.2 s to load)."""
    t0 = _time.monotonic()
    n = 3  # jobs 0 and 1, depot 2
    m = np.asarray([[0, 5, 4], [5, 0, 3], [4, 3, 0]], dtype=np.int64)
    a = Arrays(
        cost=np.ascontiguousarray(m[None]), vcost=np.zeros(1, dtype=np.int64),
        ttime=np.ascontiguousarray(m[None]), vtime=np.zeros(1, dtype=np.int64),
        early=np.zeros(n, dtype=np.int64), late=np.full(n, 100, dtype=np.int64),
        vstart=np.full(1, 2, dtype=np.int64), vend=np.full(1, 2, dtype=np.int64),
        vopen=np.zeros(1, dtype=np.int64), vclose=np.full(1, 100, dtype=np.int64),
        fixed=np.zeros(1, dtype=np.int64), demand=np.ones((1, n), dtype=np.int64),
        cap=np.full((1, 1), 5, dtype=np.int64), allowed=np.ones((1, n), dtype=np.uint8),
        penalty=np.full(n, 1000, dtype=np.int64), jobs=np.arange(2, dtype=np.int64),
        neigh=np.asarray([[0, 1], [1, 0], [-1, -1]], dtype=np.int64),
        vsig=np.zeros(1, dtype=np.int64), far=np.asarray([4.0, 3.0, 0.0]),
        min_in=np.asarray([[4, 3, 3]], dtype=np.int64))
    s = Search(a, 0)
    s.run(20, 1.0)
    assert s.best == 12, s.routes()  # depot -> 1 -> 0 -> depot (or reversed): 3 + 5 + 4
    return _time.monotonic() - t0


def search(built: Built, seconds: float, iterations: int | None, seed: int,
           ) -> tuple[list[list[int]], dict[str, float]]:
    """The best node routes found in ``seconds`` (or ``iterations`` when given: the same
    plan on any machine), starting from an empty plan, and the search's figures."""
    t0 = _time.monotonic()
    a = arrays(built)
    s = Search(a, seed)
    # the first plan: one recreate of every job from the empty plan, cold
    s.run(1, 0.0)
    first_at, first_cpu = _time.monotonic(), _time.process_time()
    # temperatures from the routes' cost alone (drop penalties would make them huge), at
    # least one unit
    arc = float(s.rcost.sum()) / max(1, int(s.rlen.sum()) + int((s.rlen > 0).sum()))
    t_hi = max(1.0, T_START * arc)
    t_lo = min(t_hi, max(1.0, T_END * arc))
    done = 1
    while True:
        if iterations is not None:
            if done >= iterations:
                break
            frac = done / iterations
            step = min(CHUNK, iterations - done)
        else:
            frac = (_time.monotonic() - t0) / seconds
            if frac >= 1.0:
                break
            step = CHUNK
        s.run(step, t_hi * (t_lo / t_hi) ** frac)
        done += step
    return s.routes(), {"iterations": done, "first_s": round(first_at - t0, 3),
                        "first_at": first_at, "first_cpu": first_cpu}
