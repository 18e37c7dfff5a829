"""KPI page: SLA compliance, first-time fix, utilisation, travel share, backlog by age and CSAT
per day or per week, as inline SVG charts with the same numbers in a table (the service of
GET /api/v1/reports/kpis/series)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from babel.dates import format_skeleton
from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.console.charts import Series, bar_chart
from app.console.web import OFFICE, bp, requires, site_zone
from app.db import utcnow
from app.errors import Unprocessable
from app.extensions import db
from app.reports import service as reports

DAYS_SHOWN = 14
WEEKS_SHOWN = 8


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _count(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def period(interval: str, last: date) -> tuple[datetime, datetime]:
    """The days or weeks (Monday to Sunday) up to and including `last`, in the site's zone."""
    zone = site_zone()
    if interval == "week":
        monday = last - timedelta(days=last.weekday())
        first, end = monday - timedelta(weeks=WEEKS_SHOWN - 1), monday + timedelta(weeks=1)
    else:
        first, end = last - timedelta(days=DAYS_SHOWN - 1), last + timedelta(days=1)
    return (datetime.combine(first, time(0), zone), datetime.combine(end, time(0), zone))


def backlog_age_names() -> dict[str, str]:
    return {"0-1d": _("under 1 day"), "1-3d": _("1–3 days"), "3-7d": _("3–7 days"),
            "7-30d": _("7–30 days"), ">=30d": _("30 days or more")}


@bp.route("/kpis")
@requires(*OFFICE)
def kpis() -> str:
    interval = request.args.get("interval", "day")
    if interval not in ("day", "week"):
        interval = "day"
    now = utcnow()
    raw = request.args.get("date")
    try:
        last = date.fromisoformat(raw) if raw else now.astimezone(site_zone()).date()
    except ValueError as exc:
        raise Unprocessable(_("Dates are written YYYY-MM-DD.")) from exc
    start, end = period(interval, last)
    series = reports.kpi_series(db.session, start=start, end=end, now=now, interval=interval,
                                timezone=str(site_zone()))
    points = series["points"]
    locale = get_locale()
    labels = [format_skeleton("MMMd", p["from"].astimezone(site_zone()).date(), locale=locale)
              for p in points]
    ages = backlog_age_names()
    charts: list[dict[str, Any]] = []

    def add(key: str, title: str, lines: list[Series], fmt: Any, **kw: Any) -> None:
        charts.append({"id": f"chart-{key}", "title": title,
                       "svg": bar_chart(f"chart-{key}", title, labels, lines, fmt=fmt, **kw)})

    add("sla", _("SLA compliance"),
        [Series(_("Response on time"), [p["response_sla_rate"] for p in points]),
         Series(_("Resolved on time"), [p["resolution_sla_rate"] for p in points])],
        _percent, ceiling=1.0)
    add("ftf", _("First-time fix"),
        [Series(_("First-time fix"), [p["first_time_fix_rate"] for p in points])],
        _percent, ceiling=1.0)
    add("utilisation", _("Utilisation"),
        [Series(_("Utilisation"), [p["utilisation"] for p in points])], _percent, ceiling=1.0)
    add("travel", _("Travel share"),
        [Series(_("Travel share"), [p["travel_share"] for p in points])], _percent,
        ceiling=1.0)
    add("backlog", _("Backlog by age"),
        [Series(name, [float((p["backlog_by_age"] or {}).get(key, 0)) for p in points])
         for key, name in ages.items()], _count, stacked=True, whole=True)
    add("csat", _("Customer satisfaction (CSAT)"),
        [Series(_("Mean rating (1–5)"), [p["csat_average"] for p in points])], _score,
        ceiling=5.0, ticks=5)
    rows = [{"label": label, "sla_response": _percent(p["response_sla_rate"]),
             "sla_resolution": _percent(p["resolution_sla_rate"]),
             "ftf": _percent(p["first_time_fix_rate"]),
             "utilisation": _percent(p["utilisation"]),
             "travel": _percent(p["travel_share"]), "backlog": p["backlog"],
             "ages": [(p["backlog_by_age"] or {}).get(key, 0) for key in ages],
             "csat": _score(p["csat_average"]), "ratings": p["ratings"]}
            for label, p in zip(labels, points, strict=True)]
    return render_template("console/kpis.html", interval=interval, last=last, charts=charts,
                           rows=rows, ages=list(ages.values()))
