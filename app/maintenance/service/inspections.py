"""Filling a work order's checklist. A failed item or a reading out of limits raises a
corrective work order in the same transaction, linked to the inspection and the item, with
the item's photo and note, the asset, and a priority from the item's severity."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.errors import N_, Conflict, NotFound, Phrase, Unprocessable
from app.maintenance.models import (
    ChecklistItem,
    Inspection,
    InspectionResult,
    ItemKind,
    Outcome,
)
from app.maintenance.service.checklists import get_template
from app.maintenance.service.plans import require_planner
from app.mobile_api.models import Photo, PhotoKind
from app.workorders import service as workorders
from app.workorders.models import CLOSED_STATES, Status, WorkOrder, WorkOrderType

SEVERITY_PRIORITY = {"critical": "P1", "high": "P2", "medium": "P3", "low": "P4"}
FILLABLE = (Status.on_site,)


def inspection_of(session: Session, work_order: WorkOrder) -> Inspection | None:
    return session.scalar(select(Inspection).where(Inspection.work_order_id == work_order.id))


def require_inspection(session: Session, work_order: WorkOrder) -> Inspection:
    inspection = inspection_of(session, work_order)
    if inspection is None:
        raise NotFound(N_("This work order has no checklist."), error="no_checklist")
    return inspection


def attach_checklist(session: Session, work_order: WorkOrder, *, template_id: int,
                     requires_signature: bool = False, actor: User) -> Inspection:
    """Office staff give an open work order a checklist (once; a filled one stays)."""
    require_planner(actor, "attach checklists")
    template = get_template(session, template_id, actor=actor)
    if work_order.status in CLOSED_STATES:
        raise Conflict(N_("The work order is finished."), error="work_order_closed")
    inspection = inspection_of(session, work_order)
    if inspection is not None:
        if inspection.results:
            raise Conflict(N_("The checklist has answers already."), error="checklist_started")
        inspection.template_id = template.id
        inspection.requires_signature = requires_signature
    else:
        inspection = Inspection(work_order_id=work_order.id, template_id=template.id,
                                requires_signature=requires_signature)
        session.add(inspection)
    workorders.record_event(session, work_order, "checklist_attached", actor=actor,
                            data={"template_id": template.id, "code": template.code,
                                  "version": template.version})
    session.flush()  # flush: the id for the response
    return inspection


def _photo_of_job(session: Session, work_order: WorkOrder, photo_id: int,
                  kind: str | None = None) -> Photo:
    photo = session.get(Photo, photo_id)
    if photo is None or photo.work_order_id != work_order.id or (
            kind is not None and photo.kind != kind):
        what = "a signature photo" if kind else "a photo"
        raise Unprocessable(N_("Attach a signature photo of this job.") if kind
                            else N_("Attach a photo of this job."),
                            errors={"photo_id": [f"Not {what} of this job."]})
    return photo


def _outcome(item: ChecklistItem, answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check the answer fits the item's kind; what it means (ok, failed, out of limits)."""
    kind = item.kind
    needed = {ItemKind.pass_fail: "passed", ItemKind.number: "number", ItemKind.text: "text",
              ItemKind.choice: "choice", ItemKind.photo: "photo_id",
              ItemKind.signature: "photo_id"}[ItemKind(kind)]
    if answer.get(needed) is None:
        raise Unprocessable(Phrase(N_("A %(kind)s item is answered with `%(needed)s`."),
                                   kind=kind, needed=needed),
                            errors={needed: ["Required for this item."]})
    values: dict[str, Any] = {"passed": None, "number": None, "text": None, "choice": None}
    if kind == ItemKind.pass_fail:
        values["passed"] = bool(answer["passed"])
        return (Outcome.ok if values["passed"] else Outcome.failed), values
    if kind == ItemKind.number:
        number = Decimal(answer["number"])
        values["number"] = number
        low = item.min_value if item.min_value is None else Decimal(item.min_value)
        high = item.max_value if item.max_value is None else Decimal(item.max_value)
        outside = (low is not None and number < low) or (high is not None and number > high)
        return (Outcome.out_of_limits if outside else Outcome.ok), values
    if kind == ItemKind.choice:
        if answer["choice"] not in item.choices:
            raise Unprocessable(N_("Not one of the item's choices."),
                                errors={"choice": [f"One of {', '.join(item.choices)}."]})
        values["choice"] = answer["choice"]
        return (Outcome.failed if answer["choice"] in item.failing_choices else Outcome.ok,
                values)
    if kind == ItemKind.text:
        values["text"] = answer["text"]
    return Outcome.ok, values


