"""Admin pages: users and roles, technicians' skills and weekly shifts, SLA policies and
business calendars, territories on the map.

Each form is read by the API's own schema (same limits, same messages) and handed to the
service the API calls (/users, /technicians/<id>/skills|shifts, /sla-policies,
/business-calendars, /territories); a refusal comes back as a flash in words."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import geo
from app.assets.models import SLA_TIER_VALUES, Customer, Skill
from app.auth import service as auth_service
from app.auth.models import ROLE_VALUES, Role
from app.auth.schemas import UserCreate, UserUpdate
from app.console.web import bp, current_user, requires
from app.dispatch import service as dispatch
from app.dispatch.models import Technician
from app.dispatch.schemas import Shift, SkillLevel, TerritoryCreate, TerritoryUpdate
from app.errors import Unprocessable
from app.extensions import db
from app.schema import Schema
from app.workorders import service as workorders
from app.workorders.models import PRIORITY_VALUES, BusinessCalendar
from app.workorders.schemas import CalendarCreate, SlaPolicyIn

LIST_LIMIT = 500
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday")]


def field_names() -> dict[str, str]:
    """The form labels of the fields a schema may name in a refusal."""
    return {"email": _("Email"), "full_name": _("Name"), "password": _("Password"),
            "role": _("Role"), "customer_id": _("Customer account"), "skill": _("Skill"),
            "level": _("Level"), "starts": _("Starts"), "ends": _("Ends"),
            "break_minutes": _("Break (minutes)"), "break_earliest": _("Break from"),
            "break_latest": _("Break until"), "response_minutes": _("Response (minutes)"),
            "resolution_minutes": _("Resolution (minutes)"), "calendar_id": _("Calendar"),
            "sla_tier": _("SLA tier"), "priority": _("Priority"), "name": _("Name"),
            "timezone": _("Time zone"), "weekly_hours": _("Business hours"),
            "holidays": _("Holidays"), "boundary": _("Boundary")}


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """The API's schema reads the form; its refusal names the fields by their labels."""
    try:
        return dict(schema.load(data))
    except ValidationError as exc:
        names = field_names()
        wrong = exc.messages if isinstance(exc.messages, dict) else {}
        listed = ", ".join(names.get(str(k), str(k)) for k in wrong) or "—"
        raise Unprocessable(_("Check these fields: %(fields)s", fields=listed),
                            errors=wrong) from exc


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


# --- users and roles ---------------------------------------------------------------------

@bp.route("/admin/users")
@requires(Role.admin)
def users() -> str:
    role = request.args.get("role") if request.args.get("role") in ROLE_VALUES else None
    text = request.args.get("q", "").strip() or None
    found = list(db.session.scalars(auth_service.list_users(db.session, role=role, q=text)
                                    .limit(LIST_LIMIT)))
    customers = list(db.session.scalars(select(Customer).order_by(Customer.name)
                                        .limit(LIST_LIMIT)))
    return render_template("console/users.html", users=found, roles=ROLE_VALUES, role=role,
                           q=text or "", customers=customers)


@bp.route("/admin/users", methods=["POST"])
@requires(Role.admin)
def create_user() -> Response:
    body = load(UserCreate(), {
        "email": _text("email"), "full_name": _text("full_name"),
        "password": request.form.get("password", ""), "role": _text("role"),
        "customer_id": int(_text("customer_id")) if _text("customer_id").isdigit() else None})
    user = auth_service.create_user(
        db.session, **body, password_method=current_app.config["PASSWORD_HASH_METHOD"],
        actor=current_user())
    db.session.commit()
    flash(_("User %(name)s created.", name=user.full_name), "success")
    return redirect(url_for("console.users"))


@bp.route("/admin/users/<int:user_id>", methods=["POST"])
@requires(Role.admin)
def update_user(user_id: int) -> Response:
    """Change the role, or deactivate / reactivate (PATCH /users/<id>)."""
    target = auth_service.get_user(db.session, user_id)
    raw: dict[str, Any] = {}
    if request.form.get("action") == "deactivate":
        raw["is_active"] = False
    elif request.form.get("action") == "activate":
        raw["is_active"] = True
    else:
        raw["role"] = _text("role")
        if raw["role"] == Role.customer and _text("customer_id").isdigit():
            raw["customer_id"] = int(_text("customer_id"))
    body = load(UserUpdate(), raw)
    auth_service.update_user(db.session, target, body,
                             password_method=current_app.config["PASSWORD_HASH_METHOD"],
                             actor=current_user())
    db.session.commit()
    flash(_("%(name)s saved.", name=target.full_name), "success")
    return redirect(url_for("console.users"))


