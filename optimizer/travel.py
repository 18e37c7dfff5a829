"""Travel distances/times and service durations, in pure Python (no OR-Tools).

Both the solver and ``validate`` go through :func:`leg`, so a plan is checked against exactly
the figures it was built with. Haversine legs: metres = round(great-circle x road factor),
seconds = ceil(metres / speed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

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
) -> tuple[list[list[int]], list[list[int]]]:
    """(metres, seconds) between all ``places``, equal to :func:`leg` pair by pair (each
    distinct pair is computed once)."""
    uniq: dict[Place, int] = {}
    for p in places:
        uniq.setdefault(p, len(uniq))
    keys = list(uniq)
    u = len(keys)
    dist = [[0] * u for _ in range(u)]
    secs = [[0] * u for _ in range(u)]
    if travel.distances is not None:
        assert travel.durations is not None
        for i, a in enumerate(keys):
            for j, b in enumerate(keys):
                dist[i][j], secs[i][j] = travel.distances[a][b], travel.durations[a][b]  # type: ignore[index]
    else:
        trig = [_trig(p.lat, p.lng) for p in keys]  # type: ignore[union-attr]
        for i in range(u):
            for j in range(i + 1, u):
                if keys[i] == keys[j]:
                    continue
                m, s = _road(travel, _great_circle(trig[i], trig[j]))
                dist[i][j] = dist[j][i] = m
                secs[i][j] = secs[j][i] = s
    pos = [uniq[p] for p in places]
    return ([[dist[a][b] for b in pos] for a in pos], [[secs[a][b] for b in pos] for a in pos])


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
