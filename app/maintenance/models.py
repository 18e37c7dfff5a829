"""Preventive maintenance plans and their occurrences, checklist templates and inspections;
the failure taxonomy and knowledge articles."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import Model


class ScheduleKind(StrEnum):
    calendar = "calendar"  # every N days / weeks / months
    meter = "meter"  # every N units of a meter
    both = "both"  # whichever comes first


class Anchor(StrEnum):
    fixed = "fixed"  # due dates follow the schedule from its start date
    floating = "floating"  # the next due date counts from the last completion


class IntervalUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Shift(StrEnum):
    """Where a due date that falls on a non-working day goes."""

    none = "none"
    previous = "previous"
    next = "next"


class OccurrenceStatus(StrEnum):
    generated = "generated"  # a work order exists (its own status says how far it got)
    skipped = "skipped"  # deliberately not done; recorded with a reason


class Trigger(StrEnum):
    calendar = "calendar"
    meter = "meter"  # the meter has reached the threshold
    forecast = "forecast"  # the meter trend reaches the threshold inside the horizon


class ItemKind(StrEnum):
    pass_fail = "pass_fail"
    number = "number"
    text = "text"
    choice = "choice"
    photo = "photo"
    signature = "signature"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Outcome(StrEnum):
    ok = "ok"
    failed = "failed"
    out_of_limits = "out_of_limits"


SCHEDULE_KIND_VALUES = tuple(k.value for k in ScheduleKind)
ANCHOR_VALUES = tuple(a.value for a in Anchor)
INTERVAL_UNIT_VALUES = tuple(u.value for u in IntervalUnit)
SHIFT_VALUES = tuple(s.value for s in Shift)
OCCURRENCE_STATUS_VALUES = tuple(s.value for s in OccurrenceStatus)
TRIGGER_VALUES = tuple(t.value for t in Trigger)
ITEM_KIND_VALUES = tuple(k.value for k in ItemKind)
SEVERITY_VALUES = tuple(s.value for s in Severity)
OUTCOME_VALUES = tuple(o.value for o in Outcome)
PRIORITY_VALUES = ("P1", "P2", "P3", "P4")


def _one_of(*columns: str) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


class ChecklistTemplate(Model):
    """One version of a checklist; a new version is a new row with the same code (versions
    are immutable, so an inspection always shows the items it was filled against)."""

    __tablename__ = "checklist_templates"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_checklist_templates_code_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))
    equipment_model_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_models.id"),
                                                           index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", cascade="all, delete-orphan",
        order_by="ChecklistItem.position")


class ChecklistItem(Model):
    """One line of a checklist: what to check, how it is answered, how bad a failure is."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        UniqueConstraint("template_id", "position", name="uq_checklist_items_position"),
        CheckConstraint(f"kind IN {ITEM_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint(f"severity IN {SEVERITY_VALUES!r}", name="severity_known"),
        CheckConstraint("min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
                        name="limits_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[str] = mapped_column(String(10), default=Severity.medium)
    unit: Mapped[str | None] = mapped_column(String(20))
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    # choice items: the options, and which of them count as a failure
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    failing_choices: Mapped[list[str]] = mapped_column(JSON, default=list)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class MaintenancePlan(Model):
    """What to maintain (one asset, every asset of a model, of a customer or of a site), how
    (checklist, skills, duration, parts) and when (calendar, meter or both)."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint(_one_of("asset_id", "equipment_model_id", "customer_id", "site_id"),
                        name="one_target"),
        CheckConstraint(f"schedule_kind IN {SCHEDULE_KIND_VALUES!r}", name="schedule_known"),
        CheckConstraint(f"anchor IN {ANCHOR_VALUES!r}", name="anchor_known"),
        CheckConstraint(f"shift IN {SHIFT_VALUES!r}", name="shift_known"),
        CheckConstraint(f"priority IN {PRIORITY_VALUES!r}", name="priority_known"),
        CheckConstraint(f"interval_unit IS NULL OR interval_unit IN {INTERVAL_UNIT_VALUES!r}",
                        name="interval_unit_known"),
        CheckConstraint("(schedule_kind = 'meter') OR (interval_unit IS NOT NULL AND "
                        "interval_count >= 1)", name="calendar_complete"),
        CheckConstraint("(schedule_kind = 'calendar') OR (meter IS NOT NULL AND "
                        "meter_interval > 0)", name="meter_complete"),
        CheckConstraint("day_of_month IS NULL OR day_of_month BETWEEN 1 AND 31",
                        name="day_of_month_range"),
        CheckConstraint("estimated_duration_min > 0", name="duration_positive"),
        CheckConstraint("horizon_days BETWEEN 1 AND 366", name="horizon_range"),
        CheckConstraint("window_before_days >= 0 AND window_after_days >= 0",
                        name="window_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    equipment_model_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_models.id"),
                                                           index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)

    checklist_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_templates.id"))
    requires_signature: Mapped[bool] = mapped_column(default=False)
    # [{"skill_id": 1, "min_level": 2}]
    required_skills: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    estimated_duration_min: Mapped[int] = mapped_column(default=60)
    priority: Mapped[str] = mapped_column(String(2), default="P4")
    # [{"part_id": 1, "quantity": 2}], reserved at parts_location_id for each order
    parts: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    parts_location_id: Mapped[int | None] = mapped_column(ForeignKey("stock_locations.id"))

    schedule_kind: Mapped[str] = mapped_column(String(10), default=ScheduleKind.calendar)
    anchor: Mapped[str] = mapped_column(String(10), default=Anchor.fixed)
    start_date: Mapped[date] = mapped_column(Date)
    interval_unit: Mapped[str | None] = mapped_column(String(10))
    interval_count: Mapped[int | None]
    weekdays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["mon", "thu"]
    day_of_month: Mapped[int | None]
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendars.id"))
    shift: Mapped[str] = mapped_column(String(10), default=Shift.none)
    meter: Mapped[str | None] = mapped_column(String(40))
    meter_interval: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    horizon_days: Mapped[int] = mapped_column(default=28)
    window_before_days: Mapped[int] = mapped_column(default=0)
    window_after_days: Mapped[int] = mapped_column(default=2)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checklist_template: Mapped[ChecklistTemplate | None] = relationship()


class PlanOccurrence(Model):
    """One due maintenance of one asset under one plan. `occurrence_key` names it (the due
    date of a fixed calendar plan, else the sequence number): unique per plan and asset, so
    two generators at once create it, and its work order, exactly once."""

    __tablename__ = "plan_occurrences"
    __table_args__ = (
        UniqueConstraint("plan_id", "asset_id", "occurrence_key",
                         name="uq_plan_occurrences_key"),
        CheckConstraint(f"status IN {OCCURRENCE_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint(f"trigger IN {TRIGGER_VALUES!r}", name="trigger_known"),
        CheckConstraint("window_end > window_start", name="window_ordered"),
        Index("ix_plan_occurrences_due", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    occurrence_key: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=OccurrenceStatus.generated)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    parts_reserved: Mapped[bool] = mapped_column(default=False)
    # what the generator knew: meter threshold, forecast and its uncertainty, shortages
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    skipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[MaintenancePlan] = relationship()


class Inspection(Model):
    """The checklist of one work order, filled item by item on the phone."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    requires_signature: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[ChecklistTemplate] = relationship()
    results: Mapped[list[InspectionResult]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan",
        order_by="InspectionResult.item_id")


class InspectionResult(Model):
    """The answer to one item; a failure raised `corrective_work_order_id` (once)."""

    __tablename__ = "inspection_results"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id", name="uq_inspection_results_item"),
        CheckConstraint(f"outcome IN {OUTCOME_VALUES!r}", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    passed: Mapped[bool | None]
    number: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    text: Mapped[str | None] = mapped_column(Text)
    choice: Mapped[str | None] = mapped_column(String(100))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    corrective_work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)

    inspection: Mapped[Inspection] = relationship(back_populates="results")
    item: Mapped[ChecklistItem] = relationship()


# --- failure taxonomy and knowledge ---------------------------------------------------------


class CodeKind(StrEnum):
    problem = "problem"
    cause = "cause"
    remedy = "remedy"


CODE_KIND_VALUES = tuple(k.value for k in CodeKind)


class FailureCode(Model):
    """One code of a model's taxonomy: a cause hangs under a problem, a remedy under a cause."""

    __tablename__ = "failure_codes"
    __table_args__ = (
        UniqueConstraint("equipment_model_id", "kind", "code", name="uq_failure_codes_code"),
        CheckConstraint(f"kind IN {CODE_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("(kind = 'problem') = (parent_id IS NULL)", name="parent_iff_not_problem"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_model_id: Mapped[int] = mapped_column(ForeignKey("equipment_models.id"),
                                                    index=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("failure_codes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[FailureCode | None] = relationship(remote_side=[id])


class KnowledgeArticle(Model):
    """A how-to: text, steps and images, linked to equipment models and failure codes.

    `search_text` is the normalised text searched (see knowledge search in the service).
    """

    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"url": "...", "caption": "..."}]
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    models: Mapped[list[ArticleModel]] = relationship(cascade="all, delete-orphan")
    code_links: Mapped[list[ArticleCode]] = relationship(cascade="all, delete-orphan")


class ArticleModel(Model):
    """An equipment model the article is about."""

    __tablename__ = "article_models"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True)
    equipment_model_id: Mapped[int] = mapped_column(ForeignKey("equipment_models.id"),
                                                    primary_key=True, index=True)


class ArticleCode(Model):
    """A failure code (problem, cause or remedy) the article answers."""

    __tablename__ = "article_codes"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ArticleRating(Model):
    """A technician's verdict on an article: useful or not (one per person, changeable)."""

    __tablename__ = "article_ratings"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    useful: Mapped[bool]
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleSolution(Model):
    """"Solved with this article" on a work order (once per order and article)."""

    __tablename__ = "article_solutions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
