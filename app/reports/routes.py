from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.db import utcnow
from app.errors import ErrorSchema
from app.extensions import db
from app.reports import service
from app.reports.schemas import KpiQuery, KpiReport, KpiSeries, KpiSeriesQuery

blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                description="Reports: service KPIs per period and breakdown.")


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
