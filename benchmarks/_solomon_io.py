"""Solomon VRPTW instances: parsing, mapping onto ``optimizer.Problem``, exact distances."""

from __future__ import annotations

import csv
import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path

from optimizer import Job, Point, Problem, Technician, TimeWindow, TravelModel, Weights
from optimizer.model import SolverOptions

SCALE = 100  # 1 Solomon unit -> 100 integer units (distance and time alike)
SUSPECT_DISTANCE_BKS = frozenset({"R109", "RC103"})  # see benchmarks/data/SOURCES.md


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: tuple[Customer, ...]

    @property
    def nodes(self) -> tuple[Customer, ...]:
        return (self.depot, *self.customers)


def data_dir(override: str | None = None) -> Path:
    """``--data``, else ``$FIELDOPS_SOLOMON_DIR``, else the vendored ``benchmarks/data/solomon``
    (in the repository, with its provenance in ``benchmarks/data/SOURCES.md``)."""
    if override:
        return Path(override)
    env = os.environ.get("FIELDOPS_SOLOMON_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "data" / "solomon"


def parse(path: Path) -> Instance:
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    name = lines[0]
    i = next(k for k, ln in enumerate(lines) if ln.startswith("NUMBER"))
    vehicles, capacity = (int(v) for v in lines[i + 1].split())
    j = next(k for k, ln in enumerate(lines) if ln.startswith("CUST"))
    rows = [ln.split() for ln in lines[j + 1:] if ln and ln[0].isdigit()]
    custs = [Customer(int(r[0]), float(r[1]), float(r[2]), int(r[3]), int(r[4]), int(r[5]),
                      int(r[6])) for r in rows]
    return Instance(name, vehicles, capacity, custs[0], tuple(custs[1:]))


def euclid(a: Customer, b: Customer) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def to_problem(inst: Instance, *, options: SolverOptions | None = None) -> Problem:
    """Customers as jobs, vehicles as technicians without skills, capacity as a "load" part.

    Distances are round(d x 100); travel times are ceil(d x 100) so that any plan feasible in
    integers is also feasible in double precision.
    """
    nodes = inst.nodes
    dist = tuple(tuple(round(euclid(a, b) * SCALE) for b in nodes) for a in nodes)
    dur = tuple(tuple(math.ceil(euclid(a, b) * SCALE - 1e-7) for b in nodes) for a in nodes)
    depot = inst.depot
    shift = TimeWindow(depot.ready * SCALE, depot.due * SCALE)
    techs = tuple(
        Technician(
            id=f"v{k}", start=Point(depot.x, depot.y), shifts=(shift,),
            # 0.1 per km = 1 cost unit per scaled distance unit (see optimizer.costs.SCALE)
            van_stock={"load": inst.capacity}, cost_per_km=0.1,
            cost_per_hour=0.0, start_location=0, end_location=0,
        )
        for k in range(inst.vehicles)
    )
    jobs = tuple(
        Job(
            id=c.number, location=Point(c.x, c.y), duration=c.service * SCALE,
            windows=(TimeWindow(c.ready * SCALE, c.due * SCALE),), parts={"load": c.demand},
            priority=1, location_index=c.number,
        )
        for c in inst.customers
    )
    weights = Weights(drop_penalty={1: 1_000_000.0}, balance_per_hour=0.0)
    return Problem(techs, jobs, TravelModel(distances=dist, durations=dur), weights,
                   options=options or SolverOptions())


def route_distance(inst: Instance, route: list[int]) -> float:
    """Double-precision length of depot -> customers -> depot."""
    nodes = inst.nodes
    seq = [0, *route, 0]
    return sum(euclid(nodes[a], nodes[b]) for a, b in itertools.pairwise(seq))


def exact_feasible(inst: Instance, routes: list[list[int]]) -> list[str]:
    """Double-precision recheck of windows, depot due date and capacity (Solomon rules)."""
    nodes = inst.nodes
    errors: list[str] = []
    served = sorted(c for r in routes for c in r)
    if served != [c.number for c in inst.customers]:
        errors.append("customers not served exactly once")
    for r in routes:
        t, prev, load = float(inst.depot.ready), 0, 0
        for c in r:
            cust = nodes[c]
            t = max(t + euclid(nodes[prev], cust), cust.ready)
            if t > cust.due + 1e-9:
                errors.append(f"customer {c} starts at {t:.3f} > {cust.due}")
            t += cust.service
            load += cust.demand
            prev = c
        if t + euclid(nodes[prev], inst.depot) > inst.depot.due + 1e-9:
            errors.append("route returns after the depot closes")
        if load > inst.capacity:
            errors.append(f"route load {load} > {inst.capacity}")
    return errors


def read_bks(path: Path) -> dict[str, tuple[int, float]]:
    with path.open() as fh:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"]))
                for row in csv.DictReader(fh)}
