"""Job photos: verified with Pillow, oriented, thumbnailed, de-duplicated by sha256; GPS and
other EXIF data stay in the original, which only staff download."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.config import Config
from app.errors import DomainError, NotFound, Unprocessable
from app.mobile_api.models import PHOTO_KIND_VALUES, Photo
from app.mobile_api.service.image_bytes import decoded_bytes, image_end
from app.mobile_api.storage import Storage
from app.workorders import service as workorders
from app.workorders.models import WorkOrder

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME = 36867, 306
_OFFSET_TIME_ORIGINAL, _OFFSET_TIME = 0x9011, 0x9010  # "+01:00": the phone's UTC offset


class PayloadTooLarge(DomainError):
    code, error = 413, "payload_too_large"


@dataclass(frozen=True)
class PhotoUpload:
    photo: Photo
    created: bool


def add_photo(session: Session, wo: WorkOrder, *, data: bytes, kind: str,
              caption: str | None, storage: Storage, actor: User) -> PhotoUpload:
    """Accept a real JPEG/PNG/WebP within the size and pixel limits; the same file again on
    the same job returns the existing photo."""
    if kind not in PHOTO_KIND_VALUES:
        raise Unprocessable("Unknown photo kind.", errors={"kind": list(PHOTO_KIND_VALUES)})
    if len(data) > Config.PHOTO_MAX_BYTES:
        raise PayloadTooLarge(f"Photos may be at most {Config.PHOTO_MAX_BYTES} bytes.",
                              max_bytes=Config.PHOTO_MAX_BYTES)
    if not data:
        raise Unprocessable("The file is empty.", error="not_an_image",
                            errors={"file": ["Empty."]})
    sha256 = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(Photo).where(Photo.work_order_id == wo.id,
                                                  Photo.sha256 == sha256))
    if existing is not None:
        return PhotoUpload(existing, created=False)
    image, fmt, data = _decode(data)
    exif = image.getexif()
    taken_at = _taken_at(exif, _site_zone(wo))
    gps = _gps(exif)
    oriented = ImageOps.exif_transpose(image)
    content_type, ext = FORMATS[fmt]
    prefix = f"photos/{wo.id}/{sha256}"
    public = _encode(oriented, fmt)  # re-encoded without EXIF: no GPS, no device data
    thumb = oriented.copy()
    thumb.thumbnail((Config.PHOTO_THUMBNAIL_PX, Config.PHOTO_THUMBNAIL_PX))
    storage.put(f"{prefix}/original.{ext}", data)
    storage.put(f"{prefix}/public.{ext}", public)
    storage.put(f"{prefix}/thumbnail.jpg", _encode(thumb, "JPEG"))
    photo = Photo(work_order_id=wo.id, uploaded_by_id=actor.id, kind=kind, caption=caption,
                  content_type=content_type, size_bytes=len(data), width=oriented.width,
                  height=oriented.height, sha256=sha256, original_key=f"{prefix}/original.{ext}",
                  public_key=f"{prefix}/public.{ext}", thumbnail_key=f"{prefix}/thumbnail.jpg",
                  taken_at=taken_at, gps_lat=gps[0] if gps else None,
                  gps_lng=gps[1] if gps else None)
    try:
        with session.begin_nested():
            session.add(photo)
            session.flush()  # flush: the unique (job, sha256) guards against a concurrent twin
    except IntegrityError:
        # The same file, sent at the same time under another key, was stored first: it is
        # the photo this upload names.
        existing = session.scalar(select(Photo).where(Photo.work_order_id == wo.id,
                                                      Photo.sha256 == sha256))
        if existing is None:
            raise
        return PhotoUpload(existing, created=False)
    workorders.record_event(session, wo, "photo_added", actor=actor,
                            data={"photo_id": photo.id, "kind": kind, "caption": caption})
    return PhotoUpload(photo, created=True)


def _decode(data: bytes) -> tuple[Image.Image, str, bytes]:
    """Open and fully decode, refusing non-images, other formats, decompression bombs and
    images whose decoding would cost more memory than PHOTO_MAX_DECODED_BYTES (checked from
    the header, before decoding). Returns the image, its format and the file's bytes without
    anything appended after the image's end (an HTML page after a JPEG's EOI)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in FORMATS:
                raise Unprocessable("Photos must be JPEG, PNG or WebP.",
                                    error="unsupported_image", errors={"file": [fmt or "?"]})
            width, height = image.size
            if width * height > Config.PHOTO_MAX_PIXELS:
                raise _too_many_pixels(width, height)
            cost = decoded_bytes(image)
            if cost > Config.PHOTO_MAX_DECODED_BYTES:
                raise _too_costly(width, height, cost)
            end = image_end(data, fmt)
            if end is None:
                raise Unprocessable("The image is damaged or truncated.", error="not_an_image",
                                    errors={"file": ["The image's end is missing."]})
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(0, 0) from exc
    except UnidentifiedImageError as exc:
        raise Unprocessable("The file is not an image.", error="not_an_image",
                            errors={"file": ["Not a JPEG, PNG or WebP image."]}) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise Unprocessable("The image is damaged or truncated.", error="not_an_image",
                            errors={"file": ["Cannot be decoded."]}) from exc
    return image, fmt, data[:end]


