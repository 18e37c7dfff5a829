"""The customer tracking link: /t/<token> (HTML or JSON, no login, rate limited, revocable)
and the same view for logged-in users at /api/v1/work-orders/<id>/tracking."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template, request
from flask.views import MethodView
from flask_babel import get_locale, gettext
from marshmallow import fields

from app.auth.models import Role
from app.auth.permissions import ANY_ROLE, actor, require_roles
from app.blueprint import Blueprint
from app.db import begin_writing, utcnow
from app.dispatch import service as dispatch
from app.errors import ErrorSchema
from app.extensions import db
from app.notifications.texts import N_
from app.schema import Schema
from app.workorders import service
from app.workorders.service import tracking

blp = Blueprint("tracking", __name__, template_folder="templates",
                description="Customer tracking link (public, by token) and tracking view.")

STATUS_LABELS = {
    "new": N_("Received"), "scheduled": N_("Scheduled"), "dispatched": N_("Scheduled"),
    "en_route": N_("Technician on the way"), "on_site": N_("Technician on site"),
    "on_hold": N_("On hold"), "completed": N_("Job done"), "closed": N_("Job done"),
    "cancelled": N_("Cancelled"),
}
EVENT_LABELS = {
    "created": N_("Reported"), "customer_report": N_("Report received"),
    "assigned": N_("Technician assigned"), "status_changed": N_("Status"),
    "note": N_("Message"), "checked_in": N_("Technician arrived"),
    "checked_out": N_("Technician left"), "customer_signed": N_("Signed"),
    "rated": N_("Rated"),
}
# The token is in the URL: no referrer leaks it, no framing, no script, nothing sniffed.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY", "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'",
}


class EtaWindow(Schema):
    from_ = fields.DateTime(data_key="from")
    to = fields.DateTime()


class TrackingTechnician(Schema):
    first_name = fields.String()


class TrackingDone(Schema):
    completed_at = fields.DateTime()
    remedy_code = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)


class TrackingEvent(Schema):
    kind = fields.String()
    at = fields.DateTime()
    status = fields.String()
    text = fields.String()


class TrackingOut(Schema):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    technician = fields.Nested(TrackingTechnician, allow_none=True)
    eta_window = fields.Nested(EtaWindow, allow_none=True)
    done = fields.Nested(TrackingDone, allow_none=True)
    timeline = fields.List(fields.Nested(TrackingEvent))


class RevokedOut(Schema):
    revoked = fields.Integer()


def _prepared(view: dict[str, Any]) -> dict[str, Any]:
    """The view with attribute names the schema reads (`from` is a Python keyword)."""
    if view["eta_window"] is not None:
        view = {**view, "eta_window": {"from_": view["eta_window"]["from"],
                                       "to": view["eta_window"]["to"]}}
    return view


def _dump(view: dict[str, Any]) -> dict[str, Any]:
    return TrackingOut().dump(_prepared(view))


def _count_request() -> None:
    """Count and commit first, so refused and probing requests count too."""
    begin_writing(db.session)  # a GET that counts: a write transaction (SQLite: IMMEDIATE)
    service.count_public_request(
        db.session, client_address=request.remote_addr or "unknown", bucket="tracking",
        limit=current_app.config.get("PUBLIC_TRACKING_LIMIT", 120),
        window_seconds=current_app.config.get("PUBLIC_TRACKING_WINDOW_SECONDS", 3600))
    db.session.commit()


def _live_arrival(work_order: Any) -> Any:
    return dispatch.live_arrival(db.session, work_order, now=utcnow())


def _with_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _json(token: str) -> Response:
    _count_request()
    view = tracking.tracking_by_token(db.session, token, live_arrival=_live_arrival)
    return _with_headers(current_app.json.response(_dump(view)))


def _html(view: dict[str, Any]) -> str:
    timeline = []
    for item in view["timeline"]:
        label = gettext(EVENT_LABELS.get(item["kind"], item["kind"]))
        if item.get("status"):
            label = f"{label}: {gettext(STATUS_LABELS.get(item['status'], item['status']))}"
        timeline.append({**item, "label": label})
    return render_template(
        "tracking.html", view=view, timeline=timeline,
        lang="zh-CN" if getattr(get_locale(), "language", "en") == "zh" else "en",
        status_label=gettext(STATUS_LABELS.get(view["status"], view["status"])))


def _error_page(code: int) -> Response:
    messages = {404: N_("This tracking link is not known."),
                410: N_("This tracking link has been revoked."),
                429: N_("Too many requests; please try again later.")}
    text = gettext(messages.get(code, messages[404]))
    html = (f"<!doctype html><meta charset=utf-8><title>{code}</title>"
            f"<p>{text}</p>")
    return _with_headers(Response(html, status=code, mimetype="text/html"))


@blp.route("/t/<string:token>.json")
class TrackingJson(MethodView):
    @blp.response(200, TrackingOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown link.")
    @blp.alt_response(410, schema=ErrorSchema, description="tracking_revoked.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many requests.")
    @blp.doc(security=[])
    def get(self, token: str) -> Response:
        """The tracking view as JSON, without login."""
        return _json(token)


def _page_or_json(description: str, json_schema: str) -> dict[str, Any]:
    """A response that is an HTML page, or JSON when the client asks for it."""
    return {"description": description, "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/json": {"schema": {"$ref": f"#/components/schemas/{json_schema}"}}}}


@blp.route("/t/<string:token>")
class TrackingPage(MethodView):
    @blp.doc(security=[], responses={
        "200": _page_or_json("The tracking page (or its JSON).", "TrackingOut"),
        "404": _page_or_json("Unknown link.", "Error"),
        "410": _page_or_json("tracking_revoked.", "Error"),
        "429": _page_or_json("Too many requests.", "Error")})
    def get(self, token: str) -> Response:
        """The tracking page (HTML; JSON with `Accept: application/json`), without login."""
        best = request.accept_mimetypes.best_match(["text/html", "application/json"])
        if best == "application/json":
            return _json(token)
        from app.errors import DomainError

        try:
            _count_request()
            view = tracking.tracking_by_token(db.session, token, live_arrival=_live_arrival)
        except DomainError as exc:
            return _error_page(exc.code)
        return _with_headers(Response(_html(view), mimetype="text/html"))

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="Unknown link.")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many requests.")
    @blp.doc(security=[])
    def delete(self, token: str) -> None:
        """Revoke this tracking link (whoever holds it); it answers 410 from now on."""
        _count_request()
        tracking.revoke_token(db.session, token)
        db.session.commit()


@blp.route("/api/v1/work-orders/<id:work_order_id>/tracking")
class WorkOrderTracking(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, TrackingOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not an order you may see.")
    def get(self, work_order_id: int) -> dict[str, Any]:
        """The customer tracking view of one of your orders."""
        return _prepared(tracking.tracking_for(db.session, work_order_id, actor=actor(),
                                                   live_arrival=_live_arrival))


@blp.route("/api/v1/work-orders/<id:work_order_id>/tracking/revoke")
class RevokeTracking(MethodView):
    @require_roles(Role.admin, Role.dispatcher, Role.customer)
    @blp.response(200, RevokedOut)
    @blp.alt_response(404, schema=ErrorSchema, description="Not an order you may see.")
    def post(self, work_order_id: int) -> dict[str, int]:
        """Revoke every tracking link of the order (office roles, or its customer)."""
        revoked = tracking.revoke_work_order_links(db.session, work_order_id, actor=actor())
        db.session.commit()
        return {"revoked": revoked}
