"""Oversubscribed days (more jobs than the technicians can do): the urgent work is planned.

From 150 jobs on, a day with several priorities starts from the priority-first insertion of
``optimizer.construct`` (P1 first) and its ruin and recreate (``optimizer.search``).
"""

from __future__ import annotations

import random

import pytest
from optimizer_factories import DAY, H, at, make_job, make_tech

from optimizer import (
    Break,
    Problem,
    SolverOptions,
    TimeWindow,
    TravelModel,
    Warehouse,
    solve,
    validate,
)
from optimizer.construct import STRING_MAX, Routes
from optimizer.eligibility import analyse, shifts_of
from optimizer.routing_model import build


def busy_day(solution_limit: int | None = 5) -> Problem:
    rng = random.Random(7)
    techs = tuple(
        make_tech(f"T{k}", start=at(rng.uniform(-0.05, 0.05), rng.uniform(-0.08, 0.08)),
                  skills={"elec": rng.randint(1, 3), "hvac": rng.randint(1, 3)},
                  breaks=(Break("lunch", TimeWindow(12 * H, 13 * H), 1800),))
        for k in range(6)
    )
    jobs = []
    for k in range(160):
        # 16 P1, then P2..P4; every job some technician can do, 45-75 minutes each: six
        # technicians can do about a third of them
        priority = 1 if k % 10 == 0 else 2 + k % 3
        jobs.append(make_job(
            f"J{k:03d}", location=at(rng.uniform(-0.06, 0.06), rng.uniform(-0.1, 0.1)),
            duration=rng.randint(45, 75) * 60, priority=priority,
            skills={rng.choice(("elec", "hvac")): 1},
            windows=(DAY,) if k % 4 else (TimeWindow(8 * H, 12 * H), TimeWindow(14 * H, 17 * H)),
        ))
    return Problem(techs, tuple(jobs), options=SolverOptions(solution_limit=solution_limit))



def routes_of(problem: Problem, reserve_breaks: bool = False) -> Routes:
    """The start's routes over the problem's built model (empty until filled)."""
    shifts = shifts_of(problem)
    allowed, _ = analyse(problem, shifts)
    return Routes(problem, build(problem, shifts, allowed, 0, reserve_breaks=reserve_breaks))

def test_every_p1_job_is_planned_on_an_oversubscribed_day() -> None:
    problem = busy_day()
    plan = solve(problem, 30.0)
    assert validate(problem, plan) == []
    planned = {v.ref for r in plan.routes for v in r.visits}
    p1 = {j.id for j in problem.jobs if j.priority == 1}
    assert p1 <= planned
    assert len(planned) < len(problem.jobs)  # the day is oversubscribed
    left = [j for j in problem.jobs if j.id not in planned]
    assert {u.job_id for u in plan.unassigned} == {j.id for j in left}
    # what is left is the less urgent work: more P4 than P2 jobs left undone
    assert sum(j.priority == 4 for j in left) >= sum(j.priority == 2 for j in left)
    assert plan.stats["first_solution_strategy"] == "PRIORITY_START"
    assert all(len(r.breaks) == 1 for r in plan.routes)
    # The first plan is the insertion's, before its ruin and recreate (which takes nearly all
    # the search time): it was reported when the ruin and recreate ended.
    st = plan.stats
    assert st["first_feasible_s"] < st["build_s"] + st["objective_trace"][0][0]  # type: ignore[index,operator]
    assert st["first_feasible_cpu_s"] <= st["build_cpu_s"] + st["search_cpu_s"]  # type: ignore[operator]


def test_an_oversubscribed_day_plans_the_same_with_the_same_seed_and_solution_limit() -> None:
    problem = busy_day()

    def shape(seed: int) -> list[tuple[object, ...]]:
        plan = solve(problem, 30.0, seed=seed)
        return [(r.technician_id, *[v.ref for v in r.visits]) for r in plan.routes]

    assert shape(3) == shape(3)


