"""The printable service report: a real PDF, read back with pdftotext and rendered with
pdftoppm, in Chinese and in English, customer-safe whoever prints it."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from tests.conftest import assert_error
from tests.mobile_api.conftest import jpeg_with_exif

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is installed by `make setup`")


def pdf_text(data: bytes, tmp_path: Any, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def finished_job(db_session: Any, make_job: Any, phone: Any, photo_dir: Any,
                 make_part: Any, login: Any) -> Any:
    from app import geo
    from app.inventory.models import StockLocation, StockMovement
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrderRating

    job = make_job(status="completed", resolution_notes="Replaced the HP switch; 制冷恢复正常",
                   failure_code="HP-TRIP", cause_code="SWITCH", remedy_code="REPLACE")
    for kind, size in (("before", (64, 48)), ("signature", (80, 30))):
        image = jpeg_with_exif(size=size)
        response = phone.post(f"/mobile/v1/jobs/{job.id}/photos",
                              data={"kind": kind, "file": (io.BytesIO(image), f"{kind}.jpg")},
                              content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
    part = make_part()
    part.name = "Pressure switch PS-40"
    depot = StockLocation(code="WH-PDF", name="Depot", kind="warehouse",
                          location=geo.to_point(48.1, 11.5))
    db_session.add(depot)
    db_session.flush()  # flush: the ledger line refers to the depot
    db_session.add(StockMovement(kind="issue", part_id=part.id, quantity=2,
                                 unit_cost=Decimal("48.50"), work_order_id=job.id,
                                 from_location_id=depot.id))
    office = login("dispatcher").user
    workorders.add_note(db_session, job, text="Margin is thin on this contract",
                        internal=True, actor=office)
    workorders.add_note(db_session, job, text="Please keep the door closed",
                        internal=False, actor=office)
    db_session.add(WorkOrderRating(work_order_id=job.id, score=5, comment="很专业"))
    db_session.commit()
    return job


def test_customer_prints_the_report_in_chinese_and_english(finished_job, login, make_user,
                                                            tmp_path):
    job = finished_job
    customer = login(make_user("customer", customer_id=job.customer_id))
    zh = customer.get(f"/api/v1/work-orders/{job.id}/service-report.pdf",
                      headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 200 and zh.mimetype == "application/pdf"
    assert "attachment" in zh.headers["Content-Disposition"]
    text = pdf_text(zh.data, tmp_path, "zh")
    for expected in (f"服务报告 {job.number}", "使用备件", "Pressure switch PS-40", "97.00",
                     "HP-TRIP / SWITCH / REPLACE", "制冷恢复正常", "客户签名", "很专业",
                     "Please keep the door closed", "已添加照片", job.customer.name):
        assert expected in text, expected
    assert "Margin is thin" not in text  # internal notes never reach the customer

    en = customer.get(f"/api/v1/work-orders/{job.id}/service-report.pdf?lang=en")
    text_en = pdf_text(en.data, tmp_path, "en")
    assert f"Service report {job.number}" in text_en and "Parts used" in text_en
    assert "服务报告" not in text_en

    (tmp_path / "zh.pdf").write_bytes(zh.data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",
                    str(tmp_path / "zh.pdf"), str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert page.size[0] > 300
    dark = page.histogram()[:128]
    dark = sum(dark)
    assert dark > 1000  # text and the photo were drawn, not a blank page


def test_the_dispatchers_copy_is_customer_safe_too(finished_job, login, tmp_path):
    office = login("dispatcher")
    report = office.get(f"/api/v1/work-orders/{finished_job.id}/service-report.pdf?lang=en")
    assert report.status_code == 200
    assert "Margin is thin" not in pdf_text(report.data, tmp_path, "office")


def test_another_account_cannot_print_it(finished_job, login):
    stranger = login("customer")
    assert_error(stranger.get(f"/api/v1/work-orders/{finished_job.id}/service-report.pdf"),
                 404, "not_found")
    assert_error(login("warehouse").get(
        f"/api/v1/work-orders/{finished_job.id}/service-report.pdf"), 403)
