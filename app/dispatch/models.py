from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import geo
from app.assets.models import Skill
from app.auth.models import User
from app.db import UTCDateTime, utcnow
from app.extensions import Model


class ExceptionKind(StrEnum):
    leave = "leave"
    sickness = "sickness"
    training = "training"
    overtime = "overtime"  # extra availability; the others remove availability


EXCEPTION_KIND_VALUES = tuple(k.value for k in ExceptionKind)


class Territory(Model):
    """A named service area; technicians may be bound to one."""

    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    area: Mapped[Any] = mapped_column(geo.polygon_type())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Technician(Model):
    """A field technician's dispatch profile; the person is a user with role technician.

    The van is the inventory stock location the user owns (inventory.van_of_technician)."""

    __tablename__ = "technicians"
    __table_args__ = (
        CheckConstraint("max_daily_minutes BETWEEN 30 AND 1440", name="max_minutes_range"),
        *geo.point_indexes("technicians", "last_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    home_base: Mapped[Any] = mapped_column(geo.point_type())
    home_address: Mapped[str | None] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"), index=True)
    max_daily_minutes: Mapped[int] = mapped_column(default=480)
    cost_per_km: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0.35"))
    cost_per_hour: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("55.00"))
    # Reusable tools in the van (codes, sorted): never used up; jobs may require them.
    tools: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    is_active: Mapped[bool] = mapped_column(default=True)
    last_position: Mapped[Any | None] = mapped_column(
        geo.point_type(nullable=True))
    last_position_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_position_accuracy_m: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    skills: Mapped[list[TechnicianSkill]] = relationship(
        back_populates="technician", cascade="all, delete-orphan")
    shifts: Mapped[list[WeeklyShift]] = relationship(
        back_populates="technician", cascade="all, delete-orphan",
        order_by="WeeklyShift.weekday")
    territory: Mapped[Territory | None] = relationship()
    user: Mapped[User] = relationship()


class TechnicianSkill(Model):
    __tablename__ = "technician_skills"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    level: Mapped[int] = mapped_column()

    technician: Mapped[Technician] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class WeeklyShift(Model):
    """The technician's usual working hours on one weekday (local time), with a break window."""

    __tablename__ = "weekly_shifts"
    __table_args__ = (
        UniqueConstraint("technician_id", "weekday", name="uq_weekly_shifts_day"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends > starts", name="ends_after_start"),
        CheckConstraint("break_minutes >= 0 AND break_minutes <= 180", name="break_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    break_earliest: Mapped[time | None] = mapped_column(Time)
    break_latest: Mapped[time | None] = mapped_column(Time)
    break_minutes: Mapped[int] = mapped_column(default=0)

    technician: Mapped[Technician] = relationship(back_populates="shifts")


class ShiftException(Model):
    """Leave, sickness or training remove availability; overtime adds it (UTC instants)."""

    __tablename__ = "shift_exceptions"
    __table_args__ = (
        CheckConstraint(f"kind IN {EXCEPTION_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    applied = "applied"


class RunKind(StrEnum):
    plan = "plan"  # a day plan over many work orders
    insertion = "insertion"  # one urgent job added to the day's applied plan


RUN_STATUS_VALUES = tuple(s.value for s in RunStatus)
RUN_KIND_VALUES = tuple(k.value for k in RunKind)


class OptimizationRun(Model):
    """One optimizer run for a day: its inputs (and their digest), the proposed plan, KPIs.

    Nothing in the work orders changes until the run is applied; `planned_visits` carry the
    work-order version seen at run time, so applying detects what changed since."""

    __tablename__ = "optimization_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint(f"kind IN {RUN_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("time_limit_s > 0", name="time_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=RunKind.plan)
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.queued)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    base_run_id: Mapped[int | None] = mapped_column(ForeignKey("optimization_runs.id"))
    keep_assigned: Mapped[bool] = mapped_column(default=True)
    time_limit_s: Mapped[float] = mapped_column()
    # The optimizer.Problem as JSON, and its sha256: equal digests mean equal inputs.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    # The optimizer.Plan as JSON (insertions start from it), plus the summary figures.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    objective: Mapped[float | None] = mapped_column()
    kpis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    solver_stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    unassigned: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    visits: Mapped[list[PlannedVisit]] = relationship(
        back_populates="run", cascade="all, delete-orphan",
        order_by="PlannedVisit.id")

    @property
    def routes(self) -> list[dict[str, Any]]:
        """The planned visits grouped per technician, each route in visiting order."""
        routes: dict[int, list[PlannedVisit]] = {}
        for visit in sorted(self.visits, key=lambda v: (v.technician_id, v.sequence)):
            routes.setdefault(visit.technician_id, []).append(visit)
        return [{"technician_id": tid, "visits": visits} for tid, visits in routes.items()]


class PlannedVisit(Model):
    """A stop of a proposed route: a work order (or a warehouse pick-up) at planned times."""

    __tablename__ = "planned_visits"
    __table_args__ = (
        UniqueConstraint("run_id", "technician_id", "sequence", name="uq_planned_visits_slot"),
        CheckConstraint("kind IN ('job', 'pickup')", name="kind_known"),
        CheckConstraint("(kind = 'job') = (work_order_id IS NOT NULL)", name="job_has_order"),
        CheckConstraint("planned_end >= planned_start AND planned_start >= planned_arrival",
                        name="times_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("optimization_runs.id", ondelete="CASCADE"),
                                        index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    sequence: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20), default="job")
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    work_order_version: Mapped[int | None] = mapped_column()
    # Pick-ups: the warehouse and what is loaded there ({part_id: quantity}).
    stock_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"))
    picked: Mapped[dict[str, int] | None] = mapped_column(JSON)
    planned_arrival: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    travel_m: Mapped[int] = mapped_column(default=0)
    travel_s: Mapped[int] = mapped_column(default=0)

    run: Mapped[OptimizationRun] = relationship(back_populates="visits")
    technician: Mapped[Technician] = relationship()
