"""From a dispatcher's change to the technician's phone: the outbox row written with the
change, `flask notifications deliver` sending it through the local FCM server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from tests.notifications.conftest import PROJECT


def test_assignment_and_reassignment_reach_the_phones_through_the_cli(
        app: Any, db_session: Any, fcm: Any, monkeypatch: Any, make_user: Any,
        make_device: Any, make_site: Any) -> None:
    from app.notifications.models import Notification
    from app.workorders import service as workorders

    dispatcher = make_user("dispatcher")
    first, second = make_user("technician"), make_user("technician")
    first_phone, second_phone = make_device(first), make_device(second)
    job = workorders.new_work_order(db_session, site=make_site(), asset=None, title="Leak",
                                    description="Water under the unit.", actor=dispatcher)
    start = utcnow() + timedelta(hours=2)
    workorders.assign_work_order(db_session, job, assignee_user_id=first.id,
                                 scheduled_start=start, scheduled_end=None, version=None,
                                 actor=dispatcher)
    workorders.assign_work_order(db_session, job, assignee_user_id=second.id,
                                 scheduled_start=start, scheduled_end=None, version=None,
                                 actor=dispatcher)
    db_session.commit()
    number = job.number
    monkeypatch.setitem(app.config, "FCM_PROJECT_ID", PROJECT)
    monkeypatch.setitem(app.config, "FCM_ENDPOINT", fcm.url)

    result = app.test_cli_runner().invoke(args=["notifications", "deliver"])

    assert result.exit_code == 0, result.output
    assert "sent 3" in result.output
    by_token = {}
    for request in fcm.requests:
        message = request["body"]["message"]
        by_token.setdefault(message.get("token") or message.get("fid"), []).append(
            message["data"]["kind"])
    assert sorted(by_token[first_phone.token]) == ["job_assigned", "job_unassigned"]
    assert by_token[second_phone.token] == ["job_assigned"]
    assert all(number in r["body"]["message"]["notification"]["title"] for r in fcm.requests)
    statuses = set(db_session.scalars(select(Notification.status)))
    assert statuses == {"sent"}


def test_the_cli_keeps_the_outbox_without_credentials(app: Any, db_session: Any,
                                                      make_user: Any) -> None:
    from app.notifications.models import Notification
    from app.notifications.service import queue_notification

    tech = make_user("technician")
    queue_notification(db_session, user_ids=[tech.id], kind="job_cancelled", title="Cancelled",
                       body="WO-1")
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert result.exit_code == 0, result.output
    assert "kept 1" in result.output
    assert db_session.scalar(select(Notification.status).where(
        Notification.user_id == tech.id)) == "pending"


def test_the_push_speaks_the_recipients_language(app: Any, db_session: Any, fcm: Any,
                                                 monkeypatch: Any, make_user: Any,
                                                 make_device: Any, make_site: Any) -> None:
    from app.workorders import service as workorders

    dispatcher = make_user("dispatcher")
    chinese, english = make_user("technician", locale="zh_CN"), make_user("technician")
    phones = {make_device(chinese).token: "zh", make_device(english).token: "en"}
    numbers = {}
    for tech in (chinese, english):
        job = workorders.new_work_order(db_session, site=make_site(), asset=None,
                                        title="Leak", description="Water.", actor=dispatcher)
        workorders.assign_work_order(db_session, job, assignee_user_id=tech.id,
                                     scheduled_start=utcnow() + timedelta(hours=2),
                                     scheduled_end=None, version=None, actor=dispatcher)
        numbers[tech.id] = job.number
    db_session.commit()
    monkeypatch.setitem(app.config, "FCM_PROJECT_ID", PROJECT)
    monkeypatch.setitem(app.config, "FCM_ENDPOINT", fcm.url)

    result = app.test_cli_runner().invoke(args=["notifications", "deliver"])

    assert result.exit_code == 0, result.output
    titles = {phones[r["body"]["message"]["fid"]]: r["body"]["message"]["notification"]["title"]
              for r in fcm.requests}
    assert titles == {"zh": f"工单 {numbers[chinese.id]} 已分配给您",
                      "en": f"Job {numbers[english.id]} assigned to you"}
