"""Realistic technician days: ours side by side with VROOM, and one day solved and disrupted.

    .venv/bin/python benchmarks/city_day.py [--shape 60x600,60x350,40x300,100x1000]
        [--limit-s 10,30] [--seed 1] [--no-pickups] [--json out.json]
    .venv/bin/python benchmarks/city_day.py --emergency --limit-s 60 [--seed 1]

The comparison (default) builds each day shape (technicians x jobs) on integer travel matrices
and solves it with ours and with VROOM (pyvroom, exploration level 5, one thread, its timeout =
the limit) at each limit; ours also once with warehouse pick-ups allowed (not comparable: VROOM
cannot model them). Per shape, limit and solver it prints jobs assigned, P1 jobs left undone,
lost priority weight (``LOST_WEIGHT``), travel minutes and km, CPU and wall seconds, and the
count of broken rules found by an independent re-check of the plan from the raw data (plus
``optimizer.validate`` for ours).

``--emergency`` runs the earlier single-day benchmark: model build time, time to first feasible
plan, objective after 10/30/60 s (from one run's improvement trace), share assigned, on-time
share, peak memory, validation, and the median and p95 time of 100 successive emergency
insertions (``optimizer.insert``) during the day.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimizer import (
    Break,
    Job,
    Plan,
    Point,
    Problem,
    Technician,
    TimeWindow,
    TravelModel,
    Warehouse,
    Weights,
    insert,
    solve,
    validate,
    with_job,
)
from optimizer.model import Id, SolverOptions
from optimizer.travel import matrices

H = 3600
CENTRE = Point(52.37, 4.89)
SKILLS = ("hvac", "electrical", "plumbing", "refrigeration", "elevator")
PARTS = tuple(f"part-{k:02d}" for k in range(12))


def _near(rng: random.Random, km: float) -> Point:
    # ~111 km per degree latitude, ~68 km per degree longitude at 52 N.
    return Point(CENTRE.lat + rng.uniform(-km, km) / 111.0,
                 CENTRE.lng + rng.uniform(-km, km) / 68.0)


def make_day(seed: int, n_tech: int = 60, n_jobs: int = 600, *,
             minutes: tuple[int, int] = (10, 45), two_windows: float = 0.0) -> Problem:
    """The day: ``minutes`` is the range of service times, ``two_windows`` the share of jobs
    with two windows (morning and afternoon slots)."""
    rng = random.Random(seed)
    techs = []
    for t in range(n_tech):
        start_h = rng.choice((7, 8, 8, 8, 9))
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 3))}
        stock = {p: rng.randint(0, 3) for p in rng.sample(PARTS, 6)}
        techs.append(Technician(
            id=f"tech-{t:02d}", start=_near(rng, 18), shifts=(TimeWindow(start_h * H,
                                                                          (start_h + 9) * H),),
            breaks=(Break("lunch", TimeWindow(12 * H, 13 * H + 1800), 1800),),
            skills=skills, max_work_s=9 * H, van_stock=stock,
            cost_per_km=rng.choice((0.35, 0.45)), cost_per_hour=rng.choice((28.0, 35.0)),
        ))
    jobs = []
    for j in range(n_jobs):
        kind = rng.random()
        if kind < 0.6:
            windows: tuple[TimeWindow, ...] = (TimeWindow(8 * H, 17 * H),)
        elif kind < 0.9:
            windows = (TimeWindow(8 * H, 12 * H),) if rng.random() < 0.5 else (
                TimeWindow(12 * H, 17 * H),)
        else:
            s = rng.randint(8, 15)
            windows = (TimeWindow(s * H, (s + 2) * H),)
        if two_windows and rng.random() < two_windows:
            a, b = rng.randint(8, 10), rng.randint(13, 15)
            windows = (TimeWindow(a * H, (a + 2) * H), TimeWindow(b * H, (b + 2) * H))
        priority = rng.choices((1, 2, 3, 4), weights=(5, 15, 50, 30))[0]
        due = {1: 8 * H + rng.randint(2, 4) * H, 2: rng.randint(12, 17) * H,
               3: 17 * H, 4: None}[priority]
        n_sk = 1 if rng.random() < 0.85 else 2
        need = {s: rng.randint(1, 4) for s in rng.sample(SKILLS, n_sk)}
        parts = {rng.choice(PARTS): rng.randint(1, 2)} if rng.random() < 0.3 else {}
        jobs.append(Job(
            id=f"job-{j:03d}", location=_near(rng, 12), duration=rng.randint(*minutes) * 60,
            windows=windows, skills=need, priority=priority, sla_due=due, parts=parts,
            scale_duration_by_level=rng.random() < 0.5,
        ))
    warehouses = tuple(
        Warehouse(f"wh-{k}", _near(rng, 10), {p: 50 for p in PARTS}, pickup_duration=900)
        for k in range(3)
    )
    return Problem(tuple(techs), tuple(jobs), warehouses=warehouses, allow_pickups=True)


# --- Side by side with VROOM on field-service days --------------------------------------------

SHAPES = ("60x600", "60x350", "40x300", "100x1000")
# Lost priority weight: the sum over undone jobs of this weight per priority (the figure the
# comparison ranks by, after P1 jobs left undone). VROOM gets priorities in the same ratio and
# our drop penalties are the same weights x 100 currency units.
LOST_WEIGHT = {1: 1000, 2: 300, 3: 100, 4: 30}
VROOM_PRIORITY = {1: 100, 2: 30, 3: 10, 4: 3}
DAY_MINUTES = (30, 90)  # service times of the comparison days (oversubscribed at 60 x 600)
TWO_WINDOWS = 0.15


def field_day(seed: int, n_tech: int, n_jobs: int) -> Problem:
    """A comparison day on integer matrices (both solvers read the same figures), in the variant
    both can model: no warehouse pick-ups, no soft SLA, no balance term, drop penalties from
    ``LOST_WEIGHT``. Service times still scale with the technician's skill level."""
    day = make_day(seed, n_tech, n_jobs, minutes=DAY_MINUTES, two_windows=TWO_WINDOWS)
    places = [t.start for t in day.technicians] + [j.location for j in day.jobs] + [
        w.location for w in day.warehouses]
    dist, secs = matrices(day.travel, places)
    nt, nj = len(day.technicians), len(day.jobs)
    techs = tuple(dataclasses.replace(t, start_location=k) for k, t in enumerate(day.technicians))
    jobs = tuple(dataclasses.replace(j, location_index=nt + k, sla_due=None)
                 for k, j in enumerate(day.jobs))
    whs = tuple(dataclasses.replace(w, location_index=nt + nj + k)
                for k, w in enumerate(day.warehouses))
    for t in techs:  # VROOM has no cap on a route's span: keep it equal to the shift
        assert t.max_work_s is None or all(s.end - s.start <= t.max_work_s for s in t.shifts)
    weights = Weights(drop_penalty={p: 100.0 * w for p, w in LOST_WEIGHT.items()},
                      lateness_per_hour={p: 0.0 for p in LOST_WEIGHT}, balance_per_hour=0.0)
    travel = TravelModel(distances=tuple(map(tuple, dist)), durations=tuple(map(tuple, secs)))
    return Problem(techs, jobs, travel, weights, whs, allow_pickups=False)


