"""From plan to phone in one step: applying a plan can release the day (jobs dispatched, one
route push per technician); a separate release call does it for a day or one technician;
re-planning or an insertion that changes a released route pushes "route changed"."""

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY, local


def _plan(api, **extra):
    r = api.post("/api/v1/dispatch/plans", json={"date": MONDAY.isoformat(),
                                                 "time_limit_s": 1, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _pushes(db_session, user_id):
    from app.notifications.models import Notification

    db_session.expire_all()
    return [n.kind for n in db_session.scalars(select(Notification).where(
        Notification.user_id == user_id).order_by(Notification.id))]


def _status(db_session, wo):
    from app.workorders.models import WorkOrder

    return db_session.get(WorkOrder, wo.id, populate_existing=True).status


def test_apply_with_dispatch_releases_the_day_and_the_technician_can_set_off(
        db_session, login, make_technician, make_order):
    """The issue: applying left every job `scheduled`; `en_route` was a 409 with
    "allowed": [] until each job was dispatched by hand."""
    from app.workorders.models import WorkOrderEvent

    tech = make_technician(skills={"hvac": 3})
    jobs = [make_order(skills={"hvac": 2}, lat=48.13 + i / 100) for i in range(2)]
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[j.id for j in jobs])
    r = api.post(f"/api/v1/dispatch/plans/{run['id']}/apply", json={"dispatch": True})
    assert r.status_code == 200, r.get_json()
    assert [_status(db_session, j) for j in jobs] == ["dispatched", "dispatched"]
    for job in jobs:
        changes = [e.data for e in db_session.scalars(select(WorkOrderEvent).where(
            WorkOrderEvent.work_order_id == job.id, WorkOrderEvent.kind == "status_changed"))]
        assert {"from": "scheduled", "to": "dispatched"} in [
            {"from": c["from"], "to": c["to"]} for c in changes]
    # One push for the day's route, not one per job.
    assert _pushes(db_session, tech.user_id) == ["route_released"]
    first = min(run["routes"][0]["visits"], key=lambda v: v["planned_start"])["work_order_id"]
    phone = login(db_session.get(type(tech.user), tech.user_id))
    going = phone.post(f"/mobile/v1/jobs/{first}/status", json={
        "to": "en_route", "position": {"lat": 48.15, "lng": 11.56, "accuracy_m": 8}})
    assert going.status_code == 200, going.get_json()
    assert going.get_json()["status"] == "en_route"


def test_apply_without_dispatch_still_only_schedules(db_session, login, make_technician,
                                                    make_order):
    tech = make_technician(skills={"hvac": 3})
    job = make_order(skills={"hvac": 2})
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[job.id])
    assert api.post(f"/api/v1/dispatch/plans/{run['id']}/apply").status_code == 200
    assert _status(db_session, job) == "scheduled"
    assert _pushes(db_session, tech.user_id) == ["job_assigned"]
    assert_error(api.post(f"/api/v1/dispatch/plans/{run['id']}/apply",
                          json={"dispatch": "yes please"}), 422)


def test_release_call_for_one_technician_then_the_rest(db_session, login, make_technician,
                                                      make_order):
    a = make_technician(skills={"hvac": 3})
    b = make_technician(skills={"hvac": 3}, lat=48.16, lng=11.60)
    a_job = make_order(skills={"hvac": 2}, assignee=a, start=local(9))
    b_job = make_order(skills={"hvac": 2}, assignee=b, start=local(10), lat=48.16, lng=11.60)
    api = login("dispatcher")
    r = api.post("/api/v1/dispatch/releases",
                 json={"date": MONDAY.isoformat(), "technician_id": a.id})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["dispatched"] == 1 and [rt["technician_id"] for rt in body["routes"]] == [a.id]
    assert body["routes"][0]["dispatched"] == [a_job.id]
    assert _status(db_session, a_job) == "dispatched" and _status(db_session, b_job) == "scheduled"
    assert _pushes(db_session, a.user_id)[-1] == "route_released"
    assert "route_released" not in _pushes(db_session, b.user_id)
    # Nothing left for a; the whole day releases b.
    assert_error(api.post("/api/v1/dispatch/releases",
                          json={"date": MONDAY.isoformat(), "technician_id": a.id}), 409,
                 "nothing_to_release")
    rest = api.post("/api/v1/dispatch/releases", json={"date": MONDAY.isoformat()}).get_json()
    assert [rt["technician_id"] for rt in rest["routes"]] == [b.id]
    assert _status(db_session, b_job) == "dispatched"
    assert _pushes(db_session, a.user_id).count("route_released") == 1


