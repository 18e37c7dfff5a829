"""Work-order business rules. Other packages call the functions exported here.

Split by concept: access (who sees what), lifecycle (the state machine and assignment),
editing (create, edit, list), sla (clocks and the tick), timeline, intake (fault reports and
the public rate limit), ratings, numbering.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.workorders.models import WorkOrder
from app.workorders.service.access import (
    SHOWN_IN_ROW,
    get_work_order_for,
    load_shown,
    reload_shown,
    visible_to,
)
from app.workorders.service.editing import (
    check_time_windows,
    create_work_order,
    list_work_orders,
    new_work_order,
    update_work_order,
)
from app.workorders.service.intake import (
    FaultReportOutcome,
    count_public_request,
    find_labelled_asset,
    purge_rate_limit_windows,
    report_fault,
    report_fault_by_label,
)
from app.workorders.service.lifecycle import (
    ACCEPTS_PARTS,
    CHECK_IN,
    COMPLETION,
    TRANSITIONS,
    allowed_transitions,
    assign_work_order,
    completion_codes,
    on_unplanned,
    register_completion_check,
    release_parts_of_cancelled,
    transition_work_order,
)
from app.workorders.service.numbering import next_work_order_number
from app.workorders.service.ratings import rate_work_order, ratings_summary
from app.workorders.service.sla import (
    SlaState,
    TickResult,
    apply_sla_policy,
    business_calendars_query,
    create_business_calendar,
    get_sla_policy,
    run_sla_tick,
    save_sla_policy,
    sla_policies_query,
    sla_state,
)
from app.workorders.service.timeline import add_note, record_event, timeline_query

__all__ = [
    "ACCEPTS_PARTS",
    "CHECK_IN",
    "COMPLETION",
    "SHOWN_IN_ROW",
    "TRANSITIONS",
    "FaultReportOutcome",
    "SlaState",
    "TickResult",
    "add_note",
    "allowed_transitions",
    "apply_sla_policy",
    "assign_work_order",
    "business_calendars_query",
    "check_time_windows",
    "completion_codes",
    "count_public_request",
    "create_business_calendar",
    "create_work_order",
    "find_labelled_asset",
    "get_sla_policy",
    "get_work_order_for",
    "list_work_orders",
    "load_shown",
    "new_work_order",
    "next_work_order_number",
    "on_unplanned",
    "purge_rate_limit_windows",
    "rate_work_order",
    "ratings_summary",
    "record_event",
    "register_completion_check",
    "release_parts_of_cancelled",
    "reload_shown",
    "report_fault",
    "report_fault_by_label",
    "run_sla_tick",
    "save_sla_policy",
    "sla_policies_query",
    "sla_state",
    "timeline_query",
    "transition_work_order",
    "update_work_order",
    "visible_to",
]


def _register_inventory_lookup() -> None:
    """Let inventory see work orders through its seam, without inventory importing us."""
    try:
        from app.inventory.work_orders import WorkOrderRef, register_work_order_lookup
    except ImportError:  # inventory has not landed in this tree (yet)
        return

    def _work_order_ref(session: Session, work_order_id: int) -> WorkOrderRef | None:
        work_order = session.get(WorkOrder, work_order_id)
        if work_order is None:
            return None
        return WorkOrderRef(id=work_order.id, number=work_order.number, status=work_order.status,
                            accepts_parts=work_order.status in ACCEPTS_PARTS,
                            assignee_user_id=work_order.assignee_user_id,
                            customer_id=work_order.customer_id)

    register_work_order_lookup(_work_order_ref)


_register_inventory_lookup()
