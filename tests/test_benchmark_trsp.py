"""The TRSP benchmark's independent re-check (benchmarks/trsp.py) is itself checked: it
reproduces the published working time of all 56 Pillac solutions and refuses broken ones."""

from __future__ import annotations

import copy

import pytest

from benchmarks.trsp import DATA, DEPOT, parse, read_published, recheck

PUBLISHED = read_published(DATA / "pillac-minwt.sol")


def test_all_published_solutions_recheck_to_their_working_time():
    assert len(PUBLISHED) == 56
    for name, (working_time, tours) in PUBLISHED.items():
        errors, wt, distance = recheck(parse(DATA / "crew25" / f"{name}.txt"), tours)
        assert errors == [], name
        assert wt == pytest.approx(working_time, abs=1e-3), name
        assert 0 < distance < wt


def _tour_with_depot_trip(tours):
    return next(k for k, t in tours.items() if t and t[0] == DEPOT and len(t) > 1)


def test_a_route_without_its_depot_trip_lacks_tools_or_parts():
    name = "C101.100_25-5-5-5"
    inst = parse(DATA / "crew25" / f"{name}.txt")
    tours = copy.deepcopy(PUBLISHED[name][1])
    tours[_tour_with_depot_trip(tours)].remove(DEPOT)
    errors, _, _ = recheck(inst, tours)
    assert any("tools" in e or "part" in e for e in errors)


def test_a_request_given_to_an_unskilled_technician_or_dropped_is_caught():
    name = "R101.100_25-5-5-5"
    inst = parse(DATA / "crew25" / f"{name}.txt")
    tours = copy.deepcopy(PUBLISHED[name][1])
    req = next(r for r in inst.requests if r.skills)
    unskilled = next(k for k, home in enumerate(inst.techs) if not req.skills <= home.skills)
    for steps in tours.values():
        if req.id in steps:
            steps.remove(req.id)
    dropped, _, _ = recheck(inst, tours)
    assert any("not served" in e for e in dropped)
    tours[unskilled] = [*tours[unskilled], req.id]
    errors, _, _ = recheck(inst, tours)
    assert any("skills" in e for e in errors)
