"""A plan run beside the day as it stands: the same KPIs, by the optimizer's own definitions.

The run's stored problem says which jobs and technicians count; the day as it stands is each
of those technicians' route now (`technician_route`: the applied plan merged with the jobs
assigned by hand since), turned into optimizer routes, and `optimizer.kpis.compute_kpis`
measures both, so the two columns a dispatcher compares can only differ by the plan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import optimizer as opt
from app.dispatch.models import OptimizationRun
from app.dispatch.service.day_route import Stop, technician_route
from app.dispatch.service.problem import TRAVEL, active_technicians, day_clock, problem_from_json
from optimizer.kpis import compute_kpis
from optimizer.travel import leg

# Not on any route today: the reason the optimizer's unassigned list would give has no
# counterpart for a hand-made schedule.
NOT_SCHEDULED = "not_scheduled"


def current_day_kpis(session: Session, run: OptimizationRun, *, now: datetime
                     ) -> dict[str, Any]:
    """The KPIs (travel, jobs assigned, unassigned by priority, on-time share, utilisation)
    of the run's jobs and technicians as they are scheduled now."""
    problem = problem_from_json(run.inputs["problem"])
    clock = day_clock(run.plan_date)
    techs = {t.id: t for t in problem.technicians}
    job_ids = {j.id for j in problem.jobs}
    placed: set[Any] = set()
    routes = []
    for tech in active_technicians(session, [int(i) for i in techs]):
        planned = techs.get(tech.id)
        if planned is None:
            continue
        stops = [s for s in technician_route(session, tech, run.plan_date, now=now).stops
                 if s.kind != "break" and s.planned_start is not None
                 and (s.kind == "pickup" or s.work_order_id in job_ids)]
        visits = tuple(_visit(s, clock.seconds) for s in stops)
        if not visits:
            continue
        placed |= {v.ref for v in visits if v.kind == "job"}
        last = stops[-1].point
        home = planned.end or planned.start
        back_m, back_s = leg(TRAVEL, last, home) if last is not None else (0, 0)
        first = visits[0]
        shift = next((i for i, w in enumerate(planned.shifts)
                      if w.start <= first.start <= w.end), 0)
        routes.append(opt.Route(tech.id, shift, first.arrival - first.travel_s,
                                visits[-1].end + back_s, visits, (), back_s, back_m))
    unassigned = [opt.Unassigned(j.id, NOT_SCHEDULED, "") for j in problem.jobs
                  if j.id not in placed]
    return compute_kpis(problem, routes, unassigned)


def _visit(stop: Stop, seconds: Any) -> opt.Visit:
    start = seconds(stop.planned_start)
    end = seconds(stop.planned_end) if stop.planned_end is not None else start
    arrival = seconds(stop.planned_arrival) if stop.planned_arrival is not None else start
    ref = stop.work_order_id if stop.kind == "job" else stop.location_id
    return opt.Visit(kind=stop.kind, ref=ref, arrival=arrival,  # type: ignore[arg-type]
                     start=start, end=end, waiting=max(0, start - arrival),
                     travel_s=stop.travel_s, travel_m=stop.travel_m)
