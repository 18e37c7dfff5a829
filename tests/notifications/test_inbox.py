"""Every user has an inbox and may register push devices; escalations for dispatchers without
a phone land in the inbox instead of ending as `dropped` (issue 12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from tests.conftest import assert_error


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


def test_an_sla_breach_for_a_dispatcher_without_a_phone_lands_in_the_inbox(
        db_session: Any, login: Any, make_asset: Any, push_client: Any, fcm: Any) -> None:
    from app.notifications.delivery import deliver_pending
    from app.notifications.models import Notification

    dispatcher = login("dispatcher")
    work_order = breach(db_session, make_asset)
    deliver_pending(db_session, now=utcnow(), client=push_client)
    db_session.commit()

    note = db_session.scalar(select(Notification).where(
        Notification.user_id == dispatcher.user.id, Notification.kind == "sla_breached"))
    assert note.status == "inbox"  # was "dropped": nobody would ever see it
    assert fcm.requests == []
    response = dispatcher.get("/api/v1/me/notifications")
    assert response.status_code == 200, response.get_json()
    items = response.get_json()
    assert [(i["kind"], i["work_order_id"], i["read_at"]) for i in items] == [
        ("sla_breached", work_order.id, None)]
    assert work_order.number in items[0]["title"]
    assert "X-Pagination" in response.headers


def test_inbox_unread_filter_and_mark_read_one_and_all(db_session: Any, login: Any,
                                                      make_user: Any) -> None:
    from app.notifications.service import queue_notification

    warehouse = login("warehouse")
    other = make_user("dispatcher")
    mine = [queue_notification(db_session, user_ids=[warehouse.user.id], kind="stock_low",
                               title=f"Low stock {n}", body="Part")[0] for n in range(3)]
    (theirs,) = queue_notification(db_session, user_ids=[other.id], kind="stock_low",
                                   title="Not yours", body="Part")
    db_session.commit()

    listed = warehouse.get("/api/v1/me/notifications?page_size=2")
    assert listed.status_code == 200
    assert len(listed.get_json()) == 2  # newest first, paginated
    assert [i["title"] for i in listed.get_json()] == ["Low stock 2", "Low stock 1"]

    read = warehouse.post(f"/api/v1/me/notifications/{mine[0].id}/read")
    assert read.status_code == 200 and read.get_json()["read_at"] is not None
    unread = warehouse.get("/api/v1/me/notifications?unread=true").get_json()
    assert sorted(i["id"] for i in unread) == sorted([mine[1].id, mine[2].id])
    assert_error(warehouse.post(f"/api/v1/me/notifications/{theirs.id}/read"), 404)

    done = warehouse.post("/api/v1/me/notifications/read-all")
    assert done.status_code == 200 and done.get_json() == {"marked": 2}
    assert warehouse.get("/api/v1/me/notifications?unread=true").get_json() == []
    count = warehouse.get("/api/v1/me/notifications/unread-count").get_json()
    assert count == {"unread": 0}


def test_the_inbox_needs_a_login(client: Any) -> None:
    assert_error(client.get("/api/v1/me/notifications"), 401)
    assert_error(client.put("/api/v1/me/devices", json={"token": "x" * 30,
                                                        "platform": "web"}), 401)


def test_a_dispatcher_registers_a_device_and_gets_escalations_pushed(
        db_session: Any, login: Any, make_asset: Any, push_client: Any, fcm: Any) -> None:
    from app.notifications.delivery import deliver_pending
    from app.notifications.models import Notification

    dispatcher = login("dispatcher")
    token = "browser-" + "a" * 40
    registered = dispatcher.put("/api/v1/me/devices",
                                json={"token": token, "platform": "web"})
    assert registered.status_code == 200, registered.get_json()
    assert registered.get_json()["platform"] == "web"
    breach(db_session, make_asset)
    deliver_pending(db_session, now=utcnow(), client=push_client)
    db_session.commit()

    assert fcm.sent_tokens() == [token]
    note = db_session.scalar(select(Notification).where(
        Notification.user_id == dispatcher.user.id))
    assert note.status == "sent"
    assert_error(dispatcher.put("/api/v1/me/devices", json={"token": "short",
                                                           "platform": "web"}), 422)


def test_customers_may_register_devices_too(login: Any) -> None:
    customer = login("customer")
    response = customer.put("/api/v1/me/devices", json={"token": "c" * 40,
                                                        "platform": "ios"})
    assert response.status_code == 200, response.get_json()


def test_who_gets_what_is_configurable_per_kind_and_role(db_session: Any, make_user: Any,
                                                         monkeypatch: Any) -> None:
    from app.config import Config
    from app.notifications.service import queue_notification

    dispatcher, tech = make_user("dispatcher"), make_user("technician")
    (default,) = queue_notification(db_session, user_ids=[dispatcher.id], kind="sla_warning",
                                    title="WO-2026-000001: response SLA at 75 %", body="P1")
    assert default.channels == ["inbox", "push", "email"]
    assert (default.status, default.email_status) == ("pending", "pending")
    monkeypatch.setattr(Config, "NOTIFICATION_ROUTES",
                        {"sla_warning": {"dispatcher": ["inbox"]},
                         "job_assigned": {"technician": ["inbox", "email"]}})
    quiet, assigned = (
        queue_notification(db_session, user_ids=[user.id], kind=kind, title="t", body="b")[0]
        for user, kind in ((dispatcher, "sla_warning"), (tech, "job_assigned")))
    assert (quiet.channels, quiet.status, quiet.email_status) == (["inbox"], "inbox", None)
    assert (assigned.channels, assigned.status, assigned.email_status) == (
        ["inbox", "email"], "inbox", "pending")
    (unknown,) = queue_notification(db_session, user_ids=[tech.id], kind="something_new",
                                    title="t", body="b")
    assert unknown.channels == ["inbox", "push"]