def test_a_job_spanning_the_whole_lunch_window_goes_to_a_technician_who_can_take_it() -> None:
    # On a big day breaks are reserved time during the search (optimizer.breaks). A 90-minute
    # P1 job that must start by 11:50 covers the whole 12:00-12:30 start window of every
    # lunch, so only the technician without a lunch can do it: it must not be planned on a
    # near technician with a lunch and then dropped when the lunch is placed.
    day = busy_day()
    free = make_tech("T-free", start=at(0.06, 0.1), skills={"elec": 3, "hvac": 3})
    long_job = make_job("LONG", location=at(0.0, -0.02), duration=90 * 60, priority=1,
                        skills={"elec": 1}, windows=(TimeWindow(11 * H + 2400, 11 * H + 3000),))
    problem = Problem((*day.technicians, free), (*day.jobs, long_job), options=day.options)
    plan = solve(problem, 30.0)
    assert validate(problem, plan) == []
    assert plan.stats["first_solution_strategy"] == "PRIORITY_START"
    assert [r.technician_id for r in plan.routes if any(v.ref == "LONG" for v in r.visits)] == [
        "T-free"]


def test_the_ruin_removes_strings_of_consecutive_visits_from_routes_near_a_job() -> None:
    # SISR's string removal: from each route in turn that visits a job near the chosen one, a
    # run of consecutive visits through that job, and only the jobs the round may remove.
    problem = busy_day()
    rs = routes_of(problem, reserve_breaks=True)
    rs.fill()
    least = min(rs.penalty.values())
    low = {n for n in rs.planned if rs.penalty[n] == least}  # P4 jobs
    for around in list(rs.planned)[:20]:
        for eligible in (set(rs.planned), low):
            out = rs.strings(around, 10, eligible, random.Random(around))
            assert set(out) <= eligible and len(out) == len(set(out)) <= 10
            by_route: dict[int, list[int]] = {}
            for n in out:
                by_route.setdefault(rs.planned[n], []).append(n)
            for v, nodes in by_route.items():
                at = [rs.routes[v].index(n) for n in nodes]
                # consecutive in the route, but for jobs the round may not remove
                assert at == sorted(at) and at[-1] - at[0] < STRING_MAX
            if eligible is not low:  # the chosen job's own route is the first one cut
                assert around in out


def test_the_ruin_and_recreate_prices_the_span_from_the_latest_useful_departure() -> None:
    # A (window wide open) then B (window from 3,000 s): leaving at once means 2,700 s of
    # waiting at B; leaving at 2,700 s serves A at 2,800 s and waits nowhere. The model's span
    # cost is minimised so (OR-Tools times the route), and so must the start's cost be: it
    # counted the waiting after the first visit.
    d = ((0, 100, 150), (100, 0, 100), (150, 100, 0))
    tech = make_tech("T1", start=0, shifts=(TimeWindow(0, 10_000),),
                     cost_per_working_hour=36.0)
    jobs = (make_job("A", location=1, duration=100, windows=(TimeWindow(0, 5_000),)),
            make_job("B", location=2, duration=100, windows=(TimeWindow(3_000, 3_100),)))
    problem = Problem((tech,), jobs, TravelModel(distances=d, durations=d))
    rs = routes_of(problem)
    node = {problem.jobs[ji].id: n for n, ji in rs.built.job_of_node.items()}
    assert rs.shortest_span(0, [node["A"], node["B"]]) == 100 + 100 + 100 + 100 + 150
    assert rs.shortest_span(0, [node["B"], node["A"]]) == 150 + 100 + 100 + 100 + 100


