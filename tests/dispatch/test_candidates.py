"""Ranked candidates and hand assignment: the reasons a dispatcher reads, and the refusals."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY, local

NEAR = (48.1380, 11.5760)  # next to the job at Marienplatz
FAR = (48.2490, 11.6520)  # Garching, ~15 km away


def _ranked(db_session, wo, now):
    from app.dispatch.service.candidates import rank_candidates

    return rank_candidates(db_session, wo, now=now, day=MONDAY)


def test_closer_technician_without_skill_ranks_below_farther_one_with_it(
        db_session, make_technician, make_order):
    near = make_technician(skills={"hvac": 1}, lat=NEAR[0], lng=NEAR[1])
    far = make_technician(skills={"hvac": 4}, lat=FAR[0], lng=FAR[1])
    wo = make_order(skills={"hvac": 3})
    ranked = [c for c in _ranked(db_session, wo, local(7)) if c.technician.id in (near.id,
                                                                                 far.id)]
    assert [c.technician.id for c in ranked] == [far.id, near.id]
    assert ranked[0].eligible and ranked[0].earliest_start is not None
    assert ranked[0].travel_km > ranked[1].travel_km
    assert not ranked[1].eligible
    assert ranked[1].missing_skills == [{"skill": "hvac", "required": 3, "have": 1}]
    assert "hvac level 3 (has 1)" in ranked[1].reasons[0]


def test_van_holding_the_parts_ranks_first_and_the_other_is_told_where_to_pick(
        db_session, make_technician, make_order, make_part, make_stock_location):
    part = make_part("PS-100")
    stocked = make_technician(skills={"hvac": 2}, lat=NEAR[0], lng=NEAR[1])
    empty = make_technician(skills={"hvac": 2}, lat=NEAR[0], lng=NEAR[1])
    wo = make_order(skills={"hvac": 2})
    make_stock_location("van", owner=stocked, stock={part: 2}, reserve={wo: {part: 1}})
    make_stock_location("van", owner=empty)
    wh = make_stock_location("warehouse", stock={part: 5})
    ranked = [c for c in _ranked(db_session, wo, local(7))
              if c.technician.id in (stocked.id, empty.id)]
    assert [c.technician.id for c in ranked] == [stocked.id, empty.id]
    assert ranked[0].parts_in_van and ranked[0].parts_to_pick == []
    assert not ranked[1].parts_in_van
    assert ranked[1].parts_to_pick == [{"part_id": part.id, "sku": "PS-100", "quantity": 1,
                                        "warehouse_id": wh.id, "warehouse_code": wh.code}]
    assert ranked[1].eligible  # a pick-up is a detour, not a refusal


def test_part_in_no_warehouse_makes_the_technician_unable(
        db_session, make_technician, make_order, make_part, make_stock_location):
    part = make_part()
    tech = make_technician(skills={"hvac": 2})
    wo = make_order(skills={"hvac": 2})
    other = make_technician(skills={"hvac": 2})
    make_stock_location("van", owner=other, stock={part: 1}, reserve={wo: {part: 1}})
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    assert not mine.eligible
    assert any("in no warehouse" in r for r in mine.reasons)


def test_shift_ending_before_the_job_fits_means_no_slot(db_session, make_technician,
                                                         make_order):
    short = make_technician(skills={"hvac": 2}, shifts=[
        {"weekday": 0, "starts": time(8), "ends": time(10)}])
    full = make_technician(skills={"hvac": 2}, lat=FAR[0], lng=FAR[1])
    wo = make_order(skills={"hvac": 2}, duration=120)
    ranked = {c.technician.id: c for c in _ranked(db_session, wo, local(8, 30))}
    assert not ranked[short.id].eligible
    assert ranked[short.id].reasons[-1] in ("no free slot before the shift ends",
                                            "no capacity left that day")
    assert ranked[full.id].eligible and ranked[full.id].rank < ranked[short.id].rank


def test_slot_follows_the_previous_visit_and_travel_starts_there(
        db_session, make_technician, make_order):
    tech = make_technician(skills={"hvac": 2}, lat=FAR[0], lng=FAR[1])
    make_order(lat=NEAR[0], lng=NEAR[1], assignee=tech, start=local(8), duration=120)
    wo = make_order(skills={"hvac": 2})
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    assert mine.travel_from == "previous_visit"
    assert mine.earliest_start >= local(10)
    assert mine.travel_km < 1
    assert mine.planned_minutes == 120 and mine.load == pytest.approx(120 / 480, abs=0.01)


@pytest.mark.parametrize("where", [(48.137154321987654, 11.575382345678912),
                                   (-33.868820123456789, -151.209295987654321)])
def test_visits_are_read_at_the_very_coordinates_of_their_sites(
        db_session, make_technician, make_order, where):
    """The visits' sites come back from SQL as floats (ST_Y / ST_X): bit for bit the point
    decoded from the stored geometry, so travel from a previous visit is unchanged."""
    from app.dispatch.service.candidates import schedules_of
    from app.dispatch.service.problem import point_of, travel_between

    lat, lng = where
    tech = make_technician(skills={"hvac": 2}, lat=lat + 0.1, lng=lng + 0.1)
    visit = make_order(lat=lat, lng=lng, assignee=tech, start=local(8), duration=120)
    wo = make_order(lat=lat + 0.0123456789, lng=lng - 0.0098765432, skills={"hvac": 2})
    (busy,) = schedules_of(db_session, [tech.user_id], local(0), local(23))[tech.user_id]
    decoded = point_of(visit.site.location)
    assert (busy.point.lat, busy.point.lng) == (decoded.lat, decoded.lng)
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    metres, secs = travel_between(decoded, point_of(wo.site.location))
    assert mine.travel_from == "previous_visit"
    assert (mine.travel_km, mine.travel_min) == (round(metres / 1000, 1), -(-secs // 60))


def test_slot_leaves_room_for_the_lunch_break(db_session, make_technician, make_order):
    """Lunch: 30 minutes inside 12:00-13:30. Visits until 11:45 and from 15:00: a two-hour
    job right after the morning visit (11:45-13:45) would leave no 30 minutes in the lunch
    window, so the slot comes after the break (12:00-12:30)."""
    tech = make_technician(skills={"hvac": 2})
    make_order(assignee=tech, start=local(8), duration=225)  # 08:00-11:45
    make_order(assignee=tech, start=local(15), duration=120)  # 15:00-17:00
    wo = make_order(skills={"hvac": 2}, duration=120, lat=NEAR[0], lng=NEAR[1])
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    assert mine.eligible
    assert local(12, 30) <= mine.earliest_start <= local(12, 40)
    assert mine.earliest_end <= local(15)


def test_slot_before_the_break_when_lunch_still_fits_after(db_session, make_technician,
                                                          make_order):
    tech = make_technician(skills={"hvac": 2})
    make_order(assignee=tech, start=local(8), duration=180)  # 08:00-11:00
    wo = make_order(skills={"hvac": 2}, duration=60, lat=NEAR[0], lng=NEAR[1])
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    assert local(11) <= mine.earliest_start <= local(11, 10)  # lunch fits at 12:10-13:30


def test_a_day_without_room_for_lunch_is_not_made_worse_and_not_blocked(
        db_session, make_technician, make_order):
    tech = make_technician(skills={"hvac": 2})
    make_order(assignee=tech, start=local(8), duration=420)  # 08:00-15:00: no lunch already
    wo = make_order(skills={"hvac": 2}, duration=60, lat=NEAR[0], lng=NEAR[1])
    mine = next(c for c in _ranked(db_session, wo, local(7)) if c.technician.id == tech.id)
    assert mine.eligible and local(15) <= mine.earliest_start <= local(15, 10)


def test_fresh_gps_position_is_where_they_are_today(db_session, make_technician, make_order):
    from app import geo
    from app.db import utcnow

    tech = make_technician(skills={}, lat=FAR[0], lng=FAR[1], shifts=[
        {"weekday": d, "starts": time(0), "ends": time(23, 59)} for d in range(7)])
    tech.last_position = geo.to_point(*NEAR)
    tech.last_position_at = utcnow() - timedelta(minutes=5)
    db_session.commit()
    from app.dispatch.service.candidates import rank_candidates

    wo = make_order()
    mine = next(c for c in rank_candidates(db_session, wo, now=utcnow())
                if c.technician.id == tech.id)
    assert mine.travel_from in ("gps", "previous_visit")
    assert mine.travel_km < 1 or mine.earliest_start is None


def test_candidates_endpoint_lists_everyone_with_reasons(login, make_technician, make_order):
    able = make_technician(skills={"hvac": 3})
    unable = make_technician(skills={})
    wo = make_order(skills={"hvac": 2})
    r = login("dispatcher").get(f"/api/v1/work-orders/{wo.id}/candidates?date=2026-11-23")
    assert r.status_code == 200, r.get_json()
    ids = [c["technician_id"] for c in r.get_json()]
    assert ids.index(able.id) < ids.index(unable.id)
    row = next(c for c in r.get_json() if c["technician_id"] == unable.id)
    assert row["eligible"] is False and row["missing_skills"][0]["skill"] == "hvac"


@pytest.mark.parametrize("role", ["technician", "customer", "warehouse"])
def test_candidates_only_for_planners(login, make_order, role):
    wo = make_order()
    assert_error(login(role).get(f"/api/v1/work-orders/{wo.id}/candidates"), 403)


def test_candidates_of_unknown_or_finished_order(login, make_order):
    api = login("admin")
    assert_error(api.get("/api/v1/work-orders/999999/candidates"), 404)
    wo = make_order(status="completed")
    assert_error(api.get(f"/api/v1/work-orders/{wo.id}/candidates"), 409, "not_assignable")


# --- assignment ---------------------------------------------------------------------------

def _put(api, wo, tech, **extra):
    body = {"technician_id": tech.id, "start": local(9).isoformat(), "version": wo.version,
            **extra}
    return api.put(f"/api/v1/work-orders/{wo.id}/assignment", json=body)


def test_assign_by_hand_schedules_and_notifies(db_session, login, make_technician, make_order):
    from app.notifications.models import Notification

    tech = make_technician(skills={"hvac": 3})
    wo = make_order(skills={"hvac": 2})
    r = _put(login("dispatcher"), wo, tech)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "scheduled" and body["assignee_user_id"] == tech.user_id
    assert body["scheduled_start"].startswith("2026-11-23T08:00")
    kinds = db_session.scalars(select(Notification.kind).where(
        Notification.user_id == tech.user_id)).all()
    assert "job_assigned" in kinds


def test_missing_skill_is_refused_unless_overridden_with_a_reason(
        db_session, login, make_technician, make_order):
    from app.workorders.models import WorkOrderEvent

    tech = make_technician(skills={"hvac": 1})
    wo = make_order(skills={"hvac": 3})
    api = login("dispatcher")
    body = assert_error(_put(api, wo, tech), 409, "missing_skill")
    assert "hvac level 3" in body["message"]
    assert_error(_put(api, wo, tech, override=True), 422)
    r = _put(api, wo, tech, override=True, reason="Only one free, supervisor on the phone")
    assert r.status_code == 200, r.get_json()
    events = db_session.scalars(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == wo.id, WorkOrderEvent.kind == "skill_override")).all()
    assert events and events[0].data["reason"].startswith("Only one free")


def test_overlapping_slot_is_refused(login, make_technician, make_order):
    tech = make_technician()
    busy = make_order(assignee=tech, start=local(8, 30), duration=60)
    wo = make_order()
    body = assert_error(_put(login("dispatcher"), wo, tech), 409, "slot_overlap")
    assert busy.number in body["message"]


def test_stale_version_is_refused(login, make_technician, make_order):
    tech = make_technician()
    wo = make_order()
    assert_error(_put(login("dispatcher"), wo, tech, version=wo.version + 1), 409,
                 "version_conflict")


def test_unknown_technician_is_422_and_roles(login, make_technician, make_order):
    wo = make_order()
    tech = make_technician()
    r = login("dispatcher").put(f"/api/v1/work-orders/{wo.id}/assignment",
                                json={"technician_id": 999999, "version": wo.version})
    assert_error(r, 422)
    for role in ("technician", "customer", "warehouse"):
        assert_error(_put(login(role), wo, tech), 403)


def test_a_start_outside_the_shift_needs_an_override(db_session, login, make_technician,
                                                     make_order):
    from app.workorders.models import WorkOrderEvent

    tech = make_technician()  # Mon–Fri 08:00–17:00 Berlin
    wo = make_order()
    api = login("dispatcher")
    late = {"start": local(19).isoformat()}
    assert_error(_put(api, wo, tech, **late), 409, "outside_shift")
    assert_error(_put(api, wo, tech, start=local(16, 30).isoformat()), 409, "outside_shift")
    r = _put(api, wo, tech, override=True, reason="Customer only there after work", **late)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["scheduled_start"].startswith(local(19).isoformat()[:16])
    kinds = db_session.scalars(select(WorkOrderEvent.kind).where(
        WorkOrderEvent.work_order_id == wo.id)).all()
    assert "shift_override" in kinds


def test_customers_never_read_the_dispatchers_override_reason(db_session, login, make_user,
                                                              make_technician, make_order):
    from app.workorders.models import WorkOrder

    tech = make_technician(skills={"hvac": 1})
    wo = make_order(skills={"hvac": 3})
    secret = "Only Jan is free; he is slow but the customer is a pain"
    r = _put(login("dispatcher"), wo, tech, override=True, reason=secret)
    assert r.status_code == 200, r.get_json()
    wo = db_session.get(WorkOrder, wo.id)
    customer = login(make_user("customer", customer_id=wo.customer_id))
    seen = customer.get(f"/api/v1/work-orders/{wo.id}/timeline", query_string={
        "per_page": 100})
    assert seen.status_code == 200, seen.get_json()
    assert "assigned" in [e["kind"] for e in seen.get_json()]
    assert secret not in str(seen.get_json())
    assert "skill_override" not in [e["kind"] for e in seen.get_json()]
    office = login("dispatcher").get(f"/api/v1/work-orders/{wo.id}/timeline",
                                     query_string={"per_page": 100})
    assert secret in str(office.get_json())  # the office still reads why


def test_the_rankings_travel_memo_answers_as_travel_between_either_way_round():
    """The memo keys a pair of places without their order: the legs must be equal both ways
    (the haversine is symmetric bit for bit), and equal to `travel_between`'s own."""
    import random

    import optimizer as opt
    from app.dispatch.service.problem import TravelMemo, travel_between

    rnd = random.Random(7)
    points = [opt.Point(48.0 + rnd.random() * 0.4, 11.3 + rnd.random() * 0.6)
              for _ in range(60)]
    memo = TravelMemo()
    for _ in range(400):
        a, b = rnd.choice(points), rnd.choice(points)
        assert memo(a, b) == travel_between(a, b) == travel_between(b, a) == memo(b, a)
    assert memo(points[0], points[0]) == (0, 0)
