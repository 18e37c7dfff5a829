"""Occurrences of plans: listed with their state (planned, overdue, done, skipped,
cancelled), and skipped on purpose with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from app.assets.models import Asset, Site
from app.auth.models import Role, User
from app.db import utcnow
from app.errors import N_, Conflict, NotFound, Unprocessable
from app.maintenance.models import OccurrenceStatus, PlanOccurrence
from app.maintenance.service.plans import OFFICE, require_planner
from app.workorders import service as workorders
from app.workorders.models import CLOSED_STATES, OPEN_STATES, Status, WorkOrder


@dataclass
class OccurrenceView:
    occurrence: PlanOccurrence
    work_order: WorkOrder | None
    state: str  # planned | overdue | done | skipped | cancelled

    def __getattr__(self, name: str) -> Any:
        return getattr(self.occurrence, name)


def occurrence_state(occurrence: PlanOccurrence, work_order: WorkOrder | None,
                     today: date) -> str:
    if occurrence.status == OccurrenceStatus.skipped:
        return "skipped"
    if work_order is None or work_order.status == Status.cancelled:
        return "cancelled"
    if work_order.status in CLOSED_STATES:
        return "done"
    return "overdue" if occurrence.due_date < today else "planned"


def list_occurrences(session: Session, *, actor: User, plan_id: int | None = None,
                     asset_id: int | None = None, overdue: bool | None = None,
                     due_from: date | None = None, due_until: date | None = None,
                     today: date | None = None) -> Select[Any]:
    """Staff see every occurrence; a customer those of its own assets; overdue means due
    before today with the order still open."""
    today = today or utcnow().date()
    stmt = (select(PlanOccurrence)
            .outerjoin(WorkOrder, WorkOrder.id == PlanOccurrence.work_order_id)
            .order_by(PlanOccurrence.due_date, PlanOccurrence.id))
    if actor.role == Role.customer:
        stmt = stmt.join(Asset, Asset.id == PlanOccurrence.asset_id).join(Site).where(
            Site.customer_id == actor.customer_id)
    elif actor.role not in (*OFFICE, Role.technician, Role.warehouse):
        stmt = stmt.where(false())
    if plan_id is not None:
        stmt = stmt.where(PlanOccurrence.plan_id == plan_id)
    if asset_id is not None:
        stmt = stmt.where(PlanOccurrence.asset_id == asset_id)
    if due_from is not None:
        stmt = stmt.where(PlanOccurrence.due_date >= due_from)
    if due_until is not None:
        stmt = stmt.where(PlanOccurrence.due_date <= due_until)
    if overdue:
        stmt = stmt.where(PlanOccurrence.status == OccurrenceStatus.generated,
                          PlanOccurrence.due_date < today, WorkOrder.status.in_(OPEN_STATES))
    return stmt


def views(session: Session, occurrences: list[PlanOccurrence], today: date | None = None
          ) -> list[OccurrenceView]:
    """Each occurrence with its work order and its state as of `today`."""
    today = today or utcnow().date()
    ids = {o.work_order_id for o in occurrences if o.work_order_id is not None}
    orders = ({wo.id: wo for wo in session.scalars(select(WorkOrder).where(
        WorkOrder.id.in_(ids)))} if ids else {})  # one query for the page, not one per row
    found = []
    for o in occurrences:
        wo = orders.get(o.work_order_id) if o.work_order_id is not None else None
        found.append(OccurrenceView(o, wo, occurrence_state(o, wo, today)))
    return found


def skip_occurrence(session: Session, occurrence_id: int, *, reason: str,
                    actor: User) -> OccurrenceView:
    """Skip an occurrence on purpose: its open order is cancelled with the reason (parts
    reservations released); a finished one cannot be skipped."""
    require_planner(actor, "skip maintenance")
    occurrence = session.get(PlanOccurrence, occurrence_id)
    if occurrence is None:
        raise NotFound(N_("No such occurrence."))
    if not reason.strip():
        raise Unprocessable(N_("Say why the maintenance is skipped."),
                            errors={"reason": ["Required."]})
    if occurrence.status == OccurrenceStatus.skipped:
        raise Conflict(N_("This occurrence is already skipped."), error="already_skipped")
    work_order = (session.get(WorkOrder, occurrence.work_order_id)
                  if occurrence.work_order_id is not None else None)
    if work_order is not None and work_order.status in (Status.completed, Status.closed):
        raise Conflict(N_("This maintenance is already done."), error="occurrence_done")
    if work_order is not None and work_order.status != Status.cancelled:
        workorders.transition_work_order(session, work_order, Status.cancelled, actor=actor,
                                         reason=f"Preventive maintenance skipped: {reason}")
    occurrence.status = OccurrenceStatus.skipped
    occurrence.skip_reason = reason
    occurrence.skipped_by_id = actor.id
    session.flush()  # flush: the state for the response
    return OccurrenceView(occurrence, work_order, "skipped")
