"""Site visits (check-in/check-out), photos and stored idempotent responses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import geo
from app.db import UTCDateTime, utcnow
from app.extensions import Model


class PhotoKind(StrEnum):
    before = "before"
    after = "after"
    signature = "signature"


PHOTO_KIND_VALUES = tuple(k.value for k in PhotoKind)


class SiteVisit(Model):
    """One stay of the technician at the job's site: the check-in and (later) the check-out.

    Server times say when we heard of it; client times when the phone says it happened (an
    offline phone syncs later). Time on site comes from the two client times when both exist,
    else from the two server times.
    """

    __tablename__ = "site_visits"
    __table_args__ = (
        CheckConstraint("check_out_at IS NULL OR check_out_at >= check_in_at",
                        name="check_out_after_check_in"),
        CheckConstraint("check_in_accuracy_m >= 0", name="accuracy_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    technician_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    check_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    check_in_client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_position: Mapped[Any] = mapped_column(geo.point_type())
    check_in_accuracy_m: Mapped[float]
    check_in_distance_m: Mapped[float]
    check_in_inside_geofence: Mapped[bool]
    check_in_override_reason: Mapped[str | None] = mapped_column(Text)

    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_position: Mapped[Any | None] = mapped_column(geo.point_type(nullable=True))
    check_out_accuracy_m: Mapped[float | None]
    check_out_distance_m: Mapped[float | None]
    check_out_inside_geofence: Mapped[bool | None]
    check_out_override_reason: Mapped[str | None] = mapped_column(Text)

    # A check-in or check-out outside the geofence with an override reason: for the dispatcher.
    flagged: Mapped[bool] = mapped_column(default=False)

    @property
    def minutes_on_site(self) -> int | None:
        if self.check_out_at is None:
            return None
        if self.check_in_client_at is not None and self.check_out_client_at is not None:
            start, end = self.check_in_client_at, self.check_out_client_at
        else:  # never mix the phone's clock with ours
            start, end = self.check_in_at, self.check_out_at
        return max(0, round((end - start).total_seconds() / 60))


class Photo(Model):
    """A picture taken on the job; the same file twice on one job is stored once (sha256)."""

    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("work_order_id", "sha256", name="uq_photos_work_order_sha256"),
        CheckConstraint(f"kind IN {PHOTO_KIND_VALUES!r}", name="kind_known"),
        CheckConstraint("size_bytes > 0 AND width > 0 AND height > 0", name="dimensions_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    caption: Mapped[str | None] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    width: Mapped[int]  # after applying the EXIF orientation
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Storage keys: the file as uploaded (staff), a copy without EXIF/GPS (customers), a thumbnail.
    original_key: Mapped[str] = mapped_column(String(300))
    public_key: Mapped[str] = mapped_column(String(300))
    thumbnail_key: Mapped[str] = mapped_column(String(300))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # EXIF capture time
    gps_lat: Mapped[float | None]
    gps_lng: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Model):
    """The first answer to a write sent with an Idempotency-Key, replayed for repeats.

    Unique per (user, key): two concurrent requests with one key cannot both commit.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
