"""The maintenance API contract: plans, occurrences, checklist templates, inspections."""

from datetime import date

from marshmallow import ValidationError, fields, validate

from app.fields import BoundedDecimal, DecimalString, IdField, QueryBoolean, StrictBoolean
from app.maintenance.models import (
    ANCHOR_VALUES,
    CODE_KIND_VALUES,
    INTERVAL_UNIT_VALUES,
    ITEM_KIND_VALUES,
    PRIORITY_VALUES,
    SCHEDULE_KIND_VALUES,
    SEVERITY_VALUES,
    SHIFT_VALUES,
)
from app.maintenance.service.schedule import WEEKDAYS
from app.schema import Schema
from app.workorders.schemas import UTCTime


class Text(fields.String):
    """A string without NUL characters (PostgreSQL text cannot hold them: a 422, not a 500)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("NUL characters are not allowed.")
        return text


def _sane_date(value: date) -> None:
    if not date(2000, 1, 1) <= value < date(2200, 1, 1):
        raise ValidationError("Date out of range (years 2000 to 2199).")


class PlanSkill(Schema):
    skill_id = IdField(required=True)
    min_level = fields.Integer(load_default=1, validate=validate.Range(1, 5))


_INT_LIST = {"type": "array", "items": {"type": "integer"}}  # documented type of id lists


class PlanPart(Schema):
    part_id = IdField(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(1, 10_000))


class MaintenancePlanFields(Schema):
    name = Text(validate=validate.Length(1, 200))
    description = Text(allow_none=True, validate=validate.Length(max=5000))
    active = StrictBoolean()
    asset_id = IdField(allow_none=True)
    equipment_model_id = IdField(allow_none=True)
    customer_id = IdField(allow_none=True)
    site_id = IdField(allow_none=True)
    checklist_template_id = IdField(allow_none=True)
    requires_signature = StrictBoolean()
    required_skills = fields.List(fields.Nested(PlanSkill), validate=validate.Length(max=20))
    estimated_duration_min = fields.Integer(validate=validate.Range(1, 24 * 60))
    priority = Text(validate=validate.OneOf(PRIORITY_VALUES))
    parts = fields.List(fields.Nested(PlanPart), validate=validate.Length(max=50))
    parts_location_id = IdField(allow_none=True)
    schedule_kind = Text(validate=validate.OneOf(SCHEDULE_KIND_VALUES))
    anchor = Text(validate=validate.OneOf(ANCHOR_VALUES))
    start_date = fields.Date(validate=_sane_date)
    interval_unit = Text(allow_none=True, validate=validate.OneOf(INTERVAL_UNIT_VALUES))
    interval_count = fields.Integer(allow_none=True, validate=validate.Range(1, 1000))
    weekdays = fields.List(Text(validate=validate.OneOf(WEEKDAYS)),
                           validate=validate.Length(max=7))
    day_of_month = fields.Integer(allow_none=True, validate=validate.Range(1, 31))
    calendar_id = IdField(allow_none=True)
    shift = Text(validate=validate.OneOf(SHIFT_VALUES))
    meter = Text(allow_none=True, validate=validate.Length(1, 40))
    meter_interval = BoundedDecimal(1, 10**9, allow_none=True)
    horizon_days = fields.Integer(validate=validate.Range(1, 366))
    window_before_days = fields.Integer(validate=validate.Range(0, 60))
    window_after_days = fields.Integer(validate=validate.Range(0, 60))


class MaintenancePlanCreate(MaintenancePlanFields):
    name = Text(required=True, validate=validate.Length(1, 200))
    start_date = fields.Date(required=True, validate=_sane_date)


class MaintenancePlanUpdate(MaintenancePlanFields):
    """Any of the plan's fields; the schedule is checked again as a whole."""


class MaintenancePlanQuery(Schema):
    active = QueryBoolean()
    asset_id = IdField()


