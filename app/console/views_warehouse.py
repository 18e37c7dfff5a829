"""Warehouse pages: stock per warehouse and van, low stock with suggested quantities, the
pick lists of a day with "fulfil", a part's ledger with CSV download (the services of
/stock-levels, /stock-levels/low, /dispatch/pick-lists and /parts/<id>/ledger)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.console.web import STORE, bp, current_user, requires
from app.db import utcnow
from app.dispatch import service as dispatch
from app.dispatch.service.problem import local_day
from app.errors import Unprocessable
from app.extensions import db
from app.inventory import service as inventory

LIST_LIMIT = 500
LEDGER_PAGE = 500


def _day_arg(default: date) -> date:
    raw = request.values.get("date")
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise Unprocessable(_("Dates are written YYYY-MM-DD.")) from exc


@bp.route("/stock")
@requires(*STORE)
def stock() -> str:
    user = current_user()
    locations = list(db.session.scalars(inventory.list_locations(db.session, actor=user)))
    location_id = request.args.get("location_id", type=int)
    levels = list(db.session.scalars(inventory.list_stock_levels(
        db.session, location_id=location_id, actor=user).limit(LIST_LIMIT)))
    low, _total = inventory.low_stock(db.session, page=1, page_size=100, actor=user)
    parts = list(db.session.scalars(inventory.list_parts(db.session, is_active=True,
                                                         actor=user).limit(LIST_LIMIT)))
    return render_template("console/stock.html", locations=locations, levels=levels, low=low,
                           location_id=location_id, parts=parts)


def _int_field(name: str, *, required: bool = True) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw and not required:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise Unprocessable(_("Fill in every required field with a whole number."),
                            errors={name: ["A whole number."]}) from exc


@bp.route("/stock/movements", methods=["POST"])
@requires(*STORE)
def movement() -> Response:
    """A receipt into a location or a transfer between two (POST /stock-movements)."""
    kind = request.form.get("kind")
    if kind not in ("receipt", "transfer"):
        raise Unprocessable(_("Choose a receipt or a transfer."))
    moved = inventory.record_movement(
        db.session, kind=kind, part_id=_int_field("part_id"),
        quantity=_int_field("quantity"),
        from_location_id=_int_field("from_location_id", required=False)
        if kind == "transfer" else None,
        to_location_id=_int_field("to_location_id"),
        note=request.form.get("note", "").strip() or None, actor=current_user())
    db.session.commit()
    flash(_("Recorded: %(quantity)d × %(sku)s.", quantity=moved.quantity, sku=moved.part.sku),
          "success")
    return redirect(url_for("console.stock"))


@bp.route("/pick-lists")
@requires(*STORE)
def pick_lists() -> str:
    day = _day_arg(local_day(utcnow()) + timedelta(days=1))
    lists = dispatch.pick_lists(db.session, day)
    return render_template("console/pick_lists.html", day=day, lists=lists)


@bp.route("/pick-lists/fulfil", methods=["POST"])
@requires(*STORE)
def fulfil() -> Response:
    day = _day_arg(local_day(utcnow()) + timedelta(days=1))
    technician_id = request.form.get("technician_id", type=int)
    if technician_id is None:
        raise Unprocessable(_("Choose a technician."))
    plist = dispatch.fulfil_pick_list(db.session, day, technician_id, actor=current_user())
    db.session.commit()
    flash(_("Pick list for %(name)s fulfilled: the parts are in the van.",
            name=plist.technician.user.full_name), "success")
    return redirect(url_for("console.pick_lists", date=day.isoformat()))


@bp.route("/parts/<int:part_id>/ledger")
@requires(*STORE)
def ledger(part_id: int) -> Response | str:
    user = current_user()
    part = inventory.get_part(db.session, part_id, actor=user)
    entries, total = inventory.part_ledger(db.session, part_id, page=1, page_size=LEDGER_PAGE,
                                           actor=user)
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["movement_id", "occurred_at", "kind", "quantity", "from_location_id",
                         "to_location_id", "from_balance_after", "to_balance_after", "note"])
        for e in entries:
            m = e.movement
            writer.writerow([m.id, m.created_at.isoformat(), m.kind, m.quantity,
                             m.from_location_id, m.to_location_id, e.from_balance_after,
                             e.to_balance_after, m.note or ""])
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="ledger-{part.sku}.csv"'})
    return render_template("console/ledger.html", part=part, entries=entries, total=total)
