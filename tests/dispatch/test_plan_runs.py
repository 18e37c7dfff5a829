"""Plan runs never hold the database: reads and writes answer while a run solves (real
commits, separate connections and threads), runs go to a real Celery worker on Redis when a
broker is set, and several runs at once share the bounded in-process pool."""

from __future__ import annotations

import time as clock
from typing import Any

from tests.conftest import redis_url
from tests.dispatch.factories import MONDAY
from tests.dispatch.scratch import close, day_app, wait_for

REDIS = redis_url(14)
# Long enough that the reads below happen while the solver still searches; the optimizer
# searches until its time limit (iterated local search), so the run stays `running` that long.
SOLVE_S = 8


def test_reads_and_a_write_answer_while_a_plan_run_is_solving(scratch_databases, tmp_path,
                                                              monkeypatch):
    """The issue: a plan run on SQLite held the write lock for the whole solve, so
    GET /api/v1/me waited for it (or answered "database is locked")."""
    from app.config import Config

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app, headers, ids = day_app(scratch_databases, tmp_path)
    client = app.test_client()
    planned, spare = ids[:-1], ids[-1]
    r = client.post("/api/v1/dispatch/plans", headers=headers, json={
        "date": MONDAY.isoformat(), "time_limit_s": SOLVE_S, "work_order_ids": planned})
    assert r.status_code == 202, r.get_json()
    run_id = r.get_json()["id"]
    assert wait_for(client, headers, run_id, {"running", "done", "failed"},
                    limit_s=SOLVE_S)["status"] == "running"

    me = client.get("/api/v1/me", headers=headers)
    listed = client.get("/api/v1/work-orders", headers=headers)
    spare_wo = client.get(f"/api/v1/work-orders/{spare}", headers=headers).get_json()
    edited = client.patch(f"/api/v1/work-orders/{spare}", headers=headers,
                          json={"title": "Edited during the run",
                                "version": spare_wo["version"]})
    during = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()

    assert me.status_code == 200 and me.get_json()["email"] == "boss@example.test"
    assert listed.status_code == 200 and len(listed.get_json()) == len(ids)
    assert edited.status_code == 200 and edited.get_json()["title"] == "Edited during the run"
    # All of the above answered while the solver was still searching.
    assert during["status"] == "running", during["status"]
    done = wait_for(client, headers, run_id, {"done", "failed"})
    assert done["status"] == "done", done
    assert sorted(v["work_order_id"] for rt in done["routes"] for v in rt["visits"]
                  if v["kind"] == "job") == sorted(planned)
    close(app)


def test_a_run_expired_while_solving_stays_failed(scratch_databases, tmp_path, monkeypatch):
    """The plan is written only while the run is still `running`."""
    from sqlalchemy import update

    from app.config import Config
    from app.dispatch.models import OptimizationRun
    from app.extensions import db

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app, headers, _ids = day_app(scratch_databases, tmp_path, jobs=3)
    client = app.test_client()
    r = client.post("/api/v1/dispatch/plans", headers=headers, json={
        "date": MONDAY.isoformat(), "time_limit_s": 3})
    run_id = r.get_json()["id"]
    assert wait_for(client, headers, run_id, {"running", "done", "failed"})["status"] \
        == "running"
    with app.app_context():
        db.session.execute(update(OptimizationRun).where(OptimizationRun.id == run_id)
                           .values(status="failed", error="abandoned: test"))
        db.session.commit()
    clock.sleep(5)  # the solve ends meanwhile and finds the run no longer running
    body = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()
    assert body["status"] == "failed" and body["error"] == "abandoned: test"
    assert body["routes"] == []
    close(app)


