"""The dispatcher's day board: one row per technician (travel, jobs, pick-ups, breaks, idle
time, now, running late), a map of the routes and sites by state, plan runs with their
progress, the plan beside the day as it stands, apply and release, an emergency inserted into
today's plan, and a job moved to another technician or time.

Each action calls the service its API route calls (POST /dispatch/plans, GET .../plans/<id>,
.../apply, /dispatch/releases, /dispatch/insertions, PUT /work-orders/<id>/assignment)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.assets import service as assets
from app.assets.models import Site
from app.console.board_gantt import (
    BOARD_HOURS,
    BOARD_START_H,
    STATE_COLOURS,
    Words,
    bar_styles,
    bars_markup,
    gantt_row,
    map_layers,
)
from app.console.web import OFFICE, bp, current_user, fmt_time, requires, site_zone
from app.db import begin_writing, utcnow
from app.dispatch import service as dispatch
from app.dispatch.models import OptimizationRun, PlannedVisit, RunKind, RunStatus
from app.dispatch.runner import plan_run_launcher, plan_solver
from app.dispatch.service.problem import local_day, point_of
from app.errors import DomainError, Unprocessable, translate
from app.extensions import db
from app.workorders import service as workorders
from app.workorders.models import WorkOrder


def _day() -> date:
    raw = request.values.get("date")
    if not raw:
        return local_day(utcnow())
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise Unprocessable(_("Dates are written YYYY-MM-DD.")) from exc


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


def run_status_names() -> dict[str, str]:
    return {"queued": _("queued"), "running": _("running"), "done": _("done"),
            "failed": _("failed"), "applied": _("applied")}


def refusal(exc: DomainError) -> str:
    """Why a rule refused a move or an insertion, in the reader's language (the services'
    messages carry numbers and names the catalogue cannot hold, so they are rebuilt here from
    the error key and its details)."""
    d = exc.details
    if exc.error == "missing_skill":
        names = ", ".join(_("%(skill)s level %(required)s (has %(have)s)", skill=m["skill"],
                            required=m["required"], have=m["have"])
                          for m in d.get("missing_skills", []))
        return _("The technician lacks required skills: %(names)s.", names=names)
    if exc.error == "slot_overlap":
        return _("The slot overlaps %(numbers)s of this technician.",
                 numbers=", ".join(d.get("overlapping", [])))
    if exc.error == "outside_shift":
        return _("The slot lies outside the technician's working hours that day.")
    if exc.error == "no_free_slot":
        return _("The technician has no free slot left today; give a start.")
    if exc.error == "version_conflict":
        return _("The work order was changed by someone else; reload the board and try again.")
    if exc.error == "not_assignable":
        return _("A job that is under way or finished cannot be moved.")
    if exc.error == "not_insertable":
        return _("Only an unassigned new work order can be inserted.")
    if exc.error == "no_window_today":
        return _("The customer's time windows leave no time today.")
    if exc.error == "plan_stale":
        return _("Work orders changed since the plan was made: %(numbers)s. Run the plan "
                 "again.", numbers=", ".join(d.get("work_orders", [])))
    if exc.error == "plan_already_applied":
        return _("This plan was applied already.")
    if exc.error == "nothing_to_release":
        return _("No scheduled job to release on that day.")
    return translate(exc.message)


def unplaced_reason(code: str | None) -> str:
    return {"missing_skill": _("nobody on shift has the skills"),
            "parts_unavailable": _("the parts are not available"),
            "no_reachable_window": _("no technician reaches a customer window"),
            "shift_too_short": _("no shift is long enough"),
            "out_of_capacity": _("no route has room for the job today"),
            "no_free_slot": _("no route has room for the job today")}.get(
        code or "", _("no route has room for the job today"))


def _refused(exc: DomainError, to: str) -> Response:
    db.session.rollback()
    flash(refusal(exc), "error")
    return redirect(to)


def _board_url(day: date, **extra: Any) -> str:
    return url_for("console.board", date=day.isoformat(), **extra)


def _kpi_table(plan: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (label, current, plan) of the KPIs a dispatcher compares."""
    def share(v: Any) -> str:
        return f"{float(v) * 100:.0f} %"

    def mean_util(k: dict[str, Any]) -> str:
        values = list((k.get("utilisation") or {}).values())
        return share(sum(values) / len(values)) if values else "—"

    def unassigned(k: dict[str, Any], p: str) -> int:
        return int((k.get("unassigned_by_priority") or {}).get(p, 0))

    rows = [{"label": _("Jobs assigned"),
             "current": f"{current['jobs_assigned']} / {current['jobs_total']}",
             "plan": f"{plan.get('jobs_assigned', 0)} / {plan.get('jobs_total', 0)}"}]
    for p in ("P1", "P2", "P3", "P4"):
        rows.append({"label": _("Unassigned %(priority)s", priority=p),
                     "current": unassigned(current, p), "plan": unassigned(plan, p)})
    rows += [{"label": _("Travel (km)"), "current": current["travel_km"],
              "plan": plan.get("travel_km", "—")},
             {"label": _("Travel (min)"), "current": current["travel_min"],
              "plan": plan.get("travel_min", "—")},
             {"label": _("On time (SLA)"), "current": share(current["on_time_share"]),
              "plan": share(plan.get("on_time_share", 0))},
             {"label": _("Utilisation (mean)"), "current": mean_util(current),
              "plan": mean_util(plan)}]
    return rows


