"""Day plans: run the optimizer over a day's open work orders, store the run, apply it.

A run stores the optimizer problem it solved (JSON + sha256 digest) and the plan it got; every
plan is checked with `optimizer.validate` before it is stored (a plan that fails is a failed
run, never a proposal). Short runs are solved in the request; longer ones in a background
thread with its own database session, started after the request's commit (the client polls).
Applying assigns and schedules the work orders through the work-orders service in one
transaction, and refuses when any of them changed since the run (version mismatch).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, event, select, update
from sqlalchemy.orm import Session, scoped_session, selectinload

import optimizer as opt
from app.auth.models import User
from app.config import Config
from app.db import utcnow
from app.dispatch.models import OptimizationRun, PlannedVisit, RunKind, RunStatus, Technician
from app.dispatch.service.problem import (
    DayClock,
    build_day_problem,
    day_clock,
    digest,
    plan_to_json,
    problem_from_json,
    problem_to_json,
)
from app.errors import Conflict, NotFound, Unprocessable
from app.workorders import service as workorders
from app.workorders.models import Status, WorkOrder

log = logging.getLogger(__name__)


def new_run(session: Session, *, kind: RunKind, day: date, problem: opt.Problem,
            versions: dict[int, int], time_limit_s: float, keep_assigned: bool,
            actor: User | None, base_run_id: int | None = None) -> OptimizationRun:
    inputs = {"problem": problem_to_json(problem),
              "versions": {str(k): v for k, v in sorted(versions.items())}}
    run = OptimizationRun(kind=kind, plan_date=day, status=RunStatus.queued,
                          requested_by_id=actor.id if actor else None, base_run_id=base_run_id,
                          keep_assigned=keep_assigned, time_limit_s=time_limit_s,
                          inputs=inputs, inputs_digest=digest(inputs))
    session.add(run)
    session.flush()  # flush: the run id names the background job and the response
    return run


def store_plan(session: Session, run: OptimizationRun, problem: opt.Problem,
               plan: opt.Plan) -> OptimizationRun:
    """Keep a plan that passes `optimizer.validate` as the run's proposal; else fail the run."""
    violations = opt.validate(problem, plan)
    run.finished_at = utcnow()
    if violations:
        run.status = RunStatus.failed
        run.error = "; ".join(f"{v.code} job={v.job_id} tech={v.technician_id}: {v.detail}"
                              for v in violations[:20])
        return run
    clock = day_clock(run.plan_date)
    versions = {int(k): v for k, v in run.inputs["versions"].items()}
    run.visits = list(_visits(plan, clock, versions))
    data = plan_to_json(plan)
    run.result = data
    run.objective = float(plan.objective)
    run.kpis = data["kpis"]
    run.solver_stats = data["stats"]
    run.unassigned = [{"work_order_id": u.job_id, "reason": u.reason, "detail": u.detail}
                      for u in plan.unassigned]
    run.status = RunStatus.done
    return run


def _visits(plan: opt.Plan, clock: DayClock, versions: dict[int, int]) -> list[PlannedVisit]:
    out = []
    for route in plan.routes:
        for seq, v in enumerate(route.visits, 1):
            job = v.kind == "job"
            out.append(PlannedVisit(
                technician_id=route.technician_id, sequence=seq, kind=v.kind,
                work_order_id=v.ref if job else None,
                work_order_version=versions.get(v.ref) if job else None,  # type: ignore[arg-type]
                stock_location_id=None if job else v.ref,
                picked=None if job else dict(v.picked),
                planned_arrival=clock.instant(v.arrival), planned_start=clock.instant(v.start),
                planned_end=clock.instant(v.end), travel_m=v.travel_m, travel_s=v.travel_s))
    return out


def solve_run(session: Session, run: OptimizationRun) -> OptimizationRun:
    """Solve the stored problem now, in this session."""
    problem = problem_from_json(run.inputs["problem"])
    run.status, run.started_at = RunStatus.running, utcnow()
    plan = opt.solve(problem, run.time_limit_s)
    return store_plan(session, run, problem, plan)