@dataclasses.dataclass
class Stop:
    kind: str  # job | pickup
    ref: Id
    loc: int
    start: int
    end: int
    picked: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Tour:
    """One route as both solvers' plans are re-checked: technician index, departure, stops,
    breaks (id, start, end), return time."""

    tech: int
    depart: int
    stops: list[Stop]
    breaks: list[tuple[Id, int, int]]
    end: int


def _duration(problem: Problem, job: Job, tech: Technician) -> int:
    """Service time, computed again here from the raw data (not through optimizer.travel)."""
    if not job.scale_duration_by_level:
        return job.duration
    surplus = min((tech.skills.get(s, 0) - m for s, m in job.skills.items()), default=0)
    f = problem.weights.level_duration_factor
    return round(job.duration * f[min(max(surplus, 0), len(f) - 1)])


def recheck(problem: Problem, tours: list[Tour]) -> list[str]:
    """Every broken rule, from the raw data: skills, windows, service times, drives and breaks
    between stops, shift start and end, van stock (plus what pick-ups take)."""
    bad: list[str] = []
    dur = problem.travel.durations
    assert dur is not None
    jobs = {j.id: j for j in problem.jobs}
    whs = {w.id: w for w in problem.warehouses}
    seen: set[Id] = set()
    for tour in tours:
        tech = problem.technicians[tour.tech]
        shift = next(s for s in tech.shifts if s.start <= tour.depart <= s.end)
        who = f"{tech.id}"
        if not (shift.start <= tour.depart and tour.end <= shift.end):
            bad.append(f"{who}: {tour.depart}..{tour.end} outside the shift")
        if tech.max_work_s is not None and tour.end - tour.depart > tech.max_work_s:
            bad.append(f"{who}: works too long")
        stock = dict(tech.van_stock)
        loc, t = tech.start_location, tour.depart
        assert loc is not None
        services = []
        for st in tour.stops:
            if st.kind == "job":
                job = jobs[st.ref]
                if st.ref in seen:
                    bad.append(f"{st.ref}: planned twice")
                seen.add(st.ref)
                if any(tech.skills.get(s, 0) < m for s, m in job.skills.items()):
                    bad.append(f"{st.ref}: {who} lacks a skill level")
                if job.windows and not any(w.start <= st.start <= w.end for w in job.windows):
                    bad.append(f"{st.ref}: starts at {st.start}, outside its windows")
                if st.end - st.start != _duration(problem, job, tech):
                    bad.append(f"{st.ref}: service {st.end - st.start}s")
                for p, q in job.parts.items():
                    stock[p] = stock.get(p, 0) - q
                    if stock[p] < 0:
                        bad.append(f"{st.ref}: {who}'s van is out of {p}")
            else:
                wh = whs[st.ref]
                if not problem.allow_pickups or st.end - st.start != wh.pickup_duration:
                    bad.append(f"{who}: pick-up at {st.ref}")
                for p, q in st.picked.items():
                    if q > wh.stock.get(p, 0):
                        bad.append(f"{who}: picks {q} x {p} at {st.ref}")
                    stock[p] = stock.get(p, 0) + q
            inside = sum(e - s for _, s, e in tour.breaks if s >= t and e <= st.start)
            if st.start - t < dur[loc][st.loc] + inside:
                bad.append(f"{who}: no time to drive to {st.ref} (and break)")
            services.append((st.start, st.end))
            loc, t = st.loc, st.end
        inside = sum(e - s for _, s, e in tour.breaks if s >= t and e <= tour.end)
        home = tech.end_location if tech.end_location is not None else tech.start_location
        assert home is not None
        if tour.end - t < dur[loc][home] + inside:
            bad.append(f"{who}: no time to drive home")
        due = {b.id: b for b in tech.breaks if shift.start <= b.window.start <= shift.end}
        if sorted(map(str, due)) != sorted(str(b[0]) for b in tour.breaks):
            bad.append(f"{who}: breaks {[b[0] for b in tour.breaks]} instead of {list(due)}")
        for bid, s, e in tour.breaks:
            b = due.get(bid)
            if b is None or not b.window.start <= s <= b.latest_start or e - s != b.duration:
                bad.append(f"{who}: break {bid} at {s}..{e}")
            if any(s < se and ss < e for ss, se in services):
                bad.append(f"{who}: break {bid} overlaps a service")
    return bad


