from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import g, has_request_context, request
from flask_jwt_extended import current_user
from marshmallow import ValidationError, fields, post_dump, validate, validates_schema

from app.errors import ErrorSchema, Phrase, translate
from app.fields import Computed, QueryBoolean, StrictBoolean, ToolCodes
from app.routing import MAX_ID
from app.schema import Schema
from app.workorders.models import (
    HOLD_REASON_VALUES,
    PRIORITY_VALUES,
    STATUS_VALUES,
    TYPE_VALUES,
)

MAX_DESCRIPTION = 4000  # characters of a fault description (documented limit)
MAX_TEXT = 4000
_id = {"validate": validate.Range(min=1, max=MAX_ID)}
_SANE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
_SANE_TO = datetime(2200, 1, 1, tzinfo=UTC)


class UTCTime(fields.AwareDateTime):
    """An ISO 8601 time with offset, returned in UTC; absurd years are a 422, not a crash."""

    def __init__(self, **kwargs: Any) -> None:
        # The published schema states the accepted years too (2000-2199).
        metadata = {**kwargs.pop("metadata", {}), "pattern": r"^2[01]\d{2}-"}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            result = parsed.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Time out of range.") from exc
        if not _SANE_FROM <= result < _SANE_TO:
            raise ValidationError("Time out of range (years 2000 to 2199).")
        return result


class TimeWindow(Schema):
    start = UTCTime(required=True)
    end = UTCTime(required=True)


class TimeWindowOut(Schema):
    start = fields.DateTime(attribute="start_at")
    end = fields.DateTime(attribute="end_at")


class RequiredSkill(Schema):
    skill_id = fields.Integer(required=True, **_id)
    min_level = fields.Integer(load_default=1, validate=validate.Range(1, 5))


class RequiredSkillOut(Schema):
    skill_id = fields.Integer()
    code = fields.String(attribute="skill.code")
    min_level = fields.Integer()



class WorkOrderCreate(Schema):
    site_id = fields.Integer(**_id)
    asset_id = fields.Integer(**_id)
    type = fields.String(load_default="corrective", validate=validate.OneOf(TYPE_VALUES))
    priority = fields.String(load_default="P3", validate=validate.OneOf(PRIORITY_VALUES))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(required=True, validate=validate.Length(1, MAX_DESCRIPTION))
    required_skills = fields.List(fields.Nested(RequiredSkill),
                                  validate=validate.Length(max=20),
                                  metadata={"description": "Defaults from the equipment model."})
    estimated_duration_min = fields.Integer(validate=validate.Range(1, 7 * 24 * 60))
    time_windows = fields.List(fields.Nested(TimeWindow), validate=validate.Length(max=20))
    internal_notes = fields.String(allow_none=True, validate=validate.Length(max=MAX_TEXT))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    required_tools = ToolCodes(metadata={
        "description": "Reusable tools the technician needs (in the van or from a warehouse)."})

    @validates_schema
    def _place(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("site_id") is None and data.get("asset_id") is None:
            raise ValidationError("Give site_id or asset_id.", "site_id")


class WorkOrderUpdate(Schema):
    version = fields.Integer(validate=validate.Range(1, MAX_ID), metadata={
        "description": "The version you edited (or send it as If-Match)."})
    type = fields.String(validate=validate.OneOf(TYPE_VALUES))
    priority = fields.String(validate=validate.OneOf(PRIORITY_VALUES))
    title = fields.String(validate=validate.Length(1, 200))
    description = fields.String(validate=validate.Length(1, MAX_DESCRIPTION))
    required_skills = fields.List(fields.Nested(RequiredSkill), validate=validate.Length(max=20))
    estimated_duration_min = fields.Integer(validate=validate.Range(1, 7 * 24 * 60))
    time_windows = fields.List(fields.Nested(TimeWindow), validate=validate.Length(max=20))
    internal_notes = fields.String(allow_none=True, validate=validate.Length(max=MAX_TEXT))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    required_tools = ToolCodes(metadata={"description": "Replaces the list."})


class WorkOrderQuery(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(STATUS_VALUES)))
    priority = fields.List(fields.String(validate=validate.OneOf(PRIORITY_VALUES)))
    customer_id = fields.Integer(**_id)
    site_id = fields.Integer(**_id)
    asset_id = fields.Integer(**_id)
    assignee_user_id = fields.Integer(**_id)
    unassigned = QueryBoolean()
    sla_state = fields.String(validate=validate.OneOf(
        ("ok", "warning", "breached", "paused", "none")))
    created_from = UTCTime()
    created_to = UTCTime()
    due_from = UTCTime(metadata={"description": "Next SLA deadline at or after."})
    due_to = UTCTime(metadata={"description": "Next SLA deadline before."})
    q = fields.String(validate=validate.Length(1, 100), metadata={
        "description": "Text in number, title or description."})
    sort = fields.String(load_default="sla", validate=validate.OneOf(
        ("sla", "created_at", "-created_at")), metadata={
        "description": "sla: least time remaining first (open orders before finished ones)."})


