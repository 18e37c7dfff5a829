"""E-mail as an intake channel: fault reports, replies as comments, held messages filed by a
dispatcher, and the real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import io
import smtplib
import socket
from email.message import EmailMessage
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import MUNICH, assert_error, build_app


def jpeg(color: str = "red", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def mail(sender: str, subject: str, body: str, *, images: int = 0, pdf: bool = False,
         message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Kunde <{sender}>"
    message["To"] = "service@fieldops.example"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    for n in range(images):
        message.add_attachment(jpeg(("red", "blue", "green")[n % 3], (30 + n, 20)),
                               maintype="image", subtype="jpeg", filename=f"fault{n}.jpg")
    if pdf:
        message.add_attachment(b"%PDF-1.4 not really", maintype="application",
                               subtype="pdf", filename="manual.pdf")
    return message


@pytest.fixture
def storage(app: Any, tmp_path: Any, monkeypatch: Any) -> Any:
    from app.mobile_api.storage import LocalStorage

    monkeypatch.setitem(app.config, "PHOTO_STORAGE_DIR", str(tmp_path / "uploads"))
    return LocalStorage(tmp_path / "uploads")


@pytest.fixture
def account(make_customer: Any) -> Any:
    return make_customer()


@pytest.fixture
def customer_user(make_user: Any, account: Any) -> Any:
    return make_user("customer", email="Facility@Stadtwerke.example", customer_id=account.id)


def receive(db_session: Any, message: EmailMessage, storage: Any) -> Any:
    from app.integrations.service import receive_email

    record = receive_email(db_session, message.as_bytes(), storage=storage)
    db_session.commit()
    return record


def photos_of(db_session: Any, work_order_id: int) -> list[Any]:
    from app.mobile_api.models import Photo

    return list(db_session.scalars(select(Photo).where(Photo.work_order_id == work_order_id)))


def test_a_customer_mail_opens_a_fault_report_on_the_named_asset(db_session, customer_user,
                                                                  account,
                                                                  make_site, make_asset,
                                                                  storage):
    site = make_site(customer=account)
    make_asset(site=site)
    named = make_asset(site=site)
    message = mail("facility@stadtwerke.example", f"Kältemaschine {named.tag} steht",
                   "Alarm HP1 seit heute früh.", images=1, pdf=True, message_id="<m1@x>")

    from app.workorders.models import WorkOrder

    record = receive(db_session, message, storage)
    assert record.status == "fault_report"
    order = record.work_order_id
    work_order = db_session.get(WorkOrder, order)
    assert work_order.asset_id == named.id and "Alarm HP1" in work_order.description
    assert [p.caption for p in photos_of(db_session, work_order.id)] == ["fault0.jpg"]
    assert record.skipped_attachments == [{"filename": "manual.pdf", "reason": "not an image"}]

    again = receive(db_session, message, storage)  # the same message delivered twice
    assert again.id == record.id
    assert db_session.scalar(select(WorkOrder.id).where(
        WorkOrder.customer_id == customer_user.customer_id, WorkOrder.id != order)) is None


def test_a_reply_naming_the_order_becomes_a_visible_comment(db_session, customer_user, login,
                                                           account,
                                                           make_site, make_asset, storage):
    from app.workorders import service as workorders

    site = make_site(customer=account)
    outcome = workorders.report_fault(db_session, description="Lift stuck", actor=customer_user,
                                      asset_id=make_asset(site=site).id)
    db_session.commit()
    number = outcome.work_order.number
    body = ("The door is also jammed now.\n\nOn Mon, 30 Nov 2026 FieldOps wrote:\n"
            "> Your report was received.")
    record = receive(db_session, mail("facility@stadtwerke.example", f"Re: [{number}] Lift",
                                      body, images=1), storage)

    assert record.status == "comment" and record.work_order_id == outcome.work_order.id
    timeline = login(customer_user).get(
        f"/api/v1/work-orders/{outcome.work_order.id}/timeline").get_json()
    notes = [e["data"]["text"] for e in timeline if e["kind"] == "note"]
    assert notes == ["The door is also jammed now."]  # no quoted history
    assert len(photos_of(db_session, outcome.work_order.id)) == 1


def test_mail_we_cannot_place_is_held_for_a_dispatcher_who_files_it(db_session, login,
                                                                    customer_user, account,
                                                                    make_site,
                                                                    make_work_order, storage):
    stranger = receive(db_session, mail("someone@elsewhere.example", "Pump leaking",
                                        "Basement pump leaks.", images=2), storage)
    assert (stranger.status, stranger.reason) == ("held", "unknown_sender")
    other_order = make_work_order()  # another account's order
    foreign = receive(db_session, mail("facility@stadtwerke.example",
                                       f"Re: {other_order.number}", "Any news?"), storage)
    assert (foreign.status, foreign.reason) == ("held", "unknown_work_order")
    make_site(customer=account)
    make_site(customer=account)
    vague = receive(db_session, mail("facility@stadtwerke.example", "Something is broken",
                                     "Please come."), storage)
    assert (vague.status, vague.reason) == ("held", "site_unknown")

    dispatcher = login("dispatcher")
    held = dispatcher.get("/api/v1/inbound-emails?status=held").get_json()
    assert {h["id"] for h in held} == {stranger.id, foreign.id, vague.id}
    assert next(h for h in held if h["id"] == stranger.id)["held_attachments"] == [
        "fault0.jpg", "fault1.jpg"]

    site = make_site()
    filed = dispatcher.post(f"/api/v1/inbound-emails/{stranger.id}/file",
                            json={"site_id": site.id})
    assert filed.status_code == 200, filed.get_json()
    assert filed.get_json()["status"] == "filed"
    assert len(photos_of(db_session, filed.get_json()["work_order_id"])) == 2
    assert_error(dispatcher.post(f"/api/v1/inbound-emails/{stranger.id}/file",
                                 json={"site_id": site.id}), 409, "already_handled")
    rejected = dispatcher.post(f"/api/v1/inbound-emails/{vague.id}/reject")
    assert rejected.get_json()["status"] == "rejected"
    assert_error(login("customer").get("/api/v1/inbound-emails"), 403)


def test_the_smtp_server_files_mail_for_the_service_address_only(scratch_databases, tmp_path):
    from app import geo
    from app.assets.models import Customer, Site
    from app.auth.models import User
    from app.extensions import db
    from app.integrations.models import InboundEmail
    from app.integrations.smtp_inbound import controller

    app = build_app(scratch_databases.create(), tmp_path,
                    PHOTO_STORAGE_DIR=str(tmp_path / "uploads"),
                    INBOUND_EMAIL_ADDRESSES="service@fieldops.example")
    with app.app_context():
        customer = Customer(account_number="C-1", name="Stadtwerke", sla_tier="silver")
        db.session.add(customer)
        db.session.flush()  # flush: the user and the site refer to the account
        db.session.add_all([
            User(email="facility@stadtwerke.example", full_name="Facility", role="customer",
                 customer_id=customer.id, password_hash="x"),
            Site(customer_id=customer.id, name="Plant", address_line="Marienplatz 1",
                 city="München", location=geo.to_point(*MUNICH))])
        db.session.commit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = controller(app, "127.0.0.1", port)
    smtp.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(mail("facility@stadtwerke.example", "Heizung aus",
                                     "Kein Warmwasser im Gebäude B.", images=1))
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(mail("facility@stadtwerke.example", "x", "y"),
                                    to_addrs=["postmaster@fieldops.example"])
    finally:
        smtp.stop()
    with app.app_context():
        records = list(db.session.scalars(select(InboundEmail)))
        assert [(r.status, r.subject) for r in records] == [("fault_report", "Heizung aus")]
        assert len(photos_of(db.session, records[0].work_order_id)) == 1
        db.session.remove()  # give the connection back before the pool is closed
        db.engine.dispose()
