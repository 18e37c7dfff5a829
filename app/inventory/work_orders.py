"""The seam through which inventory learns about work orders.

Inventory must not import the workorders package (the arrow is workorders -> inventory),
so the workorders service registers a lookup here when it is imported. Until it does,
every work order is unknown to inventory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class WorkOrderRef:
    """What inventory needs to know about a work order."""

    id: int
    number: str
    status: str
    accepts_parts: bool  # open: parts may be reserved for / issued to / returned from it
    assignee_user_id: int | None
    customer_id: int


WorkOrderLookup = Callable[[Session, int], "WorkOrderRef | None"]

_lookup: WorkOrderLookup | None = None


def register_work_order_lookup(lookup: WorkOrderLookup) -> None:
    """Install the function inventory uses to resolve work order ids (last one wins)."""
    global _lookup
    _lookup = lookup


def current_work_order_lookup() -> WorkOrderLookup | None:
    """The registered lookup, so a caller (e.g. a test fixture) can restore it afterwards."""
    return _lookup


def restore_work_order_lookup(lookup: WorkOrderLookup | None) -> None:
    """Put back a lookup previously read with current_work_order_lookup (None clears it)."""
    global _lookup
    _lookup = lookup


def find_work_order(session: Session, work_order_id: int) -> WorkOrderRef | None:
    """The work order with that id; None when unknown or no lookup is registered."""
    if _lookup is None:
        return None
    return _lookup(session, work_order_id)
