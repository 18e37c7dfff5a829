"""The phone's write operations, one table for the endpoints and for offline sync.

A sync batch replays what the phone did offline through the same operations, in order, each in
its own savepoint with its own idempotency key: one refused operation (the job was reassigned
or cancelled meanwhile) is that operation's result and the others still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import DomainError, Unprocessable, error_body
from app.maintenance import schemas as maintenance_schemas
from app.maintenance import service as maintenance
from app.mobile_api import schemas, service
from app.schema import Schema
from app.workorders.models import WorkOrder

Apply = Callable[[Session, Any, dict[str, Any], User, "datetime | None"], Any]


@dataclass(frozen=True)
class Operation:
    path: str  # under /mobile/v1/jobs/<id>/ (or /mobile/v1/ when not about a job)
    schema: type[Schema]
    out: type[Schema]
    status: int
    apply: Apply
    needs_job: bool = True


def _status(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
            client_time: datetime | None) -> WorkOrder:
    return service.change_status(session, wo, to=body["to"], reason=body.get("reason"),
                                 hold_reason=body.get("hold_reason"),
                                 position=body.get("position"),
                                 client_time=body.get("client_time") or client_time, actor=user)


def _check_in(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
              client_time: datetime | None) -> Any:
    return service.check_in(session, wo, lat=body["lat"], lng=body["lng"],
                            accuracy_m=body["accuracy_m"], at=body.get("at") or client_time,
                            override_reason=body.get("override_reason"), actor=user)


def _check_out(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
               client_time: datetime | None) -> Any:
    return service.check_out(session, wo, lat=body["lat"], lng=body["lng"],
                             accuracy_m=body["accuracy_m"], at=body.get("at") or client_time,
                             override_reason=body.get("override_reason"), actor=user)


def _parts_used(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
                client_time: datetime | None) -> dict[str, Any]:
    return {"movements": service.record_parts_used(session, wo, lines=body["lines"],
                                                   note=body.get("note"),
                                                   client_time=client_time, actor=user)}


def _complete(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
              client_time: datetime | None) -> WorkOrder:
    return service.complete_job(session, wo, completion=body["completion"],
                                signature_photo_id=body.get("signature_photo_id"),
                                client_time=body.get("client_time") or client_time, actor=user)


def _location(session: Session, _wo: None, body: dict[str, Any], user: User,
              client_time: datetime | None) -> dict[str, Any]:
    fixes = [{**fix, "at": fix.get("at") or client_time} for fix in body["fixes"]]
    moved = service.report_location(session, fixes=fixes, actor=user)
    return {"accepted": len(fixes), "position_updated": moved}


def _checklist_item(session: Session, wo: WorkOrder, body: dict[str, Any], user: User,
                    client_time: datetime | None) -> Any:
    answer = {k: body.get(k) for k in ("passed", "number", "text", "choice", "photo_id")}
    return maintenance.record_item(session, wo, item_id=body["item_id"], answer=answer,
                                   note=body.get("note"),
                                   client_time=body.get("client_time") or client_time,
                                   actor=user)


OPERATIONS: dict[str, Operation] = {
    "status": Operation("status", schemas.JobStatusChange, schemas.JobOut, 200, _status),
    "check_in": Operation("check-in", schemas.CheckIn, schemas.VisitOut, 201, _check_in),
    "check_out": Operation("check-out", schemas.CheckIn, schemas.VisitOut, 200, _check_out),
    "parts_used": Operation("parts-used", schemas.PartsUsed, schemas.PartsUsedOut, 201,
                            _parts_used),
    "complete": Operation("complete", schemas.CompleteJob, schemas.JobOut, 200, _complete),
    "location": Operation("me/location", schemas.LocationBatch, schemas.LocationOut, 200,
                          _location, needs_job=False),
    "checklist_item": Operation("checklist", maintenance_schemas.ChecklistAnswer,
                                maintenance_schemas.ChecklistResult, 200, _checklist_item),
}


def run(name: str, session: Session, job_id: int | None, body: dict[str, Any], user: User,
        client_time: datetime | None = None) -> Any:
    """One operation on the caller's own job (another technician's is a 404)."""
    op = OPERATIONS[name]
    wo = None
    if op.needs_job:
        if job_id is None:
            raise Unprocessable("This operation needs a job_id.", errors={"job_id": ["Required."]})
        wo = service.get_job(session, job_id, actor=user)
    return op.apply(session, wo, body, user, client_time)


def endpoint_path(name: str, job_id: int | None) -> str:
    """The path the operation has as an endpoint: a key sent to either is the same request."""
    op = OPERATIONS[name]
    return f"/mobile/v1/jobs/{job_id}/{op.path}" if op.needs_job else f"/mobile/v1/{op.path}"


def sync(session: Session, operations: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
    """Apply offline operations in order; one result per operation."""
    return [_sync_one(session, item, user) for item in operations]


def _sync_one(session: Session, item: dict[str, Any], user: User) -> dict[str, Any]:
    name, key, job_id = item["op"], item["key"], item.get("job_id")
    op = OPERATIONS[name]
    result: dict[str, Any] = {"key": key, "op": name, "job_id": job_id, "replayed": False}
    if op.needs_job and job_id is None:
        return {**result, "status": 422, "body": error_body(
            422, "This operation needs a job_id.", errors={"job_id": ["Required."]})}
    path = endpoint_path(name, job_id)
    fingerprint = service.request_fingerprint("POST", path, item["body"])
    try:
        stored = service.find_response(session, key=key, fingerprint=fingerprint, actor=user)
        if stored is not None:
            return {**result, "status": stored.status_code, "body": stored.response_body,
                    "replayed": True}
        try:
            body = op.schema().load(item["body"])
        except ValidationError as exc:
            return {**result, "status": 422, "body": error_body(
                422, "The operation's body is not valid; see errors.",
                errors=exc.normalized_messages())}
        with session.begin_nested():
            claim = service.claim_key(session, key=key, method="POST", path=path,
                                      fingerprint=fingerprint, actor=user)
            dumped = op.out().dump(run(name, session, job_id, body, user,
                                       client_time=item["client_time"]))
            service.store_response(claim, status_code=op.status, body=dumped)
    except DomainError as exc:
        return {**result, "status": exc.code, "body": error_body(
            exc.code, exc.message, error=exc.error, errors=exc.errors, **exc.details)}
    except IntegrityError:
        # Either a concurrent send of this key committed first (its claim is what failed):
        # answer as it did; or the operation itself conflicted with existing data.
        stored = service.find_response(session, key=key, fingerprint=fingerprint, actor=user)
        if stored is not None:
            return {**result, "status": stored.status_code, "body": stored.response_body,
                    "replayed": True}
        return {**result, "status": 409, "body": error_body(
            409, "The change conflicts with existing data.", error="conflict")}
    return {**result, "status": op.status, "body": dumped}