def _too_many_pixels(width: int, height: int) -> Unprocessable:
    return Unprocessable(
        f"The image has too many pixels (at most {Config.PHOTO_MAX_PIXELS}).",
        error="image_too_large", errors={"file": [f"{width}x{height} pixels."]})


def _too_costly(width: int, height: int, cost: int) -> Unprocessable:
    limit = Config.PHOTO_MAX_DECODED_BYTES
    return Unprocessable(
        f"The image would take {cost // 1_000_000} MB once decoded (at most "
        f"{limit // 1_000_000} MB); send a smaller resolution.",
        error="image_too_large", errors={"file": [f"{width}x{height} pixels."]},
        max_decoded_bytes=limit)


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    options = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _site_zone(wo: WorkOrder) -> ZoneInfo:
    try:
        return ZoneInfo(wo.site.timezone or "UTC")
    except (ValueError, ZoneInfoNotFoundError):  # a zone this machine does not know
        return ZoneInfo("UTC")


def _taken_at(exif: Any, site_zone: ZoneInfo) -> datetime | None:
    """The capture time in UTC. EXIF times are the phone's wall clock: read with the offset
    the photo carries (OffsetTimeOriginal / OffsetTime), else in the site's time zone (the
    phone was there)."""
    ifd = exif.get_ifd(_EXIF_IFD)
    if ifd.get(_DATETIME_ORIGINAL):
        raw, offset = ifd.get(_DATETIME_ORIGINAL), ifd.get(_OFFSET_TIME_ORIGINAL)
    else:
        raw, offset = exif.get(_DATETIME), ifd.get(_OFFSET_TIME)
    try:
        wall = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    try:
        zone: tzinfo = datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo or site_zone
    except (TypeError, ValueError):
        zone = site_zone
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _gps(exif: Any) -> tuple[float, float] | None:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat = _degrees(gps[2]) * (-1 if gps.get(1) in ("S", b"S") else 1)
        lng = _degrees(gps[4]) * (-1 if gps.get(3) in ("W", b"W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return round(lat, 7), round(lng, 7)


def _degrees(dms: Any) -> float:
    d, m, s = (float(x) for x in dms)
    return d + m / 60 + s / 3600


def list_photos(session: Session, work_order_id: int, *, actor: User) -> Select[tuple[Photo]]:
    """Photos of a work order the actor may see (another account's is a 404)."""
    wo = workorders.get_work_order_for(session, work_order_id, actor=actor, shown=False)
    return select(Photo).where(Photo.work_order_id == wo.id).order_by(Photo.id)


@dataclass(frozen=True)
class PhotoFile:
    data: bytes
    content_type: str
    filename: str


def photo_file(session: Session, work_order_id: int, photo_id: int, *, variant: str,
               storage: Storage, actor: User) -> PhotoFile:
    """A photo's bytes: customers always get the copy without EXIF/GPS (or the thumbnail)."""
    wo = workorders.get_work_order_for(session, work_order_id, actor=actor, shown=False)
    photo = session.get(Photo, photo_id)
    if photo is None or photo.work_order_id != wo.id:
        raise NotFound("Photo not found.")
    if variant == "original" and actor.role == Role.customer:
        variant = "public"
    key = {"original": photo.original_key, "public": photo.public_key,
           "thumbnail": photo.thumbnail_key}[variant]
    if not storage.exists(key):
        raise NotFound("The photo's file is missing from storage.", error="file_missing")
    content_type = "image/jpeg" if variant == "thumbnail" else photo.content_type
    return PhotoFile(storage.get(key), content_type, key.rsplit("/", 1)[-1])
