"""The phone's contract: compact out-schemas for slow connections, strict in-schemas."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate

from app.fields import LATLNG_DOC, Computed, StrictBoolean
from app.mobile_api.models import PHOTO_KIND_VALUES
from app.routing import MAX_ID
from app.schema import Schema
from app.workorders.models import HOLD_REASON_VALUES
from app.workorders.schemas import Completion, UTCTime

_id = {"validate": validate.Range(min=1, max=MAX_ID)}
_accuracy = {"validate": validate.Range(min=0, max=100_000), "allow_nan": False}
MAX_FIXES = 500
MAX_OPERATIONS = 200


# --- the day ---------------------------------------------------------------------------------


class DayQuery(Schema):
    date = fields.Date(validate=validate.Range(date(2000, 1, 1), date(2199, 12, 31)),
                       metadata={"description": "Local date (technician's time zone); "
                                 "default today.", "pattern": r"^2[01]\d{2}-\d{2}-\d{2}$"})


class SiteBrief(Schema):
    id = fields.Integer()
    name = fields.String()
    address_line = fields.String()
    postal_code = fields.String(allow_none=True)
    city = fields.String()
    point = fields.Method("_point", metadata=LATLNG_DOC)
    access_notes = fields.String(allow_none=True)

    def _point(self, site: Any) -> dict[str, float] | None:
        from app.geo import to_latlng

        return to_latlng(site.location)


class HistoryEntry(Schema):
    number = fields.String()
    title = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    failure_code = fields.String(allow_none=True)
    remedy_code = fields.String(allow_none=True)
    resolution_notes = fields.String(allow_none=True)


class AssetBrief(Schema):
    id = fields.Integer()
    tag = fields.String()
    name = fields.String(allow_none=True)
    serial_number = fields.String(allow_none=True)
    location_note = fields.String(allow_none=True)
    model = Computed(lambda a: f"{a.equipment_model.manufacturer} "
                            f"{a.equipment_model.model}", metadata={"type": "string"})


class SkillNeed(Schema):
    code = fields.String()
    min_level = fields.Integer()


class PartToBringOut(Schema):
    part_id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    reserved_at = fields.String(metadata={"description": "Stock location code of the "
                                          "reservation."})
    in_van = StrictBoolean(metadata={"description": "Held in or covered by your van."})


class DayJobOut(Schema):
    id = fields.Integer(attribute="work_order.id")
    number = fields.String(attribute="work_order.number")
    version = fields.Integer(attribute="work_order.version")
    sequence = fields.Integer()
    status = fields.String(attribute="work_order.status")
    priority = fields.String(attribute="work_order.priority")
    type = fields.String(attribute="work_order.type")
    title = fields.String(attribute="work_order.title")
    description = fields.String(attribute="work_order.description")
    eta = fields.DateTime(allow_none=True, metadata={
        "description": "Arrival: live from your last position while it is fresh, else the "
                       "planned arrival, else the scheduled start (see eta_source)."})
    eta_source = fields.String(metadata={"description": "gps | plan | schedule"})
    planned_arrival = fields.DateTime(allow_none=True)
    planned_start = fields.DateTime(allow_none=True)
    scheduled_start = fields.DateTime(attribute="work_order.scheduled_start", allow_none=True)
    running_late = StrictBoolean(metadata={
        "description": "The predicted start misses the customer window or the SLA."})
    scheduled_end = fields.DateTime(attribute="work_order.scheduled_end", allow_none=True)
    estimated_duration_min = fields.Integer(attribute="work_order.estimated_duration_min")
    contact_name = fields.String(attribute="work_order.contact_name", allow_none=True)
    contact_phone = fields.String(attribute="work_order.contact_phone", allow_none=True)
    site = fields.Nested(SiteBrief, attribute="work_order.site")
    asset = fields.Nested(AssetBrief, attribute="work_order.asset", allow_none=True)
    asset_history = fields.List(fields.Nested(HistoryEntry), attribute="history")
    required_skills = fields.List(fields.Nested(SkillNeed))
    parts = fields.List(fields.Nested(PartToBringOut))
    all_parts_in_van = StrictBoolean()
    checked_in = StrictBoolean()


class PartToCollectOut(Schema):
    part_id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()


class WarehouseBrief(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class RouteStopOut(Schema):
    """One stop of the day's route, in driving order."""

    sequence = fields.Integer()
    kind = fields.String(metadata={"description": "pickup | job | break"})
    work_order_id = fields.Integer(allow_none=True)
    number = Computed(lambda s: s.work_order.number if s.work_order else None,
                             allow_none=True, metadata={"type": "string"})
    title = Computed(lambda s: s.work_order.title if s.work_order else None,
                            allow_none=True, metadata={"type": "string"})
    status = Computed(lambda s: s.work_order.status if s.work_order else None,
                             allow_none=True, metadata={"type": "string"})
    warehouse = fields.Nested(WarehouseBrief, allow_none=True)
    collect = fields.List(fields.Nested(PartToCollectOut), metadata={
        "description": "Pick-ups: the parts to collect there."})
    point = Computed(lambda s: {"lat": s.point.lat, "lng": s.point.lng}
                            if s.point is not None else None, allow_none=True,
                            metadata={"type": "object", "description": "{lat, lng}"})
    planned_arrival = fields.DateTime(allow_none=True)
    planned_start = fields.DateTime(allow_none=True)
    planned_end = fields.DateTime(allow_none=True)
    eta = fields.DateTime(allow_none=True)
    eta_start = fields.DateTime(allow_none=True)
    eta_source = fields.String()
    travel_min = fields.Integer(metadata={"description": "Driving from the previous stop "
                                          "(from where you are for the next stop)."})
    travel_km = fields.Float()
    running_late = StrictBoolean()
    late_reasons = fields.List(fields.String())
    done = StrictBoolean()