class MaintenancePlan(Schema):
    id = fields.Integer()
    name = Text()
    description = Text(allow_none=True)
    active = StrictBoolean()
    asset_id = fields.Integer(allow_none=True)
    equipment_model_id = fields.Integer(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    checklist_template_id = fields.Integer(allow_none=True)
    requires_signature = StrictBoolean()
    required_skills = fields.List(fields.Nested(PlanSkill))
    estimated_duration_min = fields.Integer()
    priority = Text()
    parts = fields.List(fields.Nested(PlanPart))
    parts_location_id = fields.Integer(allow_none=True)
    schedule_kind = Text()
    anchor = Text()
    start_date = fields.Date()
    interval_unit = Text(allow_none=True)
    interval_count = fields.Integer(allow_none=True)
    weekdays = fields.List(Text())
    day_of_month = fields.Integer(allow_none=True)
    calendar_id = fields.Integer(allow_none=True)
    shift = Text()
    meter = Text(allow_none=True)
    meter_interval = DecimalString(allow_none=True)
    horizon_days = fields.Integer()
    window_before_days = fields.Integer()
    window_after_days = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PmGenerateRequest(Schema):
    plan_ids = fields.List(IdField(), validate=validate.Length(1, 500))


class PmGenerateOut(Schema):
    created = fields.Integer(attribute="created_count")
    already_there = fields.Integer()
    work_order_ids = fields.Method("_ids", metadata=_INT_LIST)

    def _ids(self, report):
        return [o.work_order_id for o in report.created]


class PlanOccurrenceQuery(Schema):
    plan_id = IdField()
    asset_id = IdField()
    overdue = QueryBoolean()
    due_from = fields.Date(validate=_sane_date)
    due_until = fields.Date(validate=_sane_date)


class PlanOccurrence(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    asset_id = fields.Integer()
    occurrence_key = Text()
    due_date = fields.Date()
    window_start = fields.DateTime()
    window_end = fields.DateTime()
    trigger = Text()
    state = Text(metadata={"description": "planned, overdue, done, skipped, cancelled"})
    work_order_id = fields.Integer(allow_none=True)
    work_order_number = Text(attribute="work_order.number", allow_none=True)
    work_order_status = Text(attribute="work_order.status", allow_none=True)
    parts_reserved = StrictBoolean()
    details = fields.Dict()
    skip_reason = Text(allow_none=True)


class SkipOccurrence(Schema):
    reason = Text(required=True, validate=validate.Length(1, 2000))


# --- checklists ----------------------------------------------------------------------------

class ChecklistItemIn(Schema):
    label = Text(required=True, validate=validate.Length(1, 300))
    kind = Text(required=True, validate=validate.OneOf(ITEM_KIND_VALUES))
    required = StrictBoolean(load_default=True)
    severity = Text(load_default="medium", validate=validate.OneOf(SEVERITY_VALUES))
    unit = Text(allow_none=True, validate=validate.Length(max=20))
    min_value = BoundedDecimal(-10**9, 10**9, places=3, allow_none=True)
    max_value = BoundedDecimal(-10**9, 10**9, places=3, allow_none=True)
    choices = fields.List(Text(validate=validate.Length(1, 100)),
                          validate=validate.Length(max=30))
    failing_choices = fields.List(Text(validate=validate.Length(1, 100)),
                                  validate=validate.Length(max=30))


class ChecklistTemplateCreate(Schema):
    code = Text(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$", error="Letters, digits, _ . - (max 60)."))
    name = Text(required=True, validate=validate.Length(1, 200))
    equipment_model_id = IdField(allow_none=True)
    items = fields.List(fields.Nested(ChecklistItemIn), required=True,
                        validate=validate.Length(1, 200))


class ChecklistVersionCreate(Schema):
    name = Text(validate=validate.Length(1, 200))
    items = fields.List(fields.Nested(ChecklistItemIn), required=True,
                        validate=validate.Length(1, 200))


class ChecklistTemplateQuery(Schema):
    equipment_model_id = IdField()
    code = Text(validate=validate.Length(1, 60))
    all_versions = QueryBoolean(load_default=False)


class ChecklistItem(Schema):
    id = fields.Integer()
    position = fields.Integer()
    label = Text()
    kind = Text()
    required = StrictBoolean()
    severity = Text()
    unit = Text(allow_none=True)
    min_value = DecimalString(allow_none=True)
    max_value = DecimalString(allow_none=True)
    choices = fields.List(Text())
    failing_choices = fields.List(Text())


class ChecklistTemplate(Schema):
    id = fields.Integer()
    code = Text()
    version = fields.Integer()
    name = Text()
    equipment_model_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(ChecklistItem))
    created_at = fields.DateTime()


class AttachChecklist(Schema):
    template_id = IdField(required=True)
    requires_signature = StrictBoolean(load_default=False)


class ChecklistAnswer(Schema):
    """One checklist item's answer; the field that fits the item's kind is required."""

    item_id = IdField(required=True)
    passed = StrictBoolean(allow_none=True)
    number = BoundedDecimal(-10**9, 10**9, places=3, allow_none=True)
    text = Text(allow_none=True, validate=validate.Length(1, 5000))
    choice = Text(allow_none=True, validate=validate.Length(1, 100))
    photo_id = IdField(allow_none=True)
    note = Text(allow_none=True, validate=validate.Length(max=5000))
    client_time = UTCTime(allow_none=True)


class ChecklistResult(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    outcome = Text()
    passed = StrictBoolean(allow_none=True)
    number = DecimalString(allow_none=True)
    text = Text(allow_none=True)
    choice = Text(allow_none=True)
    photo_id = fields.Integer(allow_none=True)
    note = Text(allow_none=True)
    corrective_work_order_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()


class Inspection(Schema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    requires_signature = StrictBoolean()
    template = fields.Nested(ChecklistTemplate)
    results = fields.List(fields.Nested(ChecklistResult))
    missing_item_ids = fields.Method("_missing", metadata=_INT_LIST)

    def _missing(self, inspection):
        done = {r.item_id for r in inspection.results}
        return [i.id for i in inspection.template.items if i.required and i.id not in done]


# --- failure taxonomy and knowledge ---------------------------------------------------------

_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
                        error="Letters, digits, _ . - (max 40).")


class FailureCodeCreate(Schema):
    equipment_model_id = IdField(required=True)
    kind = Text(required=True, validate=validate.OneOf(CODE_KIND_VALUES))
    code = Text(required=True, validate=_CODE)
    label = Text(required=True, validate=validate.Length(1, 200))
    parent_id = IdField(allow_none=True)


class FailureCodeQuery(Schema):
    equipment_model_id = IdField()
    kind = Text(validate=validate.OneOf(CODE_KIND_VALUES))


class FailureCodeOut(Schema):
    id = fields.Integer()
    equipment_model_id = fields.Integer()
    kind = Text()
    code = Text()
    label = Text()
    parent_id = fields.Integer(allow_none=True)


class ArticleImage(Schema):
    url = Text(required=True, validate=validate.Length(1, 500))
    caption = Text(allow_none=True, validate=validate.Length(max=300))


class ArticleFields(Schema):
    title = Text(validate=validate.Length(1, 200))
    body = Text(validate=validate.Length(1, 50_000))
    steps = fields.List(Text(validate=validate.Length(1, 2000)),
                        validate=validate.Length(max=100))
    images = fields.List(fields.Nested(ArticleImage), validate=validate.Length(max=30))
    equipment_model_ids = fields.List(IdField(), validate=validate.Length(max=100))
    codes = fields.List(Text(validate=_CODE), validate=validate.Length(max=50))


class ArticleCreate(ArticleFields):
    title = Text(required=True, validate=validate.Length(1, 200))
    body = Text(required=True, validate=validate.Length(1, 50_000))


class ArticleUpdate(ArticleFields):
    """Any of the article's fields (title and body keep their limits)."""


class ArticleQuery(Schema):
    q = Text(validate=validate.Length(1, 200), metadata={
        "description": "Words in English, Chinese (matched by character bigrams) or both."})
    equipment_model_id = IdField()
    code = Text(validate=_CODE)


class ArticleOut(Schema):
    id = fields.Integer()
    title = Text()
    body = Text()
    steps = fields.List(Text())
    images = fields.List(fields.Nested(ArticleImage))
    equipment_model_ids = fields.Method("_models", metadata=_INT_LIST)
    codes = fields.Method("_codes", metadata={"type": "array", "items": {"type": "string"}})
    score = fields.Integer(metadata={"description": "How well it matches (search, suggestions)."})
    useful = fields.Integer(metadata={"description": "Technicians who found it useful."})
    not_useful = fields.Integer()
    solved = fields.Integer(metadata={"description": "Jobs solved with this article."})
    updated_at = fields.DateTime()

    def _models(self, article):
        return sorted(m.equipment_model_id for m in article.models)

    def _codes(self, article):
        return sorted(c.code for c in article.code_links)


class ArticleRatingIn(Schema):
    useful = StrictBoolean(required=True)


class ArticleRatingOut(Schema):
    article_id = fields.Integer()
    useful = StrictBoolean()
    rated_at = fields.DateTime()


class ArticleSolutionIn(Schema):
    work_order_id = IdField(required=True)


class ArticleSolutionOut(Schema):
    article_id = fields.Integer()
    work_order_id = fields.Integer()
    recorded_at = fields.DateTime()


# --- reliability and forecasts --------------------------------------------------------------

class ReliabilityQuery(Schema):
    days = fields.Integer(load_default=365, validate=validate.Range(1, 3660))


class ReliabilityOut(Schema):
    scope = Text()
    id = fields.Integer()
    since = fields.DateTime()
    until = fields.DateTime()
    failures = fields.Integer()
    mtbf_hours = fields.Float(allow_none=True)
    mttr_hours = fields.Float(allow_none=True)
    failures_by_code = fields.Dict(keys=Text(), values=fields.Integer())
    pm_due = fields.Integer()
    pm_on_time = fields.Integer()
    pm_compliance = fields.Float(allow_none=True)


class RisingQuery(Schema):
    days = fields.Integer(load_default=180, validate=validate.Range(2, 3660))


class RisingAssetOut(Schema):
    asset_id = fields.Integer()
    tag = Text()
    earlier = fields.Integer()
    recent = fields.Integer()


class AssetForecastOut(Schema):
    asset_id = fields.Integer()
    tag = Text()
    threshold = DecimalString(allow_none=True)
    current = DecimalString(allow_none=True)
    forecast = fields.Dict(allow_none=True, metadata={
        "description": "slope per day (median and quartiles), likely/earliest/latest date."})
