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
  several windows: a delay never jumps a window gap) and confirmed by timing the whole route
  (with reserved breaks, also with its break placed exactly);
- *ruin and recreate*: remove strings of consecutive visits from the routes nearest a job
  (SISR's string removal, Christiaens & Vanden Berghe 2020), re-insert every unplanned job,
  most valuable first (nearest the ruin first within a priority), keep the result when the
  dropped penalties plus travel, working-time and soft-SLA lateness cost grew by less than a
  threshold (a share of the smallest drop penalty, or on small problems with pick-ups of the
  first plan's route cost where smaller) that falls geometrically to almost nothing. (The
  lateness came in on 30 Nov: without it, a 60 x 600 day with SLAs at 10 s ended 91-92 % on
  time, objective 24,300-27,934; with it 97-98 %, 4,682-4,831.) A job that did not fit a
  route is not tried there again until that route changes, and a route (or a position in
  it) with less room than the job's service is skipped unseen: the same plans at fixed
  rounds, 37 % less CPU per round on the 60 x 600 and 100 x 1,000 city days, 24 % on
  40 x 300.

*Exchange* (``Routes.exchange``, for parts no warehouse holds): some rounds around an unplanned
job that needs parts, held by a van it may take but committed there to planned jobs, move one
of those jobs to another route (which may in turn displace one, up to ``EXCHANGE_DEPTH`` moves)
and give the waiting job the freed stock. A ruin puts the removed jobs back most valuable
first, each where it is cheapest, so a P1 job holding the only part a P4 specialist job can use
went back to the same van every time (city day seed 2, 60 x 350: one P4 job left that VROOM
served).

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

from optimizer.costs import SCALE, drop_units, per_second, top_value
from optimizer.eligibility import job_windows, pinned_to
from optimizer.model import Problem
from optimizer.routing_model import Built

# share of rounds that ruin around an unplanned job (removing planned jobs worth no more),
# the others around a random planned job. City days at equal rounds (4 seeds on 40 x 300, 2
# on 60 x 350 and 60 x 600), lost priority weight: 0.3 -> 1,600 / 490 / 7,055, 0.5 -> 1,505 /
# 460 / 7,115, 0.15 -> 1,590 (40 x 300), 0.7 -> 1,645 (40 x 300).
TARGETED = 0.5
RUIN_SIZE = (4, 16)  # jobs removed per round
# the longest string of consecutive visits removed from one route (SISR's L_max)
STRING_MAX = 6
# route changes remembered for ``Routes.insert`` (about 20 a round; 8 MB)
CHANGE_LOG_MAX = 1_000_000
# accept a worse plan by up to this share of the smallest drop penalty, falling geometrically
# to THRESHOLD_END of that by the end (and to zero at the end). A drop penalty exceeds travel
# differences by far (a P4 job at 3,000 currency against ~0.8 per minute of driving on the city
# days), so while the threshold fell linearly the served set improved but travel went on a
# random walk until the last percent of the time. City days at 5,000 rounds, 8 seeds, lost
# priority weight / travel min (R&R alone), linear and radial ruin -> geometric and strings:
# 40 x 300 897 / 4,077 -> 849 / 3,949; 60 x 350 22 / 4,757 -> 4 / 4,319; 60 x 600 (4 seeds)
# 6,258 / 5,988 -> 6,160 / 5,927. (Geometric alone: travel -3 %, lost weight no better;
# strings with the linear fall: lost weight as low, travel +2-4 %.)
# With ``route_scale`` (the pick-up start of small problems, optimizer.search) the scale is
# the smaller of that penalty and ROUTE_SHARE of the first plan's travel and working-time
# cost: where every job is worth far more than the whole plan's driving (Pillac TRSP:
# 1,000,000 per job, routes ~5,000) a share of the penalty let travel wander for the whole
# ruin and recreate (the threshold never fell below 300, ~6 % of the routes' cost). TRSP at
# 10 s (mixed objective, 5 + 5 instances), mean working time vs published: +10.86 / +11.31 %
# -> +7.98 / +7.66 % (all feasible). Not on oversubscribed days, where the high threshold
# buys served value: city days at 10 s, seed 2, lost weight / travel min: 60 x 350 360 /
# 3,682 -> 420 / 3,628, 60 x 600 7,400 / 5,525 -> 7,610 / 5,447 (40 x 300, seed 1: 1,670 /
# 3,827 -> 1,520 / 3,719).
THRESHOLD = 0.5
ROUTE_SHARE = 0.02
THRESHOLD_END = 1 / 1500
# ``Routes.exchange``: moves in one chain, routes tried for the waiting job, and planned
# jobs tried per route (cheapest first)
EXCHANGE_DEPTH = 3
EXCHANGE_ROUTES = 4
EXCHANGE_USERS = 3
# share of the rounds around an unplanned job needing parts that try ``Routes.exchange``.
# City days (4 shapes), without -> with (1 Dec), lost priority weight summed: solver seed 0
# at 10 s and 30 s, day seed 1 36,750 -> 36,770, day seed 2 36,030 -> 35,490 (60 x 350 now
# serves the P4 job VROOM served); solver seeds 1 and 2 at 10 s, both day seeds, side by
# side: -180 over 16 pairs (7 better, 6 worse, 3 equal). Neutral on average, and it serves
# what no ruin can. Not for a job whose parts a warehouse holds (``Routes.van_only``):
# there the insertion fetches a missing part, and on Pillac TRSP (10 instances at 20 s, side
# by side) the exchange made the working time worse, +4.36 -> +4.77 % against the published
# solutions.
EXCHANGE = 0.3
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
        # Breaks are reserved time in the model (``optimizer.breaks``): windows and the shift
        # close that much earlier, so a break delays no visit beyond its window, except when
        # no service ends (and no drive arrives) within the break's start window, e.g. a
        # 90-minute service from 11:45 to 13:15 around a lunch to start by 13:00. Such a route
        # is re-timed with waiting before the break or loses jobs after the search, so here a
        # route with one break is kept only if the break fits exactly, by the job's own
        # windows and the shift's own end and working-time limit.
        self.brk = [s.breaks[0] if len(s.breaks) == 1 else None for s in built.shifts]
        pinned = {j for j, (_t, at) in pinned_to(problem).items() if at is not None}
        self.own_wins = {node: (self.wins[node] if problem.jobs[ji].id in pinned else
                                sorted((w.start, w.end) for w in job_windows(problem.jobs[ji])))
                         for node, ji in built.job_of_node.items()}
        for nd in built.pickup_of_node:  # a pick-up keeps the warehouse's hours
            self.own_wins[nd] = self.wins[nd]
        self.own_close = [s.window.end for s in built.shifts]
        self.own_span = [s.tech.max_work_s for s in built.shifts]
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
        # soft SLAs as the model prices them: per job with a due time and a lateness rate,
        # (due, currency per second the service starts after it)
        self.sla: dict[int, tuple[int, float]] = {}
        for node, ji in built.job_of_node.items():
            job = problem.jobs[ji]
            rate = per_second(w.lateness_per_hour.get(job.priority, 0.0)) / SCALE
            if job.sla_due is not None and rate > 0:
                self.sla[node] = (job.sla_due, rate)
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

        self.allowed_set = {node: set(vs) for node, vs in self.allowed.items()}

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
        # per job node, the job nodes by travel time from it (string removal)
        jobs = list(built.job_of_node)
        self.near = {n: sorted(jobs, key=self.tt[n].__getitem__) for n in jobs}
        self.routes: list[list[int]] = [[] for _ in range(nv)]
        # per route: for each insertion position, (stop before, when it is left, stop after,
        # when that one starts or the route returns, the longest service that fits there),
        # the forward time slack there, and the longest service that fits anywhere in it
        self.sched: list[tuple[list[tuple[int, int, int, int, int]], list[int], int]] = [
            ([(self.starts[v], self.depart[v], self.ends[v],
               self.depart[v] + self.vtt[v][self.starts[v]][self.ends[v]],
               self.close[v] - self.depart[v])],
             [self.close[v] - self.depart[v]], self.close[v] - self.depart[v])
            for v in range(nv)]
        # every route change, in order (a route's index each time), and per route the count
        # of changes when it last changed; per unplanned job, that count when it last fitted
        # nowhere: only routes changed since are tried again
        self.changes: list[int] = []
        self.changed_at = [0] * nv
        self.fitted_nowhere: dict[int, int] = {}
        self.planned: dict[int, int] = {}  # node -> route
        self._route_cost: dict[int, tuple[list[int], float]] = {}

    # -- timing ----------------------------------------------------------------------------
    def _first_start(self, node: int, t: int) -> tuple[int, int] | None:
        """(service start, end of the window it is in) at or after ``t``."""
        for a, b in self.wins[node]:
            if t <= b:
                return max(t, a), b
        return None

    def timed(
        self, v: int, seq: list[int], *, breaks: bool = True,
    ) -> tuple[list[int], list[int], int] | None:
        """Service starts, the end of each start's window, and the return time; None if the
        route breaks a window, its shift end or its span limit (or, with ``breaks``, leaves no
        room for its break)."""
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
        if breaks and seq and self.brk[v] is not None and not self._break_fits(v, seq, st):
            return None
        return st, latest, end

    def _break_fits(self, v: int, seq: list[int], st: list[int]) -> bool:
        """Whether route ``v``'s one break fits exactly around the services starting at
        ``st``: at once when a service ends or a drive arrives within the break's start window
        (the reserve absorbs its delay), else by timing the route again with the break taken
        at each place in turn."""
        b = self.brk[v]
        assert b is not None
        lo, hi = b.window.start, b.latest_start
        tt, svc = self.vtt[v], self.svc[v]
        # on arrival at the first visit (leaving just in time), then after each service and
        # on arrival at the next stop (the last: home)
        if lo <= st[0] <= hi:
            return True
        for k, node in enumerate(seq):
            done = st[k] + svc[node]
            if done > hi:
                break
            nxt = seq[k + 1] if k + 1 < len(seq) else self.ends[v]
            if done >= lo or lo <= done + tt[node][nxt] <= hi:
                return True
        return any(self._timed_with_break(v, seq, k) for k in range(len(seq) + 1))

    def _timed_with_break(self, v: int, seq: list[int], at: int) -> bool:
        """Whether route ``v`` fits (own windows, shift end, working time) with its break
        taken before the drive to its ``at``-th visit (``at == len(seq)``: before the drive
        home), as early as the break window allows."""
        b = self.brk[v]
        assert b is not None
        tt, svc = self.vtt[v], self.svc[v]
        t, prev = self.depart[v], self.starts[v]
        first = None
        for k, node in enumerate([*seq, self.ends[v]]):
            if k == at:
                if first is None:
                    first = t
                bs = max(t, b.window.start)
                if bs > b.latest_start:
                    return False
                t = bs + b.duration
            arrive = t + tt[prev][node]
            if k == len(seq):
                t = arrive
                break
            start = next((max(arrive, a) for a, e in self.own_wins[node] if arrive <= e), None)
            if start is None:
                return False
            if first is None:
                first = start - tt[prev][node]
            t, prev = start + svc[node], node
        limit = self.own_span[v]
        return t <= self.own_close[v] and (limit is None or first is None or t - first <= limit)

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

    def _refresh(self, v: int, got: tuple[list[int], list[int], int] | None = None) -> None:
        """Recompute route ``v``'s forward slack (``got``: its ``timed``, when known)."""
        # a shorter route stays feasible (triangle inequality), but for its break: visits
        # that move earlier may leave no service ending within the break window
        if self.copies:
            self._restock(v)
        got = got or self.timed(v, self.routes[v]) or self.timed(v, self.routes[v], breaks=False)
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
        before = [self.starts[v], *seq]
        leave = [self.depart[v], *(st[k] + svc[node] for k, node in enumerate(seq))]
        # per position, the longest service that fits there: a visit at position k delays the
        # next stop by at least its service less the time from leaving the stop before to
        # the next one's start (drives are never negative); per route, the longest of them
        due = [*st, end]
        room = [f + d - t for f, d, t in zip(fs, due, leave, strict=True)]
        self.sched[v] = (list(zip(before, leave, [*seq, self.ends[v]], due, room, strict=True)),
                         fs, max(room))
        self._changed(v)

    def _changed(self, v: int) -> None:
        if len(self.changes) >= CHANGE_LOG_MAX:  # start afresh: every job tries every route
            self.changes.clear()
            self.changed_at = [0] * self.nv
            self.fitted_nowhere.clear()
        self.changes.append(v)
        self.changed_at[v] = len(self.changes)

    # -- moves -----------------------------------------------------------------------------
    def insert(self, node: int, only: int | None = None) -> bool:
        """Put ``node`` at its cheapest feasible position (with a new pick-up before it when
        its route cannot supply a part or tool it needs); False if none. ``only``: on that
        route alone (it must be one the job may take)."""
        routes = self.allowed[node] if only is None else [only]
        since = self.fitted_nowhere.get(node) if only is None else None
        if since is not None:
            if len(self.changes) - since < len(routes):
                ok = self.allowed_set[node]
                routes = [v for v in set(self.changes[since:]) if v in ok]
            else:
                routes = [v for v in routes if self.changed_at[v] > since]
            if not routes:  # no route it may take changed since it last fitted nowhere
                self.fitted_nowhere[node] = len(self.changes)
                return False
        need = self.need[node]
        needy = bool(need or self.tool_need[node])
        fetch = needy and bool(self.copies)
        wins = self.wins[node]
        # (added travel seconds, route, position, new pick-up node or -1, its position)
        cands: list[tuple[int, int, int, int, int]] = []
        for v in routes:
            if self.svc[v][node] > self.sched[v][2]:
                continue
            if not fetch and need and any(self.load[v][k] + q > self.cap[v][k]
                                          for k, q in need):
                continue
            # a new pick-up only where the route cannot supply the job even at its end
            fetching = fetch and self.supplied(v, [*self.routes[v], node]) is None
            legs, fs, _room = self.sched[v]
            tt = self.vtt[v]
            out_of, service = tt[node], self.svc[v][node]
            for pos, (prev, leave, nxt, due, room) in enumerate(legs):
                if service > room:
                    continue
                into = tt[prev][node]
                t = leave + into
                for a, b in wins:
                    if t <= b:
                        start = t if t > a else a
                        break
                else:
                    break  # later positions only arrive later
                if start + service + out_of[nxt] - due <= fs[pos]:
                    delta = into + out_of[nxt] - tt[prev][nxt]
                    if fetching:
                        cands += self._with_pickup(v, node, pos, delta)
                    else:
                        cands.append((delta, v, pos, -1, 0))
        cands.sort()
        tries = 0
        for _delta, v, pos, pk, at in cands:
            seq = [*self.routes[v][:pos], node, *self.routes[v][pos:]]
            if pk >= 0:
                if tries == PICKUP_TRIES:
                    continue
                tries += 1
                seq.insert(at, pk)
            got = self.timed(v, seq)
            if got is None or (needy and self.supplied(v, seq) is None):
                continue
            self.routes[v] = seq
            if pk >= 0:
                self.at[pk] = v
            for k, q in need:
                self.load[v][k] += q
            self.planned[node] = v
            self._refresh(v, got)
            return True
        if only is None:
            self.fitted_nowhere[node] = len(self.changes)
        return False

    def van_only(self, node: int) -> list[tuple[int, int]]:
        """The parts ``node`` needs (index, quantity) that no warehouse holds enough of: only a
        van can bring them. ``exchange`` is tried for a job with such parts only: a pick-up
        brings the others."""
        return [(k, q) for k, q in self.need[node]
                if not any(self.wh_stock[wi][k] >= q for wi in self.copies)]

    def exchange(self, node: int, rng: Random, depth: int = EXCHANGE_DEPTH) -> bool:
        """Serve the unplanned ``node`` on a route whose van holds the parts it needs but has
        them committed to jobs planned there: move one of those jobs to another route (where
        it may in turn displace a job using a part it needs there, up to ``depth`` moves),
        then ``node`` takes the freed stock (an ejection chain; the ruin and recreate's
        removals put the displaced jobs back by cheapest insertion and, where parts are
        scarce, back where they were). True when ``node`` and every moved job are planned,
        else the routes are as they were."""
        need = self.van_only(node)
        if not need or depth <= 0:
            return False
        routes = [v for v in self.allowed[node]
                  if all(self.cap[v][k] >= q for k, q in need)
                  and any(self.load[v][k] + q > self.cap[v][k] for k, q in need)]
        rng.shuffle(routes)
        for v in routes[:EXCHANGE_ROUTES]:
            short = {k for k, q in need if self.load[v][k] + q > self.cap[v][k]}
            users = [u for u in self.routes[v]
                     if u in self.need and any(self.demand[u][k] for k in short)]
            users.sort(key=lambda u: (self.penalty[u], len(self.allowed[u])))
            for u in users[:EXCHANGE_USERS]:
                snap = self.snapshot()
                self.remove([u])
                if self.insert(node, only=v) and (
                        self.insert(u) or self.exchange(u, rng, depth - 1)):
                    return True
                self.restore(snap)
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
            self._refresh(v)

    def strings(self, around: int, size: int, eligible: set[int], rng: Random) -> list[int]:
        """About ``size`` jobs of ``eligible`` to remove: a string of consecutive visits from each
        route in turn that visits a job near ``around`` (nearest first), through that job, at
        most ``STRING_MAX`` long (pick-ups in a string stay; ``remove`` drops unneeded ones)."""
        out: list[int] = []
        seen: set[int] = set()
        for node in self.near[around]:
            if len(out) >= size:
                break
            v = self.planned.get(node)
            if v is None or v in seen:
                continue
            seen.add(v)
            seq = self.routes[v]
            length = rng.randint(1, min(STRING_MAX, len(seq), size - len(out)))
            at = seq.index(node)
            lo = rng.randint(max(0, at - length + 1), min(at, len(seq) - length))
            out += [m for m in seq[lo:lo + length] if m in eligible]
        return out

    def adopt(self, routes: list[list[int]]) -> None:
        """Take ``routes`` (job and pick-up nodes per route, e.g. a plan of OR-Tools' local
        search) as the current plan; a route this timing or van load rejects stays empty."""
        for v, seq in enumerate(routes):
            if not seq or any(nd not in self.wh_of and nd not in self.rank for nd in seq):
                continue  # linked jobs are left to OR-Tools
            if self.timed(v, seq) is None or self.supplied(v, seq) is None:
                continue
            self.routes[v] = list(seq)
            for nd in seq:
                if nd in self.wh_of:
                    self.at[nd] = v
                else:
                    self.planned[nd] = v
                    for k, q in self.need[nd]:
                        self.load[v][k] += q
            self._refresh(v)

    def fill(self, order: list[int] | None = None) -> None:
        for node in self.order if order is None else order:
            if node not in self.planned:
                self.insert(node)

    def shuffled(self, rng: Random, near: int | None = None) -> list[int]:
        """The unplanned jobs by drop penalty, most valuable first, in random order within
        each penalty (a different recreate each round; measured on the 40 x 300 city day at
        8,000 rounds, 4 seeds: lost weight -4 %, travel -2 % against the fixed order); with
        ``near`` (the job the round ruined around), within each penalty nearest to it first,
        so the jobs near the room just made get it first (SISR's "close" order). City days,
        ruin and recreate alone at equal rounds, mean of 3-4 seeds, lost priority weight /
        travel min, random -> near: 60 x 600 (3,000 rounds) 7,662 / 6,008 -> 7,205 / 5,941;
        100 x 1,000 (2,000) 11,383 / 9,724 -> 10,917 / 9,332; 40 x 300 (5,000) 1,580 / 3,977
        -> 1,503 / 3,960; 60 x 350 (4,000) 440 / 4,398 -> 440 / 4,394. Near order in half
        the rounds only: between the two. Not with ``route_scale`` (the pick-up start of
        small problems): Pillac TRSP, six instances at 10 s, mean working time vs published
        +9.04 % random, +9.43 % near."""
        by_penalty: dict[float, list[int]] = {}
        for node in self.order:
            if node not in self.planned:
                by_penalty.setdefault(self.penalty[node], []).append(node)
        out: list[int] = []
        for penalty in sorted(by_penalty, reverse=True):
            rng.shuffle(by_penalty[penalty])
            if near is not None:  # stable: equally near jobs stay in random order
                by_penalty[penalty].sort(key=self.tt[near].__getitem__)
            out += by_penalty[penalty]
        return out

    def cost(self) -> float:
        """Dropped penalties plus travel, working-time and soft-SLA cost (currency), as the
        model counts them (the span from a departure that avoids waiting for the first visit;
        services as early as their route allows)."""
        return (sum(p for n, p in self.penalty.items() if n not in self.planned)
                + self.route_cost())

    def route_cost(self) -> float:
        """Travel, working-time and soft-SLA cost of the routes (currency), without drop
        penalties."""
        out = 0.0
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
                    money += self.shortest_span(v, seq) * self.per_span[v]
                if self.sla and any(nd in self.sla for nd in seq):
                    money += self.lateness(v, seq)
                cached = (list(seq), money)
                self._route_cost[v] = cached
            out += cached[1]
        return out

    def lateness(self, v: int, seq: list[int]) -> float:
        """The soft-SLA cost of route ``v`` over ``seq`` (currency), each visit as early as
        its route allows."""
        got = self.timed(v, seq) or self.timed(v, seq, breaks=False)
        assert got is not None
        out = 0.0
        for node, start in zip(seq, got[0], strict=True):
            due = self.sla.get(node)
            if due is not None and start > due[0]:
                out += (start - due[0]) * due[1]
        return out

    def shortest_span(self, v: int, seq: list[int]) -> int:
        """Route ``v``'s shortest span (departure to return) over ``seq``: visits timed as
        early as possible, then the departure delayed as far as it shortens the waiting
        without moving the return or a service start out of its window, as the model's
        span cost is minimised."""
        st, latest, end = self.timed(v, seq)  # type: ignore[misc]
        tt, svc = self.vtt[v], self.svc[v]
        t, prev = self.depart[v], self.starts[v]
        waited = 0
        delay = None
        for k, node in enumerate(seq):
            waited += st[k] - (t + tt[prev][node])
            room = latest[k] - st[k] + waited
            delay = room if delay is None or room < delay else delay
            t, prev = st[k] + svc[node], node
        return end - self.depart[v] - max(0, min(waited, delay or 0))

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
                self._changed(v)


def construct(
    problem: Problem, built: Built, *, seconds: float = 0.0, iterations: int | None = None,
    seed: int = 0, routes: list[list[int]] | None = None, route_scale: bool = False,
    first: list[tuple[float, float]] | None = None,
) -> list[list[int]]:
    """Per route (shift), the job nodes in visiting order: the priority-first insertion (from
    ``routes`` when given, see ``Routes.adopt``), then ruin and recreate for ``seconds`` (or
    exactly ``iterations`` rounds, for reproducible runs); ``route_scale``: its threshold at
    most ``ROUTE_SHARE`` of the routes' cost. ``first`` receives (monotonic time, process
    time) of the first plan, the insertion's, before any ruin and recreate."""
    rs = Routes(problem, built)
    if routes is not None:
        rs.adopt(routes)
    rs.fill()
    if first is not None:
        first.append((_time.monotonic(), _time.process_time()))
    deadline = _time.monotonic() + seconds
    rng = Random(seed)
    current = best_cost = rs.cost()
    threshold = THRESHOLD * min(rs.penalty.values(), default=0.0)
    if route_scale:
        threshold = min(threshold, THRESHOLD * ROUTE_SHARE * rs.route_cost())
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
        exchanged = False
        if waiting and rng.random() < TARGETED:
            # make room near an unplanned job for it: remove planned jobs around it that are
            # worth no more than it is
            seed_node = waiting[min(int(rng.expovariate(4.0 / len(waiting))), len(waiting) - 1)]
            worth = rs.penalty[seed_node]
            planned = [n for n in planned if rs.penalty[n] <= worth]
            if rs.van_only(seed_node) and rng.random() < EXCHANGE:
                exchanged = rs.exchange(seed_node, rng)
                if not exchanged:
                    continue
        else:
            seed_node = rng.choice(planned)
        if not exchanged:
            victims = rs.strings(seed_node, size, set(planned), rng)
            if not victims:
                continue
            rs.remove(victims)
            rs.fill(rs.shuffled(rng, None if route_scale else seed_node))
        cost = rs.cost()
        # threshold acceptance, the threshold falling geometrically (zero at the end)
        left = (1 - k / iterations) if iterations else max(
            0.0, (deadline - _time.monotonic()) / seconds) if seconds > 0 else 0.0
        allow = threshold * THRESHOLD_END ** (1 - left) if left > 0 else 0.0
        if cost <= current + allow + 1e-9:
            current = cost
            if cost < best_cost - 1e-9:
                best_cost, best_routes = cost, [list(r) for r in rs.routes]
        else:
            rs.restore(snap)
    return best_routes


__all__ = ["Routes", "construct"]
