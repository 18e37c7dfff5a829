"""Demo SLA policies and work orders in every state, with believable timelines (app/demo.py).

Times are anchored at the moment of seeding (rounded to the hour), so the queue looks live:
open orders are due soon, finished ones lie in the past. Numbers are assigned in one go and
the year counter is set to match, instead of one counter UPDATE per order.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from app.assets.models import Asset, Site
from app.auth.models import Role, User
from app.db import utcnow
from app.demo_calendar import (
    DEMO_TZ,
    HOLIDAYS,
    Bookings,
    is_working_day,
    live_moment,
    local_at,
    next_working_day,
    plan_day,
)
from app.workorders.models import (
    BusinessCalendar,
    SlaPause,
    SlaPolicy,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderNumberCounter,
    WorkOrderRating,
    WorkOrderSkill,
    WorkOrderTimeWindow,
)
from app.workorders.service import sla

# (response, resolution) minutes per tier and priority.
_TARGETS = {
    "platinum": {"P1": (60, 240), "P2": (120, 480), "P3": (240, 960), "P4": (480, 2880)},
    "gold": {"P1": (120, 480), "P2": (240, 960), "P3": (480, 1440), "P4": (960, 4320)},
    "silver": {"P1": (240, 960), "P2": (480, 1440), "P3": (960, 2880), "P4": (1440, 5760)},
    "bronze": {"P1": (480, 1440), "P2": (960, 2880), "P3": (1440, 4320), "P4": (2880, 8640)},
}
# Bavarian public holidays (the business calendar skips them).
_HOLIDAYS = list(HOLIDAYS)
_PAST = ("on_hold", "completed", "closed", "cancelled")  # statuses after a visit
_STATES = (("new", 14), ("scheduled", 14), ("dispatched", 9), ("en_route", 5), ("on_site", 6),
           ("on_hold", 8), ("completed", 16), ("closed", 22), ("cancelled", 6))
_FAULTS = {
    "chiller": ["High-pressure alarm HP1, compressor trips", "Chilled water too warm (14 °C)",
                "Oil pressure fault on circuit B"],
    "crac": ["Server room above 27 °C", "Humidifier fault E12", "Fan module noisy"],
    "lift": ["Lift stuck between floors 3 and 4", "Doors reopen repeatedly",
             "Car levelling off by 3 cm"],
    "ct_scanner": ["Tube warm-up fails", "Gantry rotation error 4021"],
    "ultrasound": ["Probe image shows dropout lines", "System hangs at boot"],
    "patient_monitor": ["SpO2 module reports no sensor", "Display flickers"],
    "boiler": ["Burner lockout F4", "No hot water in building B", "Flue gas alarm"],
    "cnc": ["Spindle overheating", "Axis Y following error", "Coolant pump dead"],
    "laser_cutter": ["Beam power drops", "Nozzle changer jammed"],
    "combi_oven": ["Steam generator error 34.1", "Door seal leaking"],
    "dishwasher": ["Rinse temperature too low", "Drain pump blocked"],
    "compressor": ["Compressor trips on overtemperature", "Pressure dew point too high"],
    "ups": ["UPS on bypass after battery test", "Battery string alarm"],
}
_PLANNED = {"preventive": "Scheduled maintenance", "inspection": "Annual safety inspection",
            "installation": "Installation and commissioning"}
_NOTES = ("Customer asks to call 30 minutes before arrival.", "Access via loading dock.",
          "Spare filter set is in the van.", "Security escort needed on site.")
_RESOLUTIONS = (("electrical", "wear_and_tear", "replaced_part", "Replaced the contactor."),
                ("mechanical", "wear_and_tear", "replaced_part", "Replaced the drive belt."),
                ("software", "unknown", "software_update", "Updated the controller firmware."),
                ("blockage", "environment", "cleaned", "Cleaned the condenser and filters."),
                ("no_fault_found", "misuse", "advised_customer", "Explained the reset."))


def _calendar_and_policies(session: Session) -> dict[tuple[str, str], SlaPolicy]:
    office = BusinessCalendar(
        name="Munich office hours", timezone="Europe/Berlin",
        weekly_hours={d: [["07:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays=_HOLIDAYS)
    session.add(office)
    policies = {}
    for tier, by_priority in _TARGETS.items():
        for priority, (response, resolution) in by_priority.items():
            round_the_clock = tier == "platinum" or (tier == "gold" and priority == "P1")
            policies[(tier, priority)] = SlaPolicy(
                sla_tier=tier, priority=priority, response_minutes=response,
                resolution_minutes=resolution,
                calendar=None if round_the_clock else office)
    session.add_all(policies.values())
    return policies


class _Timeline:
    def __init__(self, work_order: WorkOrder) -> None:
        self.work_order = work_order
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, at: datetime, actor: User | None, internal: bool = False,
            **data: Any) -> None:
        self.events.append({"kind": kind, "occurred_at": at, "internal": internal,
                            "actor_user_id": actor.id if actor else None, "data": data,
                            "client_time": None})

    def status(self, frm: str, to: str, at: datetime, actor: User | None, action: str,
               **data: Any) -> None:
        self.add("status_changed", at, actor, **{"from": frm, "to": to, "action": action},
                 **data)


def seed_work_orders(session: Session, ctx: Any) -> dict[str, int]:
    rng = ctx.rng
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    policies = _calendar_and_policies(session)
    assets = list(session.scalars(select(Asset).options(
        selectinload(Asset.site).selectinload(Site.customer),
        selectinload(Asset.equipment_model)).order_by(Asset.id)))
    techs = list(session.scalars(select(User).where(User.role == Role.technician)
                                 .order_by(User.id)))
    dispatchers = list(session.scalars(select(User).where(User.role == Role.dispatcher)
                                       .order_by(User.id))) or [None]
    customers_users = {u.customer_id: u for u in session.scalars(
        select(User).where(User.role == Role.customer).order_by(User.id))}
    if not assets:
        return {"work_orders": 0}
    skills_of = ctx.made.get("technician_skills", {})
    days = _DemoDays(now, Bookings(rng))
    states = [s for s, _ in _STATES]
    weights = [w for _, w in _STATES]
    orders, timelines, ratings = [], [], []
    for n in range(ctx.size.work_orders + ctx.size.history):
        # After the live orders, the closed history of earlier years (the country size):
        # each reported, visited and closed within days, months to years ago.
        history = n >= ctx.size.work_orders
        status = rng.choices(("closed", "cancelled"), (92, 8))[0] if history \
            else rng.choices(states, weights)[0]
        asset = rng.choice(assets)
        site, model = asset.site, asset.equipment_model
        kind = rng.choices(("corrective", "preventive", "inspection", "installation"),
                           (70, 18, 9, 3))[0]
        priority = rng.choices(("P1", "P2", "P3", "P4"), (8, 22, 45, 25))[0] \
            if kind == "corrective" else "P4"
        fault = rng.choice(_FAULTS.get(model.category, ["Fault reported"]))
        title = fault if kind == "corrective" else f"{_PLANNED[kind]} {model.model}"
        age = {"new": (0.2, 20), "scheduled": (2, 48), "dispatched": (1, 24),
               "en_route": (1, 12), "on_site": (1, 12), "on_hold": (24, 120),
               "completed": (12, 72), "closed": (120, 720), "cancelled": (24, 400)}[status]
        # Jobs under way are under way in working hours (the last such moment at night).
        anchor = days.live if status in ("en_route", "on_site", "on_hold", "completed",
                                         "closed", "cancelled") else now
        if history:  # closed days to two weeks after the report, 2 months to 3 years ago
            anchor, age = days.live - timedelta(days=rng.uniform(60, 3 * 365)), (48, 336)
        created = anchor - timedelta(hours=rng.uniform(*age))
        if status in _PAST and _past_working_time(created + timedelta(hours=2),
                                                  anchor - timedelta(hours=4), rng) is None:
            # No working hours between the report and now for its visit: reported earlier.
            visit = _past_working_time(anchor - timedelta(days=10), anchor - timedelta(hours=6),
                                       rng)
            created = (visit or created) - timedelta(hours=2)
        created = created.replace(microsecond=0)
        dispatcher = rng.choice(dispatchers)
        customer_user = customers_users.get(site.customer_id)
        channel = rng.choices(("dispatcher", "customer", "qr_label"), (50, 35, 15))[0] \
            if kind == "corrective" else "dispatcher"
        creator = customer_user if channel == "customer" else (
            None if channel == "qr_label" else dispatcher)
        wo = WorkOrder(
            number=f"WO-{created.year}-{0:06d}", customer_id=site.customer_id, site=site,
            asset=asset, type=kind, priority=priority, channel=channel, status="new",
            title=title[:200], description=f"{fault}. Reported at {site.name}."
            if kind == "corrective" else f"{_PLANNED[kind]} as per contract.",
            contact_name=site.customer.contact_name, contact_phone=site.customer.contact_phone,
            estimated_duration_min=model.default_duration_min,
            skills=[WorkOrderSkill(skill_id=s.skill_id, min_level=s.min_level)
                    for s in model.skills],
            created_by_id=creator.id if creator else None, created_at=created,
            updated_at=created, version=1)
        wo.customer = site.customer
        policy = policies.get((site.customer.sla_tier, priority))
        wo.sla_policy = policy
        if policy is not None:
            wo.response_target_min = policy.response_minutes
            wo.resolution_target_min = policy.resolution_minutes
        sla.refresh_due_times(wo)  # before any pause opens (an open pause freezes them)
        tl = _Timeline(wo)
        tl.add("created", created, creator, number=None, channel=channel, priority=priority,
               type=kind)
        if rng.random() < 0.3:
            tl.add("note", created + timedelta(minutes=5), dispatcher, internal=True,
                   text=rng.choice(_NOTES))
        if status not in ("new", "cancelled") or rng.random() < 0.5:
            # Only a technician with the skills the equipment asks for is ever assigned.
            able = [t for t in techs if all(skills_of.get(t.id, {}).get(s.skill_id, 0)
                                            >= s.min_level for s in model.skills)] or techs
            _walk(wo, tl, status, created, anchor, rng, able, dispatcher, customer_user, days)
        else:
            wo.status = status
            if status == "cancelled":
                wo.closed_at = created + timedelta(hours=2)
                tl.status("new", "cancelled", wo.closed_at, customer_user or dispatcher,
                          "cancel", reason="Customer solved it in the meantime.")
        if kind == "corrective" and status not in ("new",) and rng.random() < 0.1:
            tl.add("customer_report", created + timedelta(minutes=40), customer_user,
                   description="It happened again just now.", contact={}, channel="customer",
                   time_windows=[])
        if status in ("new", "scheduled") and rng.random() < 0.6:
            # The customer's window: a morning, an afternoon or a whole working day soon.
            day = days.plan
            for _ in range(rng.randint(0, 3)):
                day = next_working_day(day)
            hours = rng.choice(((time(8), time(12, 30)), (time(12), time(17)),
                                (time(8), time(17))))
            if day == days.plan:  # the plan day's mornings are the booked jobs'
                hours = (time(12), time(17))
            if wo.scheduled_start is not None:  # the booked visit lies inside the window
                day, hours = wo.scheduled_start.astimezone(DEMO_TZ).date(), (time(8), time(17))
            wo.time_windows = [WorkOrderTimeWindow(start_at=local_at(day, hours[0]),
                                                   end_at=local_at(day, hours[1]))]
        if status in ("completed", "closed") and customer_user and rng.random() < 0.55:
            score = rng.choices((5, 4, 3, 2, 1), (50, 30, 10, 6, 4))[0]
            comment = {5: "Fast and friendly.", 4: "Good job.", 3: "OK, took a while.",
                       2: "Needed two visits.", 1: "Still not happy."}[score]
            # Rated some hours after the job, but never later than now (a demo seeded in the
            # evening would otherwise hold ratings from tomorrow morning).
            at = min((wo.completed_at or created) + timedelta(hours=6), now)
            ratings.append((wo, WorkOrderRating(score=score, comment=comment,
                                                rated_by_id=customer_user.id,
                                                created_at=at)))
            tl.add("rated", at, customer_user, score=score, comment=comment)
        orders.append(wo)
        timelines.append(tl)
    _number(session, orders)
    session.add_all(orders)
    session.flush()  # flush: ids for the timeline entries and ratings
    events = []
    for tl in timelines:
        for entry in tl.events:
            entry["work_order_id"] = tl.work_order.id
            if entry["kind"] == "created":
                entry["data"] = {**entry["data"], "number": tl.work_order.number}
            events.append(entry)
    events.sort(key=lambda e: (e["occurred_at"], e["work_order_id"]))
    # One multi-row INSERT instead of ten thousand ORM objects: ids follow time order.
    session.execute(insert(WorkOrderEvent), events)
    for wo, rating in ratings:
        rating.work_order_id = wo.id
    session.add_all([r for _, r in ratings])
    session.flush()  # flush: the tick reads the stored orders
    ticked = sla.run_sla_tick(session, now=now)
    return {"sla_policies": len(policies), "work_orders": len(orders),
            "work_order_events": len(events) + ticked.warnings + ticked.breaches,
            "work_order_ratings": len(ratings)}


def _number(session: Session, orders: list[WorkOrder]) -> None:
    """Numbers in creation order per year, and the counters set to the last one."""
    last: dict[int, int] = {}
    for wo in sorted(orders, key=lambda w: w.created_at):
        year = wo.created_at.year
        last[year] = last.get(year, 0) + 1
        wo.number = f"WO-{year}-{last[year]:06d}"
    session.add_all(WorkOrderNumberCounter(year=y, last_value=v) for y, v in last.items())


def _past_working_time(lo: datetime, hi: datetime, rng: Any,
                       minutes: int = 60) -> datetime | None:
    """A working-hours instant in (lo, hi) on one of the last working days before `hi`,
    with `minutes` of work left before 17:00."""
    day, first = hi.astimezone(DEMO_TZ).date(), lo.astimezone(DEMO_TZ).date()
    options: list[datetime] = []
    while day >= first and len(options) < 14:
        if is_working_day(day):
            latest = local_at(day, time(17)) - timedelta(minutes=minutes)
            options += [t for h in range(8, 16)
                        if lo < (t := local_at(day, time(h, rng.choice((0, 15, 30, 45))))) < hi
                        and t <= latest]
        day -= timedelta(days=1)
    return rng.choice(options) if options else None


class _DemoDays:
    """The demo's clock: now, the day the plan and the technicians' days are for, the last
    moment in working hours (jobs under way), and each technician's booked visits."""

    def __init__(self, now: datetime, bookings: Bookings) -> None:
        self.now, self.plan, self.live = now, plan_day(now), live_moment(now)
        self.bookings = bookings


