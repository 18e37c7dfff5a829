"""GET /mobile/v1/me/jobs: the technician's day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app import geo
from app.db import utcnow
from app.mobile_api.models import SiteVisit
from tests.conftest import assert_error
from tests.mobile_api.conftest import DAY


def test_the_day_lists_own_jobs_in_order_with_site_asset_history_and_parts(
        db_session: Any, phone: Any, tech: Any, make_tech: Any, make_job: Any, make_part: Any,
        make_warehouse: Any, van_of: Any, receive: Any, warehouse_user: Any) -> None:
    from app.inventory import service as inventory

    late = make_job(start=DAY.replace(hour=14), title="Second stop")
    early = make_job(start=DAY.replace(hour=8), title="First stop")
    make_job(start=DAY + timedelta(days=1))  # tomorrow
    make_job(assignee=make_tech(), start=DAY.replace(hour=9))  # a colleague's
    earlier_visit = make_job(asset=early.asset, status="completed",
                             start=DAY - timedelta(days=30), title="Replaced fan belt")
    earlier_visit.completed_at = utcnow() - timedelta(days=30)
    earlier_visit.remedy_code = "replaced_part"
    in_van, not_in_van = make_part(), make_part()
    warehouse = make_warehouse()
    receive(in_van, warehouse, 5)
    receive(not_in_van, warehouse, 5)
    receive(in_van, van_of(tech), 3)
    inventory.reserve_parts(db_session, work_order_id=early.id, location_id=warehouse.id,
                            lines=[(in_van.id, 2), (not_in_van.id, 1)], actor=warehouse_user)
    db_session.add(SiteVisit(work_order_id=late.id, technician_user_id=tech.id,
                             check_in_position=geo.to_point(48.1374, 11.5755),
                             check_in_accuracy_m=10, check_in_distance_m=5,
                             check_in_inside_geofence=True))
    db_session.commit()

    response = phone.get("/mobile/v1/me/jobs?date=2026-11-23")

    assert response.status_code == 200, response.get_json()
    day = response.get_json()
    assert day["timezone"] == "Europe/Berlin"
    assert [j["id"] for j in day["jobs"]] == [early.id, late.id]
    first = day["jobs"][0]
    assert first["sequence"] == 1
    assert datetime.fromisoformat(first["eta"]) == DAY.replace(hour=8)
    assert first["site"]["access_notes"] == "Key at the reception desk."
    assert first["site"]["point"] == {"lat": 48.1374, "lng": 11.5755}
    assert first["asset"]["tag"] == early.asset.tag
    assert [h["title"] for h in first["asset_history"]] == ["Replaced fan belt"]
    parts = {p["part_id"]: p for p in first["parts"]}
    assert parts[in_van.id]["quantity"] == 2 and parts[in_van.id]["in_van"] is True
    assert parts[not_in_van.id]["in_van"] is False
    assert first["all_parts_in_van"] is False
    # the second job's technician has checked in there, not yet at the first
    assert [j["checked_in"] for j in day["jobs"]] == [False, True]


def test_an_unchanged_day_answers_304_to_if_none_match(phone: Any, make_job: Any) -> None:
    make_job(start=DAY.replace(hour=10))
    first = phone.get("/mobile/v1/me/jobs?date=2026-11-23")
    etag = first.headers["ETag"]

    again = phone.get("/mobile/v1/me/jobs?date=2026-11-23", headers={"If-None-Match": etag})
    assert again.status_code == 304
    make_job(start=DAY.replace(hour=12))
    changed = phone.get("/mobile/v1/me/jobs?date=2026-11-23", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert len(changed.get_json()["jobs"]) == 2


def test_only_technicians_use_the_mobile_api(login: Any) -> None:
    for role in ("dispatcher", "customer"):
        assert_error(login(role).get("/mobile/v1/me/jobs"), 403)


def test_a_date_out_of_range_is_a_validation_error(phone: Any) -> None:
    assert_error(phone.get("/mobile/v1/me/jobs?date=9999-12-31"), 422)
    assert_error(phone.get("/mobile/v1/me/jobs?date=yesterday"), 422)
