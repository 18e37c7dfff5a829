from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    event,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.assets.models import SLA_TIER_VALUES, Asset, Customer, Site, Skill
from app.db import UTCDateTime, utcnow
from app.extensions import Model


class Status(StrEnum):
    new = "new"
    scheduled = "scheduled"
    dispatched = "dispatched"
    en_route = "en_route"
    on_site = "on_site"
    on_hold = "on_hold"
    completed = "completed"
    closed = "closed"
    cancelled = "cancelled"


class WorkOrderType(StrEnum):
    corrective = "corrective"
    preventive = "preventive"
    inspection = "inspection"
    installation = "installation"


class HoldReason(StrEnum):
    parts = "parts"
    customer = "customer"
    access = "access"


class Channel(StrEnum):
    dispatcher = "dispatcher"  # created by office staff (phone, e-mail, planned work)
    customer = "customer"  # a logged-in customer's fault report (web or API)
    qr_label = "qr_label"  # the public form behind an asset's QR label
    follow_up = "follow_up"  # remaining work of a partially completed order


STATUS_VALUES = tuple(s.value for s in Status)
TYPE_VALUES = tuple(t.value for t in WorkOrderType)
HOLD_REASON_VALUES = tuple(r.value for r in HoldReason)
CHANNEL_VALUES = tuple(c.value for c in Channel)
PRIORITY_VALUES = ("P1", "P2", "P3", "P4")
# States in which the work is finished or abandoned; every other state is "open".
CLOSED_STATES = (Status.completed, Status.closed, Status.cancelled)
OPEN_STATES = tuple(s for s in Status if s not in CLOSED_STATES)


