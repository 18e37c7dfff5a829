"""Releasing a day's routes to the technicians' phones.

Releasing dispatches every scheduled job of the day (through the work-orders state machine,
so each gets its timeline entry) and queues ONE push per technician for the whole route,
instead of one per job. A route is *released* (live on the phone) once one of its jobs has
been dispatched or started; re-planning or an insertion that changes such a route dispatches
the jobs it adds and queues one "route changed" push.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import in_ids, load_related
from app.dispatch.models import Technician
from app.dispatch.service.problem import active_technicians, day_clock
from app.errors import N_, Conflict, NotFound, Phrase
from app.notifications.models import Notification
from app.notifications.service import queue_notification
from app.workorders import service as workorders
from app.workorders.models import Status, WorkOrder

# Statuses that show the technician works from the route already.
LIVE_STATES = (Status.dispatched, Status.en_route, Status.on_site, Status.on_hold,
               Status.completed, Status.closed)

# Human texts of the pushes, in one place (to be wrapped for translation).
ROUTE_RELEASED_TITLE = "Your route for {day} is ready"
ROUTE_CHANGED_TITLE = "Your route for {day} changed"
ROUTE_BODY = "{jobs} jobs, first at {first} ({site})"
ROUTE_BODY_EMPTY = "No jobs left on your route."
NOTE_RELEASED = N_("day %(day)s released to the technician")


def day_orders(session: Session, day: date, user_ids: list[int],
               statuses: tuple[str, ...] | None = None) -> list[WorkOrder]:
    """Work orders scheduled on the day for these users, in time order."""
    clock = day_clock(day)
    stmt = (select(WorkOrder)
            .where(in_ids(WorkOrder.assignee_user_id, user_ids),
                   WorkOrder.scheduled_start >= clock.origin,
                   WorkOrder.scheduled_start < clock.end, WorkOrder.status != Status.cancelled)
            .order_by(WorkOrder.scheduled_start, WorkOrder.id))
    if statuses:
        stmt = stmt.where(WorkOrder.status.in_(statuses))
    orders = list(session.scalars(stmt))
    # a city day's ~500 orders: one plain query per relation (app.db.load_related, about half
    # selectinload's CPU), the technicians' ids written into the statement (app.db.in_ids)
    load_related(session, orders, WorkOrder.site)
    load_related(session, orders, WorkOrder.time_windows)
    return orders


def live_route_users(session: Session, day: date, user_ids: list[int]) -> set[int]:
    """The technicians (user ids) whose route that day is released."""
    return {wo.assignee_user_id for wo in day_orders(session, day, user_ids, LIVE_STATES)
            if wo.assignee_user_id is not None}


@dataclass
class ReleasedRoute:
    technician_id: int
    user_id: int
    dispatched: list[int] = field(default_factory=list)
    notification_id: int | None = None


@dataclass
class Release:
    date: date
    routes: list[ReleasedRoute]

    @property
    def dispatched(self) -> int:
        return sum(len(r.dispatched) for r in self.routes)


def release_day(session: Session, day: date, *, technician_id: int | None = None,
                actor: User) -> Release:
    """Dispatch the day's scheduled jobs (of one technician, or all) and push each technician
    their route once; 409 nothing_to_release when none is scheduled."""
    techs = active_technicians(session, [technician_id] if technician_id else None)
    if technician_id is not None and not techs:
        raise NotFound("Technician not found.")
    release = dispatch_routes(session, day, techs, actor=actor, changed_users=set())
    if not release.routes:
        raise Conflict(f"No scheduled job to release on {day.isoformat()}.",
                       error="nothing_to_release")
    return release


def dispatch_routes(session: Session, day: date, techs: list[Technician], *, actor: User,
                    changed_users: set[int]) -> Release:
    """Dispatch the scheduled jobs of `techs` that day; one push per technician: "route
    ready" for a first release, "route changed" for users in `changed_users` (their route
    was live already and a plan changed it)."""
    by_user = {t.user_id: t for t in techs}
    scheduled: dict[int, list[WorkOrder]] = defaultdict(list)
    for wo in day_orders(session, day, list(by_user), (Status.scheduled,)):
        scheduled[wo.assignee_user_id].append(wo)  # type: ignore[index]
    note = Phrase(NOTE_RELEASED, day=day.isoformat())
    routes = []
    for user_id, tech in by_user.items():
        jobs = scheduled.get(user_id, [])
        if not jobs and user_id not in changed_users:
            continue
        route = ReleasedRoute(technician_id=tech.id, user_id=user_id)
        for wo in jobs:
            workorders.transition_work_order(session, wo, Status.dispatched.value, actor=actor,
                                             reason=note, notify=False)
            route.dispatched.append(wo.id)
        kind = "route_changed" if user_id in changed_users else "route_released"
        route.notification_id = _push_route(session, tech, day, kind).id
        routes.append(route)
    return Release(day, routes)


def _push_route(session: Session, tech: Technician, day: date, kind: str) -> Notification:
    jobs = day_orders(session, day, [tech.user_id], LIVE_STATES)
    open_jobs = [wo for wo in jobs if wo.status not in (Status.completed, Status.closed)]
    clock = day_clock(day)
    label = day.strftime("%a %d %b")
    title = (ROUTE_CHANGED_TITLE if kind == "route_changed" else ROUTE_RELEASED_TITLE)
    if open_jobs:
        first = open_jobs[0]
        start = first.scheduled_start.astimezone(clock.zone)  # type: ignore[union-attr]
        body = ROUTE_BODY.format(jobs=len(open_jobs), first=start.strftime("%H:%M"),
                                 site=first.site.name)
    else:
        body = ROUTE_BODY_EMPTY
    [note] = queue_notification(
        session, user_ids=[tech.user_id], kind=kind, title=title.format(day=label), body=body,
        data={"date": day.isoformat(), "technician_id": tech.id,
              "work_order_ids": [wo.id for wo in open_jobs],
              # what the reader's-language texts need (app/notifications/texts.py)
              **({"jobs": len(open_jobs), "first": start.strftime("%H:%M"),
                  "site": first.site.name} if open_jobs else {})})
    session.flush()  # flush: the notification id goes into the answer
    return note
