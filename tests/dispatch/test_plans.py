"""Day plans: the optimizer's proposal, validation, apply with the stale check, background
runs; the time origin mapping."""

import re
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from tests.conftest import assert_error
from tests.dispatch.factories import MONDAY, local


def _plan(api, **extra):
    return api.post("/api/v1/dispatch/plans", json={"date": MONDAY.isoformat(),
                                                   "time_limit_s": 1, **extra})


def _order(db_session, wo):
    """A fresh copy (API calls end their session, detaching the test's objects)."""
    from app.workorders.models import WorkOrder

    return db_session.get(WorkOrder, wo.id, populate_existing=True)


def _validate(db_session, run_id):
    import optimizer
    from app.dispatch.models import OptimizationRun
    from app.dispatch.service.problem import plan_from_json, problem_from_json

    run = db_session.get(OptimizationRun, run_id)
    return optimizer.validate(problem_from_json(run.inputs["problem"]),
                              plan_from_json(run.result))


def test_day_clock_is_local_midnight_and_round_trips():
    from app.dispatch.service.problem import day_clock, local_day

    c = day_clock(MONDAY)
    assert c.origin == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert c.seconds(local(8)) == 8 * 3600
    assert c.instant(8 * 3600) == local(8)
    dst = day_clock(date(2026, 3, 29))  # clocks go forward: a 23-hour day
    assert dst.end - dst.origin == timedelta(hours=23)
    assert local_day(datetime(2026, 11, 22, 23, 30, tzinfo=UTC)) == MONDAY


def test_problem_maps_shifts_breaks_skills_windows_and_sla(db_session, make_technician,
                                                           make_order):
    from app.dispatch.service.problem import build_day_problem

    tech = make_technician(skills={"hvac": 3})
    wo = make_order(skills={"hvac": 2}, priority="P1", duration=90,
                    windows=[(local(13), local(16))])
    dp = build_day_problem(db_session, MONDAY, technician_ids=[tech.id])
    (t,) = dp.problem.technicians
    assert t.shifts[0].start == 8 * 3600 and t.shifts[0].end == 17 * 3600
    assert t.breaks[0].window.start == 12 * 3600 and t.breaks[0].duration == 1800
    assert t.breaks[0].window.end == 13 * 3600 + 1800  # the whole break by its latest end
    assert t.skills == {"hvac": 3} and t.max_work_s == 480 * 60
    job = next(j for j in dp.problem.jobs if j.id == wo.id)
    assert job.priority == 1 and job.duration == 5400 and job.skills == {"hvac": 2}
    assert [(w.start, w.end) for w in job.windows] == [(13 * 3600, 16 * 3600 - 5400)]
    due = wo.response_due_at or wo.resolution_due_at
    assert job.sla_due == (dp.clock.seconds(due) if due is not None else None)


def test_plan_assigns_by_skill_and_every_returned_plan_validates(
        db_session, login, make_technician, make_order):
    plumber = make_technician(skills={"plumbing": 2})
    hvac = make_technician(skills={"hvac": 3}, lat=48.15, lng=11.55)
    jobs = [make_order(skills={"hvac": 2}, lat=48.14 + i / 200) for i in range(3)]
    pipe = make_order(skills={"plumbing": 1}, lat=48.12)
    r = _plan(login("dispatcher"), technician_ids=[plumber.id, hvac.id])
    assert r.status_code == 201, r.get_json()
    run = r.get_json()
    assert run["status"] == "done" and len(run["inputs_digest"]) == 64
    routes = {rt["technician_id"]: [v["work_order_id"] for v in rt["visits"]
                                    if v["kind"] == "job"] for rt in run["routes"]}
    assert set(routes[hvac.id]) == {j.id for j in jobs}
    assert routes[plumber.id] == [pipe.id]
    for rt in run["routes"]:
        for v in rt["visits"]:
            start = datetime.fromisoformat(v["planned_start"])
            assert local(8) <= start and datetime.fromisoformat(v["planned_end"]) <= local(17)
    assert run["kpis"]["jobs_assigned"] == 4
    assert _validate(db_session, run["id"]) == []


