"""Travel distances/times and service durations, in pure Python (no OR-Tools).

Both the solver and ``validate`` go through :func:`leg`, so a plan is checked against exactly
the figures it was built with. Haversine legs: metres = round(great-circle x road factor),
seconds = ceil(metres / speed). The solver's matrices (:func:`legs_between`) are computed with
numpy, and every entry is equal to :func:`leg` (see there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from optimizer.model import Job, Point, Problem, Technician, TravelModel, Warehouse

EARTH_RADIUS_M = 6_371_008.8

Place = Point | int  # a point (haversine model) or a location index (matrix model)


@lru_cache(maxsize=1 << 16)
def _trig(lat: float, lng: float) -> tuple[float, float, float]:
    phi = math.radians(lat)
    return phi, math.radians(lng), math.cos(phi)


def _great_circle(ta: tuple[float, float, float], tb: tuple[float, float, float]) -> float:
    pa, la, ca = ta
    pb, lb, cb = tb
    h = math.sin((pb - pa) / 2) ** 2 + ca * cb * math.sin((lb - la) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres."""
    return _great_circle(_trig(a.lat, a.lng), _trig(b.lat, b.lng))


def _road(travel: TravelModel, great_circle_m: float) -> tuple[int, int]:
    metres = round(great_circle_m * travel.road_factor)
    return metres, math.ceil(metres / (travel.speed_kmh / 3.6))


def matrices(
    travel: TravelModel, places: Sequence[Place]
) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) between all ``places`` as int64 arrays, equal to :func:`leg` pair by
    pair (each distinct place is computed once)."""
    return legs_between(travel, places, places)


def legs_between(
    travel: TravelModel, rows: Sequence[Place], cols: Sequence[Place]
) -> tuple[np.ndarray, np.ndarray]:
    """(metres, seconds) int64 arrays of shape (len(rows), len(cols)): entry [i, j] equals
    ``leg(travel, rows[i], cols[j])``."""
    if travel.distances is not None:
        assert travel.durations is not None
        if not all(isinstance(p, int) for p in (*rows, *cols)):
            raise ValueError("a matrix travel model needs location indexes on every place")
        sel = np.ix_(np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp))
        return (np.asarray(travel.distances, dtype=np.int64)[sel],
                np.asarray(travel.durations, dtype=np.int64)[sel])
    ukeys: dict[Place, int] = {}
    for p in (*rows, *cols):
        if not isinstance(p, Point):
            raise ValueError("a haversine travel model needs points")
        ukeys.setdefault(p, len(ukeys))
    ri = np.fromiter((ukeys[p] for p in rows), dtype=np.intp, count=len(rows))
    ci = np.fromiter((ukeys[p] for p in cols), dtype=np.intp, count=len(cols))
    return _haversine_legs(travel, list(ukeys), ri, ci)


def _haversine_legs(
    travel: TravelModel, keys: list[Place], ri: np.ndarray, ci: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`_road` of :func:`haversine_m` between ``keys[ri]`` and ``keys[ci]``.

    The per-point terms come from the same ``_trig`` as :func:`leg`; numpy's ``sin``/``asin``
    may differ from libm in the last bit, which can only change ``round`` where the road
    distance lies within a hair of ``k + 0.5`` metres, so those few entries are recomputed
    with :func:`leg`'s own arithmetic.
    """
    trig = np.array([_trig(p.lat, p.lng) for p in keys], dtype=np.float64)  # type: ignore[union-attr]
    phi, lam, cos = trig[:, 0], trig[:, 1], trig[:, 2]
    pa, pb = phi[ri][:, None], phi[ci][None, :]
    la, lb = lam[ri][:, None], lam[ci][None, :]
    h = np.sin((pb - pa) / 2) ** 2 + cos[ri][:, None] * cos[ci][None, :] * np.sin(
        (lb - la) / 2) ** 2
    great = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    road = great * travel.road_factor
    metres = np.rint(road)
    close = np.abs(road - np.floor(road) - 0.5) < 1e-6
    same = ri[:, None] == ci[None, :]
    for i, j in zip(*np.nonzero(close & ~same), strict=True):
        a, b = keys[ri[i]], keys[ci[j]]
        metres[i, j] = round(haversine_m(a, b) * travel.road_factor)  # type: ignore[arg-type]
    metres[same] = 0
    secs = np.ceil(metres / (travel.speed_kmh / 3.6))
    return metres.astype(np.int64), secs.astype(np.int64)


def leg(travel: TravelModel, a: Place, b: Place) -> tuple[int, int]:
    """(metres, seconds) from ``a`` to ``b``."""
    if travel.distances is not None:
        if not isinstance(a, int) or not isinstance(b, int):
            raise ValueError("a matrix travel model needs location indexes on every place")
        assert travel.durations is not None
        return travel.distances[a][b], travel.durations[a][b]
    if not isinstance(a, Point) or not isinstance(b, Point):
        raise ValueError("a haversine travel model needs points")
    if a == b:
        return 0, 0
    return _road(travel, haversine_m(a, b))


def _place(travel: TravelModel, point: Point | int, index: int | None) -> Place:
    if travel.is_matrix:
        if index is None and isinstance(point, int):
            index = point
        if index is None:
            raise ValueError("a matrix travel model needs a location_index on every place")
        return index
    if isinstance(point, int):
        raise ValueError("a location index needs a matrix travel model")
    return point


def travel_of(problem: Problem, tech: Technician) -> TravelModel:
    """The travel model of ``tech``: its profile's, or the problem's."""
    if tech.profile is None:
        return problem.travel
    return profile_model(problem.travel, tech.profile)


def profile_model(base: TravelModel, name: str) -> TravelModel:
    try:
        prof = base.profiles[name]
    except KeyError:
        raise ValueError(f"unknown travel profile {name!r}") from None
    if prof.is_matrix != base.is_matrix:
        raise ValueError(f"profile {name!r} and the problem's travel model differ in kind "
                         "(matrix or haversine)")
    return prof


def job_place(problem: Problem, job: Job) -> Place:
    return _place(problem.travel, job.location, job.location_index)


def start_place(problem: Problem, tech: Technician) -> Place:
    return _place(problem.travel, tech.start, tech.start_location)


def end_place(problem: Problem, tech: Technician) -> Place:
    idx = tech.end_location if tech.end_location is not None else tech.start_location
    return _place(problem.travel, tech.end_point, idx)


def warehouse_place(problem: Problem, wh: Warehouse) -> Place:
    return _place(problem.travel, wh.location, wh.location_index)


def skill_surplus(job: Job, tech: Technician) -> int | None:
    """Levels above the job's minimum (the smallest over its skills); None if not qualified."""
    surplus = 99
    for skill, level in job.skills.items():
        have = tech.skills.get(skill, 0)
        if have < level:
            return None
        surplus = min(surplus, have - level)
    return 0 if surplus == 99 else surplus


def service_duration(job: Job, tech: Technician, factors: Sequence[float]) -> int:
    """Service time of ``job`` done by ``tech`` (scaled by skill surplus when the job asks)."""
    if not job.scale_duration_by_level or not factors:
        return job.duration
    surplus = skill_surplus(job, tech) or 0
    return round(job.duration * factors[min(surplus, len(factors) - 1)])