def figures(problem: Problem, tours: list[Tour]) -> dict[str, object]:
    """Jobs assigned, P1 left undone, lost priority weight, travel (from the matrices)."""
    dur, dist = problem.travel.durations, problem.travel.distances
    assert dur is not None and dist is not None
    done = {st.ref for t in tours for st in t.stops if st.kind == "job"}
    undone = [j for j in problem.jobs if j.id not in done]
    secs = metres = 0
    for tour in tours:
        tech = problem.technicians[tour.tech]
        home = tech.end_location if tech.end_location is not None else tech.start_location
        assert tech.start_location is not None and home is not None
        locs = [tech.start_location, *[s.loc for s in tour.stops], home]
        secs += sum(dur[a][b] for a, b in itertools.pairwise(locs))
        metres += sum(dist[a][b] for a, b in itertools.pairwise(locs))
    return {
        "assigned": len(done), "p1_undone": sum(j.priority == 1 for j in undone),
        "lost_weight": sum(LOST_WEIGHT[j.priority] for j in undone),
        "travel_min": round(secs / 60), "travel_km": round(metres / 1000),
        "routes": sum(bool(t.stops) for t in tours),
    }


def tours_of_plan(problem: Problem, plan: Plan) -> list[Tour]:
    tindex = {t.id: k for k, t in enumerate(problem.technicians)}
    jloc = {j.id: j.location_index for j in problem.jobs}
    wloc = {w.id: w.location_index for w in problem.warehouses}
    out = []
    for r in plan.routes:
        stops = [Stop(v.kind, v.ref, (jloc if v.kind == "job" else wloc)[v.ref],  # type: ignore[arg-type]
                      v.start, v.end, dict(v.picked)) for v in r.visits]
        out.append(Tour(tindex[r.technician_id], r.start_time, stops,
                        [(b.id, b.start, b.end) for b in r.breaks], r.end_time))
    return out


