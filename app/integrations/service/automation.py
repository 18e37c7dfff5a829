"""Automation rules: "when <event> and <conditions> then <actions>".

Events are the work orders' timeline entries (the same types as webhooks). The rules run in
the transaction of the change, just before it commits: a session hook remembers the timeline
entries each flush writes, and at commit the matching rules act through the ordinary services
(assign, edit, notify, webhook, note), each rule in a savepoint so a failing action is logged
without undoing the change that triggered it. What the rules' own actions write never
triggers a rule again in that commit, so rules cannot loop.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.assets.models import Customer
from app.auth.models import Role, User
from app.db import utcnow
from app.errors import DomainError, NotFound, Unprocessable
from app.integrations.models import AutomationFiring, AutomationRule, WebhookSubscription
from app.integrations.service.events import (
    EVENT_TYPES,
    envelope,
    event_types_of,
    queue_delivery,
)
from app.notifications.service import queue_notification
from app.workorders import service as workorders
from app.workorders.models import PRIORITY_VALUES, WorkOrder, WorkOrderEvent

log = logging.getLogger(__name__)
_PENDING = "fieldops.automation.pending"
_RUNNING = "fieldops.automation.running"

ACTION_TYPES = ("assign", "assign_best", "set_priority", "notify", "webhook", "add_note")
CONDITION_KEYS = ("priority", "type", "customer_tier", "site_ids", "customer_ids",
                  "equipment_model_ids", "skill_ids", "local_time")
RULE_EVENTS = tuple(e for e in EVENT_TYPES
                    if e not in ("ping", "plan.applied", "automation.rule_fired"))


# --- validation --------------------------------------------------------------------------


def _bad(message: str, field: str, value: Any) -> Unprocessable:
    return Unprocessable(message, errors={field: [str(value)[:200]]}, error="invalid_rule")


def check_rule(event: str, conditions: dict[str, Any], actions: list[dict[str, Any]]) -> None:
    """Refuse rules that could never run: unknown event, condition or action, bad values."""
    if event not in RULE_EVENTS:
        raise _bad("Unknown event.", "event", event)
    for key in conditions:
        if key not in CONDITION_KEYS:
            raise _bad("Unknown condition.", "conditions", key)
    window = conditions.get("local_time")
    if window is not None:
        try:
            time.fromisoformat(window["from"]), time.fromisoformat(window["to"])
            ZoneInfo(window.get("timezone", "UTC"))
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad("local_time needs from/to as HH:MM and an IANA timezone.",
                       "conditions", window) from exc
    if not actions:
        raise _bad("A rule needs at least one action.", "actions", [])
    for action in actions:
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            raise _bad("Unknown action.", "actions", kind)
        if kind == "set_priority" and action.get("priority") not in PRIORITY_VALUES:
            raise _bad("set_priority needs priority P1-P4.", "actions", action)
        if kind == "assign" and not isinstance(action.get("technician_user_id"), int):
            raise _bad("assign needs technician_user_id.", "actions", action)
        if kind == "notify" and not (action.get("role") in tuple(Role)
                                     or isinstance(action.get("user_id"), int)):
            raise _bad("notify needs a role or a user_id.", "actions", action)
        if kind == "webhook" and not isinstance(action.get("subscription_id"), int):
            raise _bad("webhook needs subscription_id.", "actions", action)
        if kind == "add_note" and not str(action.get("text", "")).strip():
            raise _bad("add_note needs text.", "actions", action)


# --- rules CRUD ----------------------------------------------------------------------------


def create_rule(session: Session, *, name: str, event: str, conditions: dict[str, Any],
                actions: list[dict[str, Any]], actor: User) -> AutomationRule:
    check_rule(event, conditions, actions)
    rule = AutomationRule(name=name, event=event, conditions=conditions, actions=actions,
                          is_active=True, created_by_id=actor.id)
    session.add(rule)
    session.flush()  # flush: the caller answers with the new id
    return rule


def get_rule(session: Session, rule_id: int) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        raise NotFound("Automation rule not found.")
    return rule


def update_rule(rule: AutomationRule, changes: dict[str, Any]) -> AutomationRule:
    merged = {"event": rule.event, "conditions": rule.conditions, "actions": rule.actions,
              **{k: v for k, v in changes.items() if k in ("event", "conditions", "actions")}}
    check_rule(merged["event"], merged["conditions"], merged["actions"])
    for key, value in changes.items():
        setattr(rule, key, value)
    return rule


def list_rules() -> Any:
    return select(AutomationRule).order_by(AutomationRule.id)


def list_firings(rule: AutomationRule) -> Any:
    return (select(AutomationFiring).where(AutomationFiring.rule_id == rule.id)
            .order_by(AutomationFiring.id.desc()))


# --- matching ------------------------------------------------------------------------------


def _in_window(window: dict[str, str], now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(window.get("timezone", "UTC"))).time()
    start, end = time.fromisoformat(window["from"]), time.fromisoformat(window["to"])
    return start <= local < end if start <= end else (local >= start or local < end)


def matches(session: Session, rule: AutomationRule, order: WorkOrder, now: datetime) -> bool:
    c = rule.conditions or {}
    if "priority" in c and order.priority not in c["priority"]:
        return False
    if "type" in c and order.type not in c["type"]:
        return False
    if "customer_ids" in c and order.customer_id not in c["customer_ids"]:
        return False
    if "site_ids" in c and order.site_id not in c["site_ids"]:
        return False
    if "customer_tier" in c:
        tier = session.scalar(select(Customer.sla_tier).where(Customer.id == order.customer_id))
        if tier not in c["customer_tier"]:
            return False
    if "equipment_model_ids" in c and (
            order.asset is None or order.asset.equipment_model_id not in c["equipment_model_ids"]):
        return False
    if "skill_ids" in c and not {s.skill_id for s in order.skills} & set(c["skill_ids"]):
        return False
    return not ("local_time" in c and not _in_window(c["local_time"], now))


# --- actions -------------------------------------------------------------------------------


def _assign(session: Session, order: WorkOrder, action: dict[str, Any],
            now: datetime) -> dict[str, Any]:
    from app.dispatch.service.candidates import rank_candidates

    ranked = [c for c in rank_candidates(session, order, now=now) if c.eligible
              and c.earliest_start is not None]
    if action["type"] == "assign":
        ranked = [c for c in ranked if c.technician.user_id == action["technician_user_id"]]
    elif action.get("territory_id") is not None:
        ranked = [c for c in ranked if c.technician.territory_id == action["territory_id"]]
    if not ranked:
        raise Unprocessable("No eligible technician with a free slot.", error="no_candidate")
    best = ranked[0]
    assert best.earliest_start is not None  # filtered above
    workorders.assign_work_order(session, order, assignee_user_id=best.technician.user_id,
                                 scheduled_start=best.earliest_start,
                                 scheduled_end=best.earliest_end, version=None, actor=None)
    return {"technician_user_id": best.technician.user_id,
            "scheduled_start": best.earliest_start.isoformat()}


def _act(session: Session, rule: AutomationRule, order: WorkOrder, action: dict[str, Any],
         event_type: str, now: datetime) -> dict[str, Any]:
    kind = action["type"]
    if kind in ("assign", "assign_best"):
        return _assign(session, order, action, now)
    owner = session.get(User, rule.created_by_id)
    if owner is None:
        raise NotFound("The rule's owner no longer exists.")
    if kind == "set_priority":
        workorders.update_work_order(session, order, {"priority": action["priority"]},
                                     version=order.version, actor=owner)
        return {"priority": action["priority"]}
    if kind == "notify":
        users = ([action["user_id"]] if "user_id" in action else list(session.scalars(
            select(User.id).where(User.role == action["role"], User.is_active.is_(True)))))
        title = action.get("title") or f"{order.number}: {rule.name}"
        queue_notification(session, user_ids=users, kind="automation", title=title[:200],
                           body=str(action.get("message") or order.title)[:500],
                           data={"work_order_id": order.id, "rule_id": rule.id},
                           work_order_id=order.id)
        return {"notified": len(users)}
    if kind == "webhook":
        subscription = session.get(WebhookSubscription, action["subscription_id"])
        if subscription is None or not subscription.is_active:
            raise Unprocessable("The webhook subscription is gone or disabled.",
                                error="subscription_disabled")
        queue_delivery(session, subscription, "automation.rule_fired", envelope(
            "automation.rule_fired", {"rule_id": rule.id, "rule": rule.name,
                                      "trigger": event_type, "work_order_id": order.id,
                                      "number": order.number}, now))
        return {"subscription_id": subscription.id}
    workorders.add_note(session, order, text=str(action["text"])[:4000],
                        internal=bool(action.get("internal", True)), actor=owner)
    return {"note": True}


def _fire(session: Session, rule: AutomationRule, order: WorkOrder, event_type: str,
          now: datetime) -> None:
    detail: list[dict[str, Any]] = []
    savepoint = session.begin_nested()
    try:
        for action in rule.actions:
            detail.append({"type": action["type"], **_act(session, rule, order, action,
                                                            event_type, now)})
        session.flush()  # flush: a database refusal belongs to this rule's savepoint
        savepoint.commit()
        outcome = "done"
    except DomainError as exc:
        savepoint.rollback()
        detail.append({"type": "error", "error": exc.error, "message": exc.message})
        outcome = "failed"
    except SQLAlchemyError as exc:  # e.g. a constraint: the rule fails, the change stands
        savepoint.rollback()
        detail.append({"type": "error", "error": "database", "message": str(exc)[:300]})
        outcome = "failed"
    session.add(AutomationFiring(rule_id=rule.id, work_order_id=order.id, event_type=event_type,
                                 outcome=outcome, detail=detail, fired_at=now))


# --- the session hooks ---------------------------------------------------------------------


def _remember(session: Session, _flush_context: Any) -> None:
    # The entries themselves, flushed and held by the session: read back by id they cost a
    # query on every commit that wrote one (each status change).
    entries = [o for o in session.new if isinstance(o, WorkOrderEvent)]
    if entries and not session.info.get(_RUNNING):
        session.info.setdefault(_PENDING, []).extend(entries)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


# Built once (its cache key with it): read by every commit that wrote a timeline entry.
_ACTIVE_RULES = (select(AutomationRule).where(AutomationRule.is_active.is_(True))
                 .order_by(AutomationRule.id))


def run_rules(session: Session) -> None:
    """Evaluate the active rules against the timeline entries written since the last commit."""
    if session.info.get(_RUNNING):
        return
    if any(isinstance(o, WorkOrderEvent) for o in session.new):
        session.flush()  # flush: entries still pending are events too
    # (an entry of a savepoint rolled back since is no longer persistent: not an event)
    entries = sorted((e for e in session.info.pop(_PENDING, []) if inspect(e).persistent),
                     key=lambda e: e.id)
    if not entries:
        return
    rules = list(session.scalars(_ACTIVE_RULES))
    if not rules:
        return
    session.info[_RUNNING] = True
    try:
        now = utcnow()
        for entry in entries:
            types = event_types_of(entry)
            order = session.get(WorkOrder, entry.work_order_id)
            for rule in rules:
                if order is not None and rule.event in types and matches(session, rule,
                                                                         order, now):
                    _fire(session, rule, order, rule.event, now)
        session.flush()
    finally:
        session.info.pop(_RUNNING, None)
        session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    for name, fn in (("after_flush", _remember), ("before_commit", run_rules),
                     ("after_rollback", _forget)):
        if not sa_event.contains(Session, name, fn):
            sa_event.listen(Session, name, fn)
