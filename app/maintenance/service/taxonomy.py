"""Failure taxonomy per equipment model: problem -> cause -> remedy. Corrective work on a
model with a taxonomy completes only with a problem, a cause under it and a remedy under
that cause (the completion check below; work orders call it through their hook)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.assets.models import EquipmentModel
from app.auth.models import Role, User
from app.errors import N_, Conflict, NotFound, Phrase, Unprocessable
from app.maintenance.models import CodeKind, FailureCode
from app.maintenance.service.plans import require_planner
from app.workorders.models import WorkOrder, WorkOrderType

PARENT_KIND = {CodeKind.cause: CodeKind.problem, CodeKind.remedy: CodeKind.cause}
# Completion fields per kind (work orders name the problem `failure_code`).
COMPLETION_FIELD = {CodeKind.problem: "failure_code", CodeKind.cause: "cause_code",
                    CodeKind.remedy: "remedy_code"}


def create_failure_code(session: Session, *, equipment_model_id: int, kind: str, code: str,
                        label: str, parent_id: int | None = None,
                        actor: User) -> FailureCode:
    """A problem has no parent; a cause hangs under a problem, a remedy under a cause, all
    of the same model. A code is unique per model and kind."""
    require_planner(actor, "manage failure codes")
    if session.get(EquipmentModel, equipment_model_id) is None:
        raise Unprocessable(N_("Unknown equipment model."),
                            errors={"equipment_model_id": ["Unknown."]})
    parent = session.get(FailureCode, parent_id) if parent_id is not None else None
    wanted = PARENT_KIND.get(CodeKind(kind))
    if wanted is None and parent_id is not None:
        raise Unprocessable(N_("A problem code has no parent."), errors={"parent_id": ["Omit."]})
    if wanted is not None and (parent is None or parent.kind != wanted
                               or parent.equipment_model_id != equipment_model_id):
        raise Unprocessable(Phrase(N_("A %(kind)s hangs under a %(wanted)s of the same model."),
                                   kind=kind, wanted=wanted),
                            errors={"parent_id": [f"A {wanted} code of this model."]})
    if session.scalar(select(FailureCode.id).where(
            FailureCode.equipment_model_id == equipment_model_id, FailureCode.kind == kind,
            FailureCode.code == code)):
        raise Conflict(N_("This code exists for the model."), error="failure_code_taken")
    failure_code = FailureCode(equipment_model_id=equipment_model_id, kind=kind, code=code,
                               label=label, parent_id=parent_id)
    session.add(failure_code)
    session.flush()  # flush: the id for the response
    return failure_code


def list_failure_codes(session: Session, *, actor: User, equipment_model_id: int | None = None,
                       kind: str | None = None) -> Select[Any]:
    if actor.role == Role.customer:
        raise NotFound(N_("No failure codes for customers."))
    stmt = select(FailureCode).order_by(FailureCode.equipment_model_id, FailureCode.kind,
                                        FailureCode.code)
    if equipment_model_id is not None:
        stmt = stmt.where(FailureCode.equipment_model_id == equipment_model_id)
    if kind is not None:
        stmt = stmt.where(FailureCode.kind == kind)
    return stmt


def check_failure_codes(session: Session, work_order: WorkOrder,
                        data: dict[str, Any]) -> set[str] | None:
    """Completion check: on a model with a taxonomy, the codes come from it and hang
    together; corrective work must name all three. Returns the code kinds it validated."""
    model_id = work_order.asset.equipment_model_id if work_order.asset is not None else None
    if model_id is None:
        return None
    codes = list(session.scalars(select(FailureCode).where(
        FailureCode.equipment_model_id == model_id)))
    if not codes:
        return None
    completion = data.get("completion") or {}
    by_key = {(c.kind, c.code): c for c in codes}
    errors: dict[str, list[str]] = {}
    chosen: dict[str, FailureCode] = {}
    for kind, field in COMPLETION_FIELD.items():
        value = completion.get(field)
        if value is None:
            if work_order.type == WorkOrderType.corrective:
                errors[field] = [f"Required: a {kind} code of this equipment model."]
            continue
        found = by_key.get((kind, value))
        if found is None:
            errors[field] = [f"Not a {kind} code of this equipment model."]
        else:
            chosen[kind] = found
    for kind, parent_kind in PARENT_KIND.items():
        child, parent = chosen.get(kind), chosen.get(parent_kind)
        if child is not None and parent is not None and child.parent_id != parent.id:
            errors[COMPLETION_FIELD[kind]] = [f"Not a {kind} of {parent.code}."]
    if errors:
        raise Unprocessable(N_("The failure codes do not fit this equipment model's taxonomy."),
                            errors={"completion": errors}, error="failure_codes_invalid")
    return {"failure", "cause", "remedy"}