def test_the_insertion_screen_never_turns_away_a_position_where_the_job_fits() -> None:
    # ``Routes.insert`` skips a route, and a position, whose room (the longest service that
    # could fit there) is shorter than the job's service. On full routes that skips most
    # positions unseen; it must never skip one where the job fits. One window per job and
    # no break here, so the route's timing is the whole test.
    rng = random.Random(11)
    techs = tuple(make_tech(f"T{k}", start=at(0.01 * k)) for k in range(3))
    jobs = tuple(make_job(f"J{k}", location=at(rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)),
                          duration=rng.choice((20, 45, 90)) * 60,
                          windows=(TimeWindow(rng.choice((8, 10, 13)) * H, 17 * H),))
                 for k in range(45))
    problem = Problem(techs, jobs)
    rs = routes_of(problem)
    rs.fill()
    waiting = [n for n in rs.order if n not in rs.planned]
    assert waiting and all(rs.routes)  # full routes, jobs left over
    fits = 0
    for v, seq in enumerate(rs.routes):
        legs, _fs, room = rs.sched[v]
        for node in list(rs.planned) + waiting:
            if node in seq:
                continue
            for pos in range(len(seq) + 1):
                if rs.timed(v, [*seq[:pos], node, *seq[pos:]]) is not None:
                    fits += 1
                    assert rs.svc[v][node] <= legs[pos][4] <= room
    assert fits  # the check saw positions where a job fits


def test_the_recreate_offers_the_room_a_ruin_made_to_the_jobs_nearest_it_first() -> None:
    # Most valuable first; within one value, nearest to the job the round ruined around
    # first (without it: random order within a value).
    problem = busy_day()
    rs = routes_of(problem, reserve_breaks=True)
    rs.fill()
    around = next(iter(rs.planned))
    order = rs.shuffled(random.Random(3), around)
    assert sorted(order) == sorted(n for n in rs.order if n not in rs.planned)
    keys = [(-rs.penalty[n], rs.tt[around][n]) for n in order]
    assert keys == sorted(keys)
    plain = rs.shuffled(random.Random(3))
    assert [rs.penalty[n] for n in plain] == [rs.penalty[n] for n in order]
    assert plain != order


def test_the_ruin_and_recreate_prices_a_late_service_as_the_model_does() -> None:
    # A near job without an SLA and a farther one due 20 minutes after the shift starts: the
    # shorter drive (A first) serves B 52 minutes late at 400 an hour (P1): 344 currency,
    # far more than the extra driving of B first. The start's ruin and recreate (the whole
    # search on big days) priced travel and dropped jobs only, so it kept such routes and
    # days with SLAs ended with jobs late that need not be (60 x 600 city day with SLAs at
    # 10 s: 91 % on time; with lateness priced, 97 %).
    d = ((0, 300, 600), (300, 0, 400), (600, 400, 0))
    tech = make_tech("T1", start=0, shifts=(TimeWindow(0, 20_000),))
    jobs = (make_job("A", location=1, duration=3_600, priority=4),
            make_job("B", location=2, duration=600, priority=1, sla_due=600 + 600))
    problem = Problem((tech,), jobs, TravelModel(distances=d, durations=d))
    rs = routes_of(problem)
    node = {problem.jobs[ji].id: n for n, ji in rs.built.job_of_node.items()}
    a_first, b_first = [node["A"], node["B"]], [node["B"], node["A"]]
    # B starts at 300 + 3,600 + 400 = 4,300 s, 3,100 s after it was due
    assert rs.lateness(0, a_first) == pytest.approx(3_100 * 400 / 3600, abs=0.1)
    assert rs.lateness(0, b_first) == 0
    rs.routes[0] = a_first
    late = rs.route_cost()
    rs.routes[0] = b_first
    assert rs.route_cost() < late


def _scarce_part_day(warehouse_stock: dict[str, int] | None = None,
                     w_parts: dict[str, int] | None = None) -> Problem:
    """Three vans with one of part P each, on a line (minutes apart): A at 0, B at 10, C at
    20. W needs P and skill s (only A has it); U1 near A needs P and skill t (A and B have
    it); U2 near B needs P (anyone). U1 and U2 are P1, W is P4. With `warehouse_stock`, a
    warehouse at 5 holding it, where vans may restock; `w_parts`: W's parts instead."""
    x = (0, 10, 20, 1, 11, 2, 5)  # homes A, B, C; U1, U2, W; the warehouse
    d = tuple(tuple(abs(a - b) * 60 for b in x) for a in x)
    day = (TimeWindow(0, 8 * H),)
    techs = (make_tech("A", start=0, shifts=day, skills={"s": 1, "t": 1}, van_stock={"P": 1}),
             make_tech("B", start=1, shifts=day, skills={"t": 1}, van_stock={"P": 1}),
             make_tech("C", start=2, shifts=day, van_stock={"P": 1}))
    jobs = (make_job("U1", location=3, duration=1800, priority=1, skills={"t": 1},
                     parts={"P": 1}),
            make_job("U2", location=4, duration=1800, priority=1, parts={"P": 1}),
            make_job("W", location=5, duration=1800, priority=4, skills={"s": 1},
                     parts=w_parts or {"P": 1}))
    if warehouse_stock is None:
        return Problem(techs, jobs, TravelModel(distances=d, durations=d))
    return Problem(techs, jobs, TravelModel(distances=d, durations=d),
                   warehouses=(Warehouse("WH", location=6, stock=warehouse_stock),),
                   allow_pickups=True)