def _walk(wo: WorkOrder, tl: _Timeline, target: str, created: datetime, now: datetime,
          rng: Any, techs: list[User], dispatcher: User | None,
          customer_user: User | None, days: _DemoDays) -> None:
    """Move the order from new to `target` with plausible times (never in the future), its
    visit in working hours on a working day."""
    tech = rng.choice(techs) if techs else None
    if tech is None:
        return
    span = now - created
    assigned_at = created + min(timedelta(minutes=rng.randint(10, 90)), span * 0.2)
    minutes = wo.estimated_duration_min
    if target in ("scheduled", "new"):  # booked on one of the next working days
        day = days.plan
        for _ in range(rng.randint(1, 4)):
            day = next_working_day(day)
        start = days.bookings.book(tech.id, day, minutes,
                                   earliest=assigned_at + timedelta(minutes=20))
    elif target == "dispatched":  # sent ahead for the day after the technicians' day
        # (that day itself is laid out by app/mobile_api/demo.py around travel times).
        start = days.bookings.book(tech.id, next_working_day(days.plan), minutes,
                                   earliest=max(now, assigned_at) + timedelta(minutes=20))
    elif target == "en_route":
        start = now + timedelta(minutes=rng.randint(5, 30))
    elif target == "on_site":
        start = now - timedelta(minutes=rng.randint(10, 60))
    else:  # past visits happen in working hours on a working day
        start = _past_working_time(assigned_at + timedelta(minutes=5),
                                   now - timedelta(hours=4), rng, minutes) \
            or assigned_at + (now - assigned_at) * rng.uniform(0.2, 0.5)
    start = max(start, assigned_at + timedelta(minutes=5)).replace(second=0, microsecond=0)
    wo.assignee_user_id = tech.id
    wo.scheduled_start = start
    wo.scheduled_end = start + timedelta(minutes=wo.estimated_duration_min)
    tl.add("assigned", assigned_at, dispatcher, old={"assignee_user_id": None},
           new={"assignee_user_id": tech.id, "scheduled_start": start.isoformat(),
                "scheduled_end": wo.scheduled_end.isoformat()})
    tl.status("new", "scheduled", assigned_at, dispatcher, "assign")
    wo.status = "scheduled"
    if target == "scheduled":
        return
    if target == "new":  # unassigned again: the technician fell ill (before now)
        back = assigned_at + min(timedelta(minutes=30), (now - assigned_at) / 2)
        tl.add("assigned", back, dispatcher, old={"assignee_user_id": tech.id},
               new={"assignee_user_id": None}, reason="Technician unavailable")
        tl.status("scheduled", "new", back, dispatcher, "unassign")
        wo.status, wo.assignee_user_id = "new", None
        wo.scheduled_start = wo.scheduled_end = None
        return
    dispatched_at = min(start - timedelta(minutes=rng.randint(30, 120)), now)
    dispatched_at = max(dispatched_at, assigned_at + timedelta(minutes=1))
    tl.status("scheduled", "dispatched", dispatched_at, dispatcher, "dispatch")
    wo.status = "dispatched"
    if target == "dispatched":
        return
    if target == "cancelled":
        wo.closed_at = dispatched_at + timedelta(minutes=20)
        tl.status("dispatched", "cancelled", wo.closed_at, dispatcher, "cancel",
                  reason="Duplicate of another order.")
        wo.status = "cancelled"
        return
    departed = min(start - timedelta(minutes=rng.randint(10, 35)), now - timedelta(minutes=1))
    departed = max(departed, dispatched_at + timedelta(minutes=1))
    tl.status("dispatched", "en_route", departed, tech, "depart")
    wo.status = "en_route"
    if target == "en_route":
        return
    arrived = max(min(start, now), departed + timedelta(minutes=5))
    tl.status("en_route", "on_site", arrived, tech, "arrive")
    wo.status, wo.responded_at = "on_site", arrived
    tl.add("check_in", arrived, tech, inside_geofence=True, distance_m=rng.randint(5, 80))
    if target == "on_site":
        return
    if target == "on_hold":
        reason = rng.choice(("parts", "customer", "access"))
        held = min(arrived + timedelta(minutes=40), now)
        tl.status("on_site", "on_hold", held, tech, "hold", hold_reason=reason,
                  reason="Waiting for a spare part" if reason == "parts" else None)
        wo.status, wo.hold_reason = "on_hold", reason
        if reason == "customer":
            wo.sla_pauses = [SlaPause(reason="on_hold_customer", started_at=held)]
            wo.sla_paused_since = held
        return
    failure, cause, remedy, notes = rng.choice(_RESOLUTIONS)
    done = min(arrived + timedelta(minutes=wo.estimated_duration_min + rng.randint(-20, 40)),
               now - timedelta(minutes=5))
    done = max(done, arrived + timedelta(minutes=10))
    first_fix = rng.random() < 0.82
    wo.status, wo.completed_at = "completed", done
    wo.resolution_notes, wo.failure_code, wo.cause_code, wo.remedy_code = (
        notes, failure, cause, remedy)
    wo.labour_minutes = int((done - arrived).total_seconds() // 60)
    wo.first_time_fix = first_fix
    tl.status("on_site", "completed", done, tech, "complete", resolution_notes=notes,
              labour_minutes=wo.labour_minutes, failure_code=failure, cause_code=cause,
              remedy_code=remedy, first_time_fix=first_fix, partial=False)
    if target == "closed":
        wo.closed_at = min(done + timedelta(hours=rng.randint(4, 48)), now)
        tl.status("completed", "closed", wo.closed_at, dispatcher, "close")
        wo.status = "closed"
