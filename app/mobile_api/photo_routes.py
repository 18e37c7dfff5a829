"""Job photos for everyone who may see the work order: staff, the assigned technician and
the owning customer (who downloads copies without EXIF/GPS)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from app.auth.permissions import ANY_ROLE, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.mobile_api import schemas, service
from app.mobile_api.storage import LocalStorage

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Job photos.")

_BINARY = {"type": "string", "format": "binary"}


@blp.route("/work-orders/<id:work_order_id>/photos")
class WorkOrderPhotos(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.PhotoOut(many=True))
    @blp.paginate()
    @blp.alt_response(404, schema=ErrorSchema, description="Not a work order you may see.")
    def get(self, work_order_id: int, pagination_parameters: Any) -> Any:
        """The work order's photos, oldest first (GPS only for staff)."""
        return fetch_page(db.session, service.list_photos(db.session, work_order_id,
                                                          actor=actor()),
                          pagination_parameters)


@blp.route("/work-orders/<id:work_order_id>/photos/<id:photo_id>/file")
class WorkOrderPhotoFile(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.PhotoDownloadQuery, location="query")
    @blp.response(200, _BINARY, content_type="image/jpeg")
    @blp.doc(responses={"200": {"content": {"image/jpeg": {"schema": _BINARY},
                                            "image/png": {"schema": _BINARY},
                                            "image/webp": {"schema": _BINARY}}}})
    @blp.alt_response(404, schema=ErrorSchema, description="Not a photo you may see.")
    def get(self, query: dict[str, Any], work_order_id: int, photo_id: int) -> Response:
        """Download a photo: `original` as uploaded (staff), `public` without EXIF/GPS, or
        the JPEG `thumbnail`. Customers always get the copy without GPS."""
        file = service.photo_file(db.session, work_order_id, photo_id,
                                  variant=query["variant"],
                                  storage=LocalStorage(current_app.config["PHOTO_STORAGE_DIR"]),
                                  actor=actor())
        response = Response(file.data, mimetype=file.content_type)
        # A download, never rendered in the API's origin (with nosniff from the app's headers).
        response.headers.set("Content-Disposition", "attachment", filename=file.filename)
        response.headers["Cache-Control"] = "private, max-age=86400"
        return response
