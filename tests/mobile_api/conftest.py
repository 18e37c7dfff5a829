"""Mobile API factories: a technician with a dispatch profile and a van, jobs at a site with
an asset, stock in the van; photos stored in a temp dir. Factories of the packages the phone
builds on are reused from their test packages."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.conftest import MUNICH
from tests.dispatch import conftest as dispatch_factories
from tests.inventory import conftest as inventory_factories
from tests.workorders import conftest as workorders_factories

# The packages the phone builds on, reused as they are.
make_technician = dispatch_factories.make_technician
make_part, make_van = inventory_factories.make_part, inventory_factories.make_van
make_warehouse, receive = inventory_factories.make_warehouse, inventory_factories.receive
warehouse_user, level_of = inventory_factories.warehouse_user, inventory_factories.level_of
make_work_order = workorders_factories.make_work_order

BERLIN = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 11, 23, tzinfo=BERLIN)  # a Monday, in the technician's time zone


@pytest.fixture
def photo_dir(app: Any, tmp_path: Any, monkeypatch: Any) -> Any:
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "PHOTO_STORAGE_DIR", str(path))
    return path


@pytest.fixture
def make_tech(make_user: Any, make_technician: Any, make_van: Any) -> Any:
    """make_tech(van=True) -> a technician user with a dispatch profile (and a van)."""

    def make(van: bool = True) -> Any:
        user = make_user("technician", full_name=f"Tech {uuid.uuid4().hex[:4]}")
        make_technician(user=user)
        if van:
            make_van(owner=user)
        return user

    return make


@pytest.fixture
def tech(make_tech: Any) -> Any:
    return make_tech()


@pytest.fixture
def phone(login: Any, tech: Any) -> Any:
    return login(tech)


@pytest.fixture
def make_job(db_session: Any, make_work_order: Any, make_site: Any, make_asset: Any,
             tech: Any) -> Any:
    """make_job(assignee=tech, status="dispatched", start=None, lat=, lng=, **fields)."""

    def make(assignee: Any = None, status: str = "dispatched", start: datetime | None = None,
             lat: float = MUNICH[0], lng: float = MUNICH[1], asset: Any = None,
             **overrides: Any) -> Any:
        if asset is None:
            site = make_site(lat=lat, lng=lng, access_notes="Key at the reception desk.")
            asset = make_asset(site=site, name="Rooftop chiller")
        wo = make_work_order(asset=asset, status=status, assignee=assignee or tech,
                             **overrides)
        if start is not None:
            wo.scheduled_start, wo.scheduled_end = start, start + timedelta(hours=1)
            db_session.commit()
        return wo

    return make


@pytest.fixture
def van_of(db_session: Any) -> Any:
    from app.inventory import service

    return lambda user: service.van_of_technician(db_session, user.id)


def offset_m(lat: float, lng: float, north_m: float) -> tuple[float, float]:
    """A point `north_m` metres north of (lat, lng)."""
    return lat + north_m / 111_195.0, lng


def jpeg_with_exif(size: tuple[int, int] = (40, 20), color: str = "red",
                   orientation: int = 6, gps: bool = True) -> bytes:
    """A real JPEG whose EXIF says: rotate 90° (orientation 6), taken at, GPS near Munich."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[36867] = "2026:11:20 09:15:00"
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = "N", (48.0, 8.0, 14.64), "E", (11.0, 34.0, 31.8)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny PNG file that declares 400 million pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 8)  # a few rows; the rest never decoded
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))
