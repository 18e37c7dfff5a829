"""Who may see and touch which work order: by role and by ownership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, false, inspect, select
from sqlalchemy.orm import Session, joinedload

from app.auth.models import Role, User
from app.db import load_related
from app.errors import Forbidden, NotFound, VersionConflict
from app.workorders.models import SlaPolicy, WorkOrder, WorkOrderSkill

OFFICE = (Role.admin, Role.dispatcher)
# Staff who see every work order (warehouse reads them for reservations and pick lists).
SEES_ALL = (Role.admin, Role.dispatcher, Role.warehouse)


def is_office(actor: User | None) -> bool:
    return actor is not None and actor.role in OFFICE


def is_assignee(actor: User | None, work_order: WorkOrder) -> bool:
    return (actor is not None and actor.role == Role.technician
            and work_order.assignee_user_id == actor.id)


def _visibility(role: str, owner: Any) -> tuple[Any, ...]:
    """The conditions on work orders an actor of `role` may see; `owner`: the technician's
    user id, or the customer's account id (a value or a bound parameter)."""
    if role in SEES_ALL:
        return ()
    if role == Role.technician:
        return (WorkOrder.assignee_user_id == owner,)
    if role == Role.customer:
        return (WorkOrder.customer_id == owner,)
    return (false(),)


def _owner(actor: User) -> int | None:
    return actor.id if actor.role == Role.technician else actor.customer_id


def visible_to(stmt: Any, actor: User) -> Any:
    """Narrow a select of work orders to what `actor` may see."""
    return stmt.where(*_visibility(actor.role, _owner(actor)))


# What the API shows of an order that a page's own query can bring along, one row per order
# (many-to-one and one-to-one): two queries fewer for `load_shown`, which skips them.
SHOWN_IN_ROW = (joinedload(WorkOrder.rating),
                joinedload(WorkOrder.sla_policy).joinedload(SlaPolicy.calendar))


# One work order by id as an actor of each role may see it, with and without SHOWN_IN_ROW:
# built once (their cache keys with them); the detail, the writes and the phone's jobs read
# one on every request.
_VISIBLE_BY_ID: dict[tuple[str, bool], Any] = {
    (role, shown): select(WorkOrder).where(WorkOrder.id == bindparam("work_order_id"),
                                           *_visibility(role, bindparam("owner")))
    .options(*(SHOWN_IN_ROW if shown else ()))
    for role in Role for shown in (False, True)}
_RELOAD_SHOWN = _VISIBLE_BY_ID[(Role.admin, True)]  # any order by id, with SHOWN_IN_ROW


def load_shown(session: Session, orders: Sequence[WorkOrder]) -> list[WorkOrder]:
    """Load what the API shows of each order (skills, windows, SLA pauses, rating, policy
    and its calendar): one query per relation for the whole page, not several per row
    (none for those the orders' query joined in, `SHOWN_IN_ROW`)."""
    load_related(session, orders, WorkOrder.skills, joinedload(WorkOrderSkill.skill))
    load_related(session, orders, WorkOrder.time_windows)
    load_related(session, orders, WorkOrder.sla_pauses)
    load_related(session, orders, WorkOrder.rating)
    load_related(session, orders, WorkOrder.sla_policy, joinedload(SlaPolicy.calendar))
    return list(orders)


def reload_shown(session: Session, work_order: WorkOrder) -> WorkOrder:
    """After a commit (which expired it): the order read again with what the API shows of
    it, rating and policy in the same query (4 statements, not the 6 of a refresh and then
    `load_shown`)."""
    identity = inspect(work_order).identity
    assert identity is not None  # a committed order has its id
    session.scalars(_RELOAD_SHOWN, {"work_order_id": identity[0]}).one()
    load_shown(session, [work_order])
    return work_order


def get_work_order_for(session: Session, work_order_id: int, *, actor: User,
                       shown: bool = True) -> WorkOrder:
    """A work order the actor may see; another account's or another technician's is a 404.
    `shown=False` when only its identity matters (timeline, photos): no relations loaded."""
    # (roles are str enums: the key matches the actor's role read as a plain string)
    work_order = session.scalar(_VISIBLE_BY_ID[(actor.role, shown)],
                                {"work_order_id": work_order_id, "owner": _owner(actor)})
    if work_order is None:
        raise NotFound("Work order not found.")
    if shown:
        load_shown(session, [work_order])
    return work_order


def require_office(actor: User | None, what: str) -> None:
    if not is_office(actor):
        raise Forbidden(f"Only dispatchers and admins may {what}.")


def check_version(work_order: WorkOrder, version: int | None) -> None:
    """The client's copy must be the current one (optimistic lock, friendly half)."""
    if version is not None and version != work_order.version:
        raise VersionConflict(
            "The work order was changed by someone else; reload it and try again.",
            current_version=work_order.version)


def flush_or_conflict(session: Session) -> None:
    """Write now, so a concurrent edit (version no longer matching) is a 409 and not a 500."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        session.flush()  # flush: the UPDATE ... WHERE version = :seen is the real guard
    except StaleDataError as exc:
        raise VersionConflict(
            "The work order was changed by someone else; reload it and try again.") from exc
