"""The dispatch API contract."""

from datetime import date, datetime

from marshmallow import ValidationError, fields, validate, validates_schema

from app.dispatch.models import EXCEPTION_KIND_VALUES
from app.fields import (
    LATLNG_DOC,
    BoundedDecimal,
    Computed,
    IdField,
    QueryBoolean,
    StrictBoolean,
    ToolCodes,
)
from app.geo import LatLng, PointField, polygon_vertices
from app.geo import to_latlng as geo_latlng
from app.schema import Schema


def dispatch_date(**kwargs):
    """A dispatch date: a local date in DISPATCH_TIMEZONE, within a sane range (2000-2099)."""
    metadata = {**kwargs.pop("metadata", {}), "pattern": r"^20\d{2}-\d{2}-\d{2}$"}
    return fields.Date(validate=validate.Range(date(2000, 1, 1), date(2099, 12, 31)),
                       metadata=metadata, **kwargs)


class WallClock(fields.Field):
    """A local wall-clock time "HH:MM" on the wire, a `datetime.time` inside."""

    default_error_messages = {"invalid": "Not a time of day as HH:MM."}

    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "string", "example": "08:00",
                                   "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return datetime.strptime(value, "%H:%M").time()
        except (TypeError, ValueError) as exc:
            raise self.make_error("invalid") from exc


def hhmm(**kwargs):
    return WallClock(**kwargs)


class SkillLevel(Schema):
    skill = fields.String(required=True, validate=validate.Length(1, 40),
                          metadata={"description": "Skill code."})
    level = fields.Integer(required=True, validate=validate.Range(1, 5))


class SkillLevelOut(Schema):
    skill = Computed(lambda ts: ts.skill.code, metadata={"type": "string"})
    level = fields.Integer()


class Shift(Schema):
    weekday = fields.Integer(required=True, validate=validate.Range(0, 6),
                             metadata={"description": "0 = Monday."})
    starts = hhmm(required=True)
    ends = hhmm(required=True)
    break_earliest = hhmm(allow_none=True)
    break_latest = hhmm(allow_none=True)
    break_minutes = fields.Integer(load_default=0, validate=validate.Range(0, 180))

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data["ends"] <= data["starts"]:
            raise ValidationError("A shift ends after it starts.", "ends")
        has_window = data.get("break_earliest") and data.get("break_latest")
        if data.get("break_minutes") and not has_window:
            raise ValidationError("A break needs its window.", "break_earliest")
        if has_window and not (data["starts"] <= data["break_earliest"] <= data["break_latest"]
                               <= data["ends"]):
            raise ValidationError("The break window lies inside the shift, earliest first.",
                                  "break_latest")


class TechnicianCreate(Schema):
    user_id = IdField(required=True)
    home_base = fields.Nested(LatLng, required=True)
    home_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    timezone = fields.String(load_default="Europe/Berlin", validate=validate.OneOf(
        ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC"]))
    territory_id = IdField(allow_none=True)
    max_daily_minutes = fields.Integer(load_default=480, validate=validate.Range(30, 1440))
    cost_per_km = BoundedDecimal(0, 100)
    cost_per_hour = BoundedDecimal(0, 1000)
    skills = fields.List(fields.Nested(SkillLevel), load_default=list,
                         validate=validate.Length(max=30))
    shifts = fields.List(fields.Nested(Shift), load_default=list, validate=validate.Length(max=7))
    tools = ToolCodes(load_default=list, metadata={"description": "Reusable tools in the van."})


class TechnicianUpdate(Schema):
    home_base = fields.Nested(LatLng)
    home_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    timezone = fields.String(validate=validate.OneOf(
        ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC"]))
    territory_id = IdField(allow_none=True)
    max_daily_minutes = fields.Integer(validate=validate.Range(30, 1440))
    cost_per_km = BoundedDecimal(0, 100)
    cost_per_hour = BoundedDecimal(0, 1000)
    is_active = StrictBoolean()
    skills = fields.List(fields.Nested(SkillLevel), validate=validate.Length(max=30))
    shifts = fields.List(fields.Nested(Shift), validate=validate.Length(max=7))
    tools = ToolCodes(metadata={"description": "Reusable tools in the van (replaces the list)."})


class Technician(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = Computed(lambda t: t.user.full_name if getattr(t, "user", None) else None,
                           allow_none=True, metadata={"type": "string"})
    home_base = PointField()
    home_address = fields.String(allow_none=True)
    timezone = fields.String()
    territory_id = fields.Integer(allow_none=True)
    max_daily_minutes = fields.Integer()
    cost_per_km = fields.Decimal(as_string=True, metadata={"type": "string",
                                                           "format": "decimal"})
    cost_per_hour = fields.Decimal(as_string=True, metadata={"type": "string",
                                                             "format": "decimal"})
    is_active = StrictBoolean()
    skills = fields.List(fields.Nested(SkillLevelOut))
    shifts = fields.List(fields.Nested(Shift))
    tools = fields.List(fields.String())
    last_position = PointField(allow_none=True)
    last_position_at = fields.DateTime(allow_none=True)
    last_position_accuracy_m = fields.Float(allow_none=True)


class TechnicianQuery(Schema):
    active = QueryBoolean()
    skill = fields.String(validate=validate.Length(1, 40))
    min_level = fields.Integer(load_default=1, validate=validate.Range(1, 5))
    territory_id = IdField()
    q = fields.String(validate=validate.Length(1, 100))


class ExceptionCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EXCEPTION_KIND_VALUES))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class ShiftExceptionOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    note = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)


class AvailabilityQuery(Schema):
    date = dispatch_date(required=True)


class Window(Schema):
    start = fields.DateTime()
    end = fields.DateTime()


class AvailabilityOut(Schema):
    date = fields.Date(attribute="day")
    windows = Computed(lambda a: [{"start": s.isoformat(), "end": e.isoformat()}
                                         for s, e in a.windows], metadata={
        "type": "array", "items": {"type": "object", "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"}}}})
    break_earliest = fields.DateTime(allow_none=True)
    break_latest = fields.DateTime(allow_none=True)
    break_minutes = fields.Integer()
    working_minutes = fields.Integer()


class TerritoryCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    boundary = fields.List(fields.Nested(LatLng), required=True,
                           validate=validate.Length(3, 500))


class TerritoryUpdate(Schema):
    name = fields.String(validate=validate.Length(1, 120))
    boundary = fields.List(fields.Nested(LatLng), validate=validate.Length(3, 500))


class Territory(Schema):
    id = fields.Integer()
    name = fields.String()
    boundary = Computed(lambda t: polygon_vertices(t.area),
                               metadata={"type": "array", "items": LATLNG_DOC})


# --- candidates, assignment --------------------------------------------------------------

def dispatch_date(**kwargs):
    """A dispatch date: a local date in DISPATCH_TIMEZONE, within a sane range (2000-2099)."""
    metadata = {**kwargs.pop("metadata", {}), "pattern": r"^20\d{2}-\d{2}-\d{2}$"}
    return fields.Date(validate=validate.Range(date(2000, 1, 1), date(2099, 12, 31)),
                       metadata=metadata, **kwargs)


class CandidatesQuery(Schema):
    date = dispatch_date(metadata={"description": "Dispatch date (default: today)."})


class MissingSkill(Schema):
    skill = fields.String()
    required = fields.Integer()
    have = fields.Integer()


class PartToPick(Schema):
    part_id = fields.Integer()
    sku = fields.String(allow_none=True)
    quantity = fields.Integer()
    warehouse_id = fields.Integer()
    warehouse_code = fields.String()


class CandidateOut(Schema):
    rank = fields.Integer()
    technician_id = Computed(lambda c: c.technician.id, metadata={"type": "integer"})
    name = Computed(lambda c: c.technician.user.full_name,
                           metadata={"type": "string"})
    eligible = StrictBoolean(metadata={"description": "Can do the job that day."})
    reasons = fields.List(fields.String(), metadata={"description": "What a dispatcher reads."})
    reason_codes = fields.List(fields.String(), metadata={
        "description": "Stable machine codes: not_on_shift, on_leave, off_sick, in_training, "
                       "shift_over, outside_customer_window, missing_skill, parts_unavailable, "
                       "no_capacity, no_free_slot, missing_tools (blocking); "
                       "outside_territory, parts_to_pick, tools_to_fetch (not blocking)."})
    missing_skills = fields.List(fields.Nested(MissingSkill))
    in_territory = StrictBoolean(allow_none=True,
                                  metadata={"description": "null: no territory assigned."})
    working_today = StrictBoolean()
    earliest_start = fields.DateTime(allow_none=True)
    earliest_end = fields.DateTime(allow_none=True)
    travel_from = fields.String(allow_none=True,
                                metadata={"description": "previous_visit, gps or home_base."})
    travel_km = fields.Float(allow_none=True)
    travel_min = fields.Integer(allow_none=True)
    planned_minutes = fields.Integer()
    shift_minutes = fields.Integer()
    load = fields.Float(metadata={"description": "Planned minutes / shift minutes."})
    parts_in_van = StrictBoolean()
    parts_to_pick = fields.List(fields.Nested(PartToPick))
    score = fields.Float(metadata={"description": "Lower is better (minutes-equivalent)."})


