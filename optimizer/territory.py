"""Larger than one machine: split a day by territory, solve the parts anywhere, merge, repair.

A country-scale day (hundreds of technicians, thousands of jobs) is too large for one search in
one process within a dispatcher's patience, and its parts barely interact: a technician in
Munich never serves Hamburg. So:

1. :func:`split` groups the technicians into ``parts`` territories: by a given territory key
   per technician (e.g. the app's Territory rows), else by k-means on their start positions
   (deterministic farthest-point seeds, Lloyd iterations). Each job goes to the part of the
   nearest technician who has its skills (a pinned job to its technician's part; linked jobs
   follow the job they are linked to). Each part is an ordinary :class:`Problem`.
2. The parts are solved independently (``optimizer.solve``), in parallel wherever the caller
   likes: processes, or Celery workers on several machines (``app/dispatch``).
3. :func:`merge` unites the part plans (routes never overlap: each technician is in one part)
   and :func:`repair` handles the border: every job a part could not place is tried, by
   ``optimizer.insert``, on the routes of the ``neighbours`` nearest qualified technicians of
   *other* parts (cheapest feasible position; the rest of those routes is re-timed). The
   result is valid for the whole problem (``validate`` passes).

Pure Python and OR-Tools like the rest of the package; nothing here knows about Celery.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from optimizer.insert import insert
from optimizer.kpis import compute_kpis
from optimizer.model import Id, Job, Plan, Point, Problem, Route, Technician, Unassigned
from optimizer.travel import haversine_m, skill_surplus


@dataclass(frozen=True, slots=True)
class Part:
    """One territory: its problem (a subset of technicians and jobs; warehouses, travel,
    weights and options of the whole)."""

    key: object
    problem: Problem


def _xy(p: Point) -> tuple[float, float]:
    """Local planar coordinates (km) good enough for clustering within a country."""
    return p.lng * 111.32 * math.cos(math.radians(p.lat)), p.lat * 110.57


def _kmeans(points: Sequence[tuple[float, float]], k: int, iterations: int = 25
            ) -> list[int]:
    """Cluster index per point: farthest-point seeds (deterministic), Lloyd iterations."""
    k = max(1, min(k, len(points)))
    centres = [points[0]]
    while len(centres) < k:
        far = max(range(len(points)), key=lambda i: min(
            (points[i][0] - c[0]) ** 2 + (points[i][1] - c[1]) ** 2 for c in centres))
        centres.append(points[far])
    label = [0] * len(points)
    for _ in range(iterations):
        label = [min(range(k), key=lambda c: (p[0] - centres[c][0]) ** 2
                     + (p[1] - centres[c][1]) ** 2) for p in points]
        moved = False
        for c in range(k):
            members = [points[i] for i in range(len(points)) if label[i] == c]
            if not members:
                continue
            centre = (sum(m[0] for m in members) / len(members),
                      sum(m[1] for m in members) / len(members))
            moved |= centre != centres[c]
            centres[c] = centre
        if not moved:
            break
    return label


def _point(where: Point | int) -> Point:
    """A position on the map; a territory split needs coordinates, not matrix indexes."""
    if isinstance(where, int):
        raise ValueError("a territory split needs positions (lat, lng), not matrix indexes")
    return where


def _nearest(techs: Sequence[Technician], job: Job, need_skill: bool = True) -> int:
    cands = [i for i, t in enumerate(techs) if not need_skill or skill_surplus(job, t)
             is not None] or list(range(len(techs)))
    return min(cands, key=lambda i: haversine_m(_point(techs[i].start), _point(job.location)))


def split(problem: Problem, parts: int, *,
          territory_of: Mapping[Id, object] | None = None) -> list[Part]:
    """The problem cut into territories (see the module docstring)."""
    techs = problem.technicians
    keys: list[object]
    if territory_of is not None:
        keys = sorted({territory_of.get(t.id) for t in techs}, key=str)
        label = [keys.index(territory_of.get(t.id)) for t in techs]
    else:
        label = _kmeans([_xy(_point(t.start)) for t in techs], parts)
        keys = list(sorted(set(label)))
        label = [keys.index(x) for x in label]
    tech_part = {t.id: label[i] for i, t in enumerate(techs)}
    pinned = {p.job_id: tech_part[t.id] for t in techs for p in t.pins}
    job_part: dict[Id, int] = {}
    for job in problem.jobs:
        job_part[job.id] = pinned[job.id] if job.id in pinned else \
            tech_part[techs[_nearest(techs, job)].id]
    for job in problem.jobs:  # linked jobs follow their partner (one hop is what links use)
        other = job.same_technician_as if job.same_technician_as is not None else job.not_before
        if other is not None and other in job_part and job.id not in pinned:
            job_part[job.id] = job_part[other]
    out = []
    for k, key in enumerate(keys):
        sub = dataclasses.replace(
            problem, technicians=tuple(t for t in techs if tech_part[t.id] == k),
            jobs=tuple(j for j in problem.jobs if job_part[j.id] == k))
        if sub.technicians or sub.jobs:
            out.append(Part(key, sub))
    return out


def merge(problem: Problem, plans: Iterable[Plan]) -> Plan:
    """The part plans as one plan of the whole problem (before the border repair)."""
    plans = list(plans)
    routes = tuple(r for p in plans for r in p.routes)
    unassigned = tuple(u for p in plans for u in p.unassigned)
    kpis = compute_kpis(problem, list(routes), list(unassigned))
    return Plan(routes, unassigned, kpis, sum(p.objective for p in plans),
                {"parts": len(plans)})


def repair(problem: Problem, plan: Plan, *, parts: Sequence[Part] = (),
           neighbours: int = 12, own_part: bool = False) -> Plan:
    """Try each unassigned job on the routes of the nearest qualified technicians of *other*
    parts (the ``neighbours`` nearest qualified technicians overall, less those of the job's
    own part, whose solve already failed to place it: a job deep inside its territory has no
    candidates and is skipped); highest priority first. Without ``parts`` every nearest
    qualified technician is a candidate; with ``own_part`` the job's own part's technicians
