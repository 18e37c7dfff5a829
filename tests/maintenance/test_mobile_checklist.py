"""The technician fills a checklist on the phone, online and through the offline sync; a
failed item or an out-of-limit reading raises a corrective order in the same transaction;
completion waits for the required items and the required signature."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import assert_error
from tests.mobile_api.conftest import jpeg_with_exif
from tests.mobile_api.test_photos import upload
from tests.mobile_api.test_visits import COMPLETION, at_site


@pytest.fixture(autouse=True)
def _photos_in_a_temp_dir(photo_dir: Any) -> None:
    """Photos of these tests are stored under tmp_path."""


@pytest.fixture
def inspected_job(db_session: Any, make_job: Any, make_template: Any, planner: Any) -> Any:
    """inspected_job(status="on_site", requires_signature=False) -> (job, items by label)."""
    from app.maintenance import service

    def make(status: str = "on_site", requires_signature: bool = False) -> Any:
        job = make_job(status=status, type="inspection")
        template = make_template()
        service.attach_checklist(db_session, job, template_id=template.id,
                                 requires_signature=requires_signature, actor=planner)
        db_session.commit()
        return job, {i.label: i for i in template.items}

    return make


def correctives(db_session: Any) -> list[Any]:
    from app.maintenance.models import InspectionResult
    from app.workorders.models import WorkOrder

    return list(db_session.scalars(select(WorkOrder).join(
        InspectionResult, InspectionResult.corrective_work_order_id == WorkOrder.id)
        .order_by(WorkOrder.id)))


def test_a_failed_item_raises_a_corrective_order_with_photo_note_asset_and_priority(
        db_session: Any, phone: Any, login: Any, inspected_job: Any) -> None:
    from app.mobile_api.models import Photo
    from app.workorders.models import WorkOrderEvent

    office = login("dispatcher")  # (logging in ends the app context: do it first)
    job, items = inspected_job()
    photo = upload(phone, job, jpeg_with_exif(color="green")).get_json()
    leak = items["Refrigerant leak test"]

    answer = phone.post(f"/mobile/v1/jobs/{job.id}/checklist", json={
        "item_id": leak.id, "passed": False, "photo_id": photo["id"],
        "note": "Oil stain under the expansion valve."})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["outcome"] == "failed" and body["corrective_work_order_id"]
    [repair] = correctives(db_session)
    assert repair.id == body["corrective_work_order_id"]
    assert (repair.type, repair.priority, repair.asset_id) == ("corrective", "P2", job.asset_id)
    assert "Oil stain under the expansion valve." in repair.description
    assert job.number in repair.description
    copied = db_session.scalars(select(Photo).where(Photo.work_order_id == repair.id)).all()
    assert [p.sha256 for p in copied] == [photo["sha256"]]
    raised = db_session.scalar(select(WorkOrderEvent).where(
        WorkOrderEvent.work_order_id == repair.id, WorkOrderEvent.kind == "raised_by_inspection"))
    assert raised.data["item_id"] == leak.id and raised.data["work_order_id"] == job.id
    # The dispatcher sees the repair order and the inspection's checklist with the link.
    assert office.get(f"/api/v1/work-orders/{repair.id}").get_json()["priority"] == "P2"
    checklist = office.get(f"/api/v1/work-orders/{job.id}/checklist").get_json()
    assert checklist["results"][0]["corrective_work_order_id"] == repair.id


def test_a_reading_out_of_limits_raises_one_repair_and_a_correction_no_second(
        db_session: Any, phone: Any, inspected_job: Any) -> None:
    job, items = inspected_job()
    pressure = items["Suction pressure"]
    path = f"/mobile/v1/jobs/{job.id}/checklist"

    within = phone.post(path, json={"item_id": pressure.id, "number": "4.200"}).get_json()
    assert (within["outcome"], within["corrective_work_order_id"]) == ("ok", None)
    assert correctives(db_session) == []
    low = phone.post(path, json={"item_id": pressure.id, "number": "2.100"}).get_json()
    assert low["outcome"] == "out_of_limits"
    [repair] = correctives(db_session)
    assert repair.priority == "P3" and "2.100 bar outside [3.000 .. 6.000]" in repair.title
    again = phone.post(path, json={"item_id": pressure.id, "number": "1.900"}).get_json()
    assert again["corrective_work_order_id"] == repair.id
    assert len(correctives(db_session)) == 1


def test_a_failing_choice_raises_a_repair_and_a_passing_one_does_not(
        db_session: Any, phone: Any, inspected_job: Any) -> None:
    job, items = inspected_job()
    path = f"/mobile/v1/jobs/{job.id}/checklist"
    filter_ = items["Filter state"]
    assert phone.post(path, json={"item_id": filter_.id, "choice": "dirty"}
                      ).get_json()["outcome"] == "ok"
    assert_error(phone.post(path, json={"item_id": filter_.id, "choice": "purple"}), 422)
    blocked = phone.post(path, json={"item_id": filter_.id, "choice": "blocked"}).get_json()
    assert blocked["outcome"] == "failed"
    assert correctives(db_session)[0].priority == "P4"  # low severity


def test_answers_that_do_not_fit_are_refused_and_write_nothing(
        db_session: Any, phone: Any, inspected_job: Any, make_job: Any) -> None:
    from app.maintenance.models import InspectionResult

    job, items = inspected_job()
    path = f"/mobile/v1/jobs/{job.id}/checklist"
    assert_error(phone.post(path, json={"item_id": items["Suction pressure"].id,
                                        "passed": True}), 422)
    assert_error(phone.post(path, json={"item_id": 999_999, "passed": True}), 422,
                 "unknown_checklist_item")
    other = make_job(status="on_site")
    foreign_photo = upload(phone, other, jpeg_with_exif(color="black")).get_json()
    assert_error(phone.post(path, json={"item_id": items["Refrigerant leak test"].id,
                                        "passed": False, "photo_id": foreign_photo["id"]}), 422)
    assert_error(phone.post(path, json={"item_id": items["Suction pressure"].id,
                                        "number": "abc"}), 422)
    assert_error(phone.post(f"/mobile/v1/jobs/{other.id}/checklist", json={
        "item_id": items["Suction pressure"].id, "number": "4"}), 404, "no_checklist")
    assert db_session.scalar(select(func.count()).select_from(InspectionResult)) == 0
    assert correctives(db_session) == []


def test_the_checklist_is_filled_on_site_only_and_only_on_your_own_job(
        phone: Any, login: Any, make_tech: Any, inspected_job: Any) -> None:
    stranger = login(make_tech())  # (logging in ends the app context: do it first)
    job, items = inspected_job(status="dispatched")
    body = {"item_id": items["Refrigerant leak test"].id, "passed": True}
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/checklist", json=body), 409,
                 "not_on_site")
    assert_error(stranger.post(f"/mobile/v1/jobs/{job.id}/checklist", json=body), 404)
    assert_error(stranger.get(f"/mobile/v1/jobs/{job.id}/checklist"), 404)
    mine = phone.get(f"/mobile/v1/jobs/{job.id}/checklist").get_json()
    assert [i["label"] for i in mine["template"]["items"]] == list(items)
    assert len(mine["missing_item_ids"]) == 3  # "Remarks" is optional


def test_completion_waits_for_the_required_items_and_the_signature(
        db_session: Any, phone: Any, inspected_job: Any) -> None:
    job, items = inspected_job(status="en_route", requires_signature=True)
    assert phone.post(f"/mobile/v1/jobs/{job.id}/check-in", json=at_site()).status_code == 201
    path = f"/mobile/v1/jobs/{job.id}/checklist"
    phone.post(path, json={"item_id": items["Refrigerant leak test"].id, "passed": True})

    refused = assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete",
                                      json={"completion": COMPLETION}), 409,
                           "checklist_incomplete")
    assert sorted(i["label"] for i in refused["missing_items"]) == [
        "Filter state", "Suction pressure"]
    phone.post(path, json={"item_id": items["Suction pressure"].id, "number": "4.5"})
    phone.post(path, json={"item_id": items["Filter state"].id, "choice": "clean"})
    assert_error(phone.post(f"/mobile/v1/jobs/{job.id}/complete",
                            json={"completion": COMPLETION}), 409, "signature_required")
    signature = upload(phone, job, jpeg_with_exif(color="white", gps=False),
                       kind="signature").get_json()
    done = phone.post(f"/mobile/v1/jobs/{job.id}/complete", json={
        "completion": COMPLETION, "signature_photo_id": signature["id"]})
    assert done.status_code == 200, done.get_json()
    db_session.refresh(job)
    assert job.status == "completed"


def test_offline_sync_fails_an_item_raises_the_repair_once_and_replays(
        db_session: Any, phone: Any, inspected_job: Any) -> None:
    job, items = inspected_job(status="en_route")
    operations = [
        {"key": "s-1", "op": "check_in", "job_id": job.id,
         "client_time": "2026-11-23T08:20:00+01:00", "body": at_site()},
        {"key": "s-2", "op": "checklist_item", "job_id": job.id,
         "client_time": "2026-11-23T08:31:00+01:00",
         "body": {"item_id": items["Refrigerant leak test"].id, "passed": False,
                  "note": "Bubbles at the brazed joint."}},
        {"key": "s-3", "op": "checklist_item", "job_id": job.id,
         "client_time": "2026-11-23T08:33:00+01:00",
         "body": {"item_id": items["Suction pressure"].id, "number": "9.9"}},
        {"key": "s-4", "op": "checklist_item", "job_id": job.id,
         "client_time": "2026-11-23T08:34:00+01:00", "body": {"item_id": "x"}},
        {"key": "s-5", "op": "complete", "job_id": job.id,
         "client_time": "2026-11-23T09:00:00+01:00", "body": {"completion": COMPLETION}},
    ]
    first = phone.post("/mobile/v1/sync", json={"operations": operations})
    assert first.status_code == 200, first.get_json()
    results = first.get_json()["results"]
    assert [r["status"] for r in results] == [201, 200, 200, 422, 409]
    assert results[4]["body"]["error"] == "checklist_incomplete"
    repairs = correctives(db_session)
    assert [r.priority for r in repairs] == ["P2", "P3"]
    assert "Bubbles at the brazed joint." in repairs[0].description
    assert results[1]["body"]["corrective_work_order_id"] == repairs[0].id

    replay = phone.post("/mobile/v1/sync", json={"operations": operations}).get_json()
    assert [r["replayed"] for r in replay["results"]] == [True, True, True, False, False]
    assert replay["results"][1]["body"] == results[1]["body"]
    assert len(correctives(db_session)) == 2  # nothing raised twice


def test_an_answer_replayed_with_its_idempotency_key_raises_nothing_twice(
        db_session: Any, phone: Any, inspected_job: Any) -> None:
    job, items = inspected_job()
    body = {"item_id": items["Refrigerant leak test"].id, "passed": False}
    headers = {"Idempotency-Key": "leak-1"}
    first = phone.post(f"/mobile/v1/jobs/{job.id}/checklist", json=body, headers=headers)
    again = phone.post(f"/mobile/v1/jobs/{job.id}/checklist", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(correctives(db_session)) == 1
