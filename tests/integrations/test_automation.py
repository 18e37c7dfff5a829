"""Automation rules: matched in the transaction of the change, acting through the services,
logged, never looping, and never undoing the change when an action fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from tests.conftest import assert_error


def rule(client: Any, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/automation-rules", json={"name": "rule", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def firings(client: Any, rule_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/automation-rules/{rule_id}/firings").get_json()


def test_gold_customers_faults_become_p1_and_dispatchers_are_told(db_session, login, make_user,
                                                                  make_customer, make_site,
                                                                  make_asset, make_work_order):
    from app.notifications.models import Notification

    dispatcher = login("dispatcher")
    colleague = make_user("dispatcher")
    gold = rule(dispatcher, event="work_order.created",
                conditions={"customer_tier": ["gold"]},
                actions=[{"type": "set_priority", "priority": "P1"},
                         {"type": "notify", "role": "dispatcher",
                          "message": "Gold customer fault"}])
    golden = make_asset(site=make_site(customer=make_customer(sla_tier="gold")))
    plain = make_asset(site=make_site(customer=make_customer(sla_tier="silver")))

    hot = make_work_order(asset=golden, priority="P3")
    cold = make_work_order(asset=plain, priority="P3")
    db_session.expire_all()

    assert (hot.priority, cold.priority) == ("P1", "P3")
    told = list(db_session.scalars(select(Notification).where(
        Notification.kind == "automation", Notification.work_order_id == hot.id)))
    assert colleague.id in {n.user_id for n in told}
    assert all(n.body == "Gold customer fault" for n in told)
    log = firings(dispatcher, gold["id"])
    assert [(f["work_order_id"], f["outcome"]) for f in log] == [(hot.id, "done")]
    assert [d["type"] for d in log[0]["detail"]] == ["set_priority", "notify"]


def test_a_rule_answering_comments_does_not_trigger_itself(db_session, login, make_user,
                                                           make_work_order):
    from app.workorders import service as workorders
    from app.workorders.models import WorkOrderEvent

    dispatcher = login("dispatcher")
    thanks = rule(dispatcher, event="work_order.commented",
                  actions=[{"type": "add_note", "text": "Thank you, we are on it.",
                            "internal": False}])
    order = make_work_order()
    customer = make_user("customer", customer_id=order.customer_id)
    workorders.add_note(db_session, order, text="Any news?", internal=False, actor=customer)
    db_session.commit()

    notes = [e.data["text"] for e in db_session.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order.id,
                                     WorkOrderEvent.kind == "note")
        .order_by(WorkOrderEvent.id))]
    assert notes == ["Any news?", "Thank you, we are on it."]  # one answer, no loop
    assert len(firings(dispatcher, thanks["id"])) == 1


def test_a_failing_action_is_logged_and_the_change_stands(db_session, login, make_user,
                                                          make_work_order):
    from app.workorders.models import WorkOrder

    dispatcher = login("dispatcher")
    not_a_tech = make_user("warehouse")
    broken = rule(dispatcher, event="work_order.created", conditions={"priority": ["P2"]},
                  actions=[{"type": "add_note", "text": "auto", "internal": True},
                           {"type": "assign", "technician_user_id": not_a_tech.id}])
    order = make_work_order(priority="P2")

    assert db_session.get(WorkOrder, order.id).assignee_user_id is None
    (fired,) = firings(dispatcher, broken["id"])
    assert fired["outcome"] == "failed"
    assert fired["detail"][-1]["error"] == "no_candidate"


def test_a_rolled_back_change_fires_nothing(db_session, login, make_asset):
    from app.integrations.models import AutomationFiring
    from app.workorders import service as workorders

    rule(login("dispatcher"), event="work_order.created",
         actions=[{"type": "notify", "role": "dispatcher"}])
    asset = make_asset()
    savepoint = db_session.begin_nested()
    workorders.new_work_order(db_session, site=asset.site, asset=asset, title="t",
                              description="d", actor=None)
    db_session.flush()
    savepoint.rollback()
    db_session.commit()
    assert db_session.scalar(select(AutomationFiring.id)) is None


def test_time_of_day_condition_spans_midnight():
    from app.integrations.service.automation import _in_window

    night = {"from": "18:00", "to": "07:00", "timezone": "Europe/Berlin"}
    assert _in_window(night, datetime(2026, 11, 30, 22, 0, tzinfo=UTC))  # 23:00 in Berlin
    assert _in_window(night, datetime(2026, 11, 30, 5, 0, tzinfo=UTC))  # 06:00
    assert not _in_window(night, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))  # 12:00


def test_rules_are_checked_and_office_only(login):
    dispatcher = login("dispatcher")
    for body in ({"event": "nope", "actions": [{"type": "notify", "role": "dispatcher"}]},
                 {"event": "sla.breached", "actions": [{"type": "explode"}]},
                 {"event": "sla.breached", "actions": [{"type": "set_priority",
                                                        "priority": "P9"}]},
                 {"event": "sla.breached", "conditions": {"moon": "full"},
                  "actions": [{"type": "notify", "role": "dispatcher"}]},
                 {"event": "sla.breached", "conditions": {"local_time": {"from": "25:00",
                                                                        "to": "07:00"}},
                  "actions": [{"type": "notify", "role": "dispatcher"}]}):
        assert_error(dispatcher.post("/api/v1/automation-rules", json={"name": "x", **body}),
                     422)
    assert_error(login("technician").get("/api/v1/automation-rules"), 403)
    made = rule(dispatcher, event="sla.breached",
                actions=[{"type": "notify", "role": "admin"}])
    paused = dispatcher.patch(f"/api/v1/automation-rules/{made['id']}",
                              json={"is_active": False})
    assert paused.get_json()["is_active"] is False