def solve_vroom(problem: Problem, limit_s: float) -> tuple[list[Tour], float, float]:
    """VROOM on the same day: skills as per-level ids, breaks, windows, parts as amounts,
    priorities, shifts as vehicle windows, service per technician as vehicle types."""
    import vroom

    dur, dist = problem.travel.durations, problem.travel.distances
    assert dur is not None and dist is not None
    skill_id: dict[tuple[str, int], int] = {}

    def sid(skill: str, level: int) -> int:
        return skill_id.setdefault((skill, level), len(skill_id) + 1)

    parts = sorted({p for t in problem.technicians for p in t.van_stock}
                   | {p for j in problem.jobs for p in j.parts})
    inp = vroom.Input()
    inp.set_durations_matrix("car", [list(r) for r in dur])
    inp.set_distances_matrix("car", [list(r) for r in dist])
    vehicles: list[tuple[int, int]] = []  # vroom vehicle id - 1 -> (tech index, shift index)
    for ti, tech in enumerate(problem.technicians):
        for si, shift in enumerate(tech.shifts):
            # VROOM's break window bounds the break's start; ours bounds the whole break
            brks = [vroom.Break(k + 1, [vroom.TimeWindow(b.window.start, b.latest_start)],
                                service=b.duration)
                    for k, b in enumerate(tech.breaks)
                    if shift.start <= b.window.start <= shift.end]
            home = tech.end_location if tech.end_location is not None else tech.start_location
            inp.add_vehicle(vroom.Vehicle(
                len(vehicles) + 1, start=tech.start_location, end=home,
                capacity=[tech.van_stock.get(p, 0) for p in parts],
                skills={sid(s, lv) for s, top in tech.skills.items()
                        for lv in range(1, top + 1)},
                time_window=vroom.TimeWindow(shift.start, shift.end), breaks=brks,
                costs=vroom.VehicleCosts(per_hour=round(100 * tech.cost_per_hour),
                                         per_km=round(100 * tech.cost_per_km)),
                type=f"t{ti}"))
            vehicles.append((ti, si))
    for k, job in enumerate(problem.jobs):
        per_type = {}
        if job.scale_duration_by_level:
            per_type = {f"t{ti}": _duration(problem, job, t)
                        for ti, t in enumerate(problem.technicians)
                        if all(t.skills.get(s, 0) >= m for s, m in job.skills.items())}
        inp.add_job(vroom.Job(
            k + 1, location=job.location_index, default_service=job.duration,
            delivery=[job.parts.get(p, 0) for p in parts],
            skills={sid(s, m) for s, m in job.skills.items()},
            priority=VROOM_PRIORITY[job.priority],
            time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.windows],
            service_per_type=per_type or None))
    c0, t0 = time.process_time(), time.perf_counter()
    sol = inp.solve(exploration_level=5, nb_threads=1,
                    timeout=datetime.timedelta(seconds=limit_s))
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    tours = []
    for route in sol.to_dict()["routes"]:
        ti, si = vehicles[route["vehicle"] - 1]
        stops, brks, depart, end = [], [], 0, 0
        for st in route["steps"]:
            start = st["arrival"] + st["waiting_time"]
            if st["type"] == "start":
                depart = st["arrival"]
            elif st["type"] == "end":
                end = st["arrival"]
            elif st["type"] == "break":
                b = [b for b in problem.technicians[ti].breaks][st["id"] - 1]
                brks.append((b.id, start, start + st["service"]))
            else:
                job = problem.jobs[st["id"] - 1]
                stops.append(Stop("job", job.id, st["location_index"], start,
                                  start + st["service"]))
        tours.append(Tour(ti, depart, stops, brks, end))
    return tours, cpu, wall


