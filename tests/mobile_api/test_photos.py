"""Photos: upload from the phone, listing and downloads by whoever may see the work order."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.conftest import assert_error
from tests.mobile_api.conftest import jpeg_with_exif, png_bomb


@pytest.fixture(autouse=True)
def _photos_in_a_temp_dir(photo_dir: Any) -> None:
    """Every test here stores its files under tmp_path."""


def upload(phone: Any, job: Any, data: bytes, kind: str = "before",
           filename: str = "photo.jpg", **headers: str) -> Any:
    return phone.post(f"/mobile/v1/jobs/{job.id}/photos", headers=headers,
                      data={"kind": kind, "caption": "Condenser coil",
                            "file": (io.BytesIO(data), filename)},
                      content_type="multipart/form-data")


def test_a_photo_round_trip_applies_orientation_and_keeps_gps_from_customers(
        phone: Any, login: Any, make_job: Any, make_user: Any, photo_dir: Any) -> None:
    job = make_job(status="on_site")
    response = upload(phone, job, jpeg_with_exif(size=(40, 20)))

    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    assert (photo["width"], photo["height"]) == (20, 40)  # EXIF orientation 6 applied
    assert photo["taken_at"] == "2026-11-20T08:15:00+00:00"  # 09:15 in Munich (CET)
    assert photo["kind"] == "before" and photo["content_type"] == "image/jpeg"

    dispatcher = login("dispatcher")
    listed = dispatcher.get(f"/api/v1/work-orders/{job.id}/photos").get_json()
    assert [p["id"] for p in listed] == [photo["id"]]
    assert listed[0]["gps"]["lat"] == 48.137400  # 48° 8' 14.64"
    original = dispatcher.get(f"/api/v1/work-orders/{job.id}/photos/{photo['id']}/file"
                              "?variant=original")
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(original.data)).getexif().get_ifd(0x8825)

    customer = login(make_user("customer", customer_id=job.customer_id))
    assert customer.get(f"/api/v1/work-orders/{job.id}/photos").get_json()[0]["gps"] is None
    copy = customer.get(f"/api/v1/work-orders/{job.id}/photos/{photo['id']}/file"
                        "?variant=original")
    assert copy.status_code == 200
    image = Image.open(io.BytesIO(copy.data))
    assert image.size == (20, 40)
    assert not image.getexif().get_ifd(0x8825)  # no GPS for customers
    thumb = customer.get(f"/api/v1/work-orders/{job.id}/photos/{photo['id']}/file"
                         "?variant=thumbnail")
    assert Image.open(io.BytesIO(thumb.data)).format == "JPEG"


def test_the_same_file_again_returns_the_existing_photo(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    data = jpeg_with_exif()
    first = upload(phone, job, data)
    again = upload(phone, job, data, kind="after")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]


def test_a_decompression_bomb_is_refused(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    assert_error(upload(phone, job, png_bomb(), filename="x.png"), 422, "image_too_large")


def test_a_renamed_text_file_is_refused(phone: Any, make_job: Any, photo_dir: Any) -> None:
    job = make_job(status="on_site")
    assert_error(upload(phone, job, b"this is not a picture\n" * 10), 422, "not_an_image")
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert_error(upload(phone, job, gif.getvalue()), 422, "unsupported_image")
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/photos", data={"kind": "before"},
                            content_type="multipart/form-data"), 422)
    assert not photo_dir.exists() or not any(photo_dir.rglob("*.jpg"))


def test_photos_of_other_peoples_jobs_are_not_found(phone: Any, login: Any, make_job: Any,
                                                   make_tech: Any, make_user: Any) -> None:
    stranger = login(make_user("customer"))
    job = make_job(status="on_site")
    colleague_job = make_job(status="on_site", assignee=make_tech())
    mine, theirs = job.id, colleague_job.id
    photo = upload(phone, job, jpeg_with_exif()).get_json()
    assert_error(upload(phone, colleague_job, jpeg_with_exif()), 404)
    assert_error(stranger.get(f"/api/v1/work-orders/{mine}/photos"), 404)
    assert_error(stranger.get(f"/api/v1/work-orders/{mine}/photos/{photo['id']}/file"), 404)
    assert_error(phone.get(f"/api/v1/work-orders/{theirs}/photos/{photo['id']}/file"), 404)


def test_a_signature_photo_completes_the_job(db_session: Any, phone: Any, make_job: Any) -> None:
    from tests.mobile_api.test_visits import COMPLETION, at_site

    job = make_job(status="en_route")
    phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site())
    before = upload(phone, job, jpeg_with_exif(color="blue")).get_json()
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={
        "completion": COMPLETION, "signature_photo_id": before["id"]}), 422)
    signature = upload(phone, job, jpeg_with_exif(color="white", gps=False),
                       kind="signature").get_json()
    done = phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={
        "completion": COMPLETION, "signature_photo_id": signature["id"]})
    assert done.status_code == 200, done.get_json()


def test_an_upload_replayed_with_its_key_is_not_stored_twice(phone: Any, make_job: Any) -> None:
    job = make_job(status="on_site")
    data = jpeg_with_exif()
    first = upload(phone, job, data, **{"Idempotency-Key": "photo-1"})
    again = upload(phone, job, data, **{"Idempotency-Key": "photo-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_file_over_the_size_limit_is_refused(phone: Any, make_job: Any,
                                              monkeypatch: Any) -> None:
    from app.config import Config

    job = make_job(status="on_site")
    data = jpeg_with_exif()
    monkeypatch.setattr(Config, "PHOTO_MAX_BYTES", len(data) - 1)
    body = assert_error(upload(phone, job, data), 413, "payload_too_large")
    assert body["max_bytes"] == len(data) - 1