def test_job_nobody_can_do_is_unassigned_with_its_reason(login, make_technician, make_order):
    tech = make_technician(skills={"hvac": 1})
    wo = make_order(skills={"elevator": 4})
    run = _plan(login("dispatcher"), technician_ids=[tech.id], work_order_ids=[wo.id])
    body = run.get_json()
    assert body["unassigned"] == [{"work_order_id": wo.id, "reason": "missing_skill",
                                   "detail": body["unassigned"][0]["detail"]}]


def test_apply_schedules_the_work_orders_and_refuses_twice(db_session, login,
                                                          make_technician, make_order):
    tech = make_technician(skills={"hvac": 3})
    wo = make_order(skills={"hvac": 2})
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[wo.id]).get_json()
    assert _order(db_session, wo).status == "new"  # nothing changes until applied
    r = api.post(f"/api/v1/dispatch/plans/{run['id']}/apply")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "applied"
    wo = _order(db_session, wo)
    visit = run["routes"][0]["visits"][-1]
    assert wo.status == "scheduled" and wo.assignee_user_id == tech.user_id
    assert wo.scheduled_start == datetime.fromisoformat(visit["planned_start"])
    assert_error(api.post(f"/api/v1/dispatch/plans/{run['id']}/apply"), 409,
                 "plan_already_applied")


def test_apply_refuses_a_stale_plan_and_changes_nothing(db_session, login, make_technician,
                                                       make_order):
    from app.workorders import service as workorders

    tech = make_technician(skills={"hvac": 3})
    first, second = make_order(skills={"hvac": 2}), make_order(skills={"hvac": 2}, lat=48.15)
    api = login("dispatcher")
    run = _plan(api, technician_ids=[tech.id], work_order_ids=[first.id, second.id]).get_json()
    assert len(run["routes"][0]["visits"]) == 2
    second = _order(db_session, second)
    workorders.update_work_order(db_session, second, {"title": "Changed"},
                                 version=second.version, actor=api.user)
    db_session.commit()
    body = assert_error(api.post(f"/api/v1/dispatch/plans/{run['id']}/apply"), 409,
                        "plan_stale")
    assert second.number in body["message"] and first.number not in body["message"]
    first = _order(db_session, first)
    assert first.status == "new" and first.assignee_user_id is None


def test_keep_assigned_pins_scheduled_jobs(db_session, login, make_technician, make_order):
    a = make_technician(skills={"hvac": 3})
    b = make_technician(skills={"hvac": 3}, lat=48.138, lng=11.576)
    kept = make_order(skills={"hvac": 2}, assignee=a, start=local(9))
    run = _plan(login("dispatcher"), technician_ids=[a.id, b.id]).get_json()
    visits = {v["work_order_id"]: (rt["technician_id"], v["planned_start"])
              for rt in run["routes"] for v in rt["visits"]}
    assert visits[kept.id][0] == a.id
    assert datetime.fromisoformat(visits[kept.id][1]) == local(9)


def test_parts_job_goes_to_the_van_that_has_them_or_via_a_pickup(
        db_session, login, make_technician, make_order, make_part, make_stock_location):
    part = make_part()
    with_part = make_technician(skills={"hvac": 2}, lat=48.20, lng=11.60)
    without = make_technician(skills={"hvac": 2})
    wo = make_order(skills={"hvac": 2})
    make_stock_location("van", owner=with_part, stock={part: 1}, reserve={wo: {part: 1}})
    make_stock_location("van", owner=without)
    run = _plan(login("dispatcher"), technician_ids=[with_part.id, without.id],
                work_order_ids=[wo.id]).get_json()
    assert run["status"] == "done", run
    (route,) = [rt for rt in run["routes"] if any(v["work_order_id"] == wo.id
                                                 for v in rt["visits"])]
    # No warehouse holds the part: only the van that carries it can take the job.
    assert route["technician_id"] == with_part.id
    assert _validate(db_session, run["id"]) == []


