"""Maintenance business rules, split by concept; import them from here.

- schedule: calendar due dates and the business calendar's working days (pure)
- forecast: Theil–Sen meter trend and when a threshold is reached (pure)
- plans: maintenance plans and the assets they cover
- generator: preventive work orders for the rolling horizon, once per occurrence
- occurrences: planned / overdue / done / skipped, and skipping
- checklists: versioned checklist templates
- inspections: filling a checklist; failures raise corrective orders; the completion guard
- taxonomy: problem -> cause -> remedy codes per equipment model; the completion check
- knowledge: articles, Chinese/English search, suggestions, ratings, solved-with
- reliability: MTBF, MTTR, failures by code, PM compliance, rising failure rates (SQL)
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
    AssetForecast,
    GenerationReport,
    due_occurrences,
    generate_preventive_orders,
    plan_forecasts,
)
from app.maintenance.service.inspections import (
    attach_checklist,
    check_checklist_done,
    inspection_of,
    missing_items,
    record_item,
    require_inspection,
)
from app.maintenance.service.knowledge import (
    ArticleHit,
    article_with_counts,
    create_article,
    get_article,
    normalise,
    rate_article,
    record_solution,
    search_articles,
    search_terms,
    suggest_articles,
    update_article,
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
from app.maintenance.service.reliability import (
    Reliability,
    RisingAsset,
    asset_reliability,
    model_reliability,
    rising_failure_rates,
)
from app.maintenance.service.taxonomy import (
    check_failure_codes,
    create_failure_code,
    list_failure_codes,
)
from app.workorders.service import register_completion_check

register_completion_check(check_checklist_done)
register_completion_check(check_failure_codes)

__all__ = [
    "ArticleHit",
    "AssetForecast",
    "GenerationReport",
    "MeterForecast",
    "OccurrenceView",
    "Reliability",
    "RisingAsset",
    "add_template_version",
    "article_with_counts",
    "asset_reliability",
    "attach_checklist",
    "check_checklist_done",
    "check_failure_codes",
    "create_article",
    "create_failure_code",
    "create_plan",
    "create_template",
    "due_occurrences",
    "forecast_threshold",
    "generate_preventive_orders",
    "get_article",
    "get_plan",
    "get_template",
    "inspection_of",
    "list_failure_codes",
    "list_occurrences",
    "list_plans",
    "list_templates",
    "missing_items",
    "model_reliability",
    "normalise",
    "occurrence_state",
    "plan_assets",
    "plan_forecasts",
    "rate_article",
    "record_item",
    "record_solution",
    "require_inspection",
    "rising_failure_rates",
    "search_articles",
    "search_terms",
    "skip_occurrence",
    "suggest_articles",
    "template_for_model",
    "theil_sen",
    "update_article",
    "update_plan",
    "views",
]