def record_item(session: Session, work_order: WorkOrder, *, item_id: int,
                answer: dict[str, Any], note: str | None = None,
                client_time: datetime | None = None, actor: User) -> InspectionResult:
    """The technician on site answers one item (again, to correct it). A failure raises one
    corrective work order; correcting the answer later does not raise a second."""
    inspection = require_inspection(session, work_order)
    if work_order.status not in FILLABLE:
        raise Conflict(N_("Fill in the checklist on site (check in first)."),
                       error="not_on_site", work_order_status=work_order.status)
    item = session.get(ChecklistItem, item_id)
    if item is None or item.template_id != inspection.template_id:
        raise Unprocessable(N_("This item is not on the job's checklist."),
                            errors={"item_id": ["Not on this checklist."]},
                            error="unknown_checklist_item")
    outcome, values = _outcome(item, answer)
    photo = None
    if answer.get("photo_id") is not None:
        kind = PhotoKind.signature if item.kind == ItemKind.signature else None
        photo = _photo_of_job(session, work_order, answer["photo_id"], kind)
    result = session.scalar(select(InspectionResult).where(
        InspectionResult.inspection_id == inspection.id, InspectionResult.item_id == item.id))
    if result is None:
        result = InspectionResult(inspection_id=inspection.id, item_id=item.id)
        session.add(result)
    for field, value in values.items():
        setattr(result, field, value)
    result.photo_id = photo.id if photo is not None else None
    result.note, result.outcome = note, outcome
    result.recorded_by_id, result.recorded_at = actor.id, utcnow()
    result.client_time = client_time
    session.flush()  # flush: the result's id links the corrective order
    workorders.record_event(session, work_order, "checklist_item_recorded", actor=actor,
                            client_time=client_time,
                            data={"item_id": item.id, "label": item.label, "outcome": outcome,
                                  **{k: str(v) for k, v in values.items() if v is not None}})
    if outcome != Outcome.ok and result.corrective_work_order_id is None:
        _raise_corrective(session, work_order, item, result, photo, actor, client_time)
    return result


def _answer_text(item: ChecklistItem, result: InspectionResult) -> str:
    if result.number is not None:
        limits = f"[{item.min_value if item.min_value is not None else '-∞'} .. " \
                 f"{item.max_value if item.max_value is not None else '∞'}]"
        return f"{result.number} {item.unit or ''} outside {limits}".strip()
    if result.choice is not None:
        return result.choice
    return "failed"


def _raise_corrective(session: Session, inspected: WorkOrder, item: ChecklistItem,
                      result: InspectionResult, photo: Photo | None, actor: User,
                      client_time: datetime | None) -> WorkOrder:
    answer = _answer_text(item, result)
    description = (f"Raised by the inspection of {inspected.number}: {item.label}: {answer}."
                   + (f"\n{result.note}" if result.note else ""))
    corrective = workorders.new_work_order(
        session, site=inspected.site, asset=inspected.asset, actor=actor,
        type=WorkOrderType.corrective, priority=SEVERITY_PRIORITY[item.severity],
        title=f"{item.label}: {answer}"[:200], description=description)
    result.corrective_work_order_id = corrective.id
    if photo is not None:  # the same stored file, now also a photo of the repair order
        session.add(Photo(work_order_id=corrective.id, uploaded_by_id=photo.uploaded_by_id,
                          kind=PhotoKind.before, caption=photo.caption or item.label,
                          content_type=photo.content_type, size_bytes=photo.size_bytes,
                          width=photo.width, height=photo.height, sha256=photo.sha256,
                          original_key=photo.original_key, public_key=photo.public_key,
                          thumbnail_key=photo.thumbnail_key, taken_at=photo.taken_at,
                          gps_lat=photo.gps_lat, gps_lng=photo.gps_lng))
    workorders.record_event(session, corrective, "raised_by_inspection", actor=actor,
                            client_time=client_time, data={
                                "work_order_id": inspected.id, "number": inspected.number,
                                "inspection_id": result.inspection_id, "item_id": item.id,
                                "result_id": result.id, "photo_id": photo.id if photo else None,
                                "note": result.note})
    workorders.record_event(session, inspected, "corrective_raised", actor=actor,
                            client_time=client_time, data={
                                "work_order_id": corrective.id, "number": corrective.number,
                                "item_id": item.id, "priority": corrective.priority})
    session.flush()  # flush: the copied photo row with the new order
    return corrective


def missing_items(session: Session, inspection: Inspection) -> list[ChecklistItem]:
    """Required items without an answer."""
    done = {r.item_id for r in inspection.results}
    return [i for i in inspection.template.items if i.required and i.id not in done]


def check_checklist_done(session: Session, work_order: WorkOrder,
                         _data: dict[str, Any]) -> set[str] | None:
    """Completion guard: a work order with a checklist completes only when every required
    item is answered, and with its required customer signature."""
    inspection = inspection_of(session, work_order)
    if inspection is None:
        return None
    missing = missing_items(session, inspection)
    if missing:
        raise Conflict(Phrase(N_("%(count)d required checklist item(s) are not done."),
                              count=len(missing)),
                       error="checklist_incomplete",
                       missing_items=[{"id": i.id, "label": i.label} for i in missing])
    if inspection.requires_signature:
        signed = session.scalar(select(Photo.id).where(
            Photo.work_order_id == work_order.id, Photo.kind == PhotoKind.signature).limit(1))
        if signed is None:
            raise Conflict(N_("This job needs the customer's signature before completion."),
                           error="signature_required")
    return None