def _proposal(run_id: int | None, work_order_id: int | None) -> dict[str, Any] | None:
    """Where an inserted emergency would land: the insertion run's visit for the order."""
    if run_id is None or work_order_id is None:
        return None
    run = db.session.get(OptimizationRun, run_id)
    wo = db.session.get(WorkOrder, work_order_id)
    if run is None or wo is None or run.kind != RunKind.insertion:
        return None
    visit = db.session.scalar(select(PlannedVisit).where(
        PlannedVisit.run_id == run.id, PlannedVisit.work_order_id == wo.id))
    found: dict[str, Any] = {"run": run, "number": wo.number, "title": wo.title,
                             "work_order_id": wo.id, "visit": None}
    reason = next((u for u in run.unassigned or [] if u["work_order_id"] == wo.id), None)
    found["reason"] = unplaced_reason(reason["reason"] if reason else None)
    if run.status == RunStatus.failed:  # the placement broke a rule of the plan (validate)
        found["reason"] = _("the placement broke a rule of the plan and was not kept")
    if visit is not None:
        tech = dispatch.get_technician(db.session, visit.technician_id, actor=current_user())
        site = point_of(wo.site.location)
        found["visit"] = {"technician_id": tech.id, "name": tech.user.full_name,
                          "start": visit.planned_start, "end": visit.planned_end,
                          "arrival": visit.planned_arrival, "number": wo.number,
                          "at": [site.lat, site.lng]}
    return found


def _work_order_path() -> str:
    """The work-order page's path without its id (the id ends it): a city day draws ~500
    job bars, and `url_for` for each was 2 % of the page's Python calls."""
    path: str = url_for("console.work_order", work_order_id=0)
    assert path.endswith("/0")
    return path[:-1]


@bp.route("/board")
@requires(*OFFICE)
def board() -> str:
    day = _day()
    now = utcnow()
    found = dispatch.day_board(db.session, day, actor=current_user(), now=now)
    highlight = _int_arg("highlight")
    proposal = _proposal(_int_arg("insertion"), _int_arg("work_order"))
    proposed = [proposal["visit"]] if proposal and proposal["visit"] else []
    words = Words()
    rows = [gantt_row(day, row, now=now, highlight=highlight, proposed=proposed, words=words)
            for row in found.technicians]
    path = _work_order_path()
    for r, row in enumerate(rows, 1):
        row["bars_html"] = bars_markup(r, row["bars"], path, words)
    runs = list(db.session.scalars(dispatch.list_runs(db.session, day=day).limit(8)))
    chosen = _int_arg("run")
    compared = next((r for r in runs if r.id == chosen), None) if chosen else next(
        (r for r in runs if r.kind == RunKind.plan and r.status == RunStatus.done), None)
    comparison = None
    if compared is not None and compared.kpis:
        current = dispatch.current_day_kpis(db.session, compared, now=now)
        comparison = {"run": compared, "rows": _kpi_table(compared.kpis, current)}
    movable = [(bar.job, row["tech"]) for row in rows for bar in row["bars"]
               if bar.kind == "job" and bar.job["movable"]]
    # The emergency form's list of sites: ids and names (not 500 sites' geometry and hours).
    sites = db.session.execute(assets.list_sites(db.session, actor=current_user())
                               .with_only_columns(Site.id, Site.name).limit(500)).all()
    return render_template(
        "console/board.html", day=day, today=local_day(now), rows=rows, board=found,
        runs=runs, comparison=comparison, proposal=proposal, movable=movable, sites=sites,
        highlight=highlight, routes=map_layers(found.technicians, highlight=highlight,
                                               proposed=proposed),
        hours=range(BOARD_START_H, BOARD_START_H + BOARD_HOURS), state_names=words.states,
        state_colours=STATE_COLOURS, run_status_names=run_status_names(),
        tile_url=current_app.config.get("CONSOLE_MAP_TILE_URL") or "",
        work_order_path=path, bar_styles=bar_styles(rows))


