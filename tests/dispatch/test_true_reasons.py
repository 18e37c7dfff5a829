"""Candidates and emergency insertions say the true reason a technician cannot go: not on
shift that day, on leave, shift already over, outside the customer's window, skill, parts,
capacity: a stable machine code plus the text a dispatcher reads."""

from __future__ import annotations

from datetime import timedelta

from tests.dispatch.factories import MONDAY, local

SUNDAY = MONDAY - timedelta(days=1)


def _codes(db_session, wo, now, day=None):
    from app.dispatch.service.candidates import rank_candidates

    return {c.technician.id: (c.reason_codes, c.reasons)
            for c in rank_candidates(db_session, wo, now=now, day=day or MONDAY)}


def test_on_a_day_nobody_works_every_candidate_says_not_on_shift(
        db_session, login, clock, make_technician, make_order):
    techs = [make_technician(skills={"hvac": 3}) for _ in range(2)]
    wo = make_order(skills={"hvac": 3})
    clock.pin(local(10, day=SUNDAY))
    r = login("dispatcher").get(f"/api/v1/work-orders/{wo.id}/candidates")
    assert r.status_code == 200, r.get_json()
    mine = [c for c in r.get_json() if c["technician_id"] in {t.id for t in techs}]
    assert len(mine) == 2
    for c in mine:
        assert c["eligible"] is False
        assert c["reason_codes"] == ["not_on_shift"]
        assert c["reasons"] == ["not on shift that day"]


def test_leave_is_told_apart_from_no_shift(db_session, make_technician, make_order):
    from app.dispatch.models import ShiftException

    away = make_technician(skills={"hvac": 3})
    db_session.add(ShiftException(technician_id=away.id, kind="leave",
                                  starts_at=local(0), ends_at=local(0) + timedelta(days=1)))
    db_session.commit()
    wo = make_order(skills={"hvac": 3})
    codes, texts = _codes(db_session, wo, local(7))[away.id]
    assert codes == ["on_leave"] and texts == ["on leave that day"]


def test_late_in_the_evening_the_shift_is_over_not_out_of_slots(db_session, make_technician,
                                                                make_order):
    tech = make_technician(skills={"hvac": 3})
    wo = make_order(skills={"hvac": 3})
    codes, texts = _codes(db_session, wo, local(22, 30))[tech.id]
    assert codes == ["shift_over"] and texts == ["shift already over that day"]


def test_a_customer_window_outside_the_shift_is_named(db_session, make_technician,
                                                      make_order):
    tech = make_technician(skills={"hvac": 3})
    wo = make_order(skills={"hvac": 3}, windows=[(local(18), local(20))])
    codes, texts = _codes(db_session, wo, local(7))[tech.id]
    assert codes == ["outside_customer_window"]
    assert texts == ["outside the customer's time window"]


def test_skill_parts_and_capacity_have_their_codes(db_session, make_technician, make_order,
                                                   make_part, make_stock_location):
    novice = make_technician(skills={"hvac": 1})
    busy = make_technician(skills={"hvac": 3})
    make_order(assignee=busy, start=local(8), duration=480)
    part = make_part()
    wo = make_order(skills={"hvac": 3}, duration=60)
    other = make_technician(skills={"hvac": 3})
    make_stock_location("van", owner=other, stock={part: 1}, reserve={wo: {part: 1}})
    got = _codes(db_session, wo, local(7))
    assert got[novice.id][0] == ["missing_skill", "parts_unavailable"]
    assert got[busy.id][0] == ["no_capacity", "parts_unavailable"]
    assert "no capacity left that day" in got[busy.id][1]


def test_an_insertion_on_a_day_nobody_works_says_so(db_session, login, clock,
                                                    make_technician, make_order):
    make_technician(skills={"hvac": 3})
    make_technician(skills={"hvac": 4})
    wo = make_order(skills={"hvac": 3}, priority="P1")
    clock.pin(local(10, day=SUNDAY))
    r = login("dispatcher").post("/api/v1/dispatch/insertions", json={"work_order_id": wo.id})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["technician_id"] is None
    assert body["reason_code"] == "nobody_on_shift"
    assert body["reason"].startswith("Nobody is on shift that day")
    assert "skill" not in body["reason"]


def test_an_insertion_when_everyone_qualified_is_on_leave_says_so(
        db_session, make_user, make_technician, make_order):
    from app.dispatch import service
    from app.dispatch.models import ShiftException

    away = make_technician(skills={"hvac": 3})
    make_technician(skills={"hvac": 1})
    db_session.add(ShiftException(technician_id=away.id, kind="leave",
                                  starts_at=local(0), ends_at=local(0) + timedelta(days=1)))
    db_session.commit()
    wo = make_order(skills={"hvac": 3}, priority="P1")
    result = service.insert_emergency(db_session, wo.id, now=local(9),
                                      actor=make_user("dispatcher"))
    assert result.technician_id is None
    assert result.reason_code == "on_leave"
    assert "on leave" in result.reason


def test_an_insertion_nobody_has_the_skill_for_still_says_skill(
        db_session, make_user, make_technician, make_order):
    from app.dispatch import service

    make_technician(skills={"hvac": 1})
    wo = make_order(skills={"elevator": 5}, priority="P1")
    result = service.insert_emergency(db_session, wo.id, now=local(9),
                                      actor=make_user("dispatcher"))
    assert result.reason_code == "missing_skill" and "elevator" in result.reason
