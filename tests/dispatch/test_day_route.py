"""The technician's day is the planned route (pick-ups, jobs, the break, travel between them);
pick lists follow the planned warehouse; live ETAs from the last GPS fix, on the phone and on
the dispatcher's board, with a running-late flag."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.dispatch.factories import MONDAY, local

HOME = (48.1374, 11.5755)


def _plan_and_release(db_session, boss, techs, orders):
    from app.dispatch import service

    run = service.request_plan(db_session, day=MONDAY, time_limit_s=1,
                               technician_ids=[t.id for t in techs],
                               work_order_ids=[o.id for o in orders], actor=boss)
    db_session.commit()
    service.run_in_background(db_session.get_bind(), run.id)
    run = service.get_run(db_session, run.id, fresh=True)
    assert run.status == "done", run.error
    service.apply_run(db_session, run.id, actor=boss, dispatch=True)
    db_session.commit()
    return run


def _user(db_session, tech):
    from app.auth.models import User

    return db_session.get(User, tech.user_id)


def test_phone_day_is_the_planned_route_with_pickup_parts_and_break(
        db_session, login, make_user, make_technician, make_order, make_part,
        make_stock_location):
    """The issue: the planned warehouse pick-ups never left the dispatch package."""
    part = make_part()
    tech = make_technician(skills={"hvac": 2})
    make_stock_location("van", owner=tech)
    jobs = [make_order(skills={"hvac": 2}, lat=48.13 + i / 100, duration=120) for i in range(3)]
    wh = make_stock_location("warehouse", lat=48.14, lng=11.56, stock={part: 3},
                             reserve={jobs[1]: {part: 2}})
    run = _plan_and_release(db_session, make_user("dispatcher"), [tech], jobs)
    body = login(_user(db_session, tech)).get(
        f"/mobile/v1/me/jobs?date={MONDAY.isoformat()}").get_json()

    route = body["route"]
    kinds = [s["kind"] for s in route]
    assert kinds.count("job") == 3 and kinds.count("pickup") == 1 and kinds.count("break") == 1
    assert [s["sequence"] for s in route] == list(range(1, len(route) + 1))
    pickup = route[kinds.index("pickup")]
    needs_part = next(i for i, s in enumerate(route) if s["work_order_id"] == jobs[1].id)
    assert kinds.index("pickup") < needs_part
    assert pickup["warehouse"]["code"] == wh.code
    assert pickup["collect"][0]["sku"] == part.sku and pickup["collect"][0]["quantity"] >= 2
    planned = {v.work_order_id: v for v in run.visits if v.kind == "job"}
    for stop in route:
        if stop["kind"] == "job":
            visit = planned[stop["work_order_id"]]
            assert datetime.fromisoformat(stop["planned_arrival"]) == visit.planned_arrival
            assert datetime.fromisoformat(stop["planned_start"]) == visit.planned_start
            assert stop["travel_min"] >= 1 and stop["travel_km"] > 0
    starts = [datetime.fromisoformat(s["planned_start"]) for s in route]
    assert starts == sorted(starts)
    # The phone's existing fields stay, in the route's job order, with the planned arrival.
    assert [j["id"] for j in body["jobs"]] == [s["work_order_id"] for s in route
                                               if s["kind"] == "job"]
    for job in body["jobs"]:
        assert job["eta"] == job["planned_arrival"] and job["eta_source"] == "plan"
        assert {"number", "site", "parts", "all_parts_in_van", "checked_in"} <= set(job)


def test_pick_list_follows_the_planned_warehouse_not_the_nearest(
        db_session, login, make_user, make_technician, make_order, make_part,
        make_stock_location):
    """The issue: pick lists used the nearest warehouse, not the planned pick-up."""
    part = make_part()
    tech = make_technician(skills={"hvac": 2}, lat=HOME[0], lng=HOME[1])
    make_stock_location("van", owner=tech)
    job = make_order(skills={"hvac": 2}, lat=HOME[0], lng=11.62)
    # Reserved 100 km away (the old list picked where the stock is reserved); free stock in
    # a warehouse on the way, which is where the plan sends the technician.
    far = make_stock_location("warehouse", lat=49.03, lng=11.60, stock={part: 1},
                              reserve={job: {part: 1}})
    on_the_way = make_stock_location("warehouse", lat=HOME[0], lng=11.60, stock={part: 5})
    run = _plan_and_release(db_session, make_user("dispatcher"), [tech], [job])
    pickups = [v for v in run.visits if v.kind == "pickup"]
    assert [p.stock_location_id for p in pickups] == [on_the_way.id]
    lists = login("warehouse").get(f"/api/v1/dispatch/pick-lists?date={MONDAY.isoformat()}")
    (plist,) = [p for p in lists.get_json() if p["technician_id"] == tech.id]
    assert [(line["warehouse_id"], line["quantity"]) for line in plist["lines"]] \
        == [(on_the_way.id, 1)]
    assert plist["lines"][0]["planned"] is True
    assert far.id not in [line["warehouse_id"] for line in plist["lines"]]


def test_live_eta_from_the_last_fix_and_running_late_on_board_and_phone(
        db_session, make_user, make_technician, make_order):
    from app.dispatch import service
    from app.mobile_api.service import technician_day

    boss = make_user("dispatcher")
    tech = make_technician(skills={"hvac": 2})
    tight = make_order(skills={"hvac": 2}, lat=48.14, lng=11.58, duration=60,
                       windows=[(local(8), local(10, 30))])
    relaxed = make_order(skills={"hvac": 2}, lat=48.15, lng=11.59, duration=60)
    _plan_and_release(db_session, boss, [tech], [tight, relaxed])
    planned = {s.work_order_id: s for s in service.technician_route(
        db_session, tech, MONDAY, now=local(7)).jobs}
    assert planned[tight.id].eta_source == "plan"
    assert not planned[tight.id].running_late

    # 09:55: the technician is still 40 km away (Augsburg direction); the window closes.
    now = local(9, 55)
    service.record_position(db_session, tech, lat=48.30, lng=11.10, at=now,
                            accuracy_m=10, actor=boss)
    db_session.commit()
    route = service.technician_route(db_session, tech, MONDAY, now=now)
    first = route.stop_of(tight.id)
    assert first.eta_source == "gps" and route.position_at == now
    assert first.eta > now + timedelta(minutes=30)  # 40 km do not take less
    assert first.running_late and first.late_reasons == ["window"]
    assert route.stops[0].travel_km > 30  # the next stop: from where the technician is

    board = service.day_board(db_session, MONDAY, actor=boss, now=now)
    (row,) = [r for r in board.technicians if r.technician.id == tech.id]
    visit = next(v for v in row.visits if v["work_order_id"] == tight.id)
    assert visit["running_late"] is True and visit["eta"] == first.eta
    assert visit["eta"] != visit["scheduled_start"]

    day = technician_day(db_session, day=MONDAY, actor=_user(db_session, tech), now=now)
    job = next(j for j in day.jobs if j.work_order.id == tight.id)
    assert job.eta == first.eta and job.running_late and job.eta_source == "gps"

    # A fix older than DISPATCH_POSITION_FRESH_MINUTES is not "where they are".
    later = now + timedelta(hours=2)
    stale = service.technician_route(db_session, tech, MONDAY, now=later)
    assert stale.position_at is None and stale.stop_of(tight.id).eta_source == "plan"


def test_phone_eta_follows_gps_not_the_scheduled_start(db_session, login, make_technician,
                                                       make_order):
    """The issue: the phone's ETA was `scheduled_start`; nothing updated it from GPS.
    Any hour of the day: the job is scheduled three hours from now, on that local date."""
    from app.db import utcnow

    tech = make_technician(skills={"hvac": 2})
    start = (utcnow() + timedelta(hours=3)).replace(second=0, microsecond=0)
    job = make_order(skills={"hvac": 2}, lat=48.14, lng=11.58, assignee=tech, start=start)
    phone = login(_user(db_session, tech))
    fix = phone.post("/mobile/v1/me/location", json={"fixes": [
        {"lat": 48.30, "lng": 11.10, "accuracy_m": 10,
         "at": utcnow().isoformat()}]})
    assert fix.status_code == 200, fix.get_json()
    day = start.astimezone(ZoneInfo("Europe/Berlin")).date()
    body = phone.get(f"/mobile/v1/me/jobs?date={day.isoformat()}").get_json()
    (card,) = [j for j in body["jobs"] if j["id"] == job.id]
    eta = datetime.fromisoformat(card["eta"]).astimezone(UTC)
    assert eta != start and eta < start - timedelta(hours=1)
    assert card["eta_source"] == "gps" and body["position_at"] is not None
    assert body["route"][0]["work_order_id"] == job.id
    assert body["route"][0]["travel_km"] > 30