stay candidates too (a second chance for a part whose search was cut short). Returns a plan
valid for ``problem``."""
    jobs = {j.id: j for j in problem.jobs}
    tech_part = {t.id: k for k, p in enumerate(parts) for t in p.problem.technicians}
    job_part = {j.id: k for k, p in enumerate(parts) for j in p.problem.jobs}
    routes: dict[Id, list[Route]] = {}
    for r in plan.routes:
        routes.setdefault(r.technician_id, []).append(r)
    unassigned = {u.job_id: u for u in plan.unassigned}
    placed = tried = 0
    order = sorted(unassigned, key=lambda jid: (jobs[jid].priority, str(jid)))
    for jid in order:
        job = jobs[jid]
        near = sorted((t for t in problem.technicians if skill_surplus(job, t) is not None),
                      key=lambda t: haversine_m(_point(t.start), _point(job.location)))[:neighbours]
        cands = [t for t in near if own_part or jid not in job_part
                 or tech_part.get(t.id) != job_part[jid]]
        if not cands:
            continue
        tried += 1
        on_routes = {v.ref for t in cands for r in routes.get(t.id, ()) for v in r.visits
                     if v.kind == "job"}
        sub = dataclasses.replace(problem, technicians=tuple(cands),
                                  jobs=tuple(jobs[x] for x in on_routes))
        sub_plan = Plan(tuple(r for t in cands for r in routes.get(t.id, ())), (), {}, 0.0, {})
        result = insert(sub, sub_plan, job, -1)
        if not result.stats.get("inserted"):
            continue
        tid = result.stats["technician_id"]
        routes[tid] = [r for r in result.routes if r.technician_id == tid]  # type: ignore[index]
        del unassigned[jid]
        placed += 1
    all_routes = [r for rs in routes.values() for r in rs]
    left: list[Unassigned] = list(unassigned.values())
    kpis = compute_kpis(problem, all_routes, left)
    stats = {**plan.stats, "repaired": placed, "repair_tried": tried}
    return Plan(tuple(all_routes), tuple(left), kpis, plan.objective, stats)
