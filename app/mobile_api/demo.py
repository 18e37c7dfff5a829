"""Demo: every technician gets a believable day — the demo's working day (today before 07:00,
else the next working day) — two jobs they have the skills for at
customer sites near their home base, in time order within the morning of their shift (the
afternoon is left for the day plan), with parts reserved (the first
job's in the van, others some in the van, some to pick up at a warehouse), assignment
notifications in the outbox and, for some, a registered phone."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import geo
from app.assets.models import Asset, EquipmentModel, Site
from app.db import utcnow
from app.demo_calendar import plan_day
from app.dispatch.models import Technician
from app.dispatch.service.problem import point_of, travel_between
from app.inventory import service as inventory
from app.inventory.models import LocationKind, StockLevel, StockLocation
from app.notifications.models import PushDevice
from app.workorders import service as workorders
from app.workorders.models import WorkOrder

PICKUP_S = 600  # the planner's time for a warehouse pick-up (optimizer.Warehouse)
_FAULTS = (
    ("Unit trips on high pressure", "Alarm HP1 several times since this morning."),
    ("No cooling in zone 2", "Temperature rising, fans running, compressor silent."),
    ("Strange noise from the drive", "Grinding noise when starting, worse in the afternoon."),
    ("Annual maintenance", "Scheduled inspection and filter change."),
    ("Door does not close", "Door stops half way; reset did not help."),
    ("Error E42 on display", "Display shows E42 after power cut last night."),
    ("Leak under the unit", "Water on the floor under the unit, about a litre per hour."),
)


def seed_technician_days(session: Session, ctx: Any) -> dict[str, int]:
    techs = list(session.scalars(select(Technician).where(Technician.is_active.is_(True))
                                 .options(selectinload(Technician.shifts),
                                          selectinload(Technician.skills))
                                 .order_by(Technician.id)))
    sites = list(session.scalars(select(Site).where(Site.is_active.is_(True))
                                 .order_by(Site.id)))
    if not techs or not sites:
        return {"technician_day_jobs": 0}
    assets_by_site: dict[int, list[Asset]] = {}
    for asset in session.scalars(select(Asset).options(
            selectinload(Asset.equipment_model).selectinload(EquipmentModel.skills))
            .order_by(Asset.id)):
        assets_by_site.setdefault(asset.site_id, []).append(asset)
    site_points = [(site, geo.to_latlng(site.location)) for site in sites]
    warehouse = session.scalar(select(StockLocation).where(
        StockLocation.kind == LocationKind.warehouse).order_by(StockLocation.id))
    jobs = reservations = devices = 0
    taken: set[int] = set()
    for tech in techs:
        tz = ZoneInfo(tech.timezone)
        today = plan_day(utcnow())
        shift = next((s for s in tech.shifts if s.weekday == today.weekday()), None)
        if shift is None:
            continue  # not on shift that day: no jobs then
        # From the start of the shift, or from now when the day has begun.
        clock = max(datetime.combine(today, shift.starts, tz), utcnow().astimezone(tz)
                    .replace(second=0, microsecond=0))
        # After the first two jobs, bookings stop five hours before the end of the shift:
        # the rest is left for the day plan.
        shift_end = datetime.combine(today, shift.ends, tz) - timedelta(hours=5)
        have = {ts.skill_id: ts.level for ts in tech.skills}
        # The lunch break (earliest start, latest end, length) still to be left free.
        lunch: tuple[datetime, datetime, timedelta] | None = None
        if shift.break_minutes and shift.break_earliest and shift.break_latest:
            lunch = (datetime.combine(today, shift.break_earliest, tz),
                     datetime.combine(today, shift.break_latest, tz),
                     timedelta(minutes=shift.break_minutes))

        def able(asset: Asset, have: dict[int, int] = have) -> bool:
            return all(have.get(s.skill_id, 0) >= s.min_level
                       for s in asset.equipment_model.skills)

        home = geo.to_latlng(tech.home_base)
        last_point = point_of(tech.home_base)
        # The 12 nearest free sites with an asset the technician can work on: nearest first,
        # skills checked only until 12 are found (not for every site of the city).
        by_distance = sorted(site_points, key=lambda s: geo.haversine_m(
            home["lat"], home["lng"], s[1]["lat"], s[1]["lng"]))
        near = list(islice((s for s in by_distance if s[0].id not in taken and any(
            able(a) for a in assets_by_site.get(s[0].id, ()))), 12))
        # Jobs the work-order demo already scheduled for this technician today come first.
        planned = list(session.execute(
            select(WorkOrder.scheduled_start, WorkOrder.scheduled_end, Site.location)
            .join(Site, Site.id == WorkOrder.site_id).where(
                WorkOrder.assignee_user_id == tech.user_id,
                WorkOrder.scheduled_start >= clock.replace(hour=0, minute=0),
                WorkOrder.scheduled_start < clock.replace(hour=0, minute=0) + timedelta(days=1))))
        if planned:
            clock = max([clock, *(end or start for start, end, _loc in planned)])
            last_point = point_of(max(planned, key=lambda p: p[0])[2])
        # Two jobs of the technician's own in the morning (the first's parts in the van: the
        # README's day works one and syncs the other); the afternoon is the day plan's.
        wanted = max(2, 2 - len(planned))
        van = inventory.van_of_technician(session, tech.user_id)
        for sequence, (site, _point) in enumerate(ctx.rng.sample(near, min(len(near),
                                                                           wanted))):
            asset = ctx.rng.choice([a for a in assets_by_site[site.id] if able(a)])
            # Travel from the previous stop (the home base first), by the planner's own model,
            # so the day it plans around these fixed visits is feasible.
            here = point_of(site.location)
            source = _parts_source(ctx, van, warehouse, first=sequence == 0)
            if source is not None and source is warehouse:  # a pick-up on the way
                depot = point_of(source.location)
                drive_s = (travel_between(last_point, depot)[1] + PICKUP_S
                           + travel_between(depot, here)[1])
            else:
                drive_s = travel_between(last_point, here)[1]
            travel = timedelta(minutes=max(ctx.rng.choice((20, 25, 30)), -(-drive_s // 60) + 10))
            limit = shift_end if sequence > 1 else datetime.combine(today, shift.ends, tz)
            duration = timedelta(minutes=asset.equipment_model.default_duration_min)
            start = _after_lunch(clock, travel, duration, lunch)
            if start + duration > limit:
                break  # the next job would run past the booked part of the shift
            taken.add(site.id)
            title, description = ctx.rng.choice(_FAULTS)
            wo = workorders.new_work_order(
                session, site=site, asset=asset, title=title, description=description,
                actor=None, priority=ctx.rng.choice(("P2", "P3", "P3", "P4")),
                type="preventive" if title == "Annual maintenance" else "corrective",
                contact_name="Facility desk", contact_phone="+49 89 1234 5678")
            if start > clock + travel:  # the lunch break was taken before this job
                lunch = None
            clock = start
            last_point = here
            workorders.assign_work_order(session, wo, assignee_user_id=tech.user_id,
                                         scheduled_start=clock, scheduled_end=None,
                                         version=None, actor=None)
            clock = wo.scheduled_end or clock + timedelta(minutes=60)
            workorders.record_event(session, wo, "status_changed", actor=None,
                                    data={"from": wo.status, "to": "dispatched",
                                          "action": "dispatch"})
            wo.status = "dispatched"
            jobs += 1
            reservations += _reserve_parts(session, ctx, wo.id, source)
            if sequence == 0 and site.access_notes is None:
                site.access_notes = ctx.rng.choice((
                    "Ring at the loading dock; ask for the caretaker.",
                    "Key box at the side entrance, code from dispatch.",
                    "Plant room on the roof; lift to 6th floor, then stairs."))
        if ctx.rng.random() < 0.7:
            session.add(PushDevice(user_id=tech.user_id, platform=ctx.rng.choice(
                ("android", "ios")), token=f"demo-fcm-token-{tech.user_id:05d}-"
                f"{ctx.rng.getrandbits(64):016x}", app_version="1.4.2"))
            devices += 1
    return {"technician_day_jobs": jobs, "technician_day_reservations": reservations,
            "push_devices": devices}


def _after_lunch(free: datetime, travel: timedelta, duration: timedelta,
                 lunch: tuple[datetime, datetime, timedelta] | None) -> datetime:
    """Where the next visit starts: after the travel, or after the lunch break first when the
    visit would leave no room for it inside its window."""
    start = free + travel
    if lunch is None:
        return start
    lo, hi, need = lunch
    if start + duration + need <= hi and start + duration >= lo:  # fits after this visit
        return start
    if start + duration <= lo:  # this visit ends before the break window opens
        return start
    return max(free, lo) + need + travel


def _parts_source(ctx: Any, van: StockLocation | None, warehouse: StockLocation | None,
                  first: bool) -> StockLocation | None:
    """Where a job's parts are reserved: the first job's in the van; others none, the van,
    or the warehouse (a pick-up on the way, which the visit's start leaves time for)."""
    if first:
        return van
    draw = ctx.rng.random()
    return None if draw < 0.4 else van if draw < 0.76 else warehouse


def _reserve_parts(session: Session, ctx: Any, work_order_id: int,
                   location: StockLocation | None) -> int:
    """One or two parts available at `location`, reserved for the job (none if it has none)."""
    if location is None:
        return 0
    stock = list(session.execute(
        select(StockLevel.part_id, StockLevel.on_hand - StockLevel.reserved)
        .where(StockLevel.location_id == location.id,
               StockLevel.on_hand - StockLevel.reserved > 0)
        .order_by(StockLevel.part_id)))
    if not stock:
        return 0
    lines = [(p, 1) for p, _ in ctx.rng.sample(stock, min(len(stock), ctx.rng.randint(1, 2)))]
    inventory.reserve_parts(session, work_order_id=work_order_id, location_id=location.id,
                            lines=lines, actor=None)
    return len(lines)
