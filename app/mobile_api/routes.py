"""The technician's phone, under /mobile/v1. Technicians only, each on its own jobs (another
technician's job is a 404). Every write takes an Idempotency-Key (see idempotent.py, which also
owns the commit)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.errors import ErrorSchema, Unprocessable
from app.extensions import db
from app.mobile_api import operations, schemas, service
from app.mobile_api.idempotent import idempotent
from app.mobile_api.storage import LocalStorage
from app.notifications.devices import register_device

blp = Blueprint("mobile", __name__, url_prefix="/mobile/v1",
                description="The technician's phone: day, check-in, photos, parts, sync.")


def uploaded_file(name: str) -> bytes:
    upload = request.files.get(name)
    if upload is None:
        raise Unprocessable("Attach the image as the multipart field `file`.",
                            errors={name: ["Missing file."]})
    return upload.read()


def photo_storage() -> LocalStorage:
    return LocalStorage(current_app.config["PHOTO_STORAGE_DIR"])


@blp.route("/me/jobs")
class MyJobs(MethodView):
    @require_roles(Role.technician)
    @blp.etag
    @blp.arguments(schemas.DayQuery, location="query")
    @blp.response(200, schemas.DayOut)
    def get(self, query: dict[str, Any]) -> service.Day:
        """The day's route in order: ETA, site and access notes, asset and its recent history,
        required skills, parts to bring and whether the van holds them. Send the ETag back
        as If-None-Match: 304 when nothing changed."""
        return service.technician_day(db.session, day=query.get("date"), actor=actor())


@blp.route("/jobs/<id:job_id>/status")
class JobStatus(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.JobStatusChange)
    @blp.response(200, schemas.JobOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(409, schema=ErrorSchema, description="Not allowed from the current "
                      "status (invalid_transition, check_in_required).")
    @blp.alt_response(422, schema=ErrorSchema, description="Missing position or hold reason.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """en_route (with the phone's position), on_hold (hold_reason parts, customer or
        access), on_site (back after a hold)."""
        return operations.run("status", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/check-in")
class JobCheckIn(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.CheckIn)
    @blp.response(201, schemas.VisitOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(409, schema=ErrorSchema, description="Already checked in, or the job "
                      "cannot go on site now.")
    @blp.alt_response(422, schema=ErrorSchema, description="outside_geofence (with distance_m "
                      "and allowed_m) unless override_reason is given.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """Check in at the site: within the geofence (radius plus the reported accuracy,
        capped), or outside it with an override_reason that is flagged for the dispatcher."""
        return operations.run("check_in", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/check-out")
class JobCheckOut(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.CheckIn)
    @blp.response(200, schemas.VisitOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(409, schema=ErrorSchema, description="Not checked in.")
    @blp.alt_response(422, schema=ErrorSchema, description="outside_geofence.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """Check out, geofenced like the check-in; time on site follows."""
        return operations.run("check_out", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/parts-used")
class JobPartsUsed(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.PartsUsed)
    @blp.response(201, schemas.PartsUsedOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(409, schema=ErrorSchema, description="insufficient_stock in your van "
                      "(nothing issued), no_van, or the job takes no parts.")
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown part.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """Parts fitted: issued from your van to the job through the stock ledger, consuming
        the job's reservations first; all lines or none."""
        return operations.run("parts_used", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/complete")
class JobComplete(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.CompleteJob)
    @blp.response(200, schemas.JobOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(409, schema=ErrorSchema, description="not_checked_in or not on site.")
    @blp.alt_response(422, schema=ErrorSchema, description="Completion details invalid.")
    def post(self, body: dict[str, Any], job_id: int) -> Any:
        """Complete: resolution, failure/cause/remedy codes, labour, fixed on the first visit,
        the customer's signature photo. Refused before a check-in."""
        return operations.run("complete", db.session, job_id, body, actor())


@blp.route("/jobs/<id:job_id>/photos")
class JobPhotos(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.PhotoUploadForm, location="form",
                   content_type="multipart/form-data")
    @blp.response(201, schemas.PhotoOut)
    @blp.alt_response(200, schema=schemas.PhotoOut, description="The same file was uploaded "
                      "to this job before: that photo.")
    @blp.alt_response(404, schema=ErrorSchema, description="Not your job.")
    @blp.alt_response(413, schema=ErrorSchema, description="Over the size limit.")
    @blp.alt_response(422, schema=ErrorSchema, description="not_an_image, unsupported_image, "
                      "image_too_large (decompression bomb).")
    def post(self, form: dict[str, Any], job_id: int) -> Any:
        """Upload a photo (multipart: file, kind before/after/signature, caption): a real
        JPEG, PNG or WebP; stored with a thumbnail; EXIF orientation applied."""
        upload = service.add_photo(
            db.session, service.get_job(db.session, job_id, actor=actor()),
            data=uploaded_file("file"), kind=form["kind"], caption=form.get("caption"),
            storage=photo_storage(), actor=actor())
        return upload.photo, 201 if upload.created else 200


@blp.route("/me/location")
class MyLocation(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.LocationBatch)
    @blp.response(200, schemas.LocationOut)
    @blp.alt_response(409, schema=ErrorSchema, description="no_technician_profile.")
    def post(self, body: dict[str, Any]) -> Any:
        """A batch of GPS fixes; the newest becomes the position dispatch sees."""
        return operations.run("location", db.session, None, body, actor())


@blp.route("/devices")
class Devices(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.DeviceIn)
    @blp.response(200, schemas.DeviceOut)
    def put(self, body: dict[str, Any]) -> Any:
        """Register or refresh this phone's FCM token and platform."""
        return register_device(db.session, **body, actor=actor())


@blp.route("/sync")
class Sync(MethodView):
    @require_roles(Role.technician)
    @idempotent
    @blp.arguments(schemas.SyncRequest)
    @blp.response(200, schemas.SyncOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Apply operations recorded offline, in order, each with its idempotency key and
        client time; one result per operation (a conflict, such as a job reassigned or
        cancelled meanwhile, is that operation's result, not a failure of the batch)."""
        return {"results": operations.sync(db.session, body["operations"], actor())}