def request_plan(session: Session, *, day: date, time_limit_s: float, keep_assigned: bool = True,
                 technician_ids: list[int] | None = None,
                 work_order_ids: list[int] | None = None, actor: User) -> OptimizationRun:
    """Plan a day's open work orders: solved now when the time limit is short, otherwise
    queued for a background thread that starts once this transaction commits."""
    if time_limit_s > Config.DISPATCH_MAX_TIME_LIMIT_S:
        raise Unprocessable("The time limit is too long.", errors={"time_limit_s": [
            f"At most {Config.DISPATCH_MAX_TIME_LIMIT_S:g} seconds."]})
    day_problem = build_day_problem(session, day, technician_ids=technician_ids,
                                    work_order_ids=work_order_ids, keep_assigned=keep_assigned)
    run = new_run(session, kind=RunKind.plan, day=day, problem=day_problem.problem,
                  versions=day_problem.versions, time_limit_s=time_limit_s,
                  keep_assigned=keep_assigned, actor=actor)
    if time_limit_s <= Config.DISPATCH_INLINE_LIMIT_S:
        return solve_run(session, run)
    _start_after_commit(session, run.id)
    return run


def _start_after_commit(session: Session, run_id: int) -> None:
    """Released only when the run row is committed, so a rolled-back request starts nothing."""
    real = session() if isinstance(session, scoped_session) else session
    bind = real.get_bind()
    if isinstance(bind, Connection):
        # A session joined to an outer transaction on one connection (test harnesses): the
        # run row never reaches another connection, so a worker could only block on it.
        log.warning("plan run %s stays queued: the session is bound to a connection", run_id)
        return
    engine = bind

    def launch(_session: Session) -> None:
        threading.Thread(target=run_in_background, args=(engine, run_id), daemon=True,
                         name=f"dispatch-plan-{run_id}").start()

    event.listen(real, "after_commit", launch, once=True)


def run_in_background(engine: Any, run_id: int) -> None:
    """Claim a queued run (conditional UPDATE: one worker only), solve it, store the plan."""
    with Session(engine, expire_on_commit=False) as session:
        claim = session.execute(update(OptimizationRun).where(
            OptimizationRun.id == run_id, OptimizationRun.status == RunStatus.queued)
            .values(status=RunStatus.running, started_at=utcnow()))
        claimed = claim.rowcount  # type: ignore[attr-defined]
        session.commit()
        if not claimed:
            return
        run = session.get(OptimizationRun, run_id)
        assert run is not None
        try:
            solve_run(session, run)
            session.commit()
        except Exception as exc:  # the run row must say it failed, whatever the cause
            log.exception("dispatch plan run %s failed", run_id)
            session.rollback()
            session.execute(update(OptimizationRun).where(OptimizationRun.id == run_id).values(
                status=RunStatus.failed, error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=utcnow()))
            session.commit()


ABANDONED = ("abandoned: no result {late:.0f} s after the time limit ran out; the process "
             "solving it stopped. Request the plan again.")


def abandoned_runs(session: Session, *, now: datetime) -> list[tuple[int, str, datetime]]:
    """(id, status, deadline) of queued or running runs past their time limit plus grace."""
    grace = timedelta(seconds=Config.DISPATCH_RUN_GRACE_S)
    open_runs = session.execute(
        select(OptimizationRun.id, OptimizationRun.status, OptimizationRun.created_at,
               OptimizationRun.started_at, OptimizationRun.time_limit_s)
        .where(OptimizationRun.status.in_((RunStatus.queued, RunStatus.running)))).all()
    out = []
    for run_id, status, created_at, started_at, limit_s in open_runs:
        deadline = (started_at or created_at) + timedelta(seconds=limit_s) + grace
        if now > deadline:
            out.append((run_id, status, deadline))
    return out


