"""Every user's inbox and push devices; the office roles' live event stream (SSE)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from app.auth.models import Role, User
from app.auth.permissions import ANY_ROLE, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema, Forbidden, Unauthorized
from app.extensions import db
from app.notifications import schemas, service
from app.notifications.devices import register_device
from app.notifications.texts import localized

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="Inbox, push devices and the live event stream of every user.")

OFFICE_ROLES = (Role.admin, Role.dispatcher)


@blp.route("/me/notifications")
class Inbox(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.InboxQuery, location="query")
    @blp.response(200, schemas.InboxItem(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """My notifications, newest first (`unread=true`: only unread)."""
        rows = fetch_page(db.session, service.inbox_query(actor=actor(), **query),
                          pagination_parameters)
        return [localized(row) for row in rows]


@blp.route("/me/notifications/unread-count")
class UnreadCount(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.UnreadOut)
    def get(self) -> dict[str, int]:
        """How many of my notifications are unread (for a badge)."""
        return {"unread": service.unread_count(db.session, actor=actor())}


@blp.route("/me/notifications/<id:notification_id>/read")
class MarkRead(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.InboxItem)
    @blp.alt_response(404, schema=ErrorSchema, description="Not one of my notifications.")
    def post(self, notification_id: int) -> Any:
        """Mark one of my notifications read."""
        note = service.mark_read(db.session, notification_id, actor=actor())
        db.session.commit()
        return localized(note)


@blp.route("/me/notifications/read-all")
class MarkAllRead(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, schemas.MarkedOut)
    def post(self) -> dict[str, int]:
        """Mark all my notifications read."""
        marked = service.mark_all_read(db.session, actor=actor())
        db.session.commit()
        return {"marked": marked}


@blp.route("/me/devices")
class MyDevices(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.PushDeviceIn)
    @blp.response(200, schemas.PushDeviceOut)
    @blp.alt_response(409, schema=ErrorSchema, description="A racing registration.")
    def put(self, body: dict[str, Any]) -> Any:
        """Register or refresh a push device (phone or browser) for any role."""
        device = register_device(db.session, **body, actor=actor())
        db.session.commit()
        return device


@blp.route("/me/locale")
class MyLocale(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(schemas.LocaleIn)
    @blp.response(200, schemas.LocaleOut)
    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        """My language for pages, push and email (en, zh_CN; null: the browser's)."""
        user = actor()
        user.locale = body["locale"]
        db.session.commit()
        return {"locale": user.locale}


@blp.route("/events/stream")
class EventStream(MethodView):
    @blp.response(200, description="text/event-stream: one SSE event per change.")
    @blp.alt_response(401, schema=ErrorSchema, description="No or bad token.")
    @blp.alt_response(403, schema=ErrorSchema, description="Not an office role.")
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self) -> Response:
        """Live events for office roles (dispatcher, admin): SLA warning/breach, new fault
        report, technician status changes, run finished, job running late. Authenticate with
        the bearer header, or (EventSource cannot send headers) `?access_token=` or the
        `access_token` cookie."""
        user = _stream_user()
        if user.role not in OFFICE_ROLES:
            raise Forbidden("Your role may not do this.")
        from app.notifications.events import current_bus, iter_events

        bus = current_bus()
        if bus is None:  # create_app always installs one
            raise RuntimeError("no event bus")
        sub = bus.subscribe()
        db.session.close()  # a stream may stay open for hours: hold no connection
        keepalive = float(current_app.config.get("EVENTS_KEEPALIVE_SECONDS", 15))
        # No request context held while streaming: the stream needs none, and a context kept
        # for hours would tear down (and close the session) whenever the client leaves.
        response = Response(iter_events(sub, keepalive_s=keepalive),
                            mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"
        return response


def _stream_user() -> User:
    from flask_jwt_extended import decode_token
    from jwt import PyJWTError

    from app.auth import service as auth_service

    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    token = token or request.args.get("access_token") or request.cookies.get("access_token")
    if not token:
        raise Unauthorized("Authentication required: send a bearer token.")
    try:
        claims = decode_token(token)
        user = auth_service.active_user(db.session, int(claims["sub"]))
    except (PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("The token is invalid.", error="token_invalid") from exc
    if user is None or claims.get("type") != "access":
        raise Unauthorized("The token is invalid.", error="token_invalid")
    return user