@bp.route("/board/plans", methods=["POST"])
@requires(*OFFICE)
def plan() -> Response:
    """A plan run for the day. With scripts (an `Accept: application/json` request) every run
    is solved in the background and the page polls its progress; without, a short run is
    solved while the request waits, as the API does."""
    day = _day()
    try:
        limit = float(request.form.get("time_limit_s", "5"))
    except ValueError as exc:
        raise Unprocessable(_("The time limit is a number of seconds.")) from exc
    if not 0 < limit <= current_app.config.get("DISPATCH_MAX_TIME_LIMIT_S", 300):
        raise Unprocessable(_("The time limit is a number of seconds."))
    polled = request.accept_mimetypes.best == "application/json"
    launch = plan_run_launcher()
    run = dispatch.request_plan(db.session, day=day, time_limit_s=limit, actor=current_user(),
                                launch=launch)
    run_id, inline = run.id, dispatch.solves_inline(limit)
    db.session.commit()
    if polled:
        if inline:  # the service left it to the caller: the same hand-off as a long run
            launch(run_id)
        return jsonify({"id": run_id, "status": url_for("console.plan_status", run_id=run_id),
                        "board": _board_url(day, run=run_id)})
    if inline:
        dispatch.run_in_background(db.session.get_bind(), run_id, solve=plan_solver())
    run = dispatch.get_run(db.session, run_id, fresh=True)
    flash(_("Plan run %(id)d: %(status)s.", id=run.id,
            status=run_status_names().get(run.status, run.status)), "info")
    return redirect(_board_url(day, run=run_id))


@bp.route("/board/plans/<int:run_id>")
@requires(*OFFICE)
def plan_status(run_id: int) -> Response:
    """A run's progress for the page's poll: status, seconds since it started, its limit."""
    now = utcnow()
    if dispatch.abandoned_runs(db.session, now=now):  # as GET /dispatch/plans/<id> does
        begin_writing(db.session)
        if dispatch.expire_abandoned_runs(db.session, now=now):
            db.session.commit()
    run = dispatch.get_run(db.session, run_id, fresh=True)
    began = run.started_at
    end = run.finished_at or now
    elapsed = max(0.0, (end - began).total_seconds()) if began else 0.0
    status = run_status_names().get(run.status, run.status)
    return jsonify({"id": run.id, "state": run.status, "finished": run.status in (
        RunStatus.done, RunStatus.failed, RunStatus.applied),
        "elapsed_s": round(elapsed, 1), "limit_s": run.time_limit_s,
        "text": _("Plan run %(id)d: %(status)s, %(elapsed).1f s of %(limit)g s",
                  id=run.id, status=status, elapsed=elapsed, limit=run.time_limit_s)})