def _served(tours: list[Tour]) -> set[Id]:
    return {st.ref for t in tours for st in t.stops if st.kind == "job"}


def _on_jobs(problem: Problem, ids: set[Id]) -> Problem:
    """The same day with only the jobs ``ids`` (the other solver's served set)."""
    return dataclasses.replace(problem, jobs=tuple(j for j in problem.jobs if j.id in ids))


def equal_service(problem: Problem, shape: str, limit: float, ours: list[Tour],
                  theirs: list[Tour]) -> list[dict]:
    """Travel at equal service: each solver again, on the jobs the other one served (same
    limit), so that travel is compared on one set of jobs."""
    rows = []
    sub = _on_jobs(problem, _served(ours))
    tours, cpu, wall = solve_vroom(sub, limit)
    bad = recheck(sub, tours)
    rows.append({"shape": shape, "limit_s": limit, "solver": "vroom on ours'",
                 **figures(sub, tours), "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
                 "build_s": None, "violations": bad[:5], "n_violations": len(bad)})
    sub = _on_jobs(problem, _served(theirs))
    c0, t0 = time.process_time(), time.perf_counter()
    plan = solve(sub, limit, seed=0)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    tours = tours_of_plan(sub, plan)
    bad = recheck(sub, tours) + [f"validate: {v.code} {v.job_id} {v.detail}"
                                 for v in validate(sub, plan)]
    rows.append({"shape": shape, "limit_s": limit, "solver": "ours on vroom's",
                 **figures(sub, tours), "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
                 "build_s": plan.stats.get("build_s"), "violations": bad[:5],
                 "n_violations": len(bad)})
    return rows


