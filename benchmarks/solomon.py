"""Solve the 56 Solomon VRPTW instances through ``optimizer.solve`` and compare with BKS/VROOM.

    .venv/bin/python benchmarks/solomon.py --limit-s 10            # all 56, 10 s each
    .venv/bin/python benchmarks/solomon.py --instances R101,RC101 --json out.json
    .venv/bin/python benchmarks/solomon.py --set gh200 --limit-s 20   # = benchmarks/gh200.py

Every plan is checked with ``optimizer.validate`` and again in double precision. Distances are
unscaled Euclidean, recomputed from the routes. Gaps: against ``bks_distance_only.csv``
(R109 and RC103 skipped, see SOURCES.md) and against the hierarchical ``bks.csv``. With the
``bench`` extra (pyvroom, pyvrp) each instance is also solved by VROOM (exploration level 5) and
by PyVRP (``MaxRuntime`` = the same time limit) on the same integer matrices, one after the
other in the same process, and the ratios ours/VROOM and ours/PyVRP are printed with the CPU
seconds each solver used.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._solomon_io import (
    SUSPECT_DISTANCE_BKS,
    Instance,
    data_dir,
    exact_feasible,
    parse,
    read_bks,
    route_distance,
    to_problem,
)
from optimizer import solve, validate
from optimizer.model import SolverOptions
from optimizer.sisr import warm


def solve_ours(inst: Instance, limit_s: float, seed: int, options: SolverOptions) -> dict:
    problem = to_problem(inst, options=options)
    t0, c0 = time.perf_counter(), time.process_time()
    plan = solve(problem, limit_s, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    routes = [[int(v.ref) for v in r.visits] for r in plan.routes if r.visits]
    violations = validate(problem, plan)
    exact = exact_feasible(inst, routes)
    return {
        "routes": routes,
        "vehicles": len(routes),
        "distance": sum(route_distance(inst, r) for r in routes),
        "unassigned": len(plan.unassigned),
        "violations": [f"{v.code}: {v.detail}" for v in violations],
        "exact_errors": exact,
        "feasible": not plan.unassigned and not violations and not exact,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def solve_vroom(inst: Instance, threads: int) -> dict | None:
    try:
        import vroom
    except ImportError:
        return None
    problem = to_problem(inst)
    assert problem.travel.distances is not None and problem.travel.durations is not None
    inp = vroom.Input()
    inp.set_durations_matrix("car", [list(r) for r in problem.travel.durations])
    inp.set_costs_matrix("car", [list(r) for r in problem.travel.distances])
    depot = inst.depot
    for k in range(inst.vehicles):
        inp.add_vehicle(vroom.Vehicle(k + 1, start=0, end=0, capacity=[inst.capacity],
                                      time_window=vroom.TimeWindow(depot.ready * 100,
                                                                   depot.due * 100)))
    for c in inst.customers:
        inp.add_job(vroom.Job(c.number, location=c.number, default_service=c.service * 100,
                              delivery=[c.demand],
                              time_windows=[vroom.TimeWindow(c.ready * 100, c.due * 100)]))
    t0, c0 = time.perf_counter(), time.process_time()
    sol = inp.solve(exploration_level=5, nb_threads=threads)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    df = sol.routes
    routes: list[list[int]] = []
    for _, grp in df[df["type"] == "job"].groupby("vehicle_id", sort=True):
        routes.append([int(i) for i in grp["id"]])
    served = sum(len(r) for r in routes)
    return {
        "vehicles": len(routes),
        "distance": sum(route_distance(inst, r) for r in routes),
        "feasible": served == len(inst.customers) and not exact_feasible(inst, routes),
        "wall_s": wall,
        "cpu_s": cpu,
    }


def solve_pyvrp(inst: Instance, limit_s: float, seed: int) -> dict | None:
    """PyVRP (hybrid genetic search, one thread) on the same integer matrices, ``MaxRuntime``."""
    try:
        import pyvrp
        from pyvrp.stop import MaxRuntime
    except ImportError:
        return None
    problem = to_problem(inst)
    dist, dur = problem.travel.distances, problem.travel.durations
    assert dist is not None and dur is not None
    model = pyvrp.Model()
    locs = [model.add_location(n.x, n.y) for n in inst.nodes]
    depot = inst.depot
    model.add_depot(locs[0], tw_early=depot.ready * 100, tw_late=depot.due * 100)
    model.add_vehicle_type(num_available=inst.vehicles, capacity=[inst.capacity],
                           tw_early=depot.ready * 100, tw_late=depot.due * 100)
    for c in inst.customers:
        model.add_client(locs[c.number], delivery=[c.demand], service_duration=c.service * 100,
                         tw_early=c.ready * 100, tw_late=c.due * 100)
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            model.add_edge(a, b, distance=dist[i][j], duration=dur[i][j])
    t0, c0 = time.perf_counter(), time.process_time()
    res = model.solve(MaxRuntime(limit_s), seed=seed, display=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # client activities carry the client's index (0-based, in the order they were added)
    routes = [[inst.customers[a.idx].number for a in r.schedule() if a.is_client()]
              for r in res.best.routes()]
    routes = [r for r in routes if r]
    served = sum(len(r) for r in routes)
    return {
        "vehicles": len(routes),
        "distance": sum(route_distance(inst, r) for r in routes),
        "feasible": (res.is_feasible() and served == len(inst.customers)
                     and not exact_feasible(inst, routes)),
        "wall_s": wall,
        "cpu_s": cpu,
    }


def gap(value: float, ref: float | None) -> float | None:
    return None if ref is None else 100.0 * (value - ref) / ref


def summary(label: str, gaps: list[float]) -> str:
    if not gaps:
        return f"{label}: n=0"
    return (f"{label}: n={len(gaps)} mean {statistics.fmean(gaps):+.2f}% "
            f"median {statistics.median(gaps):+.2f}% worst {max(gaps):+.2f}%")


SETS = {"solomon": "solomon", "gh200": "gh200"}  # --set -> folder under benchmarks/data


def read_gh_bks(path: Path) -> dict[str, tuple[int, float]]:
    """``bks_tables.csv`` rows for Gehring-Homberger 200: the best (routes, distance) per name."""
    best: dict[str, tuple[int, float]] = {}
    if not path.exists():
        return best
    with path.open() as fh:
        for row in csv.DictReader(fh):
            if row["benchmark"] != "GehringHomberger" or row["clients"] != "200":
                continue
            cand = (int(row["routes"]), float(row["distance"]))
            best[row["instance"]] = min(best.get(row["instance"], cand), cand)
    return best


def instance_class(name: str) -> str:
    """C1 .. RC2 for Solomon (``RC105``) and Gehring-Homberger (``rc1_2_5``) names."""
    return name.split("_")[0].upper() if "_" in name else name[:-2]


def ratio_line(label: str, ratios: list[float]) -> str:
    return (f"ours/{label} distance: mean {statistics.fmean(ratios):.4f} median "
            f"{statistics.median(ratios):.4f} best {min(ratios):.4f} worst {max(ratios):.4f}")


def main(argv: list[str] | None = None, *, default_set: str = "solomon",
         default_limit_s: float = 10.0) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=sorted(SETS), default=default_set,
                    help="solomon (56 x 100 customers) or gh200 (Gehring-Homberger, 60 x 200)")
    ap.add_argument("--limit-s", type=float, default=default_limit_s,
                    help="search time per instance and solver")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all)")
    ap.add_argument("--data", default=None, help="folder of the instance files and BKS tables")
    ap.add_argument("--json", default=None, help="write per-instance results to this file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first-solution", default=SolverOptions().first_solution)
    ap.add_argument("--metaheuristic", default=SolverOptions().metaheuristic)
    ap.add_argument("--no-vroom", action="store_true", help="skip VROOM even if installed")
    ap.add_argument("--no-pyvrp", action="store_true", help="skip PyVRP even if installed")
    ap.add_argument("--vroom-threads", type=int, default=1)
    args = ap.parse_args(argv)
    if args.data:
        folder = Path(args.data)
    elif args.set == "solomon":
        folder = data_dir(None)
    else:
        folder = Path(__file__).resolve().parent / "data" / SETS[args.set]
    solomon = args.set == "solomon"
    names = [n.strip() for n in args.instances.split(",") if n.strip()] or sorted(
        p.stem for p in folder.glob("*.txt"))
    names = [n.upper() if solomon else n.lower() for n in names]
    if solomon:
        bks_d = read_bks(folder / "bks_distance_only.csv")
        bks_h = read_bks(folder / "bks.csv")
    else:  # no distance-only BKS is published for GH200 (see SOURCES.md)
        bks_d, bks_h = {}, read_gh_bks(folder / "bks_tables.csv")
    options = SolverOptions(first_solution=args.first_solution, metaheuristic=args.metaheuristic)
    results: list[dict] = []
    head = (f"{'inst':8} {'veh':>3} {'bksV':>4} {'distance':>9} {'gap_d%':>7} {'gap_h%':>7} "
            f"{'wall_s':>6} {'cpu_s':>5} {'ok':>3} {'vroom':>9} {'ours/vr':>7} {'vr_cpu':>6} "
            f"{'pyvrp':>9} {'ours/pv':>7} {'pv_cpu':>6}")
    print(f"set {args.set}, {len(names)} instances, {args.limit_s:g} s per instance and solver")
    # Our compiled search is compiled (or loaded from numba's cache) once per process, as at
    # install time (make setup), not inside the first instance's time limit.
    print(f"compiled search ready in {warm():.2f} s")
    print(head)
    for name in names:
        inst = parse(folder / f"{name}.txt")
        ours = solve_ours(inst, args.limit_s, args.seed, options)
        vr = None if args.no_vroom else solve_vroom(inst, args.vroom_threads)
        pv = None if args.no_pyvrp else solve_pyvrp(inst, args.limit_s, args.seed)
        ref_d = None if name in SUSPECT_DISTANCE_BKS else bks_d.get(name, (0, None))[1]
        ref_h = bks_h.get(name)
        row = {
            "instance": name, **ours,
            "bks_distance_only": ref_d, "gap_distance_only_pct": gap(ours["distance"], ref_d),
            "bks_vehicles": ref_h[0] if ref_h else None,
            "bks_distance": ref_h[1] if ref_h else None,
            "gap_bks_pct": gap(ours["distance"], ref_h[1] if ref_h else None),
            "vroom": vr,
            "ratio_vroom": ours["distance"] / vr["distance"] if vr else None,
            "pyvrp": pv,
            "ratio_pyvrp": ours["distance"] / pv["distance"] if pv else None,
        }
        results.append(row)
        gd = f"{row['gap_distance_only_pct']:+7.2f}" if ref_d else "   skip"
        gh = f"{row['gap_bks_pct']:+7.2f}" if ref_h else "      -"
        vrs = f"{vr['distance']:9.2f}" if vr else "        -"
        ratio = f"{row['ratio_vroom']:7.4f}" if vr else "      -"
        pvs = f"{pv['distance']:9.2f}" if pv else "        -"
        pratio = f"{row['ratio_pyvrp']:7.4f}" if pv else "      -"
        print(f"{name:8} {ours['vehicles']:3d} {row['bks_vehicles'] or 0:4d} "
              f"{ours['distance']:9.2f} {gd} {gh} {ours['wall_s']:6.1f} {ours['cpu_s']:5.1f} "
              f"{'yes' if ours['feasible'] else 'NO':>3} {vrs} {ratio} "
              f"{vr['cpu_s'] if vr else 0:6.2f} {pvs} {pratio} {pv['cpu_s'] if pv else 0:6.2f}",
              flush=True)
        for msg in ours["violations"][:3] + ours["exact_errors"][:3]:
            print(f"       ! {msg}")
    print()
    feasible = sum(r["feasible"] for r in results)
    print(f"feasible and validated: {feasible}/{len(results)}")
    if solomon:
        for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2", ""):
            rows = [r for r in results if instance_class(r["instance"]) == cls or cls == ""]
            gaps = [r["gap_distance_only_pct"] for r in rows
                    if r["gap_distance_only_pct"] is not None]
            print(summary(f"gap vs distance-only BKS {cls or 'all'}", gaps))
    same = [r for r in results if r["vehicles"] == r["bks_vehicles"]]
    print(summary("gap vs hierarchical BKS, same vehicle count",
                  [r["gap_bks_pct"] for r in same]))
    print(f"vehicles: ours {sum(r['vehicles'] for r in results)} vs hierarchical BKS "
          f"{sum(r['bks_vehicles'] or 0 for r in results)}; equal on {len(same)}, "
          f"more on {sum(r['vehicles'] > (r['bks_vehicles'] or 0) for r in results)}")
    wall_mean = statistics.fmean(r["wall_s"] for r in results)
    cpu_mean = statistics.fmean(r["cpu_s"] for r in results)
    shared = " (CPU < wall: the machine was shared)" if cpu_mean < 0.95 * wall_mean else ""
    print(f"ours: wall mean {wall_mean:.1f} s, CPU mean {cpu_mean:.1f} s per instance{shared}")
    for key, label in (("vroom", "VROOM"), ("pyvrp", "PyVRP")):
        prow = [r for r in results if r[key]]
        if not prow:
            continue
        ratios = [r[f"ratio_{key}"] for r in prow]
        pgaps = [gap(r[key]["distance"], r["bks_distance_only"]) for r in prow
                 if r["bks_distance_only"]]
        if solomon:
            print(summary(f"{label} gap vs distance-only BKS", [g for g in pgaps if g is not None]))
        print(f"{ratio_line(label, ratios)}; {label} wall mean "
              f"{statistics.fmean(r[key]['wall_s'] for r in prow):.2f} s, CPU mean "
              f"{statistics.fmean(r[key]['cpu_s'] for r in prow):.2f} s; {label} vehicles "
              f"{sum(r[key]['vehicles'] for r in prow)}; feasible "
              f"{sum(r[key]['feasible'] for r in prow)}/{len(prow)}")
        by_cls: dict[str, list[float]] = {}
        for r in prow:
            by_cls.setdefault(instance_class(r["instance"]), []).append(r[f"ratio_{key}"])
        print(f"  ours/{label} by class: " + ", ".join(
            f"{c} {statistics.fmean(v):.4f}" for c, v in sorted(by_cls.items())))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if feasible == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
