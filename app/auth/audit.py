"""The audit log's recorder: every insert, update and delete of an audited table made during
an authenticated request is written to `audit_log` in the same flush (so it commits or rolls
back with the change), with the actor, the address and user agent, and each changed field's
before and after. Secrets are masked.

Hooked on the session's flush rather than called from each route, so that a new admin
endpoint cannot forget it; `require_roles` puts the request's actor on the request.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from app.auth.models import AuditLogEntry
from app.db import table_of, utcnow

# Users and roles, settings and policies: what an admin changes.
AUDITED_TABLES = ("users", "sla_policies", "business_calendars", "skills", "territories",
                  "technicians", "technician_skills", "api_keys", "webhook_subscriptions",
                  "automation_rules")
_SECRET = "<secret>"
_SECRET_COLUMNS = frozenset({"password_hash", "key_sha256", "secret"})
# Bookkeeping that changes by itself (a login, a save), not an admin action.
_IGNORED_COLUMNS = frozenset({"updated_at", "last_login_at", "last_used_at",
                              "consecutive_failures"})

_registered = False


_ACTOR_KEY = "fieldops.audit_actor"


def remember_actor(user_id: int, email: str) -> None:
    """Called once the request's user is known (require_roles). Kept on the request itself:
    an application context (and its `g`) may outlive one request."""
    request.environ[_ACTOR_KEY] = (user_id, email)


def register_audit_log() -> None:
    """Listen to every session's flushes (once per process)."""
    global _registered
    if not _registered:
        event.listen(Session, "after_flush", _record_flush)
        _registered = True


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return f"<{type(value).__name__}>"  # e.g. a geometry: that it changed, not its bytes


def _shown(column: str, value: Any) -> Any:
    return _SECRET if column in _SECRET_COLUMNS and value is not None else _plain(value)


def _changes(obj: Any, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _IGNORED_COLUMNS:
            continue
        if action == "create":
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _shown(key, value)]
        elif action == "delete":
            changes[key] = [_shown(key, state.attrs[key].loaded_value), None]
        else:
            history = state.attrs[key].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if before != after:
                    changes[key] = [_shown(key, before), _shown(key, after)]
    return changes


def _target_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in key)


def _record_flush(session: Session, _context: Any) -> None:
    if not has_request_context() or request.environ.get(_ACTOR_KEY) is None:
        return
    rows = []
    for objects, action in ((session.new, "create"), (session.dirty, "update"),
                            (session.deleted, "delete")):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table not in AUDITED_TABLES:
                continue
            changes = _changes(obj, action)
            if changes or action != "update":
                rows.append({"action": action, "target_type": table,
                             "target_id": _target_id(obj), "changes": changes})
    if not rows:
        return
    actor_id, actor_email = request.environ[_ACTOR_KEY]
    context = {"occurred_at": utcnow(), "actor_user_id": actor_id, "actor_email": actor_email,
               "ip": (request.remote_addr or "")[:64] or None,
               "user_agent": (request.user_agent.string or "")[:300] or None}
    session.connection().execute(insert(table_of(AuditLogEntry)),
                                 [{**context, **row} for row in rows])