class WorkOrderNumberCounter(Model):
    """The last work-order number handed out per year (`WO-YYYY-NNNNNN`).

    Incremented with one atomic UPDATE ... RETURNING, so concurrent creations never share a
    number; a rolled-back creation may leave a gap, which is fine.
    """

    __tablename__ = "work_order_number_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class BusinessCalendar(Model):
    """Business hours for SLA clocks: a weekly schedule in a time zone, plus holidays."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    # {"mon": [["08:00", "17:00"]], ...}; a weekday absent means closed all day.
    weekly_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    # ["2026-12-25", ...]: local dates on which the clock does not run.
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaPolicy(Model):
    """Response and resolution targets for one customer tier and priority."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("sla_tier", "priority", name="uq_sla_policies_tier_priority"),
        CheckConstraint(f"sla_tier IN {SLA_TIER_VALUES!r}", name="sla_tier_known"),
        CheckConstraint(f"priority IN {PRIORITY_VALUES!r}", name="priority_known"),
        CheckConstraint("response_minutes > 0 AND resolution_minutes >= response_minutes",
                        name="targets_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sla_tier: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    # NULL: the clock runs 24x7; otherwise only in this calendar's business hours.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendars.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    calendar: Mapped[BusinessCalendar | None] = relationship()


class WorkOrder(Model):
    """A job at a customer's site, from the report to its closure.

    `version` is the optimistic lock: every ORM update is `... WHERE version = :seen`.
    """

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUS_VALUES!r}", name="status_known"),
        CheckConstraint(f"type IN {TYPE_VALUES!r}", name="type_known"),
        CheckConstraint(f"priority IN {PRIORITY_VALUES!r}", name="priority_known"),
        CheckConstraint(f"channel IN {CHANNEL_VALUES!r}", name="channel_known"),
        CheckConstraint(
            f"(status = 'on_hold') = (hold_reason IS NOT NULL AND hold_reason IN "
            f"{HOLD_REASON_VALUES!r})", name="hold_reason_iff_on_hold"),
        CheckConstraint("estimated_duration_min > 0", name="duration_positive"),
        CheckConstraint("labour_minutes IS NULL OR labour_minutes >= 0",
                        name="labour_not_negative"),
        CheckConstraint("scheduled_end IS NULL OR scheduled_end > scheduled_start",
                        name="schedule_ordered"),
        Index("ix_work_orders_status_resolution_due", "status", "resolution_due_at"),
        # The queue filtered by status and priority: one index search for its count and page.
        Index("ix_work_orders_status_priority", "status", "priority"),
        # A technician's visits in a time range: the day, the board, candidates' schedules.
        Index("ix_work_orders_assignee_scheduled", "assignee_user_id", "scheduled_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    type: Mapped[str] = mapped_column(String(20), default=WorkOrderType.corrective)
    priority: Mapped[str] = mapped_column(String(2), default="P3")
    channel: Mapped[str] = mapped_column(String(20), default=Channel.dispatcher)
    status: Mapped[str] = mapped_column(String(20), default=Status.new)
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    estimated_duration_min: Mapped[int] = mapped_column(default=60)
    # Reusable tools the technician needs (codes, sorted): in the van or fetched at a warehouse.
    required_tools: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # SLA: targets from the policy at creation (or priority change); due/warn instants are
    # recomputed whenever a pause ends, so the tick and the urgency sort are plain SQL.
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    # Targets copied from the policy, so editing a policy never moves existing due times.
    response_target_min: Mapped[int | None]
    resolution_target_min: Mapped[int | None]
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first on_site
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # closed or cancelled

    # Completion
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    failure_code: Mapped[str | None] = mapped_column(String(40))
    cause_code: Mapped[str | None] = mapped_column(String(40))
    remedy_code: Mapped[str | None] = mapped_column(String(40))
    labour_minutes: Mapped[int | None]
    first_time_fix: Mapped[bool | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"),
                                                        index=True)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site] = relationship()
    asset: Mapped[Asset | None] = relationship()
    sla_policy: Mapped[SlaPolicy | None] = relationship()
    skills: Mapped[list[WorkOrderSkill]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan",
        order_by="WorkOrderSkill.skill_id")
    time_windows: Mapped[list[WorkOrderTimeWindow]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan",
        order_by="WorkOrderTimeWindow.start_at")
    sla_pauses: Mapped[list[SlaPause]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan", order_by="SlaPause.started_at")
    rating: Mapped[WorkOrderRating | None] = relationship(back_populates="work_order")


def sla_urgency() -> Any:
    """The next deadline of an open order: response until met, then resolution."""
    return case((and_(WorkOrder.responded_at.is_(None), WorkOrder.response_due_at.is_not(None)),
                 WorkOrder.response_due_at), else_=WorkOrder.resolution_due_at)


def finished_last() -> Any:
    """0 for orders still to do, 1 for finished ones. Literals, not bound parameters, so the
    expression is the same text as the index's and SQLite can walk the index."""
    finished: list[Any] = [literal_column(f"'{s.value}'")
                for s in (Status.completed, Status.closed, Status.cancelled)]
    return case((WorkOrder.status.in_(finished), literal_column("1")), else_=literal_column("0"))


def sla_queue_order() -> tuple[Any, ...]:
    """The dispatcher's queue order: open first, least time left first, then priority."""
    urgency = sla_urgency()
    return (finished_last(), urgency.is_(None), urgency, WorkOrder.priority, WorkOrder.id)


# The queue's page and its count come from this index, not from sorting every order.
Index("ix_work_orders_sla_queue", *sla_queue_order())


class WorkOrderSkill(Model):
    """A skill the job needs, at a minimum level (defaults from the equipment model)."""

    __tablename__ = "work_order_skills"
    __table_args__ = (CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),)

    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    min_level: Mapped[int] = mapped_column(default=1)

    work_order: Mapped[WorkOrder] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class WorkOrderTimeWindow(Model):
    """When the customer can receive the technician (UTC); the optimizer reads these rows."""

    __tablename__ = "work_order_time_windows"
    __table_args__ = (CheckConstraint("end_at > start_at", name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)

    work_order: Mapped[WorkOrder] = relationship(back_populates="time_windows")


class SlaPause(Model):
    """An interval during which the SLA clocks stand still (on hold for the customer)."""

    __tablename__ = "sla_pauses"
    __table_args__ = (
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    work_order: Mapped[WorkOrder] = relationship(back_populates="sla_pauses")


class WorkOrderEvent(Model):
    """The append-only timeline: every change to a work order, who made it and when.

    `internal` entries (internal notes, SLA events, field edits of internal data) are hidden
    from customers.
    """

    __tablename__ = "work_order_events"
    __table_args__ = (Index("ix_work_order_events_order_time", "work_order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    internal: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the phone says it happened (offline work syncs later); occurred_at is server time.
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


@event.listens_for(WorkOrderEvent, "before_update")
def _timeline_is_append_only(_mapper: Any, _connection: Any, target: WorkOrderEvent) -> None:
    raise ValueError(f"work order event {target.id} is append-only")


class WorkOrderRating(Model):
    """The customer's rating of a finished job: once per work order (unique)."""

    __tablename__ = "work_order_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    work_order: Mapped[WorkOrder] = relationship(back_populates="rating")


class FaultReport(Model):
    """A customer's report of a fault: it opened a work order or was attached to an open one.

    Only a hash of the tracking token is kept; the token itself is shown once to the reporter.
    """

    __tablename__ = "fault_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tracking_token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The tracking link stops working once revoked (by a dispatcher or the customer).
    tracking_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitWindow(Model):
    """A fixed-window request counter shared by every web process (see rate_limit.py)."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(default=0)