def test_pickup_is_planned_before_the_job_when_the_van_lacks_the_part(
        db_session, login, make_technician, make_order, make_part, make_stock_location):
    part = make_part()
    tech = make_technician(skills={"hvac": 2})
    make_stock_location("van", owner=tech)
    wo = make_order(skills={"hvac": 2})
    wh = make_stock_location("warehouse", lat=48.14, lng=11.56, stock={part: 3},
                             reserve={wo: {part: 2}})
    run = _plan(login("dispatcher"), technician_ids=[tech.id], work_order_ids=[wo.id]).get_json()
    visits = run["routes"][0]["visits"]
    assert [v["kind"] for v in visits] == ["pickup", "job"]
    assert visits[0]["stock_location_id"] == wh.id
    assert visits[0]["picked"].get(str(part.id), 0) >= 2
    assert _validate(db_session, run["id"]) == []


def test_plan_request_validation_and_roles(login, make_order):
    make_order()
    api = login("admin")
    assert_error(_plan(api, time_limit_s=100000), 422)
    assert_error(api.post("/api/v1/dispatch/plans", json={"time_limit_s": 1}), 422)
    assert_error(api.get("/api/v1/dispatch/plans/999999"), 404)
    assert_error(api.post("/api/v1/dispatch/plans/999999/apply"), 404)
    for role in ("technician", "customer", "warehouse"):
        assert_error(_plan(login(role)), 403)
        assert_error(login(role).get("/api/v1/dispatch/plans"), 403)


def test_runs_are_listed_by_date(login, make_technician, make_order):
    make_technician(skills={})
    make_order()
    api = login("dispatcher")
    run = _plan(api).get_json()
    listed = api.get("/api/v1/dispatch/plans?date=2026-11-23").get_json()
    assert run["id"] in [r["id"] for r in listed]
    assert api.get("/api/v1/dispatch/plans?date=2026-11-24").get_json() == []


