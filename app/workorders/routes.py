from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import ANY_ROLE, actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page, reads_only_from_now
from app.errors import ErrorSchema, Unprocessable
from app.extensions import db
from app.workorders import service
from app.workorders.models import BusinessCalendar, SlaPolicy, WorkOrder, WorkOrderEvent
from app.workorders.schemas import (
    CalendarCreate,
    CalendarOut,
    EventOut,
    FaultReportCreate,
    FaultReportOut,
    NoteCreate,
    PublicFaultReportCreate,
    PublicFaultReportOut,
    RateLimitedError,
    RatingCreate,
    RatingOut,
    RatingsQuery,
    RatingsSummary,
    SlaPolicyIn,
    SlaPolicyOut,
    TransitionError,
    TransitionRequest,
    VersionConflictError,
    WorkOrderCreate,
    WorkOrderOut,
    WorkOrderQuery,
    WorkOrderUpdate,
)

blp = Blueprint("workorders", __name__, url_prefix="/api/v1",
                description="Work orders: lifecycle, SLA, timeline, fault reports, ratings.")

OFFICE = (Role.admin, Role.dispatcher)
# Who may see work orders at all; the service narrows to their own (customer, technician).
READERS = ANY_ROLE


def _version(body: dict[str, Any]) -> int | None:
    """The client's version: body field `version`, else the If-Match header (ETag-style)."""
    if body.get("version") is not None:
        return int(body["version"])
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 10:
        raise Unprocessable("If-Match must carry the work order's version number.",
                            errors={"If-Match": [raw[:40]]}, error="version_required")
    return int(value)


@blp.route("/work-orders")
class WorkOrders(MethodView):
    @require_roles(*READERS)
    @blp.arguments(WorkOrderQuery, location="query")
    @blp.response(200, WorkOrderOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[WorkOrder]:
        """Work orders you may see (customers: own account; technicians: assigned to them),
        filtered, sorted by SLA urgency (least time remaining first) unless `sort` says so."""
        return service.load_shown(db.session, fetch_page(
            db.session, service.list_work_orders(db.session, actor=actor(), **query),
            pagination_parameters, *service.SHOWN_IN_ROW))

    @require_roles(*OFFICE)
    @blp.arguments(WorkOrderCreate)
    @blp.response(201, WorkOrderOut)
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown site, asset or skill; "
                      "time windows in the past or ending before they start.")
    def post(self, body: dict[str, Any]) -> WorkOrder:
        """Create a work order (dispatcher). Required skills and duration default from the
        asset's equipment model; SLA due times come from the customer's tier and priority."""
        work_order = service.create_work_order(db.session, **body, actor=actor())
        db.session.commit()
        return work_order


@blp.route("/work-orders/<id:work_order_id>")
class WorkOrderById(MethodView):
    @require_roles(*READERS)
    @blp.response(200, WorkOrderOut)
    def get(self, work_order_id: int) -> WorkOrder:
        """One work order (404 when it is not yours to see)."""
        return service.get_work_order_for(db.session, work_order_id, actor=actor())

    @require_roles(*OFFICE)
    @blp.arguments(WorkOrderUpdate)
    @blp.response(200, WorkOrderOut)
    @blp.alt_response(409, schema=VersionConflictError,
                      description="version_conflict: someone changed it since you read it; "
                                  "work_order_closed.")
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid values; version missing.")
    def patch(self, body: dict[str, Any], work_order_id: int) -> WorkOrder:
        """Edit a work order with optimistic locking: send `version` (or If-Match). Every
        changed field goes on the timeline with its old and new value."""
        version = _version(body)
        body.pop("version", None)
        work_order = service.update_work_order(
            db.session, service.get_work_order_for(db.session, work_order_id, actor=actor()),
            body, version=version, actor=actor())
        db.session.commit()
        return work_order


@blp.route("/work-orders/<id:work_order_id>/transitions")
class Transitions(MethodView):
    @require_roles(*READERS)
    @blp.arguments(TransitionRequest)
    @blp.response(200, WorkOrderOut)
    @blp.alt_response(409, schema=TransitionError, description="invalid_transition (names the "
                      "allowed ones), version_conflict, not_assigned, reopen_window_passed, "
                      "check_in_required, completion_required.")
    @blp.alt_response(422, schema=ErrorSchema, description="Missing reason or completion.")
    def post(self, body: dict[str, Any], work_order_id: int) -> WorkOrder:
        """Move the work order through its lifecycle: new -> scheduled -> dispatched ->
        en_route -> on_site -> completed -> closed, with on_hold (parts | customer | access),
        cancelled, and reopen (to `new`) within the configured days. en_route is the assigned
        technician's; on_site is reached only by the phone's check-in and completed only by
        the phone's completion (409 check_in_required / completion_required here).
        Unscheduling or releasing to `new` clears the assignee, schedule and planned visit."""
        work_order = service.get_work_order_for(db.session, work_order_id, actor=actor())
        data = {k: body[k] for k in ("hold_reason", "completion") if k in body}
        service.transition_work_order(
            db.session, work_order, body["to"], actor=actor(), reason=body.get("reason"),
            client_time=body.get("client_time"), data=data, version=body.get("version"))
        db.session.commit()
        return work_order


@blp.route("/work-orders/<id:work_order_id>/timeline")
class Timeline(MethodView):
    @require_roles(*READERS)
    @blp.response(200, EventOut(many=True))
    @blp.paginate()
    def get(self, work_order_id: int, pagination_parameters: Any) -> list[WorkOrderEvent]:
        """Everything that happened to the work order, oldest first, with actor and time.
        Customers see the customer-safe view (no internal notes or SLA internals)."""
        work_order = service.get_work_order_for(db.session, work_order_id, actor=actor(),
                                                shown=False)
        return fetch_page(db.session, service.timeline_query(work_order, actor=actor()),
                          pagination_parameters)


