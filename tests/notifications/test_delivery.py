"""Push delivery with the real firebase-admin client against a local FCM-compatible server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from tests.notifications.conftest import (
    INTERNAL,
    INVALID_ARGUMENT,
    PROJECT,
    QUOTA,
    SUCCESS,
    UNAVAILABLE,
    UNREGISTERED,
)


def deliver(db_session: Any, client: Any, now: Any = None) -> Any:
    from app.notifications.delivery import deliver_pending

    report = deliver_pending(db_session, now=now or utcnow(), client=client)
    db_session.commit()
    return report


def attempts_of(db_session: Any, notification: Any) -> list[tuple[str, str | None]]:
    from app.notifications.models import NotificationAttempt

    rows = db_session.scalars(select(NotificationAttempt).where(
        NotificationAttempt.notification_id == notification.id)
        .order_by(NotificationAttempt.id))
    return [(a.outcome, a.error_code) for a in rows]


def test_a_notification_is_sent_to_the_users_phone(db_session: Any, fcm: Any, push_client: Any,
                                                   make_user: Any, make_device: Any,
                                                   make_notification: Any) -> None:
    tech = make_user("technician")
    device = make_device(tech)
    notification = make_notification(tech)

    report = deliver(db_session, push_client)

    assert report.sent == 1
    assert notification.status == "sent" and notification.sent_at is not None
    assert attempts_of(db_session, notification) == [("sent", None)]
    (request,) = fcm.requests
    assert request["path"] == f"/v1/projects/{PROJECT}/messages:send"
    message = request["body"]["message"]
    assert fcm.sent_tokens() == [device.token]
    assert message["notification"] == {"title": "Job WO-2026-000123 assigned to you",
                                       "body": "P2 Chiller trips on high pressure"}
    assert message["data"]["work_order_id"] == "123"
    assert message["data"]["kind"] == "job_assigned"
    assert deliver(db_session, push_client).sent == 0  # nothing is sent twice
    assert len(fcm.requests) == 1


def test_unavailable_is_retried_with_backoff_then_sent(db_session: Any, fcm: Any,
                                                       push_client: Any, make_user: Any,
                                                       make_device: Any,
                                                       make_notification: Any) -> None:
    tech = make_user("technician")
    make_device(tech)
    notification = make_notification(tech)
    fcm.script = [UNAVAILABLE, SUCCESS]
    now = utcnow()

    first = deliver(db_session, push_client, now)
    assert first.retrying == 1 and notification.status == "pending"
    assert notification.next_attempt_at == now + timedelta(seconds=30)
    assert deliver(db_session, push_client, now + timedelta(seconds=10)).notification_ids == []
    second = deliver(db_session, push_client, now + timedelta(seconds=31))

    assert second.sent == 1 and notification.status == "sent"
    assert attempts_of(db_session, notification) == [("retry", "UNAVAILABLE"), ("sent", None)]
    assert len(fcm.requests) == 2  # one HTTP request per recorded attempt


def test_internal_and_quota_errors_back_off_longer_each_round(
        db_session: Any, fcm: Any, push_client: Any, make_user: Any, make_device: Any,
        make_notification: Any) -> None:
    tech = make_user("technician")
    make_device(tech)
    notification = make_notification(tech)
    fcm.script = [INTERNAL, QUOTA]
    now = utcnow()
    deliver(db_session, push_client, now)
    later = now + timedelta(minutes=1)
    deliver(db_session, push_client, later)
    assert notification.next_attempt_at == later + timedelta(seconds=60)
    assert attempts_of(db_session, notification) == [("retry", "INTERNAL"),
                                                     ("retry", "QUOTA_EXCEEDED")]


def test_unregistered_and_invalid_tokens_are_dropped_and_deactivated(
        db_session: Any, fcm: Any, push_client: Any, make_user: Any, make_device: Any,
        make_notification: Any) -> None:
    tech = make_user("technician")
    gone, invalid = make_device(tech), make_device(tech)
    notification = make_notification(tech)
    fcm.script = [UNREGISTERED, INVALID_ARGUMENT]

    report = deliver(db_session, push_client)

    assert report.dropped == 1 and notification.status == "dropped"
    assert (gone.is_active, invalid.is_active) == (False, False)
    assert sorted(attempts_of(db_session, notification)) == [
        ("token_dropped", "INVALID_ARGUMENT"), ("token_dropped", "UNREGISTERED")]
    make_notification(tech)
    deliver(db_session, push_client)
    assert len(fcm.requests) == 2  # deactivated tokens get nothing more


def test_a_retry_round_skips_devices_that_already_got_it(
        db_session: Any, fcm: Any, push_client: Any, make_user: Any, make_device: Any,
        make_notification: Any) -> None:
    tech = make_user("technician")
    phone, tablet = make_device(tech), make_device(tech)
    notification = make_notification(tech)
    fcm.script = [SUCCESS, UNAVAILABLE, SUCCESS]
    now = utcnow()
    deliver(db_session, push_client, now)
    deliver(db_session, push_client, now + timedelta(hours=1))

    assert notification.status == "sent"
    assert fcm.sent_tokens() == [phone.token, tablet.token, tablet.token]


def test_without_credentials_the_outbox_is_kept_and_logged(db_session: Any, make_user: Any,
                                                           make_device: Any,
                                                           make_notification: Any,
                                                           caplog: Any) -> None:
    tech = make_user("technician")
    make_device(tech)
    notification = make_notification(tech)
    with caplog.at_level("INFO", logger="app.notifications.delivery"):
        report = deliver(db_session, None)
    assert report.kept == 1 and notification.status == "pending"
    assert "push not configured" in caplog.text


def test_the_client_is_configured_only_with_credentials_or_a_local_endpoint(fcm: Any) -> None:
    from app.notifications.fcm import FcmClient, push_client_from_config

    assert push_client_from_config({"FCM_PROJECT_ID": PROJECT}) is None
    assert push_client_from_config({"FCM_ENDPOINT": fcm.url}) is None
    client = push_client_from_config({"FCM_PROJECT_ID": PROJECT, "FCM_ENDPOINT": fcm.url})
    assert isinstance(client, FcmClient) and client.endpoint == fcm.url