def expire_abandoned_runs(session: Session, *, now: datetime) -> int:
    """Mark queued or running runs whose time limit plus ``DISPATCH_RUN_GRACE_S`` has passed
    as failed, so a client polling a run whose worker died gets an answer instead of
    ``running`` forever. Each update is conditional on the status just read, so a worker that
    stores its plan at the same moment wins. Returns how many runs were marked."""
    grace = timedelta(seconds=Config.DISPATCH_RUN_GRACE_S)
    expired = 0
    for run_id, status, deadline in abandoned_runs(session, now=now):
        done = session.execute(update(OptimizationRun).where(
            OptimizationRun.id == run_id, OptimizationRun.status == status).values(
            status=RunStatus.failed, finished_at=now,
            error=ABANDONED.format(late=(now - deadline + grace).total_seconds())))
        expired += done.rowcount  # type: ignore[attr-defined]
    if expired:
        session.expire_all()
    return expired


def get_run(session: Session, run_id: int) -> OptimizationRun:
    run = session.get(OptimizationRun, run_id)
    if run is None:
        raise NotFound("Plan run not found.")
    return run


def list_runs(session: Session, *, day: date | None = None,
              status: str | None = None) -> Select[Any]:
    stmt = (select(OptimizationRun).options(selectinload(OptimizationRun.visits))
            .order_by(OptimizationRun.id.desc()))
    if day is not None:
        stmt = stmt.where(OptimizationRun.plan_date == day)
    if status:
        stmt = stmt.where(OptimizationRun.status == status)
    return stmt


UNCHANGED_STATES = (Status.en_route, Status.on_site, Status.completed, Status.closed)


def apply_run(session: Session, run_id: int, *, actor: User) -> OptimizationRun:
    """Schedule every planned visit in one transaction; 409 naming the work orders that
    changed since the run, and 409 for a run that is not done or already applied."""
    run = session.scalar(select(OptimizationRun).where(OptimizationRun.id == run_id)
                         .with_for_update())
    if run is None:
        raise NotFound("Plan run not found.")
    if run.status == RunStatus.applied:
        raise Conflict("This plan was applied already.", error="plan_already_applied")
    if run.status != RunStatus.done:
        raise Conflict(f"The run is {run.status}; only a finished run can be applied.",
                       error="plan_not_ready", run_status=run.status)
    versions = {int(k): v for k, v in run.inputs["versions"].items()}
    planned = [v for v in run.visits if v.kind == "job"]
    planned_ids = {v.work_order_id for v in planned}
    # Jobs a day plan without keep_assigned took away from their technician get unassigned.
    dropped_ids = [u["work_order_id"] for u in run.unassigned or []
                   if u["work_order_id"] not in planned_ids] \
        if run.kind == RunKind.plan and not run.keep_assigned else []
    ids = [*planned_ids, *dropped_ids]
    orders = {wo.id: wo for wo in session.scalars(
        select(WorkOrder).where(WorkOrder.id.in_(ids)).with_for_update())}
    stale = sorted((orders[i].number for i in ids
                    if i in orders and orders[i].version != versions.get(i)), key=str)
    if stale:
        raise Conflict("Work orders changed since the plan was made: " + ", ".join(stale)
                       + ". Run the plan again.", error="plan_stale", work_orders=stale)
    techs = {t.id: t for t in session.scalars(select(Technician).where(
        Technician.id.in_({v.technician_id for v in planned})))}
    note = f"dispatch plan run {run.id}"
    for visit in planned:
        wo = orders[visit.work_order_id]  # type: ignore[index]
        user_id = techs[visit.technician_id].user_id
        if wo.status in UNCHANGED_STATES or (
                wo.assignee_user_id == user_id and wo.scheduled_start == visit.planned_start):
            continue  # started, or already so: nothing to change, nobody to notify
        workorders.assign_work_order(session, wo, assignee_user_id=user_id,
                                     scheduled_start=visit.planned_start,
                                     scheduled_end=visit.planned_end, version=wo.version,
                                     actor=actor, reason=note)
    for wo_id in dropped_ids:
        taken = orders.get(wo_id)
        if taken is not None and taken.assignee_user_id is not None \
                and taken.status == Status.scheduled:
            workorders.assign_work_order(session, taken, assignee_user_id=None,
                                         scheduled_start=None, scheduled_end=None,
                                         version=taken.version, actor=actor, reason=note)
    run.status = RunStatus.applied
    run.applied_at = utcnow()
    run.applied_by_id = actor.id
    return run
