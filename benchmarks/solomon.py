"""Solve the 56 Solomon VRPTW instances through ``optimizer.solve`` and compare with BKS/VROOM.

    .venv/bin/python benchmarks/solomon.py --limit-s 10            # all 56, 10 s each
    .venv/bin/python benchmarks/solomon.py --instances R101,RC101 --json out.json

Every plan is checked with ``optimizer.validate`` and again in double precision. Distances are
unscaled Euclidean, recomputed from the routes. Gaps: against ``bks_distance_only.csv``
(R109 and RC103 skipped, see SOURCES.md) and against the hierarchical ``bks.csv``. With the
``bench`` extra (pyvroom) each instance is also solved by VROOM on the same integer matrices.
"""

from __future__ import annotations

import argparse
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


def gap(value: float, ref: float | None) -> float | None:
    return None if ref is None else 100.0 * (value - ref) / ref


def summary(label: str, gaps: list[float]) -> str:
    if not gaps:
        return f"{label}: n=0"
    return (f"{label}: n={len(gaps)} mean {statistics.fmean(gaps):+.2f}% "
            f"median {statistics.median(gaps):+.2f}% worst {max(gaps):+.2f}%")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit-s", type=float, default=10.0, help="search time per instance")
    ap.add_argument("--instances", default="", help="comma-separated names (default: all 56)")
    ap.add_argument("--data", default=None, help="folder of the Solomon files and BKS tables")
    ap.add_argument("--json", default=None, help="write per-instance results to this file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first-solution", default=SolverOptions().first_solution)
    ap.add_argument("--metaheuristic", default=SolverOptions().metaheuristic)
    ap.add_argument("--no-vroom", action="store_true", help="skip VROOM even if installed")
    ap.add_argument("--vroom-threads", type=int, default=1)
    args = ap.parse_args(argv)
    folder = data_dir(args.data)
    names = [n.strip().upper() for n in args.instances.split(",") if n.strip()] or sorted(
        p.stem for p in folder.glob("*.txt"))
    bks_d = read_bks(folder / "bks_distance_only.csv")
    bks_h = read_bks(folder / "bks.csv")
    options = SolverOptions(first_solution=args.first_solution, metaheuristic=args.metaheuristic)
    results: list[dict] = []
    head = (f"{'inst':6} {'veh':>3} {'bksV':>4} {'distance':>9} {'gap_d%':>7} {'gap_h%':>7} "
            f"{'wall_s':>6} {'cpu_s':>5} {'ok':>3} {'vroom':>9} {'ours/vr':>7} {'vr_cpu':>6}")
    print(head)
    for name in names:
        inst = parse(folder / f"{name}.txt")
        ours = solve_ours(inst, args.limit_s, args.seed, options)
        vr = None if args.no_vroom else solve_vroom(inst, args.vroom_threads)
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
        }
        results.append(row)
        gd = f"{row['gap_distance_only_pct']:+7.2f}" if ref_d else "   skip"
        gh = f"{row['gap_bks_pct']:+7.2f}" if ref_h else "      -"
        vrs = f"{vr['distance']:9.2f}" if vr else "        -"
        ratio = f"{row['ratio_vroom']:7.4f}" if vr else "      -"
        print(f"{name:6} {ours['vehicles']:3d} {row['bks_vehicles'] or 0:4d} "
              f"{ours['distance']:9.2f} {gd} {gh} {ours['wall_s']:6.1f} {ours['cpu_s']:5.1f} "
              f"{'yes' if ours['feasible'] else 'NO':>3} {vrs} {ratio} "
              f"{vr['cpu_s'] if vr else 0:6.2f}", flush=True)
        for msg in ours["violations"][:3] + ours["exact_errors"][:3]:
            print(f"       ! {msg}")
    print()
    feasible = sum(r["feasible"] for r in results)
    print(f"feasible and validated: {feasible}/{len(results)}")
    for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2", ""):
        rows = [r for r in results if r["instance"][:-2] == cls or cls == ""]
        gaps = [r["gap_distance_only_pct"] for r in rows if r["gap_distance_only_pct"] is not None]
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
    vrows = [r for r in results if r["vroom"]]
    if vrows:
        ratios = [r["ratio_vroom"] for r in vrows]
        vgaps = [gap(r["vroom"]["distance"], r["bks_distance_only"]) for r in vrows
                 if r["bks_distance_only"]]
        print(summary("VROOM gap vs distance-only BKS", [g for g in vgaps if g is not None]))
        print(f"ours/VROOM distance: mean {statistics.fmean(ratios):.4f} median "
              f"{statistics.median(ratios):.4f} best {min(ratios):.4f} worst {max(ratios):.4f}; "
              f"VROOM wall mean {statistics.fmean(r['vroom']['wall_s'] for r in vrows):.2f} s, "
              f"CPU mean {statistics.fmean(r['vroom']['cpu_s'] for r in vrows):.2f} s; "
              f"VROOM feasible {sum(r['vroom']['feasible'] for r in vrows)}/{len(vrows)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if feasible == len(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
