"""Costly images and smuggled payloads (issue 13, items 11 and 12): an upload is limited by what
decoding it would cost, before it is decoded; what is stored and served is the image only, as an
attachment that browsers do not sniff."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from tests.conftest import assert_error
from tests.mobile_api.conftest import jpeg_with_exif
from tests.mobile_api.test_photos import upload

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def _photos_in_a_temp_dir(photo_dir: Any) -> None:
    """Every test here stores its files under tmp_path."""


def costly_png(width: int = 7071, height: int = 7071) -> bytes:
    """A small RGB PNG (one compressed row) that declares 7071 x 7071 pixels: under the pixel
    limit (50 M), but 150 MB once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width * 3 + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))


def test_an_image_costly_to_decode_is_refused_before_decoding(phone: Any, make_job: Any,
                                                              photo_dir: Any) -> None:
    job = make_job(status="on_site")
    data = costly_png()
    assert len(data) < 300_000 and 7071 * 7071 < 50_000_000
    body = assert_error(upload(phone, job, data, filename="x.png"), 422, "image_too_large")
    assert "decoded" in body["message"]
    assert body["max_decoded_bytes"] < 7071 * 7071 * 3
    assert not photo_dir.exists() or not any(photo_dir.rglob("*.png"))


def test_an_ordinary_phone_photo_is_within_the_cost_limit(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), "navy").save(out, "JPEG", quality=80)
    response = upload(phone, job, out.getvalue())
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("variant", ["original", "public"])
def test_a_jpeg_with_html_appended_is_served_without_it(phone: Any, login: Any, make_job: Any,
                                                        photo_dir: Any, variant: str) -> None:
    job = make_job(status="on_site")
    clean = jpeg_with_exif()
    response = upload(phone, job, clean + HTML)
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    served = login("dispatcher").get(
        f"/api/v1/work-orders/{job.id}/photos/{photo['id']}/file?variant={variant}")
    assert served.status_code == 200
    assert b"<html" not in served.data and b"<script" not in served.data
    assert served.data.endswith(b"\xff\xd9")
    if variant == "original":
        assert served.data == clean  # the image itself, EXIF and all, is kept as sent
    assert all(b"<script" not in path.read_bytes() for path in photo_dir.rglob("*.*"))
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_png_with_trailing_data_is_stored_without_it(phone: Any, login: Any, make_job: Any,
                                                       photo_dir: Any) -> None:
    job = make_job(status="on_site")
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, "PNG")
    response = upload(phone, job, out.getvalue() + HTML, filename="x.png")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    served = login("dispatcher").get(
        f"/api/v1/work-orders/{job.id}/photos/{photo['id']}/file?variant=original")
    assert served.data == out.getvalue()


def test_a_jpeg_without_its_end_is_refused(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    data = jpeg_with_exif()
    assert_error(upload(phone, job, data[: len(data) // 2]), 422, "not_an_image")
