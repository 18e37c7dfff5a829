"""Day plans: run the optimizer over a day's open work orders, store the run, apply it.

A run stores the optimizer problem it solved (JSON + sha256 digest) and the plan it got; every
plan is checked with `optimizer.validate` before it is stored (a plan that fails is a failed
run, never a proposal). A solve never holds the database: the problem is read in one short
transaction, solved with no session open, and the plan written in a second short transaction
that only lands while the run is still `running`. Short runs are solved while the request
waits (after its commit); longer ones by a Celery worker or the bounded in-process pool,
started after the request's commit (the client polls).
Applying assigns and schedules the work orders through the work-orders service in one
transaction, and refuses when any of them changed since the run (version mismatch).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, event, select, update
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
from app.dispatch.service.releases import day_orders, dispatch_routes, live_route_users
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


def plan_outcome(problem: opt.Problem, plan: opt.Plan, plan_date: date,
                 versions: dict[int, int]) -> tuple[dict[str, Any], list[PlannedVisit]]:
    """The run columns and planned visits for a solved plan: status done with the proposal
    when it passes `optimizer.validate`, else status failed naming the violations."""
    violations = opt.validate(problem, plan)
    if violations:
        return {"status": RunStatus.failed, "finished_at": utcnow(),
                "error": "; ".join(f"{v.code} job={v.job_id} tech={v.technician_id}: {v.detail}"
                                   for v in violations[:20])}, []
    data = plan_to_json(plan)
    values = {"status": RunStatus.done, "finished_at": utcnow(), "result": data,
              "objective": float(plan.objective), "kpis": data["kpis"],
              "solver_stats": data["stats"],
              "unassigned": [{"work_order_id": u.job_id, "reason": u.reason, "detail": u.detail}
                             for u in plan.unassigned]}
    return values, _visits(plan, day_clock(plan_date), versions)


def store_plan(session: Session, run: OptimizationRun, problem: opt.Problem,
               plan: opt.Plan) -> OptimizationRun:
    """Keep a plan that passes `optimizer.validate` as the run's proposal; else fail the run."""
    versions = {int(k): v for k, v in run.inputs["versions"].items()}
    values, visits = plan_outcome(problem, plan, run.plan_date, versions)
    for name, value in values.items():
        setattr(run, name, value)
    run.visits = visits
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


def solves_inline(time_limit_s: float) -> bool:
    """Short runs are solved while the request waits (still outside its transaction)."""
    return time_limit_s <= Config.DISPATCH_INLINE_LIMIT_S


def request_plan(session: Session, *, day: date, time_limit_s: float, keep_assigned: bool = True,
                 technician_ids: list[int] | None = None,
                 work_order_ids: list[int] | None = None, actor: User,
                 launch: Callable[[int], None] | None = None) -> OptimizationRun:
    """Store a queued run over a day's open work orders. A long run is handed to `launch`
    (a Celery task or the in-process pool) once this transaction commits; a short one
    (`solves_inline`) is solved by the caller with `run_in_background` after its commit.
    Either way the solve itself holds no database transaction."""
    if time_limit_s > Config.DISPATCH_MAX_TIME_LIMIT_S:
        raise Unprocessable("The time limit is too long.", errors={"time_limit_s": [
            f"At most {Config.DISPATCH_MAX_TIME_LIMIT_S:g} seconds."]})
    day_problem = build_day_problem(session, day, technician_ids=technician_ids,
                                    work_order_ids=work_order_ids, keep_assigned=keep_assigned)
    run = new_run(session, kind=RunKind.plan, day=day, problem=day_problem.problem,
                  versions=day_problem.versions, time_limit_s=time_limit_s,
                  keep_assigned=keep_assigned, actor=actor)
    if not solves_inline(time_limit_s) and launch is not None:
        _start_after_commit(session, run.id, launch)
    return run


def _start_after_commit(session: Session, run_id: int, launch: Callable[[int], None]) -> None:
    """Released only when the run row is committed, so a rolled-back request starts nothing."""
    real = session() if isinstance(session, scoped_session) else session
    if isinstance(real.get_bind(), Connection):
        # A session joined to an outer transaction on one connection (test harnesses): the
        # run row never reaches another connection, so a worker could only block on it.
        log.warning("plan run %s stays queued: the session is bound to a connection", run_id)
        return
    event.listen(real, "after_commit", lambda _session: launch(run_id), once=True)


Solver = Callable[[opt.Problem, float], opt.Plan]

