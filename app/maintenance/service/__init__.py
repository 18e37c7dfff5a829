"""Maintenance business rules, split by concept; import them from here.

- schedule: calendar due dates and the business calendar's working days (pure)
- forecast: Theil–Sen meter trend and when a threshold is reached (pure)
- plans: maintenance plans and the assets they cover
- generator: preventive work orders for the rolling horizon, once per occurrence
- occurrences: planned / overdue / done / skipped, and skipping
- checklists: versioned checklist templates
- inspections: filling a checklist; failures raise corrective orders; the completion guard
"""

from app.maintenance.service.checklists import (
    add_template_version,
    create_template,
    get_template,
    list_templates,
    template_for_model,
)
from app.maintenance.service.forecast import MeterForecast, forecast_threshold, theil_sen
from app.maintenance.service.generator import (
    GenerationReport,
    due_occurrences,
    generate_preventive_orders,
)
from app.maintenance.service.inspections import (
    attach_checklist,
    check_checklist_done,
    inspection_of,
    missing_items,
    record_item,
    require_inspection,
)
from app.maintenance.service.occurrences import (
    OccurrenceView,
    list_occurrences,
    occurrence_state,
    skip_occurrence,
    views,
)
from app.maintenance.service.plans import (
    create_plan,
    get_plan,
    list_plans,
    plan_assets,
    update_plan,
)
from app.workorders.service import register_completion_check

register_completion_check(check_checklist_done)

__all__ = [
    "GenerationReport", "MeterForecast", "OccurrenceView", "add_template_version",
    "attach_checklist", "check_checklist_done", "create_plan", "create_template",
    "due_occurrences", "forecast_threshold", "generate_preventive_orders", "get_plan",
    "get_template", "inspection_of", "list_occurrences", "list_plans", "list_templates",
    "missing_items", "occurrence_state", "plan_assets", "record_item", "require_inspection",
    "skip_occurrence", "template_for_model", "theil_sen", "update_plan", "views",
]