@bp.route("/board/plans/<int:run_id>/apply", methods=["POST"])
@requires(*OFFICE)
def apply_plan(run_id: int) -> Response:
    release = request.form.get("dispatch") == "1"
    back = request.referrer or url_for("console.board")
    try:
        run = dispatch.apply_run(db.session, run_id, actor=current_user(), dispatch=release)
        day, kind = run.plan_date, run.kind
        db.session.commit()
    except DomainError as exc:
        return _refused(exc, back)
    if release:
        flash(_("Plan run %(id)d is applied and released to the technicians.", id=run_id),
              "success")
    else:
        flash(_("Plan run %(id)d is applied.", id=run_id), "success")
    highlight = request.form.get("highlight", "")
    extra = {"highlight": int(highlight)} if kind == RunKind.insertion and \
        highlight.isdigit() else {}
    return redirect(_board_url(day, **extra))


@bp.route("/board/releases", methods=["POST"])
@requires(*OFFICE)
def release() -> Response:
    day = _day()
    try:
        done = dispatch.release_day(db.session, day, actor=current_user())
        db.session.commit()
    except DomainError as exc:
        return _refused(exc, _board_url(day))
    flash(_("Released: %(jobs)d jobs dispatched, %(techs)d technicians notified.",
            jobs=done.dispatched, techs=len(done.routes)), "success")
    return redirect(_board_url(day))


@bp.route("/board/insertions", methods=["POST"])
@requires(*OFFICE)
def insert() -> Response:
    """An emergency into today's plan: an open order picked from the list, or a new P1."""
    now = utcnow()
    today = _board_url(local_day(now))
    form = request.form
    try:
        if form.get("new") == "1":
            if not form.get("site_id", "").isdigit() or not form.get("title", "").strip():
                raise Unprocessable(_("Choose a site and give a title."))
            wo = workorders.create_work_order(
                db.session, title=form["title"].strip(),
                description=form.get("description", "").strip() or form["title"].strip(),
                site_id=int(form["site_id"]), priority="P1", actor=current_user())
            db.session.flush()  # flush: the insertion reads it
            work_order_id = wo.id
        else:
            if not form.get("work_order_id", "").isdigit():
                raise Unprocessable(_("Choose a work order."))
            work_order_id = int(form["work_order_id"])
        found = dispatch.insert_emergency(db.session, work_order_id, now=now,
                                          actor=current_user())
        run_id, number = found.run.id, found.work_order.number
        placed = found.technician_id is not None
        db.session.commit()
    except DomainError as exc:
        return _refused(exc, today)
    if placed:
        flash(_("%(number)s: here is where it lands; apply to book it.", number=number), "info")
    else:
        flash(_("%(number)s could not be placed today.", number=number), "error")
    return redirect(url_for("console.board", date=local_day(now).isoformat(), insertion=run_id,
                            work_order=work_order_id) + "#h-emergency")


@bp.route("/board/moves", methods=["POST"])
@requires(*OFFICE)
def move() -> Response:
    """A job to another technician or time: the API's assignment rules (skills, working
    hours, overlaps, the version the dispatcher saw); a refusal is shown in words."""
    day = _day()
    back = _board_url(day)
    form = request.form
    job, _sep, version = form.get("job", "").partition(":")
    if not (job.isdigit() and version.isdigit() and form.get("technician_id", "").isdigit()):
        flash(_("Choose a job and a technician."), "error")
        return redirect(back)
    try:
        at = time.fromisoformat(form.get("start", ""))
    except ValueError:
        flash(_("Give the start as HH:MM."), "error")
        return redirect(back)
    start = datetime.combine(day, at, tzinfo=site_zone())
    try:
        wo = dispatch.assign_technician(
            db.session, int(job), technician_id=int(form["technician_id"]),
            version=int(version), start=start, now=utcnow(), actor=current_user())
        tech = dispatch.get_technician(db.session, int(form["technician_id"]),
                                       actor=current_user())
        number, name = wo.number, tech.user.full_name
        db.session.commit()
    except DomainError as exc:
        return _refused(exc, back)
    flash(_("%(number)s is now with %(name)s at %(time)s.", number=number, name=name,
            time=fmt_time(start)), "success")
    return redirect(_board_url(day, highlight=int(job)))


@bp.route("/console/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Response:
    """Leaflet from the xstatic-leaflet package (no CDN, nothing copied into the repository)."""
    import xstatic.pkg.leaflet as leaflet_pkg
    from flask import send_from_directory

    return send_from_directory(leaflet_pkg.BASE_DIR, filename, max_age=86400)
