"""What inventory checks about a work order, through the seam in app.inventory.work_orders."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import Conflict, Forbidden, Unprocessable
from app.inventory.service.locations import is_technician
from app.inventory.work_orders import WorkOrderRef, find_work_order


def open_work_order(session: Session, work_order_id: int, actor: User | None) -> WorkOrderRef:
    """A known work order that accepts parts; a technician's must be assigned to it."""
    ref = find_work_order(session, work_order_id)
    if ref is None:
        raise Unprocessable("Unknown work order.", error="unknown_work_order",
                            errors={"work_order_id": [f"No work order {work_order_id}."]})
    if is_technician(actor) and ref.assignee_user_id != actor.id:
        raise Forbidden("This work order is not assigned to you.", error="not_your_work_order")
    if not ref.accepts_parts:
        raise Conflict(f"Work order {ref.number} is {ref.status}; it takes no parts.",
                       error="work_order_closed", work_order_status=ref.status)
    return ref
