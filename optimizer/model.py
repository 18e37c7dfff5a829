"""Input and output dataclasses of the optimizer (the public contract).

Units: times are integer seconds since the problem's horizon origin; distances are integer
metres; money is a float in the caller's currency per km / per hour (converted to integer cost
units inside the solver, see ``optimizer.costs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Id = str | int
VisitKind = Literal["job", "pickup"]


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS84 position, or any planar (x, y) pair when a matrix travel model is used."""

    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Closed interval ``[start, end]`` in seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends before it starts: {self.start}..{self.end}")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


@dataclass(frozen=True, slots=True)
class Break:
    """A break (e.g. lunch) of ``duration`` s taken wholly inside ``window`` (start and end,
    as dispatch systems state it: "30 minutes between 12:00 and 13:30").

    Breaks are taken while waiting or between stops (never during a service); a break may also
    fall before the route starts or after it ends (the technician is at home then).
    """

    id: Id
    window: TimeWindow
    duration: int

    def __post_init__(self) -> None:
        if self.duration < 0 or self.duration > self.window.end - self.window.start:
            raise ValueError(f"break {self.id!r} of {self.duration}s does not fit in its window "
                             f"{self.window.start}..{self.window.end}")

    @property
    def latest_start(self) -> int:
        return self.window.end - self.duration


@dataclass(frozen=True, slots=True)
class Pin:
    """A job pinned to a technician: locked to it, and optionally fixed to start at ``start``."""

    job_id: Id
    start: int | None = None