def compare(shapes: list[str], limits: list[float], seed: int, pickups: bool,
            parallel: int = 1, equal: bool = False) -> list[dict]:
    print("lost priority weight per undone job: "
          + ", ".join(f"P{p} {w}" for p, w in LOST_WEIGHT.items())
          + f"; VROOM priorities {VROOM_PRIORITY}; compared: ours without pick-ups", flush=True)
    print(f"{'shape':>8} {'limit':>5} {'solver':<15} {'assigned':>8} {'P1 left':>7} "
          f"{'lost wt':>8} {'travel min':>10} {'km':>6} {'cpu s':>6} {'wall s':>6} "
          f"{'build s':>7} {'check':>5}", flush=True)
    rows: list[dict] = []
    for shape in shapes:
        nt, nj = (int(x) for x in shape.split("x"))
        problem = field_day(seed, nt, nj)
        variants = [("ours", problem)]
        if pickups:
            variants.append(("ours+pickups", dataclasses.replace(problem, allow_pickups=True)))
        if parallel > 1:  # N searches in N processes: quality bought with cores, not compared
            variants.append((f"ours x{parallel}", dataclasses.replace(
                problem, options=dataclasses.replace(problem.options,
                                                     parallel_searches=parallel))))
        vr_cache = None
        for limit in limits:
            mine: list[Tour] = []
            for name, prob in variants:
                c0, t0 = time.process_time(), time.perf_counter()
                plan = solve(prob, limit, seed=0)
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
                cpu += plan.stats.get("parallel", {}).get("cpu_s", 0.0)  # its processes' CPU
                tours = tours_of_plan(prob, plan)
                if name == "ours":
                    mine = tours
                bad = recheck(prob, tours) + [f"validate: {v.code} {v.job_id} {v.detail}"
                                              for v in validate(prob, plan)]
                rows.append({"shape": shape, "limit_s": limit, "solver": name,
                             **figures(prob, tours), "cpu_s": round(cpu, 1),
                             "wall_s": round(wall, 1), "build_s": plan.stats.get("build_s"),
                             "violations": bad[:5], "n_violations": len(bad)})
                _print_row(rows[-1])
            if vr_cache is not None and vr_cache[2] < 0.9 * vr_cache[3]:
                tours, cpu, wall = vr_cache[0], vr_cache[1], vr_cache[2]  # finished early
            else:
                tours, cpu, wall = solve_vroom(problem, limit)
                vr_cache = (tours, cpu, wall, limit)
            bad = recheck(problem, tours)
            rows.append({"shape": shape, "limit_s": limit, "solver": "vroom",
                         **figures(problem, tours), "cpu_s": round(cpu, 1),
                         "wall_s": round(wall, 1), "build_s": None, "violations": bad[:5],
                         "n_violations": len(bad)})
            _print_row(rows[-1])
            if equal and _served(mine) != _served(tours):
                for row in equal_service(problem, shape, limit, mine, tours):
                    rows.append(row)
                    _print_row(row)
    return rows


def _print_row(r: dict) -> None:
    print(f"{r['shape']:>8} {r['limit_s']:>5g} {r['solver']:<15} {r['assigned']:>8} "
          f"{r['p1_undone']:>7} {r['lost_weight']:>8} {r['travel_min']:>10} "
          f"{r['travel_km']:>6} {r['cpu_s']:>6} {r['wall_s']:>6} "
          f"{r['build_s'] if r['build_s'] is not None else '-':>7} "
          f"{'ok' if not r['n_violations'] else r['n_violations']:>5}", flush=True)
    for v in r["violations"]:
        print(f"    ! {v}", flush=True)