# The in-process pool: at most N solves at once per web process. OR-Tools holds the GIL for
# the whole search, so a solve in a thread of the web process would starve its requests; the
# search runs in N spawned worker processes instead (problem in, plan out, both plain
# dataclasses), while a thread of the web process reads and writes the run around it.
_pool_slots: dict[int, threading.BoundedSemaphore] = {}
_solver_pools: dict[tuple[str, int], ProcessPoolExecutor] = {}
_pool_lock = threading.Lock()


def _process_pool(purpose: str, size: int) -> ProcessPoolExecutor:
    with _pool_lock:
        pool = _solver_pools.get((purpose, size))
        if pool is None:
            pool = _solver_pools[(purpose, size)] = ProcessPoolExecutor(
                max_workers=size, mp_context=multiprocessing.get_context("spawn"))
    return pool


def _in_pool(purpose: str, size: int, fn: Callable[..., opt.Plan], *args: Any) -> opt.Plan:
    pool = _process_pool(purpose, size)
    try:
        return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        # A worker process died (e.g. killed for memory): this run fails, the next one
        # gets a fresh pool.
        with _pool_lock:
            if _solver_pools.get((purpose, size)) is pool:
                del _solver_pools[(purpose, size)]
        raise


def pooled_solver(max_parallel: int, *, purpose: str = "background") -> Solver:
    """A solver that runs `optimizer.solve` in this process's pool of worker processes.
    Runs solved while a request waits (`purpose="inline"`) get their own pool, so they never
    queue behind long background runs."""
    size = max(1, max_parallel)
    _process_pool(purpose, size)

    def solve(problem: opt.Problem, time_limit_s: float) -> opt.Plan:
        return _in_pool(purpose, size, opt.solve, problem, time_limit_s)

    return solve


def pooled_replanner(max_parallel: int, *, purpose: str = "background") -> Any:
    """Like `pooled_solver`, for re-plan runs (`replans.solve_replan` in the same pool)."""
    from app.dispatch.service.replans import solve_replan

    size = max(1, max_parallel)

    def replan(problem: opt.Problem, args: dict[str, Any], time_limit_s: float) -> opt.Plan:
        return _in_pool(purpose, size, solve_replan, problem, args, time_limit_s)

    return replan


def submit_run(bind: Engine, run_id: int, *, max_parallel: int) -> None:
    """Solve a queued run in the background: at most `max_parallel` runs of this process
    solve at once (the others wait, still `queued`, for a slot)."""
    size = max(1, max_parallel)
    with _pool_lock:
        slots = _pool_slots.setdefault(size, threading.BoundedSemaphore(size))
    solve = pooled_solver(size)
    replan = pooled_replanner(size)

    def work() -> None:
        with slots:
            run_in_background(bind, run_id, solve=solve, replan=replan)

    threading.Thread(target=work, daemon=True, name=f"dispatch-plan-{run_id}").start()


def _run_session(bind: Engine | Connection) -> Session:
    # On a connection (test harnesses) each commit releases a savepoint of the outer one.
    return Session(bind, expire_on_commit=False, join_transaction_mode="create_savepoint")


def run_in_background(bind: Engine | Connection, run_id: int, *,
                      solve: Solver = opt.solve, replan: Any = None) -> None:
    """Claim a queued run and read its problem (one short transaction), solve it with no
    session or transaction open, then store the plan in a second short transaction that
    only writes while the run is still `running` (a run expired meanwhile stays failed).
    The claim is a conditional UPDATE, so a duplicate delivery or a second process is
    harmless. A re-plan run (inputs with a `replan` part, see `replans`) is solved by
    `replan` (default: in this process) and checked against the rest of the day."""
    with _run_session(bind) as session:
        claim = session.execute(update(OptimizationRun).where(
            OptimizationRun.id == run_id, OptimizationRun.status == RunStatus.queued)
            .values(status=RunStatus.running, started_at=utcnow()))
        row = session.execute(select(
            OptimizationRun.inputs, OptimizationRun.time_limit_s, OptimizationRun.plan_date)
            .where(OptimizationRun.id == run_id)).one() \
            if claim.rowcount else None  # type: ignore[attr-defined]
        session.commit()
    if row is None:
        return
    visits: list[PlannedVisit] = []
    try:
        problem = problem_from_json(row.inputs["problem"])
        versions = {int(k): v for k, v in row.inputs["versions"].items()}
        args = row.inputs.get("replan")
        if args is not None:
            from app.dispatch.service.replans import rest_problem, solve_replan

            plan = (replan or solve_replan)(problem, args, row.time_limit_s)
            problem = rest_problem(problem, args)
        else:
            plan = solve(problem, row.time_limit_s)
        values, visits = plan_outcome(problem, plan, row.plan_date, versions)
    except Exception as exc:  # the run row must say it failed, whatever the cause
        log.exception("dispatch plan run %s failed", run_id)
        values = _failure(exc)
    try:
        _store_outcome(bind, run_id, values, visits)
    except Exception as exc:
        log.exception("dispatch plan run %s: storing the plan failed", run_id)
        _store_outcome(bind, run_id, _failure(exc), [])


