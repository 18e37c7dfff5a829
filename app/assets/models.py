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

from app import geo
from app.db import UTCDateTime, utcnow
from app.extensions import Model


class SlaTier(StrEnum):
    platinum = "platinum"
    gold = "gold"
    silver = "silver"
    bronze = "bronze"


class AssetStatus(StrEnum):
    operational = "operational"
    degraded = "degraded"
    down = "down"
    retired = "retired"


SLA_TIER_VALUES = tuple(t.value for t in SlaTier)
ASSET_STATUS_VALUES = tuple(s.value for s in AssetStatus)


class Customer(Model):
    """An equipment owner's account; customer users and all its sites belong to it."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint(f"sla_tier IN {SLA_TIER_VALUES!r}", name="sla_tier_known"),
                      Index("ix_customers_name", "name", "id"))  # the list's order

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sla_tier: Mapped[str] = mapped_column(String(20), default=SlaTier.silver)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="customer")


class Site(Model):
    """A customer's address where equipment stands; its point drives travel and geofences."""

    __tablename__ = "sites"
    __table_args__ = (*geo.point_indexes("sites", "location"),
                      Index("ix_sites_name", "name", "id"))  # the list's order

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address_line: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="DE")
    location: Mapped[Any] = mapped_column(geo.point_type())
    # {"mon": [["08:00", "17:00"]], ...}; a weekday absent means closed.
    opening_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    access_notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="sites")
    assets: Mapped[list[Asset]] = relationship(back_populates="site")


class Skill(Model):
    """A trade skill (e.g. `hvac`, `electrical`); technicians hold it at a level 1–5."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)


class EquipmentModelSkill(Model):
    __tablename__ = "equipment_model_skills"
    __table_args__ = (CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),)

    equipment_model_id: Mapped[int] = mapped_column(
        ForeignKey("equipment_models.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    min_level: Mapped[int] = mapped_column(default=1)

    skill: Mapped[Skill] = relationship()
    equipment_model: Mapped[EquipmentModel] = relationship(back_populates="skills")


class EquipmentModel(Model):
    __tablename__ = "equipment_models"
    __table_args__ = (UniqueConstraint("manufacturer", "model", name="uq_equipment_models_make"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer: Mapped[str] = mapped_column(String(120))
    model: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Typical repair time; work orders default their estimate from it.
    default_duration_min: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    skills: Mapped[list[EquipmentModelSkill]] = relationship(
        back_populates="equipment_model", cascade="all, delete-orphan")


class Asset(Model):
    """One machine at a site, identified by the tag on its QR label."""

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"status IN {ASSET_STATUS_VALUES!r}", name="status_known"),
        CheckConstraint("criticality BETWEEN 1 AND 5", name="criticality_range"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_assets_site_status", "site_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), unique=True)
    serial_number: Mapped[str | None] = mapped_column(String(80))
    equipment_model_id: Mapped[int] = mapped_column(ForeignKey("equipment_models.id"),
                                                    index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    location_note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=AssetStatus.operational)
    criticality: Mapped[int] = mapped_column(default=3)
    install_date: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site: Mapped[Site] = relationship(back_populates="assets")
    equipment_model: Mapped[EquipmentModel] = relationship()
    parent: Mapped[Asset | None] = relationship(remote_side=[id])


class AssetStatusChange(Model):
    """Append-only history of an asset's status: who changed it, when, why."""

    __tablename__ = "asset_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"),
                                          index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeterReading(Model):
    """A reading of one of an asset's meters (running hours, cycles, ...)."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_meter_readings_asset_meter_time", "asset_id", "meter", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    meter: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_replacement: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