class DayOut(Schema):
    date = fields.Date()
    timezone = fields.String()
    van_code = fields.String(allow_none=True)
    jobs = fields.List(fields.Nested(DayJobOut))
    route = fields.List(fields.Nested(RouteStopOut), metadata={
        "description": "The planned route: pick-ups, jobs and the break in order, with the "
                       "travel between them and live ETAs."})
    position_at = fields.DateTime(allow_none=True, metadata={
        "description": "The GPS fix the live ETAs start from; null: planned times."})


# --- writes ----------------------------------------------------------------------------------


class Fix(Schema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(**_accuracy)
    at = UTCTime(metadata={"description": "When the phone took the fix."})


class JobStatusChange(Schema):
    to = fields.String(required=True, validate=validate.OneOf(("en_route", "on_hold",
                                                                "on_site")),
                       metadata={"description": "en_route (send position), on_hold (send "
                                 "hold_reason), on_site (resume after a hold)."})
    reason = fields.String(validate=validate.Length(1, 1000))
    hold_reason = fields.String(validate=validate.OneOf(HOLD_REASON_VALUES))
    position = fields.Nested(Fix)
    client_time = UTCTime()


class CheckIn(Schema):
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(required=True, **_accuracy)
    at = UTCTime(metadata={"description": "When it happened on the phone."})
    override_reason = fields.String(validate=validate.Length(1, 1000), metadata={
        "description": "Outside the geofence: why; recorded and flagged for the dispatcher."})


class VisitOut(Schema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    check_in_at = fields.DateTime()
    check_in_client_at = fields.DateTime(allow_none=True)
    check_in_distance_m = fields.Float()
    check_in_inside_geofence = StrictBoolean()
    check_out_at = fields.DateTime(allow_none=True)
    check_out_client_at = fields.DateTime(allow_none=True)
    check_out_distance_m = fields.Float(allow_none=True)
    check_out_inside_geofence = StrictBoolean(allow_none=True)
    minutes_on_site = fields.Integer(allow_none=True)
    flagged = StrictBoolean()


class UsedPartLine(Schema):
    part_id = fields.Integer(required=True, **_id)
    qty = fields.Integer(required=True, validate=validate.Range(1, 10_000))


class PartsUsed(Schema):
    lines = fields.List(fields.Nested(UsedPartLine), required=True,
                        validate=validate.Length(1, 100))
    note = fields.String(validate=validate.Length(1, 1000))


class MovementOut(Schema):
    id = fields.Integer()
    part_id = fields.Integer()
    quantity = fields.Integer()
    from_location_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class PartsUsedOut(Schema):
    movements = fields.List(fields.Nested(MovementOut))


class CompleteJob(Schema):
    completion = fields.Nested(Completion, required=True)
    signature_photo_id = fields.Integer(**_id)
    client_time = UTCTime()


class JobOut(Schema):
    """The job after a write: what the phone needs to refresh its card."""

    id = fields.Integer()
    number = fields.String()
    version = fields.Integer()
    status = fields.String()
    hold_reason = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    first_time_fix = StrictBoolean(allow_none=True)


class LocationBatch(Schema):
    fixes = fields.List(fields.Nested(Fix), required=True,
                        validate=validate.Length(1, MAX_FIXES))


class LocationOut(Schema):
    accepted = fields.Integer()
    position_updated = StrictBoolean()


class DeviceIn(Schema):
    token = fields.String(required=True, validate=validate.Length(20, 512))
    platform = fields.String(required=True, validate=validate.OneOf(("android", "ios", "web")))
    app_version = fields.String(validate=validate.Length(1, 40))


class DeviceOut(Schema):
    id = fields.Integer()
    platform = fields.String()
    app_version = fields.String(allow_none=True)
    is_active = StrictBoolean()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class PhotoUploadForm(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PHOTO_KIND_VALUES))
    caption = fields.String(validate=validate.Length(1, 500))
    # Read from the multipart files by the route; declared here for the OpenAPI document.
    file = fields.Raw(metadata={"type": "string", "format": "binary",
                                "description": "The JPEG, PNG or WebP image (required)."})


class PhotoOut(Schema):
    id = fields.Integer()
    work_order_id = fields.Integer()
    kind = fields.String()
    caption = fields.String(allow_none=True)
    content_type = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    sha256 = fields.String()
    taken_at = fields.DateTime(allow_none=True)
    gps = fields.Method("_gps", allow_none=True, metadata={
        **LATLNG_DOC,
        "description": "Where the photo was taken (EXIF); staff only, null for customers."})
    created_at = fields.DateTime()

    def _gps(self, photo: Any) -> dict[str, float] | None:
        if photo.gps_lat is None or photo.gps_lng is None or _viewer_is_customer():
            return None
        return {"lat": photo.gps_lat, "lng": photo.gps_lng}


def _viewer_is_customer() -> bool:
    from flask import has_request_context
    from flask_jwt_extended import current_user

    if not has_request_context():
        return False
    try:
        return bool(current_user and current_user.role == "customer")
    except RuntimeError:  # no verified token in this request
        return False


class PhotoDownloadQuery(Schema):
    variant = fields.String(load_default="public",
                            validate=validate.OneOf(("original", "public", "thumbnail")),
                            metadata={"description": "original (staff; customers get public), "
                                      "public (no EXIF/GPS) or thumbnail."})


# --- offline sync ----------------------------------------------------------------------------

SYNC_OPS = ("status", "check_in", "check_out", "parts_used", "complete", "location",
            "checklist_item")


class SyncOperation(Schema):
    key = fields.String(required=True, validate=validate.Length(1, 200),
                        metadata={"description": "The operation's idempotency key."})
    op = fields.String(required=True, validate=validate.OneOf(SYNC_OPS))
    job_id = fields.Integer(**_id, metadata={"description": "Required except for location."})
    client_time = UTCTime(required=True, metadata={"description": "When it was done offline."})
    body = fields.Dict(required=True, metadata={
        "description": "The body the matching endpoint takes."})


class SyncRequest(Schema):
    operations = fields.List(fields.Nested(SyncOperation), required=True,
                             validate=validate.Length(1, MAX_OPERATIONS))


class SyncResult(Schema):
    key = fields.String()
    op = fields.String()
    job_id = fields.Integer(allow_none=True)
    status = fields.Integer(metadata={"description": "The HTTP status the endpoint answered."})
    replayed = StrictBoolean()
    body = fields.Dict(metadata={"description": "The endpoint's answer (or error shape)."})


class SyncOut(Schema):
    results = fields.List(fields.Nested(SyncResult))
