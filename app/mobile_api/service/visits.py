"""What the technician does at a job: status, geofenced check-in/out, parts used, completion,
and GPS fixes for dispatch. Each change goes through the owning package's service and onto the
work order's timeline in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import geo
from app.auth.models import User
from app.config import Config
from app.db import utcnow
from app.dispatch import service as dispatch
from app.errors import Conflict, InvalidTransition, Unprocessable
from app.inventory import service as inventory
from app.inventory.models import StockMovement
from app.mobile_api.models import Photo, PhotoKind, SiteVisit
from app.mobile_api.service.jobs import site_point
from app.workorders import service as workorders
from app.workorders.models import Status, WorkOrder

# Targets the phone may ask for on /status; on_site is reached by check-in (or resuming).
PHONE_TARGETS = (Status.en_route, Status.on_hold, Status.on_site)


def change_status(session: Session, wo: WorkOrder, *, to: str, reason: str | None = None,
                  hold_reason: str | None = None, position: dict[str, Any] | None = None,
                  client_time: datetime | None = None, actor: User) -> WorkOrder:
    """The technician-side transitions: en route (with the phone's position), on hold (with a
    reason), back on site after a hold. Arriving is a check-in, completing is /complete."""
    if to == Status.en_route and position is None:
        raise Unprocessable("Send the phone's position when leaving for a job.",
                            errors={"position": ["Required for en_route."]})
    if to == Status.on_site and wo.status == Status.en_route:
        raise InvalidTransition("Arrive by checking in at the site.", error="check_in_required",
                                current=wo.status)
    if to not in PHONE_TARGETS:
        raise InvalidTransition(f"The phone cannot move a job to {to}.", current=wo.status,
                                allowed=[s.value for s in PHONE_TARGETS])
    data = {"hold_reason": hold_reason} if hold_reason else {}
    workorders.transition_work_order(session, wo, to, actor=actor, reason=reason,
                                     client_time=client_time, data=data)
    if position is not None and dispatch.get_technician_for_user(session, actor.id):
        report_location(session, fixes=[position], actor=actor)
    return wo


@dataclass(frozen=True)
class Geofence:
    distance_m: float
    allowed_m: float

    @property
    def inside(self) -> bool:
        return self.distance_m <= self.allowed_m


def measure_geofence(wo: WorkOrder, lat: float, lng: float, accuracy_m: float) -> Geofence:
    """Distance to the site's point against the radius plus the phone's accuracy (capped)."""
    site = site_point(wo)
    distance = geo.haversine_m(lat, lng, site["lat"], site["lng"])
    allowed = Config.GEOFENCE_RADIUS_M + min(max(accuracy_m, 0.0), Config.GEOFENCE_ACCURACY_CAP_M)
    return Geofence(distance_m=round(distance, 1), allowed_m=float(allowed))


def _require_inside(fence: Geofence, override_reason: str | None, what: str) -> None:
    if not fence.inside and not (override_reason and override_reason.strip()):
        raise Unprocessable(
            f"You are {fence.distance_m:.0f} m from the site; {what} is accepted within "
            f"{fence.allowed_m:.0f} m. Give an override_reason if you are really there.",
            error="outside_geofence", distance_m=fence.distance_m, allowed_m=fence.allowed_m)


def open_visit(session: Session, wo: WorkOrder) -> SiteVisit | None:
    return session.scalar(select(SiteVisit).where(
        SiteVisit.work_order_id == wo.id, SiteVisit.check_out_at.is_(None)))


def check_in(session: Session, wo: WorkOrder, *, lat: float, lng: float, accuracy_m: float,
             at: datetime | None, override_reason: str | None = None,
             actor: User) -> SiteVisit:
    """Check in within the site's geofence (or outside it with a reason, flagged for the
    dispatcher); puts the job on site, departing first if the phone skipped en route."""
    fence = measure_geofence(wo, lat, lng, accuracy_m)
    _require_inside(fence, override_reason, "check-in")
    if open_visit(session, wo) is not None:
        raise Conflict("You are already checked in at this job.", error="already_checked_in")
    if wo.status == Status.dispatched:
        workorders.transition_work_order(session, wo, Status.en_route, actor=actor,
                                         client_time=at)
    if wo.status != Status.on_site:  # back after a check-out: already on site
        workorders.transition_work_order(session, wo, Status.on_site, actor=actor,
                                         client_time=at, via=workorders.CHECK_IN)
    flagged = not fence.inside
    visit = SiteVisit(work_order_id=wo.id, technician_user_id=actor.id, check_in_at=utcnow(),
                      check_in_client_at=at, check_in_position=geo.to_point(lat, lng),
                      check_in_accuracy_m=accuracy_m, check_in_distance_m=fence.distance_m,
                      check_in_inside_geofence=fence.inside,
                      check_in_override_reason=override_reason if flagged else None,
                      flagged=flagged)
    session.add(visit)
    workorders.record_event(session, wo, "checked_in", actor=actor, client_time=at,
                            data={"distance_m": fence.distance_m, "inside_geofence": fence.inside})
    if flagged:
        workorders.record_event(session, wo, "geofence_override", actor=actor, internal=True,
                                client_time=at,
                                data={"step": "check_in", "distance_m": fence.distance_m,
                                      "allowed_m": fence.allowed_m,
                                      "reason": override_reason})
    session.flush()  # flush: the response carries the visit's id
    return visit


def check_out(session: Session, wo: WorkOrder, *, lat: float, lng: float, accuracy_m: float,
              at: datetime | None, override_reason: str | None = None,
              actor: User) -> SiteVisit:
    """Close the open visit within the geofence (or with a reason); time on site follows."""
    visit = open_visit(session, wo)
    if visit is None:
        raise Conflict("Check in before checking out.", error="not_checked_in")
    fence = measure_geofence(wo, lat, lng, accuracy_m)
    _require_inside(fence, override_reason, "check-out")
    now = utcnow()
    if at is not None and at < (visit.check_in_client_at or visit.check_in_at):
        raise Unprocessable("The check-out time is before the check-in.",
                            errors={"at": ["Before the check-in time."]})
    visit.check_out_at = max(now, visit.check_in_at)
    visit.check_out_client_at = at
    visit.check_out_position = geo.to_point(lat, lng)
    visit.check_out_accuracy_m = accuracy_m
    visit.check_out_distance_m = fence.distance_m
    visit.check_out_inside_geofence = fence.inside
    if not fence.inside:
        visit.check_out_override_reason = override_reason
        visit.flagged = True
        workorders.record_event(session, wo, "geofence_override", actor=actor, internal=True,
                                client_time=at,
                                data={"step": "check_out", "distance_m": fence.distance_m,
                                      "allowed_m": fence.allowed_m,
                                      "reason": override_reason})
    workorders.record_event(session, wo, "checked_out", actor=actor, client_time=at,
                            data={"distance_m": fence.distance_m,
                                  "minutes_on_site": visit.minutes_on_site})
    session.flush()  # flush: the database checks check-out >= check-in now, as a 409
    return visit


def record_parts_used(session: Session, wo: WorkOrder, *, lines: list[dict[str, int]],
                      note: str | None = None, client_time: datetime | None = None,
                      actor: User) -> list[StockMovement]:
    """Issue parts from the technician's own van to the job through the ledger, consuming the
    job's reservations first; all lines or none (409 insufficient_stock)."""
    van = inventory.van_of_technician(session, actor.id)
    if van is None:
        raise Conflict("You have no van to take parts from.", error="no_van")
    movements = inventory.issue_parts_to_work_order(
        session, work_order_id=wo.id, location_id=van.id,
        lines=[(line["part_id"], line["qty"]) for line in lines], actor=actor, note=note)
    workorders.record_event(session, wo, "parts_used", actor=actor, client_time=client_time,
                            data={"van": van.code, "lines": [
                                {"part_id": m.part_id, "qty": m.quantity} for m in movements]})
    return movements