# --- technicians: skills and weekly shifts -----------------------------------------------

@bp.route("/admin/technicians")
@requires(Role.admin)
def admin_technicians() -> str:
    techs = list(db.session.scalars(dispatch.list_technicians(db.session).limit(LIST_LIMIT)))
    return render_template("console/admin_technicians.html", techs=techs,
                           weekdays=weekday_names())


def _technician(technician_id: int) -> Technician:
    return dispatch.get_technician(db.session, technician_id, actor=current_user())


@bp.route("/admin/technicians/<int:technician_id>")
@requires(Role.admin)
def admin_technician(technician_id: int) -> str:
    tech = _technician(technician_id)
    skills = list(db.session.scalars(select(Skill).order_by(Skill.code).limit(LIST_LIMIT)))
    shifts = {s.weekday: s for s in tech.shifts}
    return render_template("console/admin_technician.html", tech=tech, skills=skills,
                           shifts=shifts, weekdays=weekday_names())


@bp.route("/admin/technicians/<int:technician_id>/skills", methods=["POST"])
@requires(Role.admin)
def admin_technician_skills(technician_id: int) -> Response:
    """The whole list at once (PUT /technicians/<id>/skills): kept rows with their levels,
    less the ones ticked for removal, plus the added one."""
    tech = _technician(technician_id)
    entries = []
    for held in tech.skills:
        code = held.skill.code
        if request.form.get(f"remove-{code}"):
            continue
        entries.append({"skill": code, "level": request.form.get(f"level-{code}", "")})
    if _text("add_skill"):
        entries.append({"skill": _text("add_skill"), "level": _text("add_level")})
    loaded = [load(SkillLevel(), e) for e in entries]
    dispatch.replace_skills(db.session, tech, loaded, actor=current_user())
    db.session.commit()
    flash(_("Skills of %(name)s saved.", name=tech.user.full_name), "success")
    return redirect(url_for("console.admin_technician", technician_id=tech.id))


@bp.route("/admin/technicians/<int:technician_id>/shifts", methods=["POST"])
@requires(Role.admin)
def admin_technician_shifts(technician_id: int) -> Response:
    """The week at once (PUT /technicians/<id>/shifts): a day with no start is off."""
    tech = _technician(technician_id)
    entries = []
    for day in range(7):
        starts, ends = _text(f"starts-{day}"), _text(f"ends-{day}")
        if not starts and not ends:
            continue
        entry: dict[str, Any] = {"weekday": day, "starts": starts, "ends": ends,
                                 "break_minutes": _text(f"break-{day}") or "0"}
        for key in ("break_earliest", "break_latest"):
            value = _text(f"{key}-{day}")
            entry[key] = value or None
        entries.append(load(Shift(), entry))
    dispatch.replace_shifts(db.session, tech, entries, actor=current_user())
    db.session.commit()
    flash(_("Weekly shifts of %(name)s saved.", name=tech.user.full_name), "success")
    return redirect(url_for("console.admin_technician", technician_id=tech.id))


# --- SLA policies and business calendars -------------------------------------------------

@bp.route("/admin/sla")
@requires(Role.admin)
def admin_sla() -> str:
    policies = list(db.session.scalars(workorders.sla_policies_query().limit(LIST_LIMIT)))
    calendars = list(db.session.scalars(workorders.business_calendars_query()
                                        .limit(LIST_LIMIT)))
    return render_template("console/admin_sla.html", policies=policies, calendars=calendars,
                           tiers=SLA_TIER_VALUES, priorities=PRIORITY_VALUES,
                           weekdays=list(zip(WEEKDAY_KEYS, weekday_names(), strict=True)),
                           calendar_hours=calendar_hours)