def test_release_input_errors_and_roles(login, make_technician):
    tech = make_technician()
    api = login("dispatcher")
    assert_error(api.post("/api/v1/dispatch/releases", json={}), 422)
    assert_error(api.post("/api/v1/dispatch/releases", json={"date": "23.11.2026"}), 422)
    assert_error(api.post("/api/v1/dispatch/releases",
                          json={"date": MONDAY.isoformat(), "technician_id": 999999}), 404)
    assert_error(api.post("/api/v1/dispatch/releases",
                          json={"date": MONDAY.isoformat(), "extra": 1}), 422)
    assert_error(api.post("/api/v1/dispatch/releases", json={
        "date": (MONDAY + timedelta(days=1)).isoformat(), "technician_id": tech.id}), 409,
        "nothing_to_release")
    for role in ("technician", "customer", "warehouse"):
        assert_error(login(role).post("/api/v1/dispatch/releases",
                                      json={"date": MONDAY.isoformat()}), 403)


def test_replanning_a_released_route_dispatches_the_new_job_and_pushes_the_change(
        db_session, login, make_technician, make_order):
    tech = make_technician(skills={"hvac": 3})
    first = make_order(skills={"hvac": 2})
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[first.id])
    api.post(f"/api/v1/dispatch/plans/{run['id']}/apply", json={"dispatch": True})
    added = make_order(skills={"hvac": 2}, lat=48.15)
    again = _plan(api, technician_ids=[tech.id], work_order_ids=[first.id, added.id])
    r = api.post(f"/api/v1/dispatch/plans/{again['id']}/apply")
    assert r.status_code == 200, r.get_json()
    # The route is live on the phone: the added job is dispatched with it, one push says so.
    assert _status(db_session, added) == "dispatched"
    assert _pushes(db_session, tech.user_id) == ["route_released", "route_changed"]


def test_an_insertion_into_a_released_route_pushes_route_changed(db_session, make_user,
                                                                 make_technician, make_order):
    from app.dispatch import service

    boss = make_user("dispatcher")
    tech = make_technician(skills={"hvac": 3})
    jobs = [make_order(skills={"hvac": 2}, lat=48.13 + i / 100) for i in range(2)]
    base = service.request_plan(db_session, day=MONDAY, time_limit_s=1,
                                technician_ids=[tech.id], work_order_ids=[j.id for j in jobs],
                                actor=boss)
    db_session.commit()
    service.run_in_background(db_session.get_bind(), base.id)
    service.apply_run(db_session, base.id, actor=boss, dispatch=True)
    db_session.commit()
    urgent = make_order(skills={"hvac": 1}, priority="P1", lat=48.14, duration=30)
    inserted = service.insert_emergency(db_session, urgent.id, now=local(8), actor=boss)
    db_session.commit()
    service.apply_run(db_session, inserted.run.id, actor=boss)
    db_session.commit()
    assert _status(db_session, urgent) == "dispatched"
    assert _pushes(db_session, tech.user_id) == ["route_released", "route_changed"]


def test_two_dispatchers_releasing_the_same_day_at_once_push_it_once(scratch_databases,
                                                                     tmp_path):
    """Real commits, two threads and connections: one release wins, the other is a 409
    (nothing left to release, or the version guard), and the technician gets ONE push."""
    import threading

    from app.auth.models import User
    from app.extensions import db
    from app.notifications.models import Notification
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrder
    from tests.dispatch.scratch import close, day_app

    app, headers, ids = day_app(scratch_databases, tmp_path, jobs=3)
    with app.app_context():
        tech_user = db.session.scalar(select(User).where(User.role == "technician"))
        for i, wo_id in enumerate(ids):
            wo = db.session.get(WorkOrder, wo_id)
            workorders.assign_work_order(db.session, wo, assignee_user_id=tech_user.id,
                                         scheduled_start=local(9 + 2 * i), scheduled_end=None,
                                         version=None, actor=None)
        db.session.commit()
        tech_user_id = tech_user.id
    results: list[int] = []
    barrier = threading.Barrier(2)

    def release() -> None:
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/v1/dispatch/releases", headers=headers,
                        json={"date": MONDAY.isoformat()})
        results.append(r.status_code)

    threads = [threading.Thread(target=release) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [201, 409]
    with app.app_context():
        statuses = set(db.session.scalars(select(WorkOrder.status)
                                          .where(WorkOrder.id.in_(ids))))
        pushes = list(db.session.scalars(select(Notification.kind).where(
            Notification.user_id == tech_user_id, Notification.kind == "route_released")))
    assert statuses == {"dispatched"} and pushes == ["route_released"]
    close(app)


def test_the_release_note_on_the_timeline_reads_in_the_readers_language(
        db_session, login, make_technician, make_order):
    tech = make_technician(skills={"hvac": 3})
    job = make_order(skills={"hvac": 2})
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[job.id])
    assert api.post(f"/api/v1/dispatch/plans/{run['id']}/apply",
                    json={"dispatch": True}).status_code == 200

    def reasons(language):
        timeline = api.get(f"/api/v1/work-orders/{job.id}/timeline",
                           headers={"Accept-Language": language}).get_json()
        return [e["data"]["reason"] for e in timeline
                if e["kind"] == "status_changed" and e["data"].get("to") == "dispatched"]

    assert reasons("en") == [f"day {MONDAY.isoformat()} released to the technician"]
    assert reasons("zh-CN") == [f"{MONDAY.isoformat()} 的工作已下发给技术员"]
