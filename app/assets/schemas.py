"""The assets API contract: customers, sites, skills, equipment models, assets, meters."""


from marshmallow import ValidationError, fields, validate, validates_schema

from app.assets.models import ASSET_STATUS_VALUES, SLA_TIER_VALUES
from app.db import utcnow
from app.fields import (
    BoundedDecimal,
    Computed,
    DecimalString,
    IdField,
    StrictBoolean,
    TimeZoneField,
)
from app.geo import LatLng, PointField
from app.schema import Schema

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$"
_HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM (24 h).")


class Interval(fields.List):
    """["08:00", "17:00"]: opening and closing time, closing after opening."""

    def __init__(self, **kwargs):
        super().__init__(fields.String(validate=_HHMM), validate=validate.Length(2, 2), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        interval = super()._deserialize(value, attr, data, **kwargs)
        if len(interval) != 2:
            raise ValidationError("An interval is [opening, closing].")
        opens, closes = interval
        if closes <= opens:
            raise ValidationError("Closing time must be after opening time.")
        return [opens, closes]


class OpeningHours(Schema):
    """Per weekday a list of [open, close] intervals; a weekday left out is closed."""

    mon = fields.List(Interval(), validate=validate.Length(max=4))
    tue = fields.List(Interval(), validate=validate.Length(max=4))
    wed = fields.List(Interval(), validate=validate.Length(max=4))
    thu = fields.List(Interval(), validate=validate.Length(max=4))
    fri = fields.List(Interval(), validate=validate.Length(max=4))
    sat = fields.List(Interval(), validate=validate.Length(max=4))
    sun = fields.List(Interval(), validate=validate.Length(max=4))


# --- customers ---------------------------------------------------------------------------

class CustomerCreate(Schema):
    account_number = fields.String(required=True, validate=validate.Length(1, 40))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    sla_tier = fields.String(load_default="silver", validate=validate.OneOf(SLA_TIER_VALUES))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class CustomerUpdate(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    sla_tier = fields.String(validate=validate.OneOf(SLA_TIER_VALUES))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    is_active = StrictBoolean()


class Customer(Schema):
    id = fields.Integer()
    account_number = fields.String()
    name = fields.String()
    sla_tier = fields.String()
    contact_name = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    is_active = StrictBoolean()
    created_at = fields.DateTime()


class CustomerQuery(Schema):
    q = fields.String(validate=validate.Length(1, 100))
    sla_tier = fields.String(validate=validate.OneOf(SLA_TIER_VALUES))


# --- sites -------------------------------------------------------------------------------

class SiteCreate(Schema):
    customer_id = IdField(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    address_line = fields.String(required=True, validate=validate.Length(1, 300))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    city = fields.String(required=True, validate=validate.Length(1, 120))
    country = fields.String(load_default="DE", validate=validate.Regexp(r"^[A-Z]{2}$"))
    location = fields.Nested(LatLng, required=True)
    opening_hours = fields.Nested(OpeningHours, load_default=dict)
    timezone = TimeZoneField(load_default="Europe/Berlin")
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class SiteUpdate(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    address_line = fields.String(validate=validate.Length(1, 300))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    city = fields.String(validate=validate.Length(1, 120))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    location = fields.Nested(LatLng)
    opening_hours = fields.Nested(OpeningHours)
    timezone = TimeZoneField()
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    is_active = StrictBoolean()


class Site(Schema):
    id = fields.Integer()
    customer_id = fields.Integer()
    name = fields.String()
    address_line = fields.String()
    postal_code = fields.String(allow_none=True)
    city = fields.String()
    country = fields.String()
    location = PointField()
    opening_hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(
        fields.String())))
    timezone = fields.String()
    access_notes = fields.String(allow_none=True)
    is_active = StrictBoolean()
    created_at = fields.DateTime()
    distance_m = fields.Float(allow_none=True, metadata={"description": "In nearby searches."})


class SiteQuery(Schema):
    customer_id = IdField()
    q = fields.String(validate=validate.Length(1, 100))


class NearbyQuery(Schema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    radius_m = fields.Float(load_default=5000, allow_nan=False,
                            validate=validate.Range(min=1, max=200_000))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


# --- skills and equipment models ---------------------------------------------------------

class SkillCreate(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{1,39}$"))
    name = fields.String(required=True, validate=validate.Length(1, 120))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class SkillUpdate(Schema):
    name = fields.String(validate=validate.Length(1, 120))
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class Skill(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)


class SkillRequirement(Schema):
    skill = fields.String(required=True, validate=validate.Length(1, 40),
                          metadata={"description": "Skill code."})
    min_level = fields.Integer(load_default=1, validate=validate.Range(1, 5))


class SkillRequirementOut(Schema):
    skill = Computed(lambda req: req.skill.code, metadata={"type": "string"})
    min_level = fields.Integer()


class EquipmentModelCreate(Schema):
    manufacturer = fields.String(required=True, validate=validate.Length(1, 120))
    model = fields.String(required=True, validate=validate.Length(1, 120))
    category = fields.String(required=True, validate=validate.Length(1, 60))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    default_duration_min = fields.Integer(load_default=60, validate=validate.Range(5, 24 * 60))
    skills = fields.List(fields.Nested(SkillRequirement), load_default=list,
                         validate=validate.Length(max=20))


class EquipmentModelUpdate(Schema):
    category = fields.String(validate=validate.Length(1, 60))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    default_duration_min = fields.Integer(validate=validate.Range(5, 24 * 60))
    skills = fields.List(fields.Nested(SkillRequirement), validate=validate.Length(max=20))


class EquipmentModel(Schema):
    id = fields.Integer()
    manufacturer = fields.String()
    model = fields.String()
    category = fields.String()
    description = fields.String(allow_none=True)
    default_duration_min = fields.Integer()
    skills = fields.List(fields.Nested(SkillRequirementOut))


class EquipmentModelQuery(Schema):
    category = fields.String(validate=validate.Length(1, 60))
    q = fields.String(validate=validate.Length(1, 100))


# --- assets ------------------------------------------------------------------------------

class AssetCreate(Schema):
    tag = fields.String(required=True, validate=validate.Regexp(TAG_PATTERN))
    serial_number = fields.String(allow_none=True, validate=validate.Length(max=80))
    equipment_model_id = IdField(required=True)
    site_id = IdField(required=True)
    parent_id = IdField(allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    location_note = fields.String(allow_none=True, validate=validate.Length(max=200))
    status = fields.String(load_default="operational",
                           validate=validate.OneOf(ASSET_STATUS_VALUES))
    criticality = fields.Integer(load_default=3, validate=validate.Range(1, 5))
    install_date = fields.Date(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))

    @validates_schema
    def _warranty_after_install(self, data, **kwargs):
        if data.get("install_date") and data.get("warranty_end") and (
                data["warranty_end"] < data["install_date"]):
            raise ValidationError("Warranty cannot end before installation.", "warranty_end")


class AssetUpdate(Schema):
    serial_number = fields.String(allow_none=True, validate=validate.Length(max=80))
    equipment_model_id = IdField()
    site_id = IdField()
    parent_id = IdField(allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    location_note = fields.String(allow_none=True, validate=validate.Length(max=200))
    status = fields.String(validate=validate.OneOf(ASSET_STATUS_VALUES))
    status_reason = fields.String(allow_none=True, validate=validate.Length(max=2000),
                                  metadata={"description": "Recorded in the status history."})
    criticality = fields.Integer(validate=validate.Range(1, 5))
    install_date = fields.Date(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))


class Asset(Schema):
    id = fields.Integer()
    tag = fields.String()
    serial_number = fields.String(allow_none=True)
    equipment_model_id = fields.Integer()
    site_id = fields.Integer()
    customer_id = Computed(lambda a: a.site.customer_id, metadata={"type": "integer"})
    parent_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    location_note = fields.String(allow_none=True)
    status = fields.String()
    criticality = fields.Integer()
    install_date = fields.Date(allow_none=True)
    warranty_end = fields.Date(allow_none=True)
    under_warranty = Computed(
        lambda a: a.warranty_end is not None and a.warranty_end >= utcnow().date(),
        metadata={"type": "boolean"})
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class NearbyAsset(Asset):
    distance_m = fields.Float()


class StatusChange(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String(allow_none=True)
    changed_by_id = fields.Integer(allow_none=True)
    changed_at = fields.DateTime()


class MeterReadingCreate(Schema):
    meter = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    value = BoundedDecimal(0, 10**12 - 1, required=True)
    unit = fields.String(allow_none=True, validate=validate.Length(max=20))
    read_at = fields.AwareDateTime(allow_none=True,
                                   metadata={"description": "Defaults to now."})
    is_replacement = StrictBoolean(load_default=False, metadata={
        "description": "The meter was replaced; a lower value is then accepted."})


class MeterReading(Schema):
    id = fields.Integer()
    meter = fields.String()
    value = DecimalString()
    unit = fields.String(allow_none=True)
    read_at = fields.DateTime()
    is_replacement = StrictBoolean()
    recorded_by_id = fields.Integer(allow_none=True)


class AssetDetail(Asset):
    """The full record: model, site, children, status history and latest meter readings."""

    equipment_model = fields.Nested(EquipmentModel)
    site = fields.Nested(Site)
    children = fields.List(fields.Nested(Asset))
    status_history = fields.List(fields.Nested(StatusChange))
    meter_readings = fields.List(fields.Nested(MeterReading))


class AssetQuery(Schema):
    site_id = IdField()
    customer_id = IdField()
    equipment_model_id = IdField()
    status = fields.String(validate=validate.OneOf(ASSET_STATUS_VALUES))
    parent_id = IdField()
    q = fields.String(validate=validate.Length(1, 100),
                      metadata={"description": "Tag, serial number or name contains."})


class ImportResult(Schema):
    sites_created = fields.Integer()
    assets_created = fields.Integer()
    rows = fields.Integer()


class ImportUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
