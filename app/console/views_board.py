"""The dispatcher's day board: one row per technician (shift, jobs, travel), a map of the
routes and sites, and plan runs (GET /dispatch/board, POST /dispatch/plans, .../apply)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app import geo
from app.console.web import OFFICE, bp, current_user, requires, site_zone
from app.db import utcnow
from app.dispatch import service as dispatch
from app.dispatch.runner import plan_run_launcher, plan_solver
from app.dispatch.service.problem import local_day
from app.errors import Unprocessable
from app.extensions import db

# The board spans 06:00-20:00 site time.
BOARD_START_H, BOARD_HOURS = 6, 14


def _day() -> date:
    raw = request.values.get("date")
    if not raw:
        return local_day(utcnow())
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise Unprocessable(_("Dates are written YYYY-MM-DD.")) from exc


def _span(day: date, start: datetime | None, end: datetime | None) -> dict[str, float] | None:
    """Left and width in percent of the board for [start, end)."""
    if start is None or end is None:
        return None
    origin = datetime.combine(day, time(BOARD_START_H), tzinfo=site_zone())
    total = BOARD_HOURS * 3600
    left = max(0.0, (start - origin).total_seconds() / total * 100)
    right = min(100.0, (end - origin).total_seconds() / total * 100)
    if right <= left:
        return None
    return {"left": round(left, 2), "width": round(right - left, 2)}


@bp.route("/board")
@requires(*OFFICE)
def board() -> str:
    day = _day()
    found = dispatch.day_board(db.session, day, actor=current_user())
    now = utcnow()
    rows, points = [], []
    for row in found.technicians:
        shifts = [s for s in (_span(day, w["start"], w["end"]) for w in row.windows) if s]
        jobs, route = [], []
        for v in row.visits:
            late = (v["status"] in ("scheduled", "dispatched", "en_route")
                    and v["scheduled_start"] is not None and v["scheduled_start"] < now)
            jobs.append({"visit": v, "span": _span(day, v["scheduled_start"],
                                                   v["scheduled_end"]), "late": late})
            route.append([v["site"].lat, v["site"].lng])
        rows.append({"tech": row.technician, "shifts": shifts, "jobs": jobs})
        where = geo.to_latlng(row.technician.last_position) \
            if row.technician.last_position is not None else None
        points.append({"name": row.technician.user.full_name, "route": route,
                       "position": [where["lat"], where["lng"]] if where else None})
    runs = list(db.session.scalars(dispatch.list_runs(db.session, day=day).limit(5)))
    return render_template("console/board.html", day=day, rows=rows, board=found,
                           routes=points, runs=runs, kpi_rows=kpi_rows, hours=range(BOARD_START_H,
                                                                 BOARD_START_H + BOARD_HOURS),
                           tile_url=current_app.config.get("CONSOLE_MAP_TILE_URL") or "")


@bp.route("/board/plans", methods=["POST"])
@requires(*OFFICE)
def plan() -> Response:
    day = _day()
    try:
        limit = float(request.form.get("time_limit_s", "5"))
    except ValueError as exc:
        raise Unprocessable(_("The time limit is a number of seconds.")) from exc
    if limit <= 0:
        raise Unprocessable(_("The time limit is a number of seconds."))
    # The same hand-off as the API: a long run goes to the pool (or Celery) after the commit,
    # a short one is solved now, outside this request's transaction.
    run = dispatch.request_plan(db.session, day=day, time_limit_s=limit, actor=current_user(),
                                launch=plan_run_launcher())
    run_id, inline = run.id, dispatch.solves_inline(limit)
    db.session.commit()
    if inline:
        dispatch.run_in_background(db.session.get_bind(), run_id, solve=plan_solver())
    run = dispatch.get_run(db.session, run_id, fresh=True)
    flash(_("Plan run %(id)d: %(status)s.", id=run.id, status=run.status), "info")
    return redirect(url_for("console.board", date=day.isoformat()))


@bp.route("/board/plans/<int:run_id>/apply", methods=["POST"])
@requires(*OFFICE)
def apply_plan(run_id: int) -> Response:
    run = dispatch.apply_run(db.session, run_id, actor=current_user())
    db.session.commit()
    flash(_("Plan run %(id)d is applied.", id=run.id), "success")
    return redirect(url_for("console.board", date=run.plan_date.isoformat()))


def kpi_rows(run: Any) -> list[tuple[str, Any]]:
    return sorted((run.kpis or {}).items())


@bp.route("/console/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet from the xstatic-leaflet package (no CDN, nothing copied into the repository)."""
    import xstatic.pkg.leaflet as leaflet_pkg
    from flask import send_from_directory

    return send_from_directory(leaflet_pkg.BASE_DIR, filename, max_age=86400)
