"""The email channel against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select

from app.db import utcnow


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for _, m in self.messages]


@pytest.fixture
def smtp(app: Any, monkeypatch: Any) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False,
                       "MAIL_FROM": "FieldOps <fieldops@example.test>"}.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield inbox
    finally:
        controller.stop()


def deliver(app: Any, db_session: Any, now: Any = None) -> Any:
    from app.notifications.email import deliver_emails, email_sender_from_config
    from app.notifications.texts import email_for

    report = deliver_emails(
        db_session, now=now or utcnow(), sender=email_sender_from_config(app.config),
        render=lambda note, user: email_for(note, user, mail_from=app.config["MAIL_FROM"]))
    db_session.commit()
    return report


def breach(db_session: Any, make_asset: Any) -> Any:
    from app.workorders import service

    asset = make_asset()
    work_order = service.new_work_order(
        db_session, site=asset.site, asset=asset, title="Lift stuck", description="Floor 3",
        actor=None, priority="P1", type="corrective")
    work_order.response_due_at = utcnow() - timedelta(minutes=5)
    db_session.commit()
    service.run_sla_tick(db_session)
    db_session.commit()
    return work_order


def test_an_sla_breach_is_emailed_to_the_dispatcher_once(app: Any, db_session: Any,
                                                         smtp: Inbox, make_user: Any,
                                                         make_asset: Any) -> None:
    dispatcher = make_user("dispatcher")
    make_user("technician")  # technicians get no SLA email
    work_order = breach(db_session, make_asset)

    first = deliver(app, db_session)
    second = deliver(app, db_session)

    assert (first.sent, second.sent) == (1, 0)
    ((recipients, message),) = smtp.messages
    assert recipients == [dispatcher.email]
    assert smtp.subjects() == [f"{work_order.number}: response SLA breached"]
    assert message["Message-ID"].startswith("<notification-")
    assert "Work order: " + work_order.number in message.get_payload(decode=True).decode()


def test_the_email_speaks_the_recipients_language(app: Any, db_session: Any, smtp: Inbox,
                                                  make_user: Any, make_asset: Any) -> None:
    make_user("dispatcher", locale="zh_CN")
    work_order = breach(db_session, make_asset)
    deliver(app, db_session)
    (subject,) = smtp.subjects()
    assert subject == f"{work_order.number}：响应 SLA 已超时"
    body = smtp.messages[0][1].get_payload(decode=True).decode()
    assert "工单" in body and smtp.messages[0][1]["Content-Language"] == "zh-CN"


def test_a_rolled_back_change_emails_nobody(app: Any, db_session: Any, smtp: Inbox,
                                            make_user: Any) -> None:
    from app.notifications.service import queue_notification

    dispatcher = make_user("dispatcher")
    queue_notification(db_session, user_ids=[dispatcher.id], kind="fault_reported",
                       title="WO-2026-000001: new fault report", body="Leak")
    db_session.rollback()
    assert deliver(app, db_session).sent == 0
    assert smtp.messages == []


def test_a_claim_left_by_a_dead_deliverer_is_in_doubt_and_never_resent(
        app: Any, db_session: Any, smtp: Inbox, make_user: Any) -> None:
    from app.notifications.models import Notification
    from app.notifications.service import queue_notification

    dispatcher = make_user("dispatcher")
    (note,) = queue_notification(db_session, user_ids=[dispatcher.id], kind="fault_reported",
                                 title="WO-2026-000002: new fault report", body="Leak")
    db_session.commit()
    now = utcnow()
    note.email_status, note.email_claimed_at = "claimed", now  # killed mid-send
    db_session.commit()

    assert deliver(app, db_session, now + timedelta(seconds=5)).sent == 0  # within the lease
    report = deliver(app, db_session, now + timedelta(hours=1))
    assert (report.sent, report.in_doubt) == (0, 1)
    assert smtp.messages == []
    status = db_session.scalar(select(Notification.email_status)
                               .where(Notification.id == note.id))
    assert status == "in_doubt"


def test_an_unreachable_server_is_retried_later(app: Any, db_session: Any, make_user: Any,
                                                monkeypatch: Any) -> None:
    from app.notifications.service import queue_notification

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": dead_port,
                       "SMTP_STARTTLS": False, "MAIL_FROM": "fieldops@example.test"}.items():
        monkeypatch.setitem(app.config, key, value)
    dispatcher = make_user("dispatcher")
    (note,) = queue_notification(db_session, user_ids=[dispatcher.id], kind="sla_warning",
                                 title="WO-2026-000003: response SLA at 75 %", body="P1")
    db_session.commit()
    report = deliver(app, db_session)
    assert report.retrying == 1
    assert note.email_status == "pending" and note.email_next_attempt_at > utcnow()


def test_without_smtp_the_emails_wait_in_the_outbox(app: Any, db_session: Any,
                                                    make_user: Any, monkeypatch: Any) -> None:
    from app.notifications.service import queue_notification

    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    dispatcher = make_user("dispatcher")
    (note,) = queue_notification(db_session, user_ids=[dispatcher.id], kind="sla_breached",
                                 title="WO-2026-000004: response SLA breached", body="P1")
    db_session.commit()
    assert deliver(app, db_session).kept == 1 and note.email_status == "pending"