@bp.route("/admin/sla", methods=["POST"])
@requires(Role.admin)
def save_sla_policy() -> Response:
    """Create or replace the policy of a tier and priority (PUT /sla-policies)."""
    body = load(SlaPolicyIn(), {
        "sla_tier": _text("sla_tier"), "priority": _text("priority"),
        "response_minutes": _text("response_minutes"),
        "resolution_minutes": _text("resolution_minutes"),
        "calendar_id": int(_text("calendar_id")) if _text("calendar_id").isdigit() else None})
    policy = workorders.save_sla_policy(db.session, **body, actor=current_user())
    db.session.commit()
    flash(_("SLA policy %(tier)s / %(priority)s saved.", tier=policy.sla_tier,
            priority=policy.priority), "success")
    return redirect(url_for("console.admin_sla"))


@bp.route("/admin/calendars", methods=["POST"])
@requires(Role.admin)
def create_calendar() -> Response:
    """A calendar from "HH:MM-HH:MM" per weekday and holidays one per line
    (POST /business-calendars)."""
    hours: dict[str, list[list[str]]] = {}
    for key in WEEKDAY_KEYS:
        spans = [s.strip() for s in _text(f"hours-{key}").split(",") if s.strip()]
        hours[key] = [[p.strip() for p in s.split("-", 1)] if "-" in s else [s, ""]
                      for s in spans]
    holidays = [d.strip() for d in _text("holidays").replace(",", "\n").splitlines()
                if d.strip()]
    body = load(CalendarCreate(), {"name": _text("name"), "timezone": _text("timezone")
                                   or "Europe/Berlin", "weekly_hours": hours,
                                   "holidays": holidays})
    calendar = workorders.create_business_calendar(db.session, **body, actor=current_user())
    db.session.commit()
    flash(_("Calendar %(name)s created.", name=calendar.name), "success")
    return redirect(url_for("console.admin_sla"))


def calendar_hours(calendar: BusinessCalendar) -> str:
    return "; ".join(f"{day} " + ", ".join("–".join(s) for s in spans)
                     for day, spans in calendar.weekly_hours.items() if spans)


# --- territories --------------------------------------------------------------------------

def _boundary(raw: str) -> list[dict[str, str]]:
    """Corners written one per line as "lat, lng" (or "lat lng")."""
    corners = []
    for line in raw.replace(";", "\n").splitlines():
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise Unprocessable(_("Write each corner on its own line as: latitude, longitude."),
                                errors={"boundary": [line]})
        corners.append({"lat": parts[0], "lng": parts[1]})
    return corners


def boundary_text(territory: Any) -> str:
    return "\n".join(f"{v['lat']:.6f}, {v['lng']:.6f}"
                     for v in geo.polygon_vertices(territory.area) or [])


@bp.route("/admin/territories")
@requires(Role.admin)
def admin_territories() -> str:
    territories = list(db.session.scalars(dispatch.list_territories(db.session)
                                          .limit(LIST_LIMIT)))
    return render_template("console/admin_territories.html", territories=territories,
                           boundary_text=boundary_text,
                           tile_url=current_app.config.get("CONSOLE_MAP_TILE_URL") or "")


@bp.route("/admin/territories", methods=["POST"])
@requires(Role.admin)
def create_territory() -> Response:
    body = load(TerritoryCreate(), {"name": _text("name"),
                                    "boundary": _boundary(_text("boundary"))})
    territory = dispatch.create_territory(db.session, body, actor=current_user())
    db.session.commit()
    flash(_("Territory %(name)s saved.", name=territory.name), "success")
    return redirect(url_for("console.admin_territories"))


@bp.route("/admin/territories/<int:territory_id>", methods=["POST"])
@requires(Role.admin)
def update_territory(territory_id: int) -> Response:
    territory = dispatch.get_territory(db.session, territory_id)
    body = load(TerritoryUpdate(), {"name": _text("name"),
                                    "boundary": _boundary(_text("boundary"))})
    dispatch.update_territory(db.session, territory, body, actor=current_user())
    db.session.commit()
    flash(_("Territory %(name)s saved.", name=territory.name), "success")
    return redirect(url_for("console.admin_territories"))
