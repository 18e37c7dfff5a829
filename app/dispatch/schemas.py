"""The dispatch API contract."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.dispatch.models import EXCEPTION_KIND_VALUES
from app.geo import LatLng, PointField, polygon_vertices


class SkillLevel(Schema):
    skill = fields.String(required=True, validate=validate.Length(1, 40),
                          metadata={"description": "Skill code."})
    level = fields.Integer(required=True, validate=validate.Range(1, 5))


class SkillLevelOut(Schema):
    skill = fields.Function(lambda ts: ts.skill.code)
    level = fields.Integer()


class Shift(Schema):
    weekday = fields.Integer(required=True, validate=validate.Range(0, 6),
                             metadata={"description": "0 = Monday."})
    starts = fields.Time(required=True, format="%H:%M")
    ends = fields.Time(required=True, format="%H:%M")
    break_earliest = fields.Time(allow_none=True, format="%H:%M")
    break_latest = fields.Time(allow_none=True, format="%H:%M")
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
    user_id = fields.Integer(required=True, validate=validate.Range(min=1))
    home_base = fields.Nested(LatLng, required=True)
    home_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    timezone = fields.String(load_default="Europe/Berlin", validate=validate.OneOf(
        ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC"]))
    territory_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    max_daily_minutes = fields.Integer(load_default=480, validate=validate.Range(30, 1440))
    cost_per_km = fields.Decimal(places=2, as_string=True, validate=validate.Range(0, 100))
    cost_per_hour = fields.Decimal(places=2, as_string=True, validate=validate.Range(0, 1000))
    skills = fields.List(fields.Nested(SkillLevel), load_default=list,
                         validate=validate.Length(max=30))
    shifts = fields.List(fields.Nested(Shift), load_default=list, validate=validate.Length(max=7))


class TechnicianUpdate(Schema):
    home_base = fields.Nested(LatLng)
    home_address = fields.String(allow_none=True, validate=validate.Length(max=300))
    timezone = fields.String(validate=validate.OneOf(
        ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC"]))
    territory_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    max_daily_minutes = fields.Integer(validate=validate.Range(30, 1440))
    cost_per_km = fields.Decimal(places=2, as_string=True, validate=validate.Range(0, 100))
    cost_per_hour = fields.Decimal(places=2, as_string=True, validate=validate.Range(0, 1000))
    is_active = fields.Boolean()
    skills = fields.List(fields.Nested(SkillLevel), validate=validate.Length(max=30))
    shifts = fields.List(fields.Nested(Shift), validate=validate.Length(max=7))


class Technician(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.Function(lambda t: t.user.full_name if getattr(t, "user", None) else None,
                           allow_none=True)
    home_base = PointField()
    home_address = fields.String(allow_none=True)
    timezone = fields.String()
    territory_id = fields.Integer(allow_none=True)
    max_daily_minutes = fields.Integer()
    cost_per_km = fields.Decimal(as_string=True)
    cost_per_hour = fields.Decimal(as_string=True)
    is_active = fields.Boolean()
    skills = fields.List(fields.Nested(SkillLevelOut))
    shifts = fields.List(fields.Nested(Shift))
    last_position = PointField(allow_none=True)
    last_position_at = fields.DateTime(allow_none=True)
    last_position_accuracy_m = fields.Float(allow_none=True)


class TechnicianQuery(Schema):
    active = fields.Boolean()
    skill = fields.String(validate=validate.Length(1, 40))
    min_level = fields.Integer(load_default=1, validate=validate.Range(1, 5))
    territory_id = fields.Integer(validate=validate.Range(min=1))
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
    date = fields.Date(required=True)


class Window(Schema):
    start = fields.DateTime()
    end = fields.DateTime()


class AvailabilityOut(Schema):
    date = fields.Date(attribute="day")
    windows = fields.Function(lambda a: [{"start": s.isoformat(), "end": e.isoformat()}
                                         for s, e in a.windows])
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
    boundary = fields.Function(lambda t: polygon_vertices(t.area))