def test_long_run_goes_to_the_background_and_the_client_polls(scratch_databases, tmp_path,
                                                             monkeypatch):
    """A real thread with its own session on a committed database (bounded wait)."""
    from flask_jwt_extended import create_access_token
    from werkzeug.security import generate_password_hash

    from app import geo
    from app.assets.models import Customer, Site
    from app.auth.models import User
    from app.config import Config
    from app.dispatch.models import Technician, WeeklyShift
    from app.extensions import db
    from app.workorders import service as workorders
    from tests.conftest import build_app

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app = build_app(scratch_databases.create(), tmp_path)
    with app.app_context():
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")
        boss = User(email="boss@example.test", full_name="Boss", role="dispatcher",
                    password_hash=pw)
        tuser = User(email="tech@example.test", full_name="Tech", role="technician",
                     password_hash=pw)
        customer = Customer(account_number="C-1", name="C", sla_tier="silver")
        site = Site(customer=customer, name="S", address_line="x", city="München",
                    postal_code="80331", location=geo.to_point(48.14, 11.57))
        tech = Technician(user=tuser, home_base=geo.to_point(48.15, 11.55))
        tech.shifts = [WeeklyShift(weekday=0, starts=time(8), ends=time(17))]
        db.session.add_all([boss, tuser, customer, site, tech])
        db.session.flush()
        wo = workorders.new_work_order(db.session, site=site, asset=None, title="t",
                                       description="d", actor=None)
        db.session.commit()
        wo_id = wo.id
        token = create_access_token(identity=str(boss.id), additional_claims={"role": "dispatcher"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/dispatch/plans", headers=headers,
                    json={"date": MONDAY.isoformat(), "time_limit_s": 1})
    assert r.status_code == 202, r.get_json()  # handed to the background, not solved inline
    # The answer is written after the commit, when a fast worker may already have finished.
    assert r.get_json()["status"] in ("queued", "running", "done")
    run_id = r.get_json()["id"]
    deadline = clock.monotonic() + 60
    body = r.get_json()
    while body["status"] in ("queued", "running") and clock.monotonic() < deadline:
        clock.sleep(0.2)
        body = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()
    assert body["status"] == "done", body
    assert [v["work_order_id"] for v in body["routes"][0]["visits"]] == [wo_id]
    applied = client.post(f"/api/v1/dispatch/plans/{run_id}/apply", headers=headers)
    assert applied.status_code == 200, applied.get_json()
    with app.app_context():
        from app.workorders.models import WorkOrder

        assert db.session.scalar(select(WorkOrder.status).where(WorkOrder.id == wo_id)) \
            == "scheduled"
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("status", ["queued", "failed"])
def test_unfinished_run_cannot_be_applied(db_session, login, status):
    from app.dispatch.models import OptimizationRun

    run = OptimizationRun(plan_date=MONDAY, status=status, time_limit_s=1, inputs={},
                          inputs_digest="0" * 64)
    db_session.add(run)
    db_session.commit()
    assert_error(login("dispatcher").post(f"/api/v1/dispatch/plans/{run.id}/apply"), 409,
                 "plan_not_ready")


def test_a_run_whose_worker_stopped_is_reported_failed_not_running_forever(db_session, login):
    """A run left queued or running by a process that died (restart, crash) turns failed,
    with why, once its time limit plus DISPATCH_RUN_GRACE_S (120 s) has passed; a run still
    within its time is left alone."""
    from app.dispatch.models import OptimizationRun

    now = utcnow()  # the app's clock (pinned in some runs), not the wall clock

    def run(status, limit_s, started_s_ago=None, created_s_ago=0):
        r = OptimizationRun(plan_date=MONDAY, status=status, time_limit_s=limit_s, inputs={},
                            inputs_digest="0" * 64,
                            created_at=now - timedelta(seconds=created_s_ago),
                            started_at=None if started_s_ago is None
                            else now - timedelta(seconds=started_s_ago))
        db_session.add(r)
        return r

    dead = run("running", 30, started_s_ago=30 + 130, created_s_ago=200)
    busy = run("running", 30, started_s_ago=30 + 100, created_s_ago=200)
    never_started = run("queued", 10, created_s_ago=10 + 130)
    just_queued = run("queued", 10, created_s_ago=5)
    done = run("done", 10, started_s_ago=3600, created_s_ago=3600)
    db_session.commit()
    api = login("dispatcher")

    body = api.get(f"/api/v1/dispatch/plans/{dead.id}").get_json()
    assert body["status"] == "failed"
    # 130 s late when the request is read; a loaded machine may take a few seconds more.
    assert re.match(r"abandoned: no result 13\d s after the time limit", body["error"]), \
        body["error"]
    assert body["finished_at"] is not None
    listed = {r["id"]: r["status"] for r in api.get("/api/v1/dispatch/plans").get_json()}
    assert listed[never_started.id] == "failed"
    assert listed[busy.id] == "running"
    assert listed[just_queued.id] == "queued"
    assert listed[done.id] == "done"
    assert_error(api.post(f"/api/v1/dispatch/plans/{dead.id}/apply"), 409, "plan_not_ready")


def test_expiry_never_overwrites_a_run_that_finished_meanwhile(db_session):
    """The update is conditional on the status read: a worker storing its plan between the
    read and the update keeps its result."""
    from app.dispatch.models import OptimizationRun
    from app.dispatch.service import expire_abandoned_runs

    now = utcnow()  # the app's clock (pinned in some runs), not the wall clock
    r = OptimizationRun(plan_date=MONDAY, status="running", time_limit_s=5, inputs={},
                        inputs_digest="0" * 64, created_at=now - timedelta(hours=1),
                        started_at=now - timedelta(hours=1))
    db_session.add(r)
    db_session.commit()
    assert expire_abandoned_runs(db_session, now=now - timedelta(minutes=58)) == 0
    # The worker finishes first; the expiry then finds nothing to mark.
    r.status = "done"
    db_session.commit()
    assert expire_abandoned_runs(db_session, now=now) == 0
    assert db_session.get(OptimizationRun, r.id, populate_existing=True).status == "done"
    r.status = "running"
    db_session.commit()
    assert expire_abandoned_runs(db_session, now=now) == 1
    assert db_session.get(OptimizationRun, r.id, populate_existing=True).status == "failed"