class AssignmentIn(Schema):
    technician_id = IdField(required=True)
    start = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Planned start; default: the technician's earliest free slot today."})
    version = IdField(required=True)
    override = StrictBoolean(load_default=False, metadata={
        "description": "Assign despite missing skills (needs a reason)."})
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


# --- plans -------------------------------------------------------------------------------

class PlanCreate(Schema):
    date = dispatch_date(required=True)
    technician_ids = fields.List(IdField(),
                                 allow_none=True, validate=validate.Length(max=1000))
    work_order_ids = fields.List(IdField(),
                                 allow_none=True, validate=validate.Length(max=5000))
    time_limit_s = fields.Float(load_default=5.0, allow_nan=False,
                                validate=validate.Range(0.5, 3600))
    keep_assigned = StrictBoolean(load_default=True, metadata={
        "description": "Keep scheduled jobs with their technician and time."})


class ReplanCreate(Schema):
    """Re-plan the rest of a released day from now (see `POST /dispatch/replans`)."""

    date = dispatch_date(required=True)
    time_limit_s = fields.Float(load_default=5.0, allow_nan=False,
                                validate=validate.Range(0.5, 3600))
    move_cost = fields.Float(load_default=500.0, allow_nan=False,
                             validate=validate.Range(0, 1_000_000), metadata={
                                 "description": "Cost (currency) of moving a planned visit to "
                                                "another technician, and per hour of moving it "
                                                "beyond the tolerance."})
    time_tolerance_min = fields.Integer(load_default=30, validate=validate.Range(0, 480))
    locked_work_order_ids = fields.List(IdField(), load_default=list,
                                        validate=validate.Length(max=5000), metadata={
                                            "description": "Keep these with their technician "
                                                           "and time."})
    now = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "Re-plan from this instant (default: the current time)."})


class PlanQuery(Schema):
    date = dispatch_date()
    status = fields.String(validate=validate.OneOf(
        ["queued", "running", "done", "failed", "applied"]))


class PlannedVisitOut(Schema):
    sequence = fields.Integer()
    kind = fields.String(metadata={"description": "job or pickup (a warehouse stop)."})
    work_order_id = fields.Integer(allow_none=True)
    work_order_version = fields.Integer(allow_none=True)
    stock_location_id = fields.Integer(allow_none=True)
    picked = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                         metadata={"description": "part id -> quantity loaded (pick-ups)."})
    planned_arrival = fields.DateTime()
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    travel_m = fields.Integer()
    travel_s = fields.Integer()


class RouteOut(Schema):
    technician_id = fields.Integer()
    visits = fields.List(fields.Nested(PlannedVisitOut))


class UnassignedOut(Schema):
    work_order_id = fields.Integer()
    reason = fields.String()
    detail = fields.String()


class PlanRunOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    date = fields.Date(attribute="plan_date")
    status = fields.String()
    requested_by_id = fields.Integer(allow_none=True)
    base_run_id = fields.Integer(allow_none=True)
    keep_assigned = StrictBoolean()
    time_limit_s = fields.Float()
    inputs_digest = fields.String()
    objective = fields.Float(allow_none=True)
    kpis = fields.Dict(allow_none=True)
    solver_stats = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    applied_at = fields.DateTime(allow_none=True)
    routes = fields.List(fields.Nested(RouteOut),
                         metadata={"description": "Proposed routes per technician."})
    unassigned = fields.List(fields.Nested(UnassignedOut), allow_none=True)


# --- insertions --------------------------------------------------------------------------

class InsertionCreate(Schema):
    work_order_id = IdField(required=True)


class MovedVisit(Schema):
    work_order_id = fields.Integer()
    technician_id = fields.Integer()
    old_start = fields.DateTime()
    new_start = fields.DateTime()


class InsertionOut(Schema):
    work_order_id = Computed(lambda i: i.work_order.id, metadata={"type": "integer"})
    technician_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why it fits nowhere."})
    reason_code = fields.String(allow_none=True, metadata={
        "description": "Stable machine code of the reason: nobody_on_shift, on_leave, "
                       "off_sick, in_training, shift_over, outside_customer_window, "
                       "missing_skill, parts_unavailable, no_capacity, no_free_slot, "
                       "no_qualified_technician_free, no_technicians, or the planner's "
                       "(out_of_capacity, shift_too_short, no_reachable_window, "
                       "tools_unavailable)."})
    eta = fields.DateTime(allow_none=True)
    start = fields.DateTime(allow_none=True)
    moved = fields.List(fields.Nested(MovedVisit))
    dropped = fields.List(fields.Integer())
    run = fields.Nested(PlanRunOut, metadata={"description": "Apply it like any plan."})