@blp.route("/work-orders/<id:work_order_id>/notes")
class Notes(MethodView):
    @require_roles(*READERS)
    @blp.arguments(NoteCreate)
    @blp.response(201, EventOut)
    def post(self, body: dict[str, Any], work_order_id: int) -> WorkOrderEvent:
        """Add a note to the timeline (staff notes are internal unless `internal` is false;
        warehouse notes are always internal: false is 403)."""
        work_order = service.get_work_order_for(db.session, work_order_id, actor=actor())
        note = service.add_note(db.session, work_order, text=body["text"],
                                internal=body["internal"], actor=actor())
        db.session.commit()
        return note


@blp.route("/work-orders/<id:work_order_id>/rating")
class Rating(MethodView):
    @require_roles(Role.customer)
    @blp.arguments(RatingCreate)
    @blp.response(201, RatingOut)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="not_completed, already_rated (one rating per order).")
    def post(self, body: dict[str, Any], work_order_id: int) -> Any:
        """Rate a completed work order of your account, once: score 1–5 and a comment."""
        work_order = service.get_work_order_for(db.session, work_order_id, actor=actor())
        rating = service.rate_work_order(db.session, work_order, **body, actor=actor())
        db.session.commit()
        return rating


@blp.route("/ratings/summary")
class Ratings(MethodView):
    @require_roles(Role.admin, Role.dispatcher, Role.customer)
    @blp.arguments(RatingsQuery, location="query")
    @blp.response(200, RatingsSummary)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Count, average and distribution of ratings (customers: their own account's)."""
        user = actor()
        customer_id = user.customer_id if user.role == Role.customer else query.get(
            "customer_id")
        return service.ratings_summary(db.session, customer_id=customer_id)


@blp.route("/fault-reports")
class FaultReports(MethodView):
    @require_roles(Role.customer)
    @blp.arguments(FaultReportCreate)
    @blp.response(201, FaultReportOut)
    @blp.alt_response(422, schema=ErrorSchema, description="unknown_asset (unknown or another "
                      "account's tag: the same answer), unknown_site, invalid time windows.")
    def post(self, body: dict[str, Any]) -> Any:
        """Report a fault on an asset (tag or id) or a site of your account. When the asset
        already has an open work order the report is attached to it (`merged`: true)."""
        outcome = service.report_fault(db.session, **body, actor=actor())
        db.session.commit()
        # What the answer shows of the order, read as a GET reads (SQLite: not under the
        # write lock again; PostgreSQL: autocommit, psycopg's prepared statements kept).
        reads_only_from_now()
        service.reload_shown(db.session, outcome.work_order)
        return {"work_order": outcome.work_order, "merged": outcome.merged,
                "tracking_number": outcome.tracking_number,
                "tracking_token": outcome.tracking_token}


@blp.route("/public/fault-reports")
class PublicFaultReports(MethodView):
    @blp.arguments(PublicFaultReportCreate)
    @blp.response(201, PublicFaultReportOut)
    @blp.alt_response(422, schema=ErrorSchema, description="unknown_asset: label not known.")
    @blp.alt_response(429, schema=RateLimitedError,
                      description="Too many reports from your address.")
    @blp.doc(security=[])
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Report a fault from a scanned QR label, without logging in. Answers only the
        tracking number and a tracking token; rate limited per client address."""
        # The attempt is counted and committed first, on purpose: refused reports (e.g. probing
        # tags) must count too. This is the one route with two service calls.
        service.count_public_request(
            db.session, client_address=request.remote_addr or "unknown",
            limit=current_app.config["PUBLIC_FAULT_REPORT_LIMIT"],
            window_seconds=current_app.config["PUBLIC_FAULT_REPORT_WINDOW_SECONDS"])
        db.session.commit()
        outcome = service.report_fault_by_label(db.session, **body)
        db.session.commit()
        return {"merged": outcome.merged, "tracking_number": outcome.tracking_number,
                "tracking_token": outcome.tracking_token}


@blp.route("/sla-policies")
class SlaPolicies(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, SlaPolicyOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[SlaPolicy]:
        """SLA policies: response and resolution targets per customer tier and priority."""
        return fetch_page(db.session, service.sla_policies_query(), pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(SlaPolicyIn)
    @blp.response(200, SlaPolicyOut)
    @blp.alt_response(422, schema=ErrorSchema, description="Unknown calendar; targets.")
    def put(self, body: dict[str, Any]) -> SlaPolicy:
        """Set the policy of one tier and priority (admin); applies to new work orders."""
        policy = service.save_sla_policy(db.session, **body, actor=actor())
        db.session.commit()
        return policy


@blp.route("/business-calendars")
class BusinessCalendars(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, CalendarOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[BusinessCalendar]:
        """Business-hours calendars for SLA clocks."""
        return fetch_page(db.session, service.business_calendars_query(),
                          pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(CalendarCreate)
    @blp.response(201, CalendarOut)
    @blp.alt_response(409, schema=ErrorSchema, description="Name taken.")
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid hours or time zone.")
    def post(self, body: dict[str, Any]) -> BusinessCalendar:
        """Create a calendar: weekly hours in a time zone, plus holidays (admin)."""
        calendar = service.create_business_calendar(db.session, **body, actor=actor())
        db.session.commit()
        return calendar


# The page a scanned QR label opens (`{PUBLIC_BASE_URL}/r/<tag>`): plain HTML, not the API.
@blp.record_once
def _register_label_page(state: Any) -> None:
    from app.workorders.label_page import label_page

    state.app.add_url_rule("/r/<path:tag>", "label_page", label_page, methods=["GET"])
