"""Maintenance plans: what they cover and their schedule, checked before they are saved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.assets.models import Asset, AssetStatus, Customer, EquipmentModel, Site, Skill
from app.auth.models import Role, User
from app.errors import N_, Forbidden, NotFound, Unprocessable
from app.inventory.models import Part, StockLocation
from app.maintenance.models import ChecklistTemplate, MaintenancePlan, ScheduleKind
from app.workorders.models import BusinessCalendar

TARGETS = ("asset_id", "equipment_model_id", "customer_id", "site_id")
_TARGET_MODELS: dict[str, Any] = {"asset_id": Asset, "equipment_model_id": EquipmentModel,
                                  "customer_id": Customer, "site_id": Site}
OFFICE = (Role.admin, Role.dispatcher)


# The refusal of each office-only action, whole sentences for the catalogues.
PLANNER_ONLY = {
    "skip maintenance": N_("Only admins and dispatchers may skip maintenance."),
    "attach checklists": N_("Only admins and dispatchers may attach checklists."),
    "manage checklists": N_("Only admins and dispatchers may manage checklists."),
    "see reliability figures": N_("Only admins and dispatchers may see reliability figures."),
    "write knowledge articles": N_("Only admins and dispatchers may write knowledge articles."),
    "edit knowledge articles": N_("Only admins and dispatchers may edit knowledge articles."),
    "manage maintenance plans": N_("Only admins and dispatchers may manage maintenance plans."),
    "see maintenance plans": N_("Only admins and dispatchers may see maintenance plans."),
    "manage failure codes": N_("Only admins and dispatchers may manage failure codes."),
}


def require_planner(actor: User, what: str) -> None:
    if actor.role not in OFFICE:
        raise Forbidden(PLANNER_ONLY[what])


def _check(session: Session, values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    targets = [t for t in TARGETS if values.get(t) is not None]
    if len(targets) != 1:
        errors["target"] = ["Name exactly one of asset_id, equipment_model_id, customer_id, "
                            "site_id."]
    for field in targets:
        if session.get(_TARGET_MODELS[field], values[field]) is None:
            errors[field] = ["Unknown."]
    kind = values.get("schedule_kind", ScheduleKind.calendar)
    if kind != ScheduleKind.meter and not (values.get("interval_unit")
                                           and values.get("interval_count")):
        errors["interval_unit"] = ["A calendar schedule needs interval_unit and interval_count."]
    if kind != ScheduleKind.calendar and not (values.get("meter") and values.get("meter_interval")):
        errors["meter"] = ["A meter schedule needs meter and meter_interval."]
    if values.get("weekdays") and values.get("interval_unit") != "week":
        errors["weekdays"] = ["Weekdays go with a weekly interval."]
    if values.get("day_of_month") and values.get("interval_unit") != "month":
        errors["day_of_month"] = ["A day of month goes with a monthly interval."]
    template_id = values.get("checklist_template_id")
    if template_id is not None and session.get(ChecklistTemplate, template_id) is None:
        errors["checklist_template_id"] = ["Unknown."]
    calendar_id = values.get("calendar_id")
    if calendar_id is not None and session.get(BusinessCalendar, calendar_id) is None:
        errors["calendar_id"] = ["Unknown."]
    if values.get("shift", "none") != "none" and calendar_id is None:
        errors["shift"] = ["Moving due dates off non-working days needs a calendar_id."]
    skill_ids = [s["skill_id"] for s in values.get("required_skills") or []]
    if len(set(skill_ids)) != len(skill_ids):
        errors["required_skills"] = ["A skill is listed twice."]
    elif skill_ids and len(session.scalars(select(Skill.id).where(
            Skill.id.in_(skill_ids))).all()) != len(skill_ids):
        errors["required_skills"] = ["Unknown skill."]
    part_ids = [p["part_id"] for p in values.get("parts") or []]
    if len(set(part_ids)) != len(part_ids):
        errors["parts"] = ["A part is listed twice."]
    elif part_ids and len(session.scalars(select(Part.id).where(
            Part.id.in_(part_ids))).all()) != len(part_ids):
        errors["parts"] = ["Unknown part."]
    location_id = values.get("parts_location_id")
    if part_ids and location_id is None:
        errors["parts_location_id"] = ["Say where the parts are reserved."]
    if location_id is not None and session.get(StockLocation, location_id) is None:
        errors["parts_location_id"] = ["Unknown."]
    if errors:
        raise Unprocessable(N_("The maintenance plan is not valid; see errors."), errors=errors)


def create_plan(session: Session, values: dict[str, Any], *, actor: User) -> MaintenancePlan:
    """Admins and dispatchers create plans for one target with a complete schedule."""
    require_planner(actor, "manage maintenance plans")
    _check(session, values)
    plan = MaintenancePlan(**values, created_by_id=actor.id)
    session.add(plan)
    session.flush()  # flush: the response carries the new id
    return plan


def update_plan(session: Session, plan: MaintenancePlan, changes: dict[str, Any], *,
                actor: User) -> MaintenancePlan:
    """Changes apply to occurrences generated from now on; generated orders stay as they are."""
    require_planner(actor, "manage maintenance plans")
    current = {c: getattr(plan, c) for c in (*TARGETS, "schedule_kind", "interval_unit",
                                             "interval_count", "meter", "meter_interval",
                                             "weekdays", "day_of_month", "checklist_template_id",
                                             "calendar_id", "shift", "required_skills", "parts",
                                             "parts_location_id")}
    if any(t in changes for t in TARGETS):
        current.update(dict.fromkeys(TARGETS))
    _check(session, {**current, **changes})
    for field, value in changes.items():
        setattr(plan, field, value)
    session.flush()  # flush: updated_at for the response
    return plan


def get_plan(session: Session, plan_id: int, *, actor: User) -> MaintenancePlan:
    plan = session.get(MaintenancePlan, plan_id)
    if plan is None or actor.role not in (*OFFICE, Role.technician):
        raise NotFound(N_("No such maintenance plan."))
    return plan


def list_plans(session: Session, *, actor: User, active: bool | None = None,
               asset_id: int | None = None) -> Select[Any]:
    require_planner(actor, "see maintenance plans")
    stmt = select(MaintenancePlan).order_by(MaintenancePlan.id)
    if active is not None:
        stmt = stmt.where(MaintenancePlan.active.is_(active))
    if asset_id is not None:
        stmt = stmt.where(MaintenancePlan.asset_id == asset_id)
    return stmt


def plan_assets(session: Session, plan: MaintenancePlan) -> list[Asset]:
    """The assets a plan covers now (retired ones are left out), in id order."""
    stmt = select(Asset).where(Asset.status != AssetStatus.retired).order_by(Asset.id)
    if plan.asset_id is not None:
        stmt = stmt.where(Asset.id == plan.asset_id)
    elif plan.equipment_model_id is not None:
        stmt = stmt.where(Asset.equipment_model_id == plan.equipment_model_id)
    elif plan.site_id is not None:
        stmt = stmt.where(Asset.site_id == plan.site_id)
    else:
        stmt = stmt.join(Site).where(Site.customer_id == plan.customer_id)
    return list(session.scalars(stmt))