# --- board, pick lists -------------------------------------------------------------------

class DayQuery(Schema):
    date = dispatch_date(required=True)


class BoardVisit(Schema):
    work_order_id = fields.Integer()
    number = fields.String()
    title = fields.String()
    priority = fields.String()
    status = fields.String()
    site = Computed(lambda v: {"lat": v["site"].lat, "lng": v["site"].lng},
                           metadata=LATLNG_DOC)
    scheduled_start = fields.DateTime(allow_none=True)
    scheduled_end = fields.DateTime(allow_none=True)
    planned_arrival = fields.DateTime(allow_none=True)
    arrived_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    eta = fields.DateTime(allow_none=True, metadata={
        "description": "Arrival: live from the technician's last GPS fix while it is fresh, "
                       "else the planned arrival (eta_source gps | plan | schedule)."})
    eta_source = fields.String()
    running_late = StrictBoolean(metadata={
        "description": "The predicted start misses the customer window or the SLA due time."})
    late_reasons = fields.List(fields.String(), metadata={"description": "window, sla"})


class BoardTechnician(Schema):
    technician_id = Computed(lambda r: r.technician.id, metadata={"type": "integer"})
    name = Computed(lambda r: r.technician.user.full_name,
                           metadata={"type": "string"})
    position = Computed(lambda r: geo_latlng(r.technician.last_position),
                               allow_none=True, metadata=LATLNG_DOC)
    position_at = Computed(lambda r: r.technician.last_position_at.isoformat()
                                  if r.technician.last_position_at else None, allow_none=True,
                                  metadata={"type": "string", "format": "date-time"})
    windows = fields.List(fields.Nested(Window))
    visits = fields.List(fields.Nested(BoardVisit))


class QueueItem(Schema):
    work_order_id = fields.Integer(attribute="id")
    number = fields.String()
    title = fields.String()
    priority = fields.String()
    status = fields.String()
    response_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    estimated_duration_min = fields.Integer()


class BoardOut(Schema):
    date = fields.Date(attribute="day")
    technicians = fields.List(fields.Nested(BoardTechnician))
    unassigned = fields.List(fields.Nested(QueueItem),
                             metadata={"description": "Most urgent SLA first."})


class PickLineOut(Schema):
    part_id = fields.Integer()
    sku = fields.String()
    quantity = fields.Integer()
    warehouse_id = fields.Integer(allow_none=True)
    warehouse_code = fields.String(allow_none=True)
    reserved = StrictBoolean()
    planned = StrictBoolean(metadata={"description": "The warehouse of a pick-up on the "
                                      "applied plan's route."})


class PickListOut(Schema):
    technician_id = Computed(lambda p: p.technician.id, metadata={"type": "integer"})
    name = Computed(lambda p: p.technician.user.full_name,
                           metadata={"type": "string"})
    van_id = fields.Integer(allow_none=True)
    work_order_ids = fields.List(fields.Integer())
    needed = fields.Dict(keys=fields.String(), values=fields.Integer())
    in_van = fields.Dict(keys=fields.String(), values=fields.Integer())
    lines = fields.List(fields.Nested(PickLineOut))


class PickListFulfil(Schema):
    date = dispatch_date(required=True)
    technician_id = IdField(required=True)


# --- releasing the day to the phones ----------------------------------------------------------

class PlanApply(Schema):
    class Meta:
        body_optional = True  # POST …/apply with no body applies without releasing

    dispatch = StrictBoolean(load_default=False, metadata={
        "description": "Also release the planned technicians' day: jobs become dispatched "
                       "and each technician gets one push for the route."})


class ReleaseIn(Schema):
    date = dispatch_date(required=True)
    technician_id = IdField(metadata={"description": "Only this technician's route."})


class ReleasedRouteOut(Schema):
    technician_id = fields.Integer()
    dispatched = fields.List(fields.Integer(), metadata={
        "description": "Work orders dispatched by this release."})
    notification_id = fields.Integer(allow_none=True, metadata={
        "description": "The one route push queued for the technician."})


class ReleaseOut(Schema):
    date = fields.Date()
    dispatched = fields.Integer()
    routes = fields.List(fields.Nested(ReleasedRouteOut))
