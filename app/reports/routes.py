from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.db import utcnow
from app.errors import ErrorSchema
from app.extensions import db
from app.mobile_api.storage import LocalStorage
from app.reports import service
from app.reports.schemas import (
    KpiQuery,
    KpiReport,
    KpiSeries,
    KpiSeriesQuery,
    ServiceReportQuery,
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                description="Reports: service KPIs per period and breakdown; printable "
                "service reports.")


def _account(query: dict[str, Any]) -> int | None:
    """Customers see their own account's figures only; office roles may pick one."""
    user = actor()
    return user.customer_id if user.role == Role.customer else query.get("customer_id")


@blp.route("/reports/kpis")
class KpiReportView(MethodView):
    @require_roles(Role.admin, Role.dispatcher, Role.customer)
    @blp.arguments(KpiQuery, location="query")
    @blp.response(200, KpiReport)
    @blp.alt_response(422, schema=ErrorSchema,
                      description="invalid_period (end before start, over 366 days).")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """SLA compliance, MTTR, MTBF, first-time fix, backlog, utilisation, travel share,
        on-time arrival, CSAT, parts and PM compliance for a period; `definitions` says
        how each is computed."""
        return service.kpi_report(db.session, start=query["from_"], end=query["to"],
                                  now=utcnow(), group_by=query.get("group_by"),
                                  customer_id=_account(query))


@blp.route("/reports/kpis/series")
class KpiSeriesView(MethodView):
    @require_roles(Role.admin, Role.dispatcher, Role.customer)
    @blp.arguments(KpiSeriesQuery, location="query")
    @blp.response(200, KpiSeries)
    @blp.alt_response(422, schema=ErrorSchema,
                      description="invalid_period (end before start, too many buckets).")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The total KPIs per day or per week, for charts."""
        return service.kpi_series(db.session, start=query["from_"], end=query["to"],
                                  now=utcnow(), interval=query["interval"],
                                  timezone=query["timezone"], customer_id=_account(query))


def _language(query: dict[str, Any]) -> str:
    """`lang` if given, else the best of Accept-Language (zh* -> Chinese), else English."""
    if query.get("lang"):
        return "zh_CN" if query["lang"].lower().startswith("zh") else "en"
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"], default="en")
    return "zh_CN" if best.startswith("zh") else "en"


@blp.route("/work-orders/<id:work_order_id>/service-report.pdf")
class ServiceReportPdf(MethodView):
    @require_roles(Role.admin, Role.dispatcher, Role.technician, Role.customer)
    @blp.arguments(ServiceReportQuery, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such work order "
                      "(or another account's, or another technician's).")
    @blp.alt_response(503, schema=ErrorSchema,
                      description="pdf_font_missing: the CJK font is not installed.")
    def get(self, query: dict[str, Any], work_order_id: int) -> Response:
        """The printable service report (customer, site, equipment, fault, work done, failure
        codes, parts, labour, customer-safe timeline, photos, signature, rating), in English
        or Chinese (`lang`, else Accept-Language)."""
        report = service.build_service_report(
            db.session, work_order_id, actor=actor(), lang=_language(query),
            storage=LocalStorage(current_app.config["PHOTO_STORAGE_DIR"]),
            font_path=current_app.config.get("PDF_CJK_FONT"))
        return Response(report.data, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{report.filename}"'})
