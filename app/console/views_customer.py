"""Customer pages: my sites and equipment (with QR labels), my work orders with the
customer-safe timeline, report a fault with a photo, rate a completed visit (the services of
/sites, /assets, /work-orders, /fault-reports, /rating and the photo upload)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.assets import labels
from app.assets import service as assets
from app.auth.models import Role
from app.console.web import bp, current_user, requires
from app.errors import Unprocessable
from app.extensions import db
from app.mobile_api import service as mobile_api
from app.mobile_api.storage import LocalStorage
from app.public_url import public_base_url
from app.workorders import service as workorders
from app.workorders.models import Status

LIST_LIMIT = 200


@bp.route("/my/sites")
@requires(Role.customer)
def my_sites() -> str:
    user = current_user()
    sites = list(db.session.scalars(assets.list_sites(db.session, actor=user)))
    equipment = list(db.session.scalars(assets.list_assets(db.session, actor=user)
                                        .limit(LIST_LIMIT)))
    by_site: dict[int, list[Any]] = {}
    for asset in equipment:
        by_site.setdefault(asset.site_id, []).append(asset)
    return render_template("console/my_sites.html", sites=sites, by_site=by_site)


@bp.route("/my/assets/<int:asset_id>/label.png")
@requires()
def asset_label(asset_id: int) -> Response:
    """The printable QR label, as GET /api/v1/assets/<id>/label.png answers it."""
    asset = assets.get_asset(db.session, asset_id, actor=current_user())
    url = labels.fault_report_url(public_base_url(), asset.tag)
    return Response(labels.label_png(asset, url), mimetype="image/png")


@bp.route("/my/orders")
@requires(Role.customer)
def my_orders() -> str:
    stmt = workorders.list_work_orders(db.session, actor=current_user(), sort="-created_at")
    orders = workorders.load_shown(db.session, list(db.session.scalars(stmt.limit(LIST_LIMIT))))
    return render_template("console/my_orders.html", orders=orders)


@bp.route("/my/orders/<int:work_order_id>")
@requires(Role.customer)
def my_order(work_order_id: int) -> str:
    user = current_user()
    wo = workorders.get_work_order_for(db.session, work_order_id, actor=user)
    timeline = list(db.session.scalars(workorders.timeline_query(wo, actor=user)))
    photos = list(db.session.scalars(mobile_api.list_photos(db.session, wo.id, actor=user)))
    can_rate = wo.status in (Status.completed, Status.closed) and wo.rating is None
    return render_template("console/my_order.html", wo=wo, timeline=timeline, photos=photos,
                           can_rate=can_rate)


@bp.route("/my/orders/<int:work_order_id>/rating", methods=["POST"])
@requires(Role.customer)
def rate(work_order_id: int) -> Response:
    user = current_user()
    try:
        score = int(request.form.get("score", ""))
    except ValueError as exc:
        raise Unprocessable(_("Choose a score from 1 to 5.")) from exc
    if not 1 <= score <= 5:
        raise Unprocessable(_("Choose a score from 1 to 5."))
    wo = workorders.get_work_order_for(db.session, work_order_id, actor=user)
    workorders.rate_work_order(db.session, wo, score=score,
                               comment=request.form.get("comment", "").strip() or None,
                               actor=user)
    db.session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for("console.my_order", work_order_id=work_order_id))


@bp.route("/my/report", methods=["GET", "POST"])
@requires(Role.customer)
def report_fault() -> Any:
    user = current_user()
    equipment = list(db.session.scalars(assets.list_assets(db.session, actor=user)
                                        .limit(LIST_LIMIT)))
    if request.method == "GET":
        return render_template("console/report_fault.html", equipment=equipment,
                               chosen=request.args.get("asset_id", type=int))
    description = request.form.get("description", "").strip()
    if not description:
        raise Unprocessable(_("Describe the fault."))
    asset_id = request.form.get("asset_id", type=int)
    outcome = workorders.report_fault(
        db.session, description=description, asset_id=asset_id, actor=user,
        contact_name=request.form.get("contact_name", "").strip() or None,
        contact_phone=request.form.get("contact_phone", "").strip() or None)
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        mobile_api.add_photo(db.session, outcome.work_order, data=upload.read(), kind="before",
                             caption=_("Photo from the fault report"),
                             storage=LocalStorage(current_app.config["PHOTO_STORAGE_DIR"]),
                             actor=user)
    db.session.commit()
    if outcome.merged:
        flash(_("Your report was added to the open work order %(number)s.",
                number=outcome.work_order.number), "success")
    else:
        flash(_("Thank you: work order %(number)s is open.",
                number=outcome.work_order.number), "success")
    return redirect(url_for("console.my_order", work_order_id=outcome.work_order.id))
