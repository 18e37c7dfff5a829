"""An urgent job mid-day: insert it into today's applied plan with least disruption.

The base is the day's last applied run (its stored problem and plan, so the optimizer sees
exactly what it planned); without one, the job goes into empty routes. `optimizer.insert`
keeps every visit that started before `now` fixed and re-times the rest of one route. The
result is stored as a run of kind `insertion` that the dispatcher applies like any plan.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

import optimizer as opt
from app.auth.models import User
from app.dispatch.models import OptimizationRun, RunKind, RunStatus
from app.dispatch.service.candidates import explain_nobody, rank_candidates
from app.dispatch.service.plans import new_run, store_plan
from app.dispatch.service.problem import (
    build_day_problem,
    day_clock,
    job_input,
    job_parts,
    local_day,
    plan_from_json,
    problem_from_json,
    reservations_of,
    service_windows,
)
from app.errors import Conflict
from app.workorders import service as workorders
from app.workorders.models import Status, WorkOrder


@dataclass
class Insertion:
    run: OptimizationRun
    work_order: WorkOrder
    technician_id: int | None
    reason: str | None
    reason_code: str | None
    eta: datetime | None
    start: datetime | None
    moved: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)


# Built once (its cache key with it): every route of a day starts from it.
_LAST_APPLIED_RUN = (
    select(OptimizationRun)
    .where(OptimizationRun.plan_date == bindparam("day"),
           OptimizationRun.status == RunStatus.applied)
    .order_by(OptimizationRun.applied_at.desc(), OptimizationRun.id.desc()).limit(1))


def last_applied_run(session: Session, day: Any) -> OptimizationRun | None:
    return session.scalar(_LAST_APPLIED_RUN, {"day": day})


def _starts(plan: opt.Plan) -> dict[Any, tuple[Any, int]]:
    return {v.ref: (r.technician_id, v.start) for r in plan.routes for v in r.visits
            if v.kind == "job"}


def insert_emergency(session: Session, work_order_id: int, *, now: datetime,
                     actor: User) -> Insertion:
    """Add an unassigned open job to today's plan; started visits stay where they are."""
    wo = workorders.get_work_order_for(session, work_order_id, actor=actor)
    if wo.status != Status.new or wo.assignee_user_id is not None:
        raise Conflict(f"Work order {wo.number} is {wo.status}; only an unassigned new one "
                       "can be inserted.", error="not_insertable")
    day = local_day(now)
    clock = day_clock(day)
    windows = service_windows(wo, clock)
    if windows is None:
        raise Conflict("The customer's time windows leave no time today.",
                       error="no_window_today")
    base = last_applied_run(session, day)
    if base is not None and base.result is not None:
        problem = problem_from_json(base.inputs["problem"])
        plan = plan_from_json(base.result)
        problem = dataclasses.replace(problem, jobs=tuple(j for j in problem.jobs
                                                          if j.id != wo.id))
        plan = dataclasses.replace(plan, unassigned=tuple(u for u in plan.unassigned
                                                          if u.job_id != wo.id))
    else:
        problem = build_day_problem(session, day, work_order_ids=[]).problem
        plan = opt.Plan((), (), {}, 0.0, {})
    parts = job_parts(reservations_of(session, [wo.id])).get(wo.id, {})
    job = job_input(wo, clock, parts, windows)
    new_plan = opt.insert(problem, plan, job, clock.seconds(now))
    full = opt.with_job(problem, job)
    ids = [j.id for j in full.jobs]
    versions: dict[int, int] = {wid: v for wid, v in session.execute(
        select(WorkOrder.id, WorkOrder.version).where(WorkOrder.id.in_(ids)))}
    run = new_run(session, kind=RunKind.insertion, day=day, problem=full, versions=versions,
                  time_limit_s=1.0, keep_assigned=True, actor=actor,
                  base_run_id=base.id if base is not None else None)
    run.started_at = run.created_at
    store_plan(session, run, full, new_plan)
    before, after = _starts(plan), _starts(new_plan)
    placed = after.get(wo.id)
    visit = next((v for r in new_plan.routes for v in r.visits if v.ref == wo.id
                  and v.kind == "job"), None)
    unplaced = next((u for u in new_plan.unassigned if u.job_id == wo.id), None)
    reason_code = reason = None
    if placed is None:
        # The planner only sees technicians on shift, so its reason can mislead (a skill
        # "nobody has" on a day nobody works): the candidates tell the true one first.
        truth = explain_nobody(rank_candidates(session, wo, now=now, day=day))
        if truth is not None:
            reason_code, reason = truth
        elif unplaced is not None:
            reason_code, reason = unplaced.reason, unplaced.detail or unplaced.reason
        else:
            reason_code, reason = "no_free_slot", "No route has room for the job today."
    moved = [{"work_order_id": jid, "technician_id": after[jid][0],
              "old_start": clock.instant(old[1]), "new_start": clock.instant(after[jid][1])}
             for jid, old in sorted(before.items(), key=lambda kv: str(kv[0]))
             if jid in after and after[jid] != old]
    dropped = [jid for jid in before if jid not in after]
    return Insertion(run=run, work_order=wo,
                     technician_id=placed[0] if placed else None,
                     reason=reason, reason_code=reason_code,
                     eta=clock.instant(visit.arrival) if visit else None,
                     start=clock.instant(visit.start) if visit else None,
                     moved=moved, dropped=dropped)