def _failure(exc: Exception) -> dict[str, Any]:
    return {"status": RunStatus.failed, "error": f"{type(exc).__name__}: {exc}"[:2000],
            "finished_at": utcnow()}


def _store_outcome(bind: Engine | Connection, run_id: int, values: dict[str, Any],
                   visits: list[PlannedVisit]) -> None:
    with _run_session(bind) as session:
        stored = session.execute(update(OptimizationRun).where(
            OptimizationRun.id == run_id, OptimizationRun.status == RunStatus.running)
            .values(**values))
        if stored.rowcount:  # type: ignore[attr-defined]
            for visit in visits:
                visit.run_id = run_id
            session.add_all(visits)
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


def get_run(session: Session, run_id: int, *, fresh: bool = False) -> OptimizationRun:
    """A run; `fresh` reloads it (another session, e.g. a solve, may have written it)."""
    run = session.get(OptimizationRun, run_id, populate_existing=fresh)
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


def apply_run(session: Session, run_id: int, *, actor: User,
              dispatch: bool = False) -> OptimizationRun:
    """Schedule every planned visit in one transaction; 409 naming the work orders that
    changed since the run, and 409 for a run that is not done or already applied.
    `dispatch`: release the planned technicians' day at once (jobs dispatched, one route
    push each). A route already released stays live: its new jobs are dispatched and its
    technician gets one "route changed" push when the plan changed it."""
    run = session.scalar(select(OptimizationRun).where(OptimizationRun.id == run_id)
                         .with_for_update()
                         .execution_options(populate_existing=True))  # a solve wrote it
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
    affected = {t.user_id for t in techs.values()} | {
        wo.assignee_user_id for wo in orders.values() if wo.assignee_user_id is not None}
    live = live_route_users(session, run.plan_date, sorted(affected))
    before = _routes_of(session, run.plan_date, live)
    note = f"dispatch plan run {run.id}"
    for visit in planned:
        wo = orders[visit.work_order_id]  # type: ignore[index]
        user_id = techs[visit.technician_id].user_id
        if wo.status in UNCHANGED_STATES or (
                wo.assignee_user_id == user_id and wo.scheduled_start == visit.planned_start):
            continue  # started, or already so: nothing to change, nobody to notify
        # A released route gets one route push instead of a message per job.
        quiet = dispatch or user_id in live or wo.assignee_user_id in live
        workorders.assign_work_order(session, wo, assignee_user_id=user_id,
                                     scheduled_start=visit.planned_start,
                                     scheduled_end=visit.planned_end, version=wo.version,
                                     actor=actor, reason=note, notify=not quiet)
        if wo.status == Status.dispatched and not dispatch and user_id not in live:
            # Moved onto a route that is not released: back to scheduled until it is.
            workorders.transition_work_order(session, wo, Status.scheduled.value, actor=actor,
                                             reason=note, notify=False)
    for wo_id in dropped_ids:
        taken = orders.get(wo_id)
        if taken is not None and taken.assignee_user_id is not None \
                and taken.status == Status.scheduled:
            workorders.assign_work_order(session, taken, assignee_user_id=None,
                                         scheduled_start=None, scheduled_end=None,
                                         version=taken.version, actor=actor, reason=note,
                                         notify=taken.assignee_user_id not in live)
    after = _routes_of(session, run.plan_date, live)
    changed = {u for u in live if before.get(u) != after.get(u)}
    planned_users = {t.user_id for t in techs.values()}
    release_users = (planned_users if dispatch else set()) | live
    release_techs = list(session.scalars(select(Technician).where(
        Technician.user_id.in_(release_users)).order_by(Technician.id)))
    dispatch_routes(session, run.plan_date, release_techs, actor=actor, changed_users=changed)
    run.status = RunStatus.applied
    run.applied_at = utcnow()
    run.applied_by_id = actor.id
    return run


def _routes_of(session: Session, day: date, user_ids: set[int]
               ) -> dict[int, list[tuple[int, datetime | None]]]:
    """Each user's open jobs that day in order, with their starts (to see what changed)."""
    routes: dict[int, list[tuple[int, datetime | None]]] = {u: [] for u in user_ids}
    if not user_ids:
        return routes
    for wo in day_orders(session, day, sorted(user_ids)):
        if wo.status not in (Status.completed, Status.closed):
            routes[wo.assignee_user_id].append((wo.id, wo.scheduled_start))  # type: ignore[index]
    return routes