class Completion(Schema):
    resolution_notes = fields.String(required=True, validate=validate.Length(1, MAX_TEXT))
    labour_minutes = fields.Integer(required=True, validate=validate.Range(0, 7 * 24 * 60))
    failure_code = fields.String(allow_none=True, validate=validate.Length(1, 40))
    cause_code = fields.String(allow_none=True, validate=validate.Length(1, 40))
    remedy_code = fields.String(allow_none=True, validate=validate.Length(1, 40))
    fixed_on_first_visit = StrictBoolean(load_default=True)
    partial = StrictBoolean(load_default=False, metadata={
        "description": "Work remains: a linked follow-up work order is created."})
    remaining_work = fields.String(validate=validate.Length(1, MAX_TEXT))
    follow_up_duration_min = fields.Integer(validate=validate.Range(1, 7 * 24 * 60))


class TransitionRequest(Schema):
    to = fields.String(required=True, validate=validate.OneOf(STATUS_VALUES))
    reason = fields.String(validate=validate.Length(1, 1000), metadata={
        "description": "Why (required to cancel or reopen; parts|customer|access for on_hold)."})
    hold_reason = fields.String(validate=validate.OneOf(HOLD_REASON_VALUES))
    version = fields.Integer(validate=validate.Range(1, MAX_ID))
    client_time = UTCTime(metadata={"description": "When it happened on the device."})
    completion = fields.Nested(Completion, metadata={"description": "Required to complete."})


class SlaOut(Schema):
    response_remaining_min = fields.Integer(allow_none=True)
    resolution_remaining_min = fields.Integer(allow_none=True)
    response_breached = StrictBoolean()
    resolution_breached = StrictBoolean()
    paused = StrictBoolean()


_SLA_OUT = SlaOut()  # one instance: building a schema per row costs more than dumping


class RatingOut(Schema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WorkOrderOut(Schema):
    id = fields.Integer()
    number = fields.String()
    version = fields.Integer()
    status = fields.String()
    hold_reason = fields.String(allow_none=True)
    type = fields.String()
    priority = fields.String()
    channel = fields.String()
    customer_id = fields.Integer()
    site_id = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    title = fields.String()
    description = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    internal_notes = fields.String(allow_none=True, metadata={"description": "Staff only."})
    estimated_duration_min = fields.Integer()
    required_skills = fields.List(fields.Nested(RequiredSkillOut), attribute="skills")
    required_tools = fields.List(fields.String())
    time_windows = fields.List(fields.Nested(TimeWindowOut))
    assignee_user_id = fields.Integer(allow_none=True)
    scheduled_start = fields.DateTime(allow_none=True)
    scheduled_end = fields.DateTime(allow_none=True)
    response_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    responded_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    sla = fields.Method("_sla", metadata={
        "type": "object", "description": "Remaining running-clock minutes "
        "(negative once breached), breach flags, paused."})
    allowed_transitions = fields.Method("_allowed", metadata={
        "type": "array", "items": {"type": "string"},
        "description": "Statuses you may move this order to now."})
    resolution_notes = fields.String(allow_none=True)
    failure_code = fields.String(allow_none=True)
    cause_code = fields.String(allow_none=True)
    remedy_code = fields.String(allow_none=True)
    labour_minutes = fields.Integer(allow_none=True)
    first_time_fix = StrictBoolean(allow_none=True)
    reopen_count = fields.Integer()
    follow_up_of_id = fields.Integer(allow_none=True)
    rating = fields.Nested(RatingOut, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _sla(self, work_order: Any) -> dict[str, Any]:
        return _SLA_OUT.dump(_service().sla_state(work_order))

    def _allowed(self, work_order: Any) -> list[str]:
        return _service().allowed_transitions(work_order, _viewer())

    @post_dump(pass_many=True)
    def _customer_safe(self, data: Any, many: bool, **_kw: Any) -> Any:
        """Customers never see internal notes (asked once per page, not per row)."""
        if _viewer_is_customer():
            for row in data if many else [data]:
                row.pop("internal_notes", None)
        return data


_UNKNOWN = object()


@cache
def _service() -> Any:
    """app.workorders.service, imported on first use (it imports these schemas' module)."""
    from app.workorders import service

    return service


def _viewer() -> Any:
    """The logged-in user of this request, if any (serialisation depends on who looks);
    looked up once per request (a page of the queue asks twice per row)."""
    if not has_request_context():
        return None
    viewer = getattr(request, "_serialising_for", _UNKNOWN)  # per request, not per app context
    if viewer is _UNKNOWN:
        # the token's user as checked at the start of the request (app.auth.sessions.Viewer:
        # not read again after a write's commit expired it)
        viewer = g.get("viewer")
        if viewer is None:
            try:
                viewer = current_user._get_current_object()
            except RuntimeError:  # no verified token in this request
                viewer = None
        request._serialising_for = viewer  # type: ignore[attr-defined]
    return viewer


def _viewer_is_customer() -> bool:
    viewer = _viewer()
    return viewer is not None and viewer.role == "customer"


def readable_event_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A system-written reason (stored with its catalogue template and values) said in the
    request's language; everything else as stored."""
    if not data or not isinstance(data.get("reason_text"), dict):
        return data
    shown = {k: v for k, v in data.items() if k != "reason_text"}
    text = data["reason_text"]
    # An entry written by another version keeps its stored English reason.
    with suppress(KeyError, TypeError, ValueError):
        shown["reason"] = translate(Phrase(str(text["template"]), **dict(text["values"])))
    return shown


class EventOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "created, status_changed, assigned, "
                                   "field_changed, note, customer_report, sla_warning, "
                                   "sla_breached, rated, follow_up_created, check_in, photo, "
                                   "part_used, ..."})
    actor_user_id = fields.Integer(allow_none=True)
    internal = StrictBoolean()
    data = Computed(lambda e: readable_event_data(e.data), metadata={
        "type": "object", "description": "The event's details; a `reason` the system wrote "
        "is in the reader's language."})
    occurred_at = fields.DateTime()
    client_time = fields.DateTime(allow_none=True)


