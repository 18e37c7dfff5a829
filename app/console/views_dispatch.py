"""Dispatcher pages: the queue by SLA urgency, a work order with its ranked candidates and the
one-click assignment (the services of GET /work-orders?sort=sla, /candidates, /assignment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.console.web import OFFICE, TimeLeftWords, bp, current_user, requires, time_left
from app.db import load_related, utcnow
from app.dispatch import service as dispatch
from app.dispatch.service.problem import job_parts, reservations_of
from app.errors import Unprocessable
from app.extensions import db
from app.inventory import service as inventory
from app.inventory.models import Part
from app.mobile_api import service as mobile_api
from app.mobile_api.storage import LocalStorage
from app.workorders import service as workorders
from app.workorders.models import OPEN_STATES, PRIORITY_VALUES, WorkOrder
from app.workorders.service.access import load_shown

QUEUE_LIMIT = 200


def _day_arg() -> date | None:
    """The day to rank candidates for (?date=YYYY-MM-DD); today when absent."""
    raw = request.args.get("date")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise Unprocessable(_("Dates are written YYYY-MM-DD.")) from exc


def sla_cell(wo: WorkOrder, now: Any, words: TimeLeftWords | None = None) -> dict[str, Any]:
    """The clock that runs out first (the response until met, then the resolution)."""
    words = words or TimeLeftWords()
    state = workorders.sla_state(wo, now)
    running = [m for m, stopped in ((state.response_remaining_min, wo.responded_at),
                                    (state.resolution_remaining_min, None))
               if m is not None and stopped is None]
    if not running:
        return {"text": words.none, "overdue": False, "paused": state.paused}
    from datetime import timedelta

    text, overdue = time_left(now + timedelta(minutes=min(running)), now, words)
    return {"text": text, "overdue": overdue, "paused": state.paused}


@bp.route("/queue")
@requires(*OFFICE)
def queue() -> str:
    statuses = [s for s in request.args.getlist("status") if s in OPEN_STATES] or \
        [str(s) for s in OPEN_STATES]
    priorities = [p for p in request.args.getlist("priority") if p in PRIORITY_VALUES] or None
    text = request.args.get("q", "").strip() or None
    stmt = workorders.list_work_orders(db.session, actor=current_user(),
                                               status=statuses, priority=priorities, q=text,
                                               sort="sla")
    # One query per relation shown (SLA clock, skills, customer, site), not several per row;
    # rating and policy joined into the orders' own query; customers and sites read as plain
    # rows (``load_related``: about half selectinload's CPU for 200 orders).
    orders = list(db.session.scalars(stmt.options(*workorders.SHOWN_IN_ROW)
                                     .limit(QUEUE_LIMIT)))
    load_related(db.session, orders, WorkOrder.customer)
    load_related(db.session, orders, WorkOrder.site)
    load_shown(db.session, orders)
    now = utcnow()
    reserved = job_parts(reservations_of(
        db.session, [wo.id for wo in orders]))
    words = TimeLeftWords()
    rows = [{"wo": wo, "sla": sla_cell(wo, now, words),
             "skills": [f"{s.skill.name} ≥{s.min_level}" for s in wo.skills],
             "parts": bool(reserved.get(wo.id))} for wo in orders]
    return render_template("console/queue.html", rows=rows, open_states=OPEN_STATES,
                           priorities=PRIORITY_VALUES, chosen_status=request.args.getlist(
                               "status"), chosen_priority=request.args.getlist("priority"),
                           q=text or "")


@bp.route("/work-orders/<int:work_order_id>")
@requires(*OFFICE)
def work_order(work_order_id: int) -> str:
    user = current_user()
    wo = workorders.get_work_order_for(db.session, work_order_id, actor=user)
    timeline = list(db.session.scalars(workorders.timeline_query(wo, actor=user)))
    photos = list(db.session.scalars(mobile_api.list_photos(db.session, wo.id,
                                                                     actor=user)))
    parts = list(db.session.scalars(inventory.list_reservations(
        db.session, work_order_id=wo.id, actor=user)))
    # .tuples().all(): a Result has keys(), so dict() would index it as a mapping.
    part_skus = dict(db.session.execute(select(Part.id, Part.sku).where(
        Part.id.in_({r.part_id for r in parts}))).tuples().all()) if parts else {}
    candidates: list[Any] = []
    if wo.status in OPEN_STATES:
        candidates = dispatch.candidates_for(db.session, wo.id, now=utcnow(),
                                             day=_day_arg(), actor=user)
    return render_template("console/work_order.html", wo=wo, timeline=timeline,
                           photos=photos, parts=parts, part_skus=part_skus, candidates=candidates,
                           sla=sla_cell(wo, utcnow()))


@bp.route("/work-orders/<int:work_order_id>/assign", methods=["POST"])
@requires(*OFFICE)
def assign(work_order_id: int) -> Response:
    form = request.form
    try:
        technician_id, version = int(form["technician_id"]), int(form["version"])
    except (KeyError, ValueError) as exc:
        raise Unprocessable(_("Choose a technician.")) from exc
    override = form.get("override") == "1"
    start = None
    if form.get("start"):
        try:
            start = datetime.fromisoformat(form["start"])
        except ValueError as exc:
            raise Unprocessable(_("Choose a technician.")) from exc
    wo = dispatch.assign_technician(
        db.session, work_order_id, technician_id=technician_id, version=version,
        start=start, override=override, reason=form.get("reason") or None, now=utcnow(),
        actor=current_user())
    db.session.commit()
    flash(_("%(number)s is assigned to %(name)s.", number=wo.number,
            name=_assignee_name(technician_id)), "success")
    return redirect(url_for("console.work_order", work_order_id=work_order_id))


def _assignee_name(technician_id: int) -> str:
    tech = dispatch.get_technician(db.session, technician_id, actor=current_user())
    return str(tech.user.full_name)


@bp.route("/work-orders/<int:work_order_id>/photos/<int:photo_id>")
@requires()
def photo(work_order_id: int, photo_id: int) -> Response:
    """A thumbnail (or the copy without GPS) through the same access rules as the API."""
    variant = "thumbnail" if request.args.get("size") != "full" else "public"
    file = mobile_api.photo_file(
        db.session, work_order_id, photo_id, variant=variant,
        storage=LocalStorage(current_app.config["PHOTO_STORAGE_DIR"]), actor=current_user())
    response = Response(file.data, mimetype=file.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
