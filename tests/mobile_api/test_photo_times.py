"""A photo's EXIF capture time is the phone's local wall clock: read it with the offset the
photo carries (OffsetTimeOriginal), else in the site's time zone, never as if it were UTC.
Real JPEGs made with Pillow, carrying EXIF."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.mobile_api.test_photos import upload


@pytest.fixture(autouse=True)
def _photos_in_a_temp_dir(photo_dir: Any) -> None:
    """Every test here stores its files under tmp_path."""


def jpeg_taken(at: str, offset: str | None = None) -> bytes:
    """A real JPEG whose EXIF DateTimeOriginal is `at` ("YYYY:MM:DD HH:MM:SS"), with an
    OffsetTimeOriginal when given."""
    image = Image.new("RGB", (32, 24), "navy")
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    ifd[36867] = at
    if offset is not None:
        ifd[0x9011] = offset
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(("timezone", "at", "utc"), [
    ("Europe/Berlin", "2026:11:20 09:15:00", "2026-11-20T08:15:00+00:00"),  # CET
    ("Europe/Berlin", "2026:07:15 14:30:00", "2026-07-15T12:30:00+00:00"),  # CEST
    ("America/New_York", "2026:11:20 09:15:00", "2026-11-20T14:15:00+00:00"),
])
def test_a_capture_time_without_offset_is_read_in_the_sites_time_zone(
        phone: Any, make_job: Any, make_site: Any, make_asset: Any, timezone: str, at: str,
        utc: str) -> None:
    site = make_site(timezone=timezone)
    job = make_job(status="on_site", asset=make_asset(site=site))
    response = upload(phone, job, jpeg_taken(at))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["taken_at"] == utc


def test_the_offset_the_photo_carries_wins_over_the_site(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")  # a Berlin site
    response = upload(phone, job, jpeg_taken("2026:11:20 09:15:00", "-05:00"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["taken_at"] == "2026-11-20T14:15:00+00:00"


def test_a_malformed_offset_falls_back_to_the_site(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    response = upload(phone, job, jpeg_taken("2026:11:20 09:15:00", "nonsense"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["taken_at"] == "2026-11-20T08:15:00+00:00"