def test_several_runs_share_the_bounded_pool_and_all_finish(scratch_databases, tmp_path,
                                                           monkeypatch):
    from app.config import Config

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app, headers, _ids = day_app(scratch_databases, tmp_path, jobs=3,
                                 DISPATCH_MAX_PARALLEL_RUNS=1)
    client = app.test_client()
    run_ids = [client.post("/api/v1/dispatch/plans", headers=headers, json={
        "date": MONDAY.isoformat(), "time_limit_s": 2}).get_json()["id"] for _ in range(3)]
    clock.sleep(0.5)
    states = [client.get(f"/api/v1/dispatch/plans/{i}", headers=headers).get_json()["status"]
              for i in run_ids]
    # One slot: never two running at once; the others wait queued.
    assert states.count("running") <= 1 and "queued" in states, states
    finished = [wait_for(client, headers, i, {"done", "failed"})["status"] for i in run_ids]
    assert finished == ["done", "done", "done"]
    close(app)


def test_runs_go_to_a_celery_worker_when_a_broker_is_set(scratch_databases, tmp_path,
                                                        monkeypatch):
    """With CELERY_BROKER_URL the web process only queues the task; a real worker on the
    local Redis solves it (its own thread and connections)."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from app.config import Config
    from app.worker import init_celery

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app, headers, ids = day_app(scratch_databases, tmp_path, jobs=2,
                                CELERY_BROKER_URL=REDIS, CELERY_RESULT_BACKEND=REDIS)
    celery = init_celery(app)
    client = app.test_client()
    ran: list[tuple[str, Any]] = []

    def record(sender: Any = None, args: Any = None, **_kw: Any) -> None:
        ran.append((sender.name, list(args or ())))

    task_postrun.connect(record, weak=False)
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      loglevel="WARNING"):
        r = client.post("/api/v1/dispatch/plans", headers=headers, json={
            "date": MONDAY.isoformat(), "time_limit_s": 1})
        assert r.status_code == 202, r.get_json()
        run_id = r.get_json()["id"]
        body = wait_for(client, headers, run_id, {"done", "failed"})
    task_postrun.disconnect(record)
    assert body["status"] == "done", body
    assert sorted(v["work_order_id"] for v in body["routes"][0]["visits"]) == sorted(ids)
    assert ("fieldops.run_plan", [run_id]) in ran
    close(app)


def test_two_web_processes_launching_the_same_run_solve_it_once(scratch_databases, tmp_path,
                                                               monkeypatch):
    """Two apps (two engines, as two web processes or a duplicate Celery delivery) start the
    same queued run at once: the conditional claim lets exactly one solve and store it."""
    import threading

    from sqlalchemy import func, select

    import optimizer as opt
    from app.config import Config
    from app.dispatch import service
    from app.dispatch.models import PlannedVisit
    from app.extensions import db
    from tests.conftest import build_app

    monkeypatch.setattr(Config, "DISPATCH_INLINE_LIMIT_S", 0.5)
    app, headers, ids = day_app(scratch_databases, tmp_path, jobs=3)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    other = build_app(url, tmp_path)
    client = app.test_client()
    # A real queued run, stored by the API but not launched: time limit above inline, and
    # the launcher is this test (nothing else picks it up).
    monkeypatch.setattr("app.dispatch.routes.plan_run_launcher", lambda: lambda _run_id: None)
    r = client.post("/api/v1/dispatch/plans", headers=headers,
                    json={"date": MONDAY.isoformat(), "time_limit_s": 2})
    assert r.status_code == 202 and r.get_json()["status"] == "queued"
    run_id = r.get_json()["id"]
    solves: list[int] = []

    def counting_solve(problem: Any, limit: float) -> Any:
        solves.append(1)
        return opt.solve(problem, limit)

    engines = []
    for each in (app, other):
        with each.app_context():
            engines.append(db.engine)
    barrier = threading.Barrier(2)

    def start(engine: Any) -> None:
        barrier.wait()
        service.run_in_background(engine, run_id, solve=counting_solve)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    body = client.get(f"/api/v1/dispatch/plans/{run_id}", headers=headers).get_json()
    assert body["status"] == "done" and len(solves) == 1
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(PlannedVisit)
                                   .where(PlannedVisit.run_id == run_id))
    assert stored == sum(len(rt["visits"]) for rt in body["routes"]) == len(ids)
    close(app)
    close(other)