@dataclass(frozen=True, slots=True)
class Technician:
    """A technician (a vehicle in routing terms).

    Each shift becomes one route; ``breaks`` belong to the shift whose window contains their
    start window. ``max_work_s`` caps each route's span (first departure to last arrival,
    waiting included). ``van_stock`` is the part -> quantity carried at the start of each shift.
    """

    id: Id
    start: Point | int  # an int is a location index of a matrix travel model
    shifts: tuple[TimeWindow, ...]
    end: Point | int | None = None  # None: back to ``start``
    breaks: tuple[Break, ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> level 1..5
    max_work_s: int | None = None
    cost_per_km: float = 0.5
    cost_per_hour: float = 30.0
    van_stock: Mapping[str, int] = field(default_factory=dict)
    pins: tuple[Pin, ...] = ()
    start_location: int | None = None  # index into TravelModel.locations (matrix models)
    end_location: int | None = None
    cost_per_working_hour: float = 0.0  # per hour of route span (departure to return)
    tools: frozenset[str] = frozenset()  # reusable tools in the van (never used up)
    profile: str | None = None  # a name in TravelModel.profiles; None: the problem's model

    @property
    def end_point(self) -> Point | int:
        return self.end if self.end is not None else self.start


@dataclass(frozen=True, slots=True)
class Job:
    """A job (a visit to make).

    ``windows``: service must *start* inside one of them (hard). ``sla_due``: service starting
    later is allowed but costs ``Weights.lateness_per_hour[priority]`` per hour late.
    ``duration`` is the service time of a technician at exactly the required level; with
    ``scale_duration_by_level`` it is multiplied by ``Weights.level_duration_factor`` of the
    technician's surplus level (see ``optimizer.travel.service_duration``).
    """

    id: Id
    location: Point | int  # an int is a location index of a matrix travel model
    duration: int
    windows: tuple[TimeWindow, ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> minimum level
    priority: int = 3  # 1 (most urgent) .. 4
    sla_due: int | None = None
    parts: Mapping[str, int] = field(default_factory=dict)
    scale_duration_by_level: bool = False
    same_technician_as: Id | None = None
    not_before: Id | None = None  # may start only after that job has ended
    location_index: int | None = None  # index into TravelModel.locations (matrix models)
    # Drop penalty (currency) when left unassigned; None: ``Weights.drop_penalty[priority]``.
    value: float | None = None
    # Must be served: priced far above every other cost (see ``optimizer.costs.drop_units``);
    # when it cannot be, the plan lists it with its reason and ``stats["must_serve_unserved"]``.
    must_serve: bool = False
    tools: frozenset[str] = frozenset()  # reusable tools the technician needs (not consumed)


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A stock location where a technician may stop to pick up parts and fetch tools
    (``allow_pickups``): any number of times per route, at any warehouse, the whole pick-up
    (``pickup_duration``) within ``hours``."""

    id: Id
    location: Point | int  # an int is a location index of a matrix travel model
    stock: Mapping[str, int]
    pickup_duration: int = 600
    hours: TimeWindow | None = None
    location_index: int | None = None
    tools: frozenset[str] = frozenset()  # tools a technician may fetch here (not consumed)


@dataclass(frozen=True, slots=True)
class TravelModel:
    """How long and how far it is between two points.

    Either haversine distance x ``road_factor`` driven at ``speed_kmh``, or explicit
    ``distances`` and ``durations`` matrices over location indexes; jobs, technicians and
    warehouses then name their index, either as ``location_index`` / ``start_location`` /
    ``end_location`` or directly as their ``location`` / ``start`` / ``end`` (an ``int``: no
    dummy point needed). Matrix entries may be floats in any unit: they are multiplied by
    ``distance_scale`` (metres per unit) and ``duration_scale`` (seconds per unit) and rounded
    to integers here (any sequence of sequences is accepted, e.g. lists or numpy arrays).

    ``profiles``: vehicle profiles by name (car, van, bike, walking...), each a travel model of
    its own, which a technician selects with ``Technician.profile``; a matrix profile may give
    ``durations`` only and then shares this model's ``distances``.
    """

    road_factor: float = 1.3
    speed_kmh: float = 40.0
    distances: tuple[tuple[int, ...], ...] | None = None
    durations: tuple[tuple[int, ...], ...] | None = None
    distance_scale: float = 1.0
    duration_scale: float = 1.0
    profiles: Mapping[str, TravelModel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, scale in (("distances", self.distance_scale),
                            ("durations", self.duration_scale)):
            raw = getattr(self, name)
            if raw is not None:
                object.__setattr__(self, name, _int_matrix(name, raw, scale))
        if self.distances is not None and self.durations is None:
            raise ValueError("a matrix travel model needs durations as well as distances")
        if self.distances is not None and self.durations is not None and (
                len(self.distances) != len(self.durations)):
            raise ValueError("distances and durations matrices differ in size")
        if self.profiles:  # durations-only profiles share this model's distances
            object.__setattr__(self, "profiles", {
                name: TravelModel(p.road_factor, p.speed_kmh, self.distances, p.durations)
                if p.distances is None and p.durations is not None else p
                for name, p in self.profiles.items()})

    @property
    def is_matrix(self) -> bool:
        return self.distances is not None


def _int_matrix(name: str, raw: object, scale: float) -> tuple[tuple[int, ...], ...]:
    """A square matrix of ints (entries x ``scale``, rounded); already-int tuples as they are."""
    rows = tuple(tuple(r) for r in raw)  # type: ignore[attr-defined]
    n = len(rows)
    if any(len(r) != n for r in rows):
        raise ValueError(f"the {name} matrix is not square")
    if scale == 1.0 and all(type(x) is int for r in rows for x in r):
        return rows
    out = tuple(tuple(round(float(x) * scale) for x in r) for r in rows)
    if any(x < 0 for r in out for x in r):
        raise ValueError(f"the {name} matrix has negative entries")
    return out


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights. Everything is in currency units, summed into one objective.

    - ``drop_penalty[p]``: cost of leaving a priority-p job unassigned (P1 >> P4, and far above
      any travel cost, so serving always wins);
    - ``lateness_per_hour[p]``: cost per hour of service start after the job's ``sla_due``;
    - ``travel``: multiplier of each technician's ``cost_per_km`` x km + ``cost_per_hour`` x
      driving hours;
    - ``balance_per_hour``: cost per hour of the busiest route's working time (travel + service),
      which pulls load towards an even spread;
    - ``vehicle_fixed``: cost per technician route used;
    - ``level_duration_factor[k]``: service-time factor for a technician ``k`` levels above the
      job's minimum (only for jobs with ``scale_duration_by_level``).
    """

    drop_penalty: Mapping[int, float] = field(
        default_factory=lambda: {1: 100_000.0, 2: 20_000.0, 3: 5_000.0, 4: 1_000.0}
    )
    lateness_per_hour: Mapping[int, float] = field(
        default_factory=lambda: {1: 400.0, 2: 150.0, 3: 50.0, 4: 15.0}
    )
    travel: float = 1.0
    balance_per_hour: float = 2.0
    vehicle_fixed: float = 0.0
    level_duration_factor: tuple[float, ...] = (1.0, 0.9, 0.8, 0.75, 0.7)


@dataclass(frozen=True, slots=True)
class SolverOptions:
    """Search settings. ``solution_limit`` makes a run independent of machine speed;
    ``parameters_text`` is merged (protobuf text format) into OR-Tools'
    ``RoutingSearchParameters`` last, for tuning without code changes."""

    first_solution: str = "LOCAL_CHEAPEST_INSERTION"
    # "ITERATED_LOCAL_SEARCH" (ruin and recreate, see optimizer.search) or an OR-Tools
    # LocalSearchMetaheuristic name such as "GUIDED_LOCAL_SEARCH".
    metaheuristic: str = "ITERATED_LOCAL_SEARCH"
    bandit_operators: bool = True  # multi-armed-bandit operator choice: -40% gap on Solomon
    # Take several start strategies to a local optimum and continue from the best (problems
    # up to ``light_operators_min_jobs`` jobs and without ``solution_limit``; not with
    # iterated local search, which cannot start from a given plan).
    multi_start: bool = True
    portfolio: bool = False  # instead: the metaheuristic from each start, time shared
    solution_limit: int | None = None
    log_search: bool = False
    parameters_text: str = ""
    # Above this many jobs, breaks are reserved time and inserted after the search
    # (optimizer.breaks); at or below it they are exact OR-Tools break intervals.
    exact_breaks_max_jobs: int = 150
    # Above this many jobs the slowest insertion-based LNS operators are switched off.
    light_operators_min_jobs: int = 200
    # Optional pick-up nodes per warehouse (shared by all routes); None: one per job that may
    # need a pick-up, at most two per route.
    pickups_per_warehouse: int | None = None
    # From this many (job, route) pairs on, the first plan comes from optimizer.start
    # ("FAST_INSERTION") instead of OR-Tools' insertion starts, which take seconds there.
    fast_start_min_pairs: int = 50_000
    # Independent searches in this many processes (seeds seed, seed + 1, ...), the plan with
    # the lowest objective kept; see optimizer.parallel. 1: one search in this process.
    parallel_searches: int = 1
    # Under iterated local search, plan days the compiled ruin and recreate handles
    # (optimizer.sisr.plain: no breaks, pick-ups, linked jobs...) with it instead of
    # OR-Tools' search.
    compiled_search: bool = True

    def __post_init__(self) -> None:
        if self.parallel_searches < 1:
            raise ValueError("parallel_searches must be at least 1")


@dataclass(frozen=True, slots=True)
class Problem:
    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    travel: TravelModel = field(default_factory=TravelModel)
    weights: Weights = field(default_factory=Weights)
    warehouses: tuple[Warehouse, ...] = ()
    allow_pickups: bool = False
    options: SolverOptions = field(default_factory=SolverOptions)


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop. ``arrival`` is when the technician gets there (after any break taken on the
    way), ``start``/``end`` the service; ``waiting = start - arrival``."""

    kind: VisitKind
    ref: Id  # job id or warehouse id
    arrival: int
    start: int
    end: int
    waiting: int
    travel_s: int
    travel_m: int
    picked: Mapping[str, int] = field(default_factory=dict)  # pickups only
    tools: frozenset[str] = frozenset()  # pickups only: tools fetched here


@dataclass(frozen=True, slots=True)
class ScheduledBreak:
    id: Id
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Route:
    """One technician shift: depart ``start_time``, the visits, back at ``end_time``."""

    technician_id: Id
    shift: int  # index into Technician.shifts
    start_time: int
    end_time: int
    visits: tuple[Visit, ...]
    breaks: tuple[ScheduledBreak, ...]
    return_travel_s: int
    return_travel_m: int


@dataclass(frozen=True, slots=True)
class Unassigned:
    job_id: Id
    reason: str  # missing_skill | no_reachable_window | parts_unavailable | shift_too_short |
    # out_of_capacity | invalid_link
    detail: str


@dataclass(frozen=True, slots=True)
class Plan:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: Mapping[str, object]
    objective: float
    stats: Mapping[str, object]

    def route_of(self, technician_id: Id, shift: int = 0) -> Route | None:
        for r in self.routes:
            if r.technician_id == technician_id and r.shift == shift:
                return r
        return None


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    job_id: Id | None
    technician_id: Id | None
    detail: str
