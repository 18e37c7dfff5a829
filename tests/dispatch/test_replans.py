"""Re-plan the day: the rest of a released day from now, started and locked visits kept,
few visits moved, and "route changed" pushed only to technicians whose route changed."""

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY, local


def _released_day(db_session, login, make_technician, make_order):
    """Three technicians, nine jobs, planned and released (phones have their routes)."""
    techs = [make_technician(skills={"hvac": 3}, lat=48.10 + i * 0.05, lng=11.55)
             for i in range(3)]
    jobs = [make_order(skills={"hvac": 2}, lat=48.10 + (i % 3) * 0.05 + 0.004 * (i // 3),
                       lng=11.56 + 0.004 * (i // 3), duration=45) for i in range(9)]
    api = login("dispatcher")
    r = api.post("/api/v1/dispatch/plans", json={"date": MONDAY.isoformat(), "time_limit_s": 1,
                                                 "technician_ids": [t.id for t in techs],
                                                 "work_order_ids": [j.id for j in jobs]})
    assert r.status_code == 201, r.get_json()
    r = api.post(f"/api/v1/dispatch/plans/{r.get_json()['id']}/apply", json={"dispatch": True})
    assert r.status_code == 200, r.get_json()
    return api, techs, jobs


def _day(db_session, jobs):
    """work order id -> (assignee user id, scheduled start, status)."""
    from app.workorders.models import WorkOrder

    db_session.expire_all()
    return {wo.id: (wo.assignee_user_id, wo.scheduled_start, wo.status) for wo in
            db_session.scalars(select(WorkOrder).where(WorkOrder.id.in_([j.id for j in jobs])))}


def _pushes(db_session, user_id):
    from app.notifications.models import Notification

    db_session.expire_all()
    return [n.kind for n in db_session.scalars(select(Notification).where(
        Notification.user_id == user_id).order_by(Notification.id))]


def _replan(api, **extra):
    body = {"date": MONDAY.isoformat(), "time_limit_s": 1, "now": local(7).isoformat(), **extra}
    r = api.post("/api/v1/dispatch/replans", json=body)
    assert r.status_code == 201, r.get_json()
    run = r.get_json()
    assert run["status"] == "done", run
    return run


def _valid(db_session, run_id):
    import optimizer
    from app.dispatch.models import OptimizationRun
    from app.dispatch.service.problem import plan_from_json, problem_from_json
    from app.dispatch.service.replans import rest_problem

    run = db_session.get(OptimizationRun, run_id)
    args = run.inputs["replan"]
    problem = rest_problem(problem_from_json(run.inputs["problem"]), args)
    return optimizer.validate(problem, plan_from_json(run.result)) == []


def test_nothing_changed_moves_nothing_and_pushes_nothing(db_session, login, make_technician,
                                                         make_order):
    api, techs, jobs = _released_day(db_session, login, make_technician, make_order)
    before = _day(db_session, jobs)
    run = _replan(api)
    assert _valid(db_session, run["id"])
    assert run["solver_stats"]["moved_technician"] == 0
    assert run["solver_stats"]["moved_time"] == 0
    r = api.post(f"/api/v1/dispatch/plans/{run['id']}/apply")
    assert r.status_code == 200, r.get_json()
    assert _day(db_session, jobs) == before
    for t in techs:
        assert "route_changed" not in _pushes(db_session, t.user_id)


def test_a_technician_off_sick_hands_over_only_their_jobs_and_only_changed_routes_hear(
        db_session, login, make_technician, make_order):
    from app.dispatch.models import ShiftException

    api, techs, jobs = _released_day(db_session, login, make_technician, make_order)
    before = _day(db_session, jobs)
    users = {t.user_id for t in techs}
    busy = [u for u in users if any(a == u for a, _, _ in before.values())]
    sick = next(t for t in techs if t.user_id == busy[0])
    theirs = {j for j, (u, _, _) in before.items() if u == sick.user_id}
    db_session.add(ShiftException(technician_id=sick.id, kind="sickness",
                                  starts_at=local(6), ends_at=local(18)))
    db_session.commit()
    run = _replan(api, move_cost=2000)  # from 07:00: off for the whole day
    assert _valid(db_session, run["id"])
    planned = {v["work_order_id"]: rt["technician_id"] for rt in run["routes"]
               for v in rt["visits"]}
    assert sick.id not in planned.values()
    r = api.post(f"/api/v1/dispatch/plans/{run['id']}/apply")
    assert r.status_code == 200, r.get_json()
    after = _day(db_session, jobs)
    moved = {j for j in before if after[j][0] != before[j][0]}
    assert moved and moved <= theirs  # nobody else's job changed hands
    for t in techs:
        mine_before = {(j, s) for j, (u, s, _) in before.items() if u == t.user_id}
        mine_after = {(j, s) for j, (u, s, _) in after.items() if u == t.user_id}
        changed = mine_before != mine_after
        assert ("route_changed" in _pushes(db_session, t.user_id)) == changed, t.id


def test_started_and_locked_visits_stay_and_nothing_new_starts_before_now(
        db_session, login, make_technician, make_order):
    from app.workorders.models import Status, WorkOrder

    api, techs, jobs = _released_day(db_session, login, make_technician, make_order)
    before = _day(db_session, jobs)
    ordered = sorted(before.items(), key=lambda kv: kv[1][1])
    first_id, (first_user, first_start, _) = ordered[0]
    last_id, (last_user, last_start, _) = ordered[-1]
    wo = db_session.get(WorkOrder, first_id)
    wo.status = Status.on_site
    wo.responded_at = first_start
    db_session.commit()
    now = first_start + timedelta(minutes=10)
    run = _replan(api, now=now.isoformat(), locked_work_order_ids=[last_id])
    assert _valid(db_session, run["id"])
    by_tech = {t.id: t.user_id for t in techs}
    visits = {v["work_order_id"]: (by_tech[rt["technician_id"]],
                                   datetime.fromisoformat(v["planned_start"]))
              for rt in run["routes"] for v in rt["visits"]}
    assert visits[first_id] == (first_user, first_start)  # on site: theirs, as it started
    assert visits[last_id] == (last_user, last_start)  # locked: same technician, same time
    for job_id, (_, start) in visits.items():
        if job_id != first_id:
            assert start >= now


def test_replan_request_validation_and_roles(db_session, login, make_technician, make_order):
    api = login("dispatcher")
    url = "/api/v1/dispatch/replans"
    day = MONDAY.isoformat()
    assert_error(api.post(url, json={}), 422)
    assert_error(api.post(url, json={"date": "tomorrow"}), 422)
    assert_error(api.post(url, json={"date": day, "time_limit_s": 0}), 422)
    assert_error(api.post(url, json={"date": day, "move_cost": -1}), 422)
    assert_error(api.post(url, json={"date": day, "time_tolerance_min": 10_000}), 422)
    assert_error(api.post(url, json={"date": day, "now": "2026-11-23T09:00:00"}), 422)
    assert_error(api.post(url, json={"date": day, "locked_work_order_ids": [0]}), 422)
    assert_error(api.post(url, json={"date": day, "locked_work_order_ids": [999_999],
                                     "now": local(7).isoformat()}), 422)
    assert_error(api.post(url, json={"date": day, "now": local(9, day=MONDAY + timedelta(
        days=1)).isoformat()}), 409, "day_over")
    assert_error(api.post(url, json={"date": day, "time_limit_s": 3000}), 422)
    for role in ("technician", "customer", "warehouse"):
        assert_error(login(role).post(url, json={"date": day}), 403)