class NoteCreate(Schema):
    text = fields.String(required=True, validate=validate.Length(1, MAX_TEXT))
    internal = StrictBoolean(load_default=True, metadata={
        "description": "Hidden from the customer (always false for customers' own notes)."})


class RatingCreate(Schema):
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class RatingsSummary(Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    by_score = fields.Dict(keys=fields.String(), values=fields.Integer())


class RatingsQuery(Schema):
    customer_id = fields.Integer(**_id)


class FaultReportCreate(Schema):
    asset_tag = fields.String(validate=validate.Length(1, 40), metadata={
        "description": "The tag printed on the asset's QR label."})
    asset_id = fields.Integer(**_id)
    site_id = fields.Integer(**_id)
    description = fields.String(required=True, validate=validate.Length(1, MAX_DESCRIPTION),
                                metadata={"description": f"At most {MAX_DESCRIPTION} chars."})
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    time_windows = fields.List(fields.Nested(TimeWindow), validate=validate.Length(max=20),
                               metadata={"description": "When a visit suits you."})

    @validates_schema
    def _what(self, data: dict[str, Any], **_kw: Any) -> None:
        if not any(data.get(k) is not None for k in ("asset_tag", "asset_id", "site_id")):
            raise ValidationError("Give asset_tag, asset_id or site_id.", "asset_tag")


class PublicFaultReportCreate(Schema):
    tag = fields.String(required=True, validate=validate.Length(1, 40))
    description = fields.String(required=True, validate=validate.Length(1, MAX_DESCRIPTION),
                                metadata={"description": f"At most {MAX_DESCRIPTION} chars."})
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    time_windows = fields.List(fields.Nested(TimeWindow), validate=validate.Length(max=20))


class PublicFaultReportOut(Schema):
    tracking_number = fields.String(required=True)
    tracking_token = fields.String(required=True, metadata={"description": "Shown once."})
    merged = StrictBoolean(required=True, metadata={
        "description": "True: attached to the open work order of this asset."})


class FaultReportOut(PublicFaultReportOut):
    work_order = fields.Nested(WorkOrderOut, required=True)


class CalendarCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    timezone = fields.String(load_default="Europe/Berlin", validate=validate.Length(1, 64))
    weekly_hours = fields.Dict(
        keys=fields.String(), required=True,
        values=fields.List(fields.List(fields.String(validate=validate.Length(5, 5)),
                                       validate=validate.Length(2, 2)),
                           validate=validate.Length(max=6)),
        metadata={"example": {"mon": [["08:00", "17:00"]]}})
    holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=400))


class CalendarOut(Schema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    weekly_hours = fields.Dict()
    holidays = fields.List(fields.String())


class SlaPolicyIn(Schema):
    sla_tier = fields.String(required=True, validate=validate.OneOf(
        ("platinum", "gold", "silver", "bronze")))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITY_VALUES))
    response_minutes = fields.Integer(required=True, validate=validate.Range(1, 525600))
    resolution_minutes = fields.Integer(required=True, validate=validate.Range(1, 525600))
    calendar_id = fields.Integer(allow_none=True, load_default=None, metadata={
        "description": "Business-hours calendar; null: the clock runs 24x7."}, **_id)


class SlaPolicyOut(Schema):
    id = fields.Integer()
    sla_tier = fields.String()
    priority = fields.String()
    response_minutes = fields.Integer()
    resolution_minutes = fields.Integer()
    calendar_id = fields.Integer(allow_none=True)


class TransitionError(ErrorSchema):
    """409 invalid_transition (and 403): where the order is and where this user may move it."""

    current = fields.String()
    allowed = fields.List(fields.String())
    current_version = fields.Integer()


class VersionConflictError(ErrorSchema):
    current_version = fields.Integer()


class RateLimitedError(ErrorSchema):
    retry_after_seconds = fields.Integer()
