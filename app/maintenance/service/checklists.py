"""Checklist templates: versioned, per equipment model or per plan; a version never changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from app.assets.models import EquipmentModel
from app.auth.models import Role, User
from app.errors import N_, Conflict, NotFound, Unprocessable
from app.maintenance.models import ChecklistItem, ChecklistTemplate, ItemKind
from app.maintenance.service.plans import require_planner


def _items(items: list[dict[str, Any]]) -> list[ChecklistItem]:
    errors: dict[int, list[str]] = {}
    built = []
    for n, item in enumerate(items):
        kind = item["kind"]
        problems = []
        if kind == ItemKind.choice:
            choices = item.get("choices") or []
            if not choices:
                problems.append("A choice item needs choices.")
            if not set(item.get("failing_choices") or []) <= set(choices):
                problems.append("failing_choices must be among the choices.")
        elif item.get("choices") or item.get("failing_choices"):
            problems.append("Only choice items have choices.")
        if kind != ItemKind.number and (item.get("min_value") is not None
                                        or item.get("max_value") is not None):
            problems.append("Only number items have limits.")
        low, high = item.get("min_value"), item.get("max_value")
        if low is not None and high is not None and low > high:
            problems.append("min_value must not exceed max_value.")
        if problems:
            errors[n] = problems
            continue
        built.append(ChecklistItem(
            position=n + 1, label=item["label"], kind=kind,
            required=item.get("required", True), severity=item.get("severity", "medium"),
            unit=item.get("unit"), min_value=low, max_value=high,
            choices=list(item.get("choices") or []),
            failing_choices=list(item.get("failing_choices") or [])))
    if errors:
        raise Unprocessable(N_("The checklist items are not valid; see errors."),
                            errors={"items": errors})
    return built


def create_template(session: Session, *, code: str, name: str, items: list[dict[str, Any]],
                    equipment_model_id: int | None = None, actor: User) -> ChecklistTemplate:
    """A new checklist (version 1); its code names every later version."""
    require_planner(actor, "manage checklists")
    if session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)):
        raise Conflict(N_("A checklist with this code exists; add a version to it instead."),
                       error="checklist_code_taken")
    if equipment_model_id is not None and session.get(EquipmentModel, equipment_model_id) is None:
        raise Unprocessable(N_("Unknown equipment model."),
                            errors={"equipment_model_id": ["Unknown."]})
    template = ChecklistTemplate(code=code, version=1, name=name,
                                 equipment_model_id=equipment_model_id, items=_items(items),
                                 created_by_id=actor.id)
    session.add(template)
    session.flush()  # flush: ids of the template and its items for the response
    return template


def add_template_version(session: Session, template_id: int, *, name: str | None,
                         items: list[dict[str, Any]], actor: User) -> ChecklistTemplate:
    """A new version of a checklist; orders already holding an older version keep it. Two
    versions made at once: the unique (code, version) lets one win, the other gets 409."""
    require_planner(actor, "manage checklists")
    base = get_template(session, template_id, actor=actor)
    latest = session.scalar(select(func.max(ChecklistTemplate.version))
                            .where(ChecklistTemplate.code == base.code)) or 0
    template = ChecklistTemplate(code=base.code, version=latest + 1, name=name or base.name,
                                 equipment_model_id=base.equipment_model_id,
                                 items=_items(items), created_by_id=actor.id)
    session.add(template)
    session.flush()  # flush: ids for the response
    return template


def get_template(session: Session, template_id: int, *, actor: User) -> ChecklistTemplate:
    template = session.get(ChecklistTemplate, template_id)
    if template is None or actor.role == Role.customer:
        raise NotFound(N_("No such checklist."))
    return template


def list_templates(session: Session, *, actor: User, equipment_model_id: int | None = None,
                   code: str | None = None, latest_only: bool = True) -> Select[Any]:
    if actor.role == Role.customer:
        return select(ChecklistTemplate).where(false())
    stmt = (select(ChecklistTemplate).options(selectinload(ChecklistTemplate.items))
            .order_by(ChecklistTemplate.code, ChecklistTemplate.version))
    if equipment_model_id is not None:
        stmt = stmt.where(ChecklistTemplate.equipment_model_id == equipment_model_id)
    if code is not None:
        stmt = stmt.where(ChecklistTemplate.code == code)
    if latest_only:
        newest = (select(ChecklistTemplate.code, func.max(ChecklistTemplate.version)
                         .label("v")).group_by(ChecklistTemplate.code).subquery())
        stmt = stmt.join(newest, (newest.c.code == ChecklistTemplate.code)
                         & (newest.c.v == ChecklistTemplate.version))
    return stmt


def template_for_model(session: Session, equipment_model_id: int) -> ChecklistTemplate | None:
    """The newest checklist of an equipment model, if it has one."""
    return session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.equipment_model_id == equipment_model_id)
        .order_by(ChecklistTemplate.id.desc()).limit(1))