def test_a_waiting_job_takes_a_part_another_job_held_by_a_chain_of_moves() -> None:
    # The P1 jobs go first, each to its nearest van: U1 to A, U2 to B. Then W, which only A
    # can do, finds A's only P taken. No ruin and recreate can serve it: the removed P1 jobs
    # go back first, each where it is cheapest. The exchange moves U2 to C, U1 to B, and
    # gives A's part to W (on the city day seed 2, 60 x 350, this served the one P4 job that
    # VROOM served and we did not).
    problem = _scarce_part_day()
    rs = routes_of(problem)
    node = {problem.jobs[ji].id: n for n, ji in rs.built.job_of_node.items()}
    route = {s.tech.id: v for v, s in enumerate(rs.built.shifts)}
    rs.fill()
    assert rs.planned == {node["U1"]: route["A"], node["U2"]: route["B"]}
    before = [list(r) for r in rs.routes]
    assert not rs.exchange(node["W"], random.Random(0), depth=1)  # one move is not enough
    assert rs.routes == before and node["W"] not in rs.planned
    assert rs.exchange(node["W"], random.Random(0))
    assert rs.planned == {node["W"]: route["A"], node["U1"]: route["B"],
                          node["U2"]: route["C"]}
    assert all(used <= held for v in range(rs.nv)
               for used, held in zip(rs.load[v], rs.cap[v], strict=True))


def test_the_ruin_and_recreate_serves_the_waiting_job_by_the_exchange(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import optimizer.construct as construct_module

    problem = _scarce_part_day()
    rs = routes_of(problem)
    routes = construct_module.construct(problem, rs.built, iterations=200, seed=1)
    assert sorted(len(r) for r in routes) == [1, 1, 1]  # every job planned
    monkeypatch.setattr(construct_module, "EXCHANGE", 0.0)
    routes = construct_module.construct(problem, rs.built, iterations=200, seed=1)
    assert sum(len(r) for r in routes) == 2  # W is left without the exchange


@pytest.mark.parametrize(("stock", "w_parts"), [({"Q": 5}, {"P": 1, "Q": 1}),
                                                ({"P": 1}, {"P": 1})])
def test_with_warehouses_a_part_none_holds_is_exchanged_one_held_is_fetched(
        stock: dict[str, int], w_parts: dict[str, int]) -> None:
    # Vans may restock at a warehouse. Where it holds Q but no P, W (needing both) is served
    # by the exchange for P and a pick-up of Q; where it holds P, W is served by a pick-up
    # of P there (the exchange is not tried: on Pillac TRSP, whose depot holds every part,
    # it cost working time).
    import optimizer.construct as construct_module

    problem = _scarce_part_day(stock, w_parts)
    rs = routes_of(problem)
    node = {problem.jobs[ji].id: n for n, ji in rs.built.job_of_node.items()}
    assert rs.copies  # the warehouse is a place to restock
    assert bool(rs.van_only(node["W"])) == ("P" not in stock)
    routes = construct_module.construct(problem, rs.built, iterations=200, seed=1)
    planned = {problem.jobs[rs.built.job_of_node[nd]].id: v for v, r in enumerate(routes)
               for nd in r if nd in rs.built.job_of_node}
    assert sorted(planned) == ["U1", "U2", "W"]  # every job planned
    assert any(nd in rs.built.pickup_of_node for nd in routes[planned["W"]])