def _best_at(trace: list[tuple[float, float]], t: float) -> float | None:
    vals = [c for s, c in trace if s <= t]
    return min(vals) if vals else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-s", default=None,
                    help="comma-separated search limits (default 10,30; --emergency: 60)")
    ap.add_argument("--shape", default=",".join(SHAPES),
                    help="technicians x jobs, comma-separated (comparison)")
    ap.add_argument("--no-pickups", action="store_true",
                    help="skip our extra run with warehouse pick-ups (comparison)")
    ap.add_argument("--emergency", action="store_true",
                    help="the single-day benchmark with 100 emergency insertions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--technicians", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=600)
    ap.add_argument("--insertions", type=int, default=100)
    ap.add_argument("--json", default=None)
    ap.add_argument("--metaheuristic", default=SolverOptions().metaheuristic)
    ap.add_argument("--parallel", type=int, default=1,
                    help="also run N independent searches in N processes (row 'ours xN')")
    ap.add_argument("--equal-service", action="store_true",
                    help="where the served sets differ, also each solver on the jobs the "
                         "other served (rows 'vroom on ours'' and 'ours on vroom's')")
    args = ap.parse_args(argv)
    if not args.emergency:
        limits = [float(x) for x in (args.limit_s or "10,30").split(",")]
        rows = compare(args.shape.split(","), limits, args.seed, not args.no_pickups,
                       args.parallel, args.equal_service)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=1))
        return 0 if not any(r["n_violations"] for r in rows) else 1
    args.limit_s = float(args.limit_s or 60)
    problem = make_day(args.seed, args.technicians, args.jobs)
    problem = dataclasses.replace(problem, options=SolverOptions(metaheuristic=args.metaheuristic))
    t0 = time.perf_counter()
    plan = solve(problem, args.limit_s, seed=0)
    wall = time.perf_counter() - t0
    violations = validate(problem, plan)
    stats, kpis = plan.stats, plan.kpis
    trace = list(stats.get("objective_trace") or [])  # type: ignore[call-overload]
    build = float(stats.get("build_s") or 0.0)  # type: ignore[arg-type]
    first = stats.get("first_solution_s")
    out: dict[str, object] = {
        "technicians": args.technicians, "jobs": args.jobs, "limit_s": args.limit_s,
        "build_s": build,
        "first_feasible_s": None if first is None else round(build + float(first), 3),  # type: ignore[arg-type]
        "wall_s": round(wall, 2),
        "objective": {f"{t}s": _best_at(trace, t) for t in (10, 30, 60) if t <= args.limit_s},
        "final_objective": plan.objective,
        "assigned_share": kpis["assigned_share"], "on_time_share": kpis["on_time_share"],
        "unassigned_by_priority": kpis["unassigned_by_priority"],
        "unassigned_reasons": _count(u.reason for u in plan.unassigned),
        "travel_km": kpis["travel_km"], "routes_used": kpis["routes_used"],
        "pickups": sum(v.kind == "pickup" for r in plan.routes for v in r.visits),
        "violations": len(violations), "time_profiles": stats.get("time_profiles"),
        "part_dimensions": len(stats.get("part_dimensions") or []),  # type: ignore[arg-type]
    }
    print(json.dumps(out, indent=1), flush=True)
    # 100 emergencies arriving through the day, each inserted into the current plan.
    rng = random.Random(args.seed + 1)
    times: list[float] = []
    inserted = 0
    bad = 0
    current, cur_plan = problem, plan
    for k in range(args.insertions):
        now = 9 * H + k * (5 * H // max(1, args.insertions))
        job = Job(id=f"emergency-{k:03d}", location=_near(rng, 15),
                  duration=rng.randint(20, 60) * 60, priority=1, sla_due=now + 2 * H,
                  windows=(TimeWindow(now, 17 * H),),
                  skills={rng.choice(SKILLS): rng.randint(1, 3)})
        s = time.perf_counter()
        cur_plan = insert(current, cur_plan, job, now)
        times.append((time.perf_counter() - s) * 1000)
        current = with_job(current, job)
        inserted += bool(cur_plan.stats.get("inserted"))
    if args.insertions:
        after = validate(current, cur_plan)
        bad = len(after)
        for v in after[:5]:
            print(f"  ! {v.code} job={v.job_id} tech={v.technician_id}: {v.detail}")
        q = statistics.quantiles(times, n=20)
        ins = {"count": args.insertions, "inserted": inserted,
               "median_ms": round(statistics.median(times), 1), "p95_ms": round(q[18], 1),
               "violations_after": bad}
        out["insertions"] = ins
        print(json.dumps({"insertions": ins}, indent=1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_memory_mb"] = round(peak_mb, 1)
    print(f"peak memory: {peak_mb:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0 if not violations and not bad else 1


def _count(items: object) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:  # type: ignore[attr-defined]
        out[x] = out.get(x, 0) + 1
    return out


if __name__ == "__main__":
    raise SystemExit(main())