def complete_job(session: Session, wo: WorkOrder, *, completion: dict[str, Any],
                 signature_photo_id: int | None = None, client_time: datetime | None = None,
                 actor: User) -> WorkOrder:
    """Complete after a check-in: resolution, codes, labour, first visit fixed, and the
    customer's signature (a signature photo of this job)."""
    visited = session.scalar(select(SiteVisit.id).where(SiteVisit.work_order_id == wo.id)
                             .limit(1))
    if visited is None:
        raise Conflict("Check in at the site before completing the job.",
                       error="not_checked_in")
    if signature_photo_id is not None:
        photo = session.get(Photo, signature_photo_id)
        if photo is None or photo.work_order_id != wo.id or photo.kind != PhotoKind.signature:
            raise Unprocessable("The signature must be a signature photo of this job.",
                                errors={"signature_photo_id": ["Not a signature of this job."]})
    workorders.transition_work_order(session, wo, Status.completed, actor=actor,
                                     client_time=client_time, data={"completion": completion},
                                     via=workorders.COMPLETION)
    if signature_photo_id is not None:
        workorders.record_event(session, wo, "customer_signed", actor=actor,
                                client_time=client_time,
                                data={"photo_id": signature_photo_id})
    return wo


def report_location(session: Session, *, fixes: list[dict[str, Any]], actor: User) -> bool:
    """Apply a batch of GPS fixes to the technician's dispatch profile (newest wins)."""
    tech = dispatch.get_technician_for_user(session, actor.id)
    if tech is None:
        raise Conflict("You have no technician profile; ask a dispatcher.",
                       error="no_technician_profile")
    moved = False
    for fix in sorted(fixes, key=lambda f: f.get("at") or utcnow()):
        moved |= dispatch.record_position(
            session, tech, lat=fix["lat"], lng=fix["lng"], at=fix.get("at") or utcnow(),
            accuracy_m=fix.get("accuracy_m"), actor=actor)
    return moved
