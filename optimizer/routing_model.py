"""Build the OR-Tools routing model of a :class:`Problem`.

Node layout: eligible jobs, then warehouse pick-up nodes (when pick-ups are allowed and some
job needs parts or a tool a van may lack: for each warehouse that has some, optional nodes any
route may visit, see ``pickup_copies``), then one node per distinct start and end place.
Every arc figure comes from :func:`optimizer.travel.leg` and is registered once as a matrix
(``RegisterTransitMatrix``); no per-arc Python callback is ever called by the search.

Dimensions:
- ``time``: transit = service at the from-node + travel; one matrix per service profile
  (technicians whose service times agree on every job both may do share one; above a matrix
  budget, profiles are merged keeping the longer time, see ``_profiles``); slack =
  waiting. Cumul = service start. Windows are cumul ranges with the gaps removed; the SLA is a
  soft upper bound with a per-priority cost; breaks are interval variables on the dimension.
- ``work`` (only with ``balance_per_hour`` > 0): travel + service; its global span cost prices
  the busiest route, which spreads load.
- ``part:<name>`` per part whose demand can exceed some van: a capacity dimension over the
  units used along the route (capacity = van stock), with pick-up nodes giving units back
  (see ``_add_parts``).
- ``tool:<name>`` per tool some job needs and some allowed van lacks: how many sources of the
  tool (the van, warehouses visited) the route has had so far; >= 1 at jobs needing it.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from random import Random

import numpy as np
from ortools.constraint_solver import pywrapcp  # type: ignore[import-untyped]

from optimizer.breaks import reserved
from optimizer.costs import SCALE, drop_units, per_hour, per_second, top_value
from optimizer.eligibility import Shift, job_windows, pinned_to
from optimizer.model import Id, Job, Problem, TimeWindow
from optimizer.travel import (
    Place,
    end_place,
    job_place,
    matrices,
    profile_model,
    service_duration,
    start_place,
    warehouse_place,
)

BIG = 10**9
# Above this many nodes the matrices are not kept for optimizer.sisr (8 MB each at 1,000).
KEEP_MATRICES_MAX_NODES = 2500


@dataclass
class Built:
    """The model plus what decoding needs to map it back."""

    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    shifts: list[Shift]
    job_of_node: dict[int, int]  # node -> index into problem.jobs
    pickup_of_node: dict[int, tuple[int, int]]  # node -> (warehouse index, shift index)
    places: list[Place]
    dist: list[Sequence[int]]  # [from node][to node], metres
    travel_s: list[Sequence[int]]
    service: list[Sequence[int]]  # per shift, per node
    time: pywrapcp.RoutingDimension
    part_dims: dict[str, pywrapcp.RoutingDimension] = field(default_factory=dict)
    tool_dims: dict[str, pywrapcp.RoutingDimension] = field(default_factory=dict)
    breaks: list[list[tuple[Id, pywrapcp.IntervalVar]]] = field(default_factory=list)
    allowed: dict[int, list[int]] = field(default_factory=dict)  # job index -> shifts
    # (metres, seconds) matrices per travel profile (0: the problem's model = dist, travel_s)
    legs: list[tuple[list[Sequence[int]], list[Sequence[int]]]] = field(default_factory=list)
    vehicle_profile: list[int] = field(default_factory=list)  # shift -> index into legs
    # job node -> its service-start windows as set on the time cumul (after break reserves)
    windows: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    time_profiles: int = 0  # time matrices registered (distinct service-time profiles)
    # What the time dimension holds, for a start built outside OR-Tools (optimizer.start):
    # per shift the service times of its time matrix and (earliest start, latest end, longest
    # span or None); per job node its cumul domain (lowest, highest, removed gaps).
    transit_service: list[Sequence[int]] = field(default_factory=list)
    route_limits: list[tuple[int, int, int | None]] = field(default_factory=list)
    domains: dict[int, tuple[int, int, list[tuple[int, int]]]] = field(default_factory=dict)
    # The registered matrices for a search outside OR-Tools (optimizer.sisr), kept when
    # ``build(keep_matrices=True)`` up to KEEP_MATRICES_MAX_NODES nodes: arc costs and time
    # transits per class, each vehicle's class; always the drop penalty per job node, the
    # fixed cost of a used vehicle, and per part dimension its transit (units per node) and
    # the vehicles' capacities.
    arc_cost: list[np.ndarray] | None = None
    vehicle_arc_cost: list[int] = field(default_factory=list)
    time_transit: list[np.ndarray] | None = None
    vehicle_time: list[int] = field(default_factory=list)
    drop_penalty: dict[int, int] = field(default_factory=dict)
    fixed_cost: int = 0
    part_demand: dict[str, list[int]] = field(default_factory=dict)
    part_capacity: dict[str, list[int]] = field(default_factory=dict)

    def metres_seconds(self, v: int) -> tuple[list[Sequence[int]], list[Sequence[int]]]:
        """The (metres, seconds) matrices route ``v`` drives by."""
        if not self.legs:
            return self.dist, self.travel_s
        return self.legs[self.vehicle_profile[v]]


def binding_parts(problem: Problem, shifts: list[Shift], jobs: list[int]) -> list[str]:
    """Parts whose total demand exceeds the smallest van stock among the shifts."""
    total: dict[str, int] = {}
    for ji in jobs:
        for part, qty in problem.jobs[ji].parts.items():
            total[part] = total.get(part, 0) + qty
    return sorted(
        p for p, t in total.items() if t > min(s.tech.van_stock.get(p, 0) for s in shifts)
    )


def missing_tools(problem: Problem, shifts: list[Shift], allowed: dict[int, list[int]]
                  ) -> list[str]:
    """Tools some job needs that some route allowed to serve it does not carry."""
    out: set[str] = set()
    for ji, vs in allowed.items():
        need = problem.jobs[ji].tools
        if need:
            for v in vs:
                out |= need - shifts[v].tech.tools
    return sorted(out)


def pickup_copies(problem: Problem, shifts: list[Shift], allowed: dict[int, list[int]],
                  parts: list[str], tools: list[str]) -> int:
    """Pick-up nodes per warehouse: ``SolverOptions.pickups_per_warehouse`` or one per job
    that may need a pick-up, at most two per route."""
    if problem.options.pickups_per_warehouse is not None:
        return max(1, problem.options.pickups_per_warehouse)
    binding, wanted = set(parts), set(tools)
    needy = sum(1 for ji in allowed
                if binding & set(problem.jobs[ji].parts) or wanted & problem.jobs[ji].tools)
    return max(1, min(needy, 2 * len(shifts)))


def build(
    problem: Problem,
    shifts: list[Shift],
    allowed: dict[int, list[int]],
    seed: int,
    reserve_breaks: bool = False,
    keep_matrices: bool = False,
) -> Built:
    """The routing model; with ``reserve_breaks`` breaks are reserved time, not intervals
    (see ``optimizer.breaks``); ``keep_matrices``: keep the cost and time matrices on the
    result (``Built.arc_cost``) for optimizer.sisr."""
    jobs = sorted(allowed)
    if seed:
        Random(seed).shuffle(jobs)
    parts = binding_parts(problem, shifts, jobs)
    tools = missing_tools(problem, shifts, allowed)
    places: list[Place] = [job_place(problem, problem.jobs[ji]) for ji in jobs]
    job_of_node = {n: ji for n, ji in enumerate(jobs)}
    pickup_of_node: dict[int, tuple[int, int]] = {}
    if problem.allow_pickups and (parts or tools):
        # Restocking: every warehouse that has a binding part or a missing tool gets optional
        # pick-up nodes any route may visit, as many as a route could usefully make there
        # (never more than the jobs that need something a van may lack).
        copies = pickup_copies(problem, shifts, allowed, parts, tools)
        for wi, wh in enumerate(problem.warehouses):
            if not (any(wh.stock.get(p, 0) > 0 for p in parts) or wh.tools & set(tools)):
                continue
            for c in range(copies):
                pickup_of_node[len(places)] = (wi, c)
                places.append(warehouse_place(problem, wh))
    n_vehicles = len(shifts)
    # One node per distinct start/end place: vehicles sharing a depot then share a vehicle
    # class, which OR-Tools' local search exploits (separate nodes cost ~3% on Solomon C101).
    depot_node: dict[Place, int] = {}

    def depot(place: Place) -> int:
        if place not in depot_node:
            depot_node[place] = len(places)
            places.append(place)
        return depot_node[place]

    starts = [depot(start_place(problem, s.tech)) for s in shifts]
    ends = [depot(end_place(problem, s.tech)) for s in shifts]

    n = len(places)
    # Vehicle profiles: matrices per travel profile (0 = the problem's model), numpy for the
    # sums below, rows of machine ints for the Python code that reads them (decode, starts).
    names = sorted({s.tech.profile for s in shifts if s.tech.profile is not None})
    arrs = [matrices(problem.travel, places)] + [
        matrices(profile_model(problem.travel, nm), places) for nm in names]
    legs = [(_rows(d), _rows(t)) for d, t in arrs]
    dist, tsec = legs[0]
    vehicle_profile = [0 if s.tech.profile is None else 1 + names.index(s.tech.profile)
                       for s in shifts]

    manager = pywrapcp.RoutingIndexManager(n, n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    routing.solver()

    # Service time per node for each technician (its shifts share the row). A time matrix is
    # travel by one travel profile + one service vector: technicians of the same travel
    # profile whose service times agree wherever both may go share one (see _profiles); a
    # bike never shares a van's matrix.
    svc = _service_matrix(problem, shifts, job_of_node, pickup_of_node, n)
    tech_row = {ti: k for k, ti in enumerate(dict.fromkeys(s.tech_index for s in shifts))}
    rows = [array("q", r.tobytes()) for r in svc]
    service: list[Sequence[int]] = [rows[tech_row[s.tech_index]] for s in shifts]
    tarrs = [t for _, t in arrs]
    darrs = [d for d, _ in arrs]
    row_travel = [0] * len(tech_row)
    for v, s in enumerate(shifts):
        row_travel[tech_row[s.tech_index]] = vehicle_profile[v]
    may = _may_visit(shifts, tech_row, allowed, job_of_node, pickup_of_node, n)
    groups = sorted(set(row_travel))
    limit = max(1, PROFILE_ENTRIES // max(1, n * n) // len(groups))
    profile_of = [0] * len(tech_row)
    profiles: list[np.ndarray] = []
    profile_travel: list[int] = []
    for g in groups:
        members = [k for k in range(len(tech_row)) if row_travel[k] == g]
        sub_of, sub = _profiles(svc[members], may[members], limit)
        for k, p in zip(members, sub_of, strict=True):
            profile_of[k] = len(profiles) + p
        profiles += sub
        profile_travel += [g] * len(sub)
    keep = keep_matrices and n <= KEEP_MATRICES_MAX_NODES
    transit_mats = [tarrs[g] + vec[:, None] for g, vec in zip(profile_travel, profiles,
                                                                strict=True)]
    profile_cb = [routing.RegisterTransitMatrix(m.tolist()) for m in transit_mats]
    time_cbs = [profile_cb[profile_of[tech_row[s.tech_index]]] for s in shifts]
    profile_rows = [array("q", vec.tobytes()) for vec in profiles]
    transit_service: list[Sequence[int]] = [profile_rows[profile_of[tech_row[s.tech_index]]]
                                            for s in shifts]
    route_limits: list[tuple[int, int, int | None]] = []
    domains: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}

    # Arc costs: one matrix per distinct (travel profile, cost per km, cost per hour).
    cost_cb: dict[tuple[int, float, float], int] = {}
    cost_mats: dict[tuple[int, float, float], np.ndarray] = {}
    w = problem.weights
    cost_keys = {(vehicle_profile[v], x.tech.cost_per_km, x.tech.cost_per_hour)
                 for v, x in enumerate(shifts)}
    for v, s in enumerate(shifts):
        key2 = (vehicle_profile[v], s.tech.cost_per_km, s.tech.cost_per_hour)
        if key2 not in cost_cb:
            km = w.travel * s.tech.cost_per_km * SCALE / 1000.0
            hr = w.travel * s.tech.cost_per_hour * SCALE / 3600.0
            cost = np.rint(darrs[key2[0]] * km + tarrs[key2[0]] * hr).astype(np.int64)
            # A pick-up costs its time at the driving rate (at least 1 unit), so that the
            # search never keeps one that takes nothing.
            for node, (wi, _) in pickup_of_node.items():
                cost[node, :] += max(1, round(problem.warehouses[wi].pickup_duration * hr))
            cost_cb[key2] = routing.RegisterTransitMatrix(cost.tolist())
            if keep:
                cost_mats[key2] = cost
        if len(cost_keys) == 1:
            routing.SetArcCostEvaluatorOfAllVehicles(cost_cb[key2])
        else:
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[key2], v)
        if w.vehicle_fixed:
            routing.SetFixedCostOfVehicle(round(w.vehicle_fixed * SCALE), v)

    horizon = max(s.window.end for s in shifts) + 1
    if len(set(time_cbs)) == 1:
        routing.AddDimension(time_cbs[0], horizon, horizon, False, "time")
    else:
        routing.AddDimensionWithVehicleTransits(time_cbs, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    reserve = max((reserved(s) for s in shifts), default=0) if reserve_breaks else 0
    break_opens = min((b.window.start for s in shifts for b in s.breaks), default=horizon)
    for v, s in enumerate(shifts):
        r = reserved(s) if reserve_breaks else 0
        time.CumulVar(routing.Start(v)).SetRange(s.window.start, s.window.end)
        time.CumulVar(routing.End(v)).SetRange(s.window.start, max(s.window.start,
                                                                   s.window.end - r))
        if s.tech.max_work_s is not None:
            time.SetSpanUpperBoundForVehicle(max(0, s.tech.max_work_s - r), v)
        route_limits.append((s.window.start, max(s.window.start, s.window.end - r),
                             None if s.tech.max_work_s is None else max(0, s.tech.max_work_s - r)))
        # Working-time cost: the route's span (departure to return) at the technician's rate.
        if s.tech.cost_per_working_hour > 0:
            time.SetSpanCostCoefficientForVehicle(per_second(s.tech.cost_per_working_hour), v)
        elif s.breaks and not reserve_breaks:
            # A tie-break of 1 unit (1/10 000 currency) per second of return time: with break
            # intervals and no time cost OR-Tools may time a route anyhow (hours of waiting).
            time.SetCumulVarSoftUpperBound(routing.End(v), s.window.start, 1)

    pins = pinned_to(problem)
    top = top_value(w, problem.jobs)
    job_index_of_id = {problem.jobs[ji].id: ji for ji in jobs}
    node_of_job = {ji: node for node, ji in job_of_node.items()}
    node_windows: dict[int, list[tuple[int, int]]] = {}
    drop_penalty: dict[int, int] = {}
    built_links = _Links(routing, manager, time, node_of_job, job_index_of_id, service)
    for node, ji in job_of_node.items():
        job = problem.jobs[ji]
        idx = manager.NodeToIndex(node)
        wins = sorted(job_windows(job), key=lambda tw: tw.start)
        pin = pins.get(job.id)
        if reserve and (pin is None or pin[1] is None):
            wins = [TimeWindow(tw.start, tw.end - reserve)
                    if tw.end > break_opens and tw.end - reserve >= tw.start else tw
                    for tw in wins]
        cumul = time.CumulVar(idx)
        cumul.SetRange(wins[0].start, min(wins[-1].end, horizon))
        holes = []
        for a, b in itertools.pairwise(wins):
            if b.start > a.end + 1:
                cumul.RemoveInterval(a.end + 1, b.start - 1)
                holes.append((a.end + 1, b.start - 1))
        domains[node] = (wins[0].start, min(wins[-1].end, horizon), holes)
        if pin is not None and pin[1] is not None:
            cumul.SetValue(pin[1])
            domains[node] = (pin[1], pin[1], [])
        node_windows[node] = ([(pin[1], pin[1])] if pin is not None and pin[1] is not None
                              else [(tw.start, min(tw.end, horizon)) for tw in wins])
        if job.sla_due is not None:
            coef = per_second(w.lateness_per_hour.get(job.priority, 0.0))
            if coef > 0:
                time.SetCumulVarSoftUpperBound(idx, job.sla_due, coef)
        penalty = drop_units(w, job, top) * (10 if pin and not job.must_serve else 1)
        routing.AddDisjunction([idx], penalty)
        drop_penalty[node] = penalty
        vehicles = allowed[ji]
        if len(vehicles) < n_vehicles:
            _allow(routing, idx, vehicles)
        _add_links(problem, built_links, job, idx)

    for node, (wi, _copy) in pickup_of_node.items():
        idx = manager.NodeToIndex(node)
        routing.AddDisjunction([idx], 0)
        wh = problem.warehouses[wi]
        domains[node] = (0, horizon, [])
        if wh.hours is not None:  # the whole pick-up within opening hours
            last = max(wh.hours.start, wh.hours.end - wh.pickup_duration)
            time.CumulVar(idx).SetRange(wh.hours.start, last)
            domains[node] = (wh.hours.start, last, [])

    built = Built(routing, manager, shifts, job_of_node, pickup_of_node, places, dist, tsec,
                  service, time, allowed=allowed, legs=legs, vehicle_profile=vehicle_profile,
                  windows=node_windows, time_profiles=len(profiles),
                  transit_service=transit_service, route_limits=route_limits, domains=domains)
    if keep:
        cost_keys_order = list(cost_mats)
        built.arc_cost = [cost_mats[k2] for k2 in cost_keys_order]
        built.vehicle_arc_cost = [
            cost_keys_order.index((vehicle_profile[v], x.tech.cost_per_km, x.tech.cost_per_hour))
            for v, x in enumerate(shifts)]
        built.time_transit = transit_mats
        built.vehicle_time = [profile_of[tech_row[x.tech_index]] for x in shifts]
    built.drop_penalty = drop_penalty
    built.fixed_cost = round(w.vehicle_fixed * SCALE) if w.vehicle_fixed else 0
    if reserve_breaks:
        built.breaks = [[] for _ in shifts]
    else:
        _add_breaks(built)
    _add_parts(problem, built, parts)
    _add_tools(problem, built, tools)
    if w.balance_per_hour > 0 and n_vehicles > 1:
        routing.AddDimensionWithVehicleTransits(time_cbs, 0, horizon, True, "work")
        routing.GetDimensionOrDie("work").SetGlobalSpanCostCoefficient(per_hour(w.balance_per_hour))
    return built


@dataclass
class _Links:
    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    time: pywrapcp.RoutingDimension
    node_of_job: dict[int, int]
    job_index_of_id: dict[Id, int]
    service: list[Sequence[int]]


def _add_links(problem: Problem, ctx: _Links, job: Job, idx: int) -> None:
    """``same_technician_as`` + ``not_before`` on the same job is a pickup-and-delivery pair
    (same route, order kept, inserted together by the heuristics); ``same_technician_as``
    alone is a soft same-vehicle constraint priced like dropping a P1 job; ``not_before``
    alone orders the two service starts, whatever the routes."""
    routing, time = ctx.routing, ctx.time
    solver = routing.solver()
    same = job.same_technician_as if job.same_technician_as in ctx.job_index_of_id else None
    after = job.not_before if job.not_before in ctx.job_index_of_id else None

    def index_of(job_id: Id) -> tuple[int, int]:
        node = ctx.node_of_job[ctx.job_index_of_id[job_id]]
        return node, ctx.manager.NodeToIndex(node)

    if after is not None:
        onode, other = index_of(after)
        longest = max(vec[onode] for vec in ctx.service)
        if same == after:
            routing.AddPickupAndDelivery(other, idx)
            solver.Add(routing.VehicleVar(other) == routing.VehicleVar(idx))
        solver.Add(time.CumulVar(idx) >= time.CumulVar(other) + longest)
    if same is not None and same != after:
        _, other = index_of(same)
        p1 = problem.weights.drop_penalty.get(1, 1.0)
        routing.AddSoftSameVehicleConstraint([other, idx], round(p1 * SCALE))


def _allow(routing: pywrapcp.RoutingModel, index: int, vehicles: list[int]) -> None:
    """Restrict a node to some vehicles (-1 keeps it droppable).

    ``SetAllowedVehiclesForIndex`` would be the natural call, but the ortools 9.15 Python
    wrapper rejects every argument for its ``absl::Span<const int>``; restricting the vehicle
    variable's domain is the documented equivalent.
    """
    routing.VehicleVar(index).SetValues([-1, *vehicles])


def _add_breaks(built: Built) -> None:
    routing, time = built.routing, built.time
    solver = routing.solver()
    size = routing.Size()
    for v, s in enumerate(built.shifts):
        items: list[tuple[Id, pywrapcp.IntervalVar]] = []
        for b in s.breaks:
            iv = solver.FixedDurationIntervalVar(  # the whole break inside its window
                b.window.start, b.latest_start, b.duration, False, f"break {s.tech.id} {b.id}"
            )
            items.append((b.id, iv))
            routing.AddIntervalToAssignment(iv)
        built.breaks.append(items)
        if items:
            visit = [0] * size
            for idx in range(size):
                visit[idx] = built.service[v][built.manager.IndexToNode(idx)]
            time.SetBreakIntervalsOfVehicle([iv for _, iv in items], v, visit)


def _add_parts(problem: Problem, built: Built, parts: list[str]) -> None:
    """One capacity dimension per binding part.

    Cumul = units used so far minus units picked up, offset by ``k`` (the part's whole demand,
    so that any number of pick-ups fits): it starts at ``k`` and must stay <= van stock +
    ``k``. Jobs add their quantity; a pick-up node adds ``-k`` and its slack
    (``k - stock there``..``k``) gives back what is not picked, so ``picked = k - slack``. Without
    pick-ups ``k`` = 0 and this is the classic VRP capacity dimension.
    """
    routing, manager = built.routing, built.manager
    n = len(built.places)
    for part in parts:
        demand = [0] * n
        for node, ji in built.job_of_node.items():
            demand[node] = problem.jobs[ji].parts.get(part, 0)
        # k = the whole demand: any sequence of pick-ups covering the route fits the offset.
        k = sum(demand) if built.pickup_of_node else 0
        for node in built.pickup_of_node:
            demand[node] = -k
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [s.tech.van_stock.get(part, 0) + k for s in built.shifts]
        built.part_demand[part], built.part_capacity[part] = demand, caps
        name = f"part:{part}"
        routing.AddDimensionWithVehicleCapacity(cb, k, caps, k == 0, name)
        dim = routing.GetDimensionOrDie(name)
        built.part_dims[part] = dim
        if not k:
            continue
        for v in range(len(built.shifts)):
            dim.CumulVar(routing.Start(v)).SetValue(k)
        taken: dict[int, list[object]] = {}  # warehouse -> picked expressions
        for idx in range(routing.Size()):
            node = manager.IndexToNode(idx)
            if node in built.pickup_of_node:
                wi, _ = built.pickup_of_node[node]
                have = min(k, problem.warehouses[wi].stock.get(part, 0))
                slack = dim.SlackVar(idx)
                slack.SetRange(k - have, k)
                routing.AddToAssignment(slack)  # decode reads what was picked
                routing.AddVariableMaximizedByFinalizer(slack)  # fixed: picks no more than needed
                if have:
                    taken.setdefault(wi, []).append(k - slack)
            else:
                dim.SlackVar(idx).SetValue(0)
        # A warehouse's stock is shared by all its pick-ups (every route, every visit); an
        # inactive pick-up node's slack is free, so it can always count as taking nothing.
        solver = routing.solver()
        for wi, exprs in taken.items():
            have = problem.warehouses[wi].stock.get(part, 0)
            if len(exprs) > 1 and have < k * len(exprs):
                solver.Add(solver.Sum(exprs) <= have)


def _add_tools(problem: Problem, built: Built, tools: list[str]) -> None:
    """One dimension per missing tool: cumul = 1 if the van carries it, plus the pick-ups at
    warehouses that have it so far; a job needing the tool needs cumul >= 1 (a route lacking
    the tool must visit such a warehouse before the job). Non-negative transits, no slack."""
    routing, manager = built.routing, built.manager
    n = len(built.places)
    for tool in tools:
        gain = [0] * n
        for node, (wi, _) in built.pickup_of_node.items():
            if tool in problem.warehouses[wi].tools:
                gain[node] = 1
        cap = 1 + sum(gain)
        cb = routing.RegisterUnaryTransitVector(gain)
        name = f"tool:{tool}"
        routing.AddDimension(cb, 0, cap, False, name)
        dim = routing.GetDimensionOrDie(name)
        for v, s in enumerate(built.shifts):
            dim.CumulVar(routing.Start(v)).SetValue(1 if tool in s.tech.tools else 0)
        for node, ji in built.job_of_node.items():
            if tool in problem.jobs[ji].tools:
                dim.CumulVar(manager.NodeToIndex(node)).SetMin(1)
        built.tool_dims[tool] = dim


def _rows(m: np.ndarray) -> list[Sequence[int]]:
    """A matrix as rows of machine ints (fast to index from Python, a quarter of a list's
    memory)."""
    return [array("q", r.tobytes()) for r in np.ascontiguousarray(m, dtype=np.int64)]


# At most this many time-matrix entries (profiles x nodes^2): each profile costs OR-Tools a full
# int64 matrix, ~16 MB and ~0.15 s of CPU to hand over at 1,200 nodes. Measured on a city day
# of 100 technicians x 1,000 jobs: 88 distinct profiles, 34 once the entries of jobs a
# technician may not do are ignored, which alone took 0.6 GB and 5 s (see benchmarks/scale.py).
PROFILE_ENTRIES = 12_000_000


def _service_matrix(
    problem: Problem,
    shifts: list[Shift],
    job_of_node: dict[int, int],
    pickup_of_node: dict[int, tuple[int, int]],
    n: int,
) -> np.ndarray:
    """Service seconds per (technician with a shift, in shift order) x node."""
    techs = [problem.technicians[ti] for ti in dict.fromkeys(s.tech_index for s in shifts)]
    factors = problem.weights.level_duration_factor
    svc = np.zeros((len(techs), n), dtype=np.int64)
    for node, ji in job_of_node.items():
        job = problem.jobs[ji]
        if job.scale_duration_by_level and factors:
            svc[:, node] = [service_duration(job, t, factors) for t in techs]
        else:
            svc[:, node] = job.duration
    for node, (wi, _) in pickup_of_node.items():
        svc[:, node] = problem.warehouses[wi].pickup_duration
    return svc


def _may_visit(
    shifts: list[Shift],
    tech_row: dict[int, int],
    allowed: dict[int, list[int]],
    job_of_node: dict[int, int],
    pickup_of_node: dict[int, tuple[int, int]],
    n: int,
) -> np.ndarray:
    """Technician row x node: True where one of its shifts may visit the node."""
    may = np.zeros((len(tech_row), n), dtype=bool)
    for node, ji in job_of_node.items():
        for si in allowed[ji]:
            may[tech_row[shifts[si].tech_index], node] = True
    for node in pickup_of_node:  # shared pick-up nodes: any route may stop there
        may[:, node] = True
    return may


def _profiles(
    svc: np.ndarray, may: np.ndarray, limit: int
) -> tuple[list[int], list[np.ndarray]]:
    """Service-time profiles for the time matrices: (profile of each technician row, the
    profiles' service vectors).

    Technicians share a profile when their service times agree on every node both may visit
    (what one may not visit never reaches its transit), which is exact. ``svc`` and ``may``
    hold the technicians of one travel profile only. Beyond ``limit`` profiles (their share of
    the ``PROFILE_ENTRIES`` budget), the two profiles whose merge lengthens the fewest
    technician-seconds are merged, keeping the longer time where they differ: the search then
    sees some services as longer than they are (never shorter, so its plans stay feasible),
    and the decoded plan keeps each technician's true service times.
    """
    order = sorted(range(len(svc)), key=lambda t: (-int(may[t].sum()), t))
    vals: list[np.ndarray] = []
    seen: list[np.ndarray] = []  # nodes some member may visit
    count: list[np.ndarray] = []  # members that may visit each node
    members: list[list[int]] = []
    for t in order:
        for g in range(len(vals)):
            both = seen[g] & may[t]
            if np.array_equal(vals[g][both], svc[t][both]):
                vals[g] = np.where(may[t], svc[t], vals[g])
                seen[g] |= may[t]
                count[g] += may[t]
                members[g].append(t)
                break
        else:
            vals.append(np.where(may[t], svc[t], 0))
            seen.append(may[t].copy())
            count.append(may[t].astype(np.int64))
            members.append([t])

    def merge_cost(a: int, b: int) -> int:
        both = seen[a] & seen[b]
        top = np.maximum(vals[a], vals[b])
        return int(((top - vals[a]) * count[a] + (top - vals[b]) * count[b])[both].sum())

    if len(vals) > limit:
        g_n = len(vals)
        cost = np.full((g_n, g_n), np.iinfo(np.int64).max, dtype=np.int64)
        for a, b in itertools.combinations(range(g_n), 2):
            cost[a, b] = merge_cost(a, b)
        alive = set(range(g_n))
        while len(alive) > limit:
            a, b = divmod(int(np.argmin(cost)), g_n)
            both = seen[a] & seen[b]
            vals[a] = np.where(both, np.maximum(vals[a], vals[b]), np.where(seen[a], vals[a],
                                                                            vals[b]))
            seen[a] |= seen[b]
            count[a] += count[b]
            members[a] += members[b]
            alive.discard(b)
            cost[b, :] = cost[:, b] = np.iinfo(np.int64).max
            for c in alive - {a}:
                cost[min(a, c), max(a, c)] = merge_cost(a, c)
        keep = sorted(alive)
        vals, members = [vals[g] for g in keep], [members[g] for g in keep]
    profile_of = [0] * len(svc)
    for g, ms in enumerate(members):
        for t in ms:
            profile_of[t] = g
    return profile_of, vals
