"""API keys for integrations (ERP, CRM, billing): shown once, hashed at rest, scoped, revocable.

A key acts as its own service user with the key's role (dispatcher, warehouse or admin), so
every rule that holds for that role holds for the key, through the same policy table. On top,
its scopes narrow what it may touch: `<area>:read` allows reads of an area, `<area>:write`
reads and writes; `*` stands for every area. Areas are the API's packages (work_orders,
assets, inventory, dispatch, reports, integrations, auth, notifications). The mobile API is
for technicians' phones and never takes keys.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, selectinload

from app.auth.models import ApiKey, Role, User
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable

KEY_PREFIX = "fo_"
KEY_ROLES = (Role.admin, Role.dispatcher, Role.warehouse)
# Blueprint name -> scope area.
AREAS = {"workorders": "work_orders", "tracking": "work_orders", "assets": "assets",
         "inventory": "inventory", "dispatch": "dispatch", "reports": "reports",
         "integrations": "integrations", "auth": "auth", "api_keys": "auth",
         "notifications": "notifications", "photos": "work_orders",
         "maintenance": "maintenance", "knowledge": "maintenance"}
SCOPE_AREAS = ("*", *sorted(set(AREAS.values())))
READS = ("GET", "HEAD", "OPTIONS")
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the whole key: shown once


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_scopes(scopes: list[str]) -> list[str]:
    bad = [s for s in scopes if s.count(":") != 1 or s.split(":")[0] not in SCOPE_AREAS
           or s.split(":")[1] not in ("read", "write")]
    if bad or not scopes:
        raise Unprocessable("Scopes are <area>:read or <area>:write.",
                            errors={"scopes": bad or ["at least one"]}, error="invalid_scope")
    return sorted(set(scopes))


def create_api_key(session: Session, *, name: str, role: str, scopes: list[str],
                   expires_at: datetime | None, actor: User) -> NewKey:
    """A new key and its service user; the caller shows the secret once."""
    if role not in KEY_ROLES:
        raise Unprocessable("A key acts as an admin, dispatcher or warehouse user.",
                            errors={"role": list(KEY_ROLES)}, error="invalid_role")
    if expires_at is not None and expires_at <= utcnow():
        raise Unprocessable("The expiry must be in the future.",
                            errors={"expires_at": ["In the past."]})
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = secret[:11]
    service_user = User(email=f"api-key-{secrets.token_hex(6)}@keys.fieldops.invalid",
                        full_name=f"API key: {name}"[:200], password_hash="!", role=role,
                        is_active=True)
    session.add(service_user)
    session.flush()  # flush: the key refers to its service user
    key = ApiKey(name=name, prefix=prefix, key_sha256=digest(secret),
                 scopes=_check_scopes(scopes), user_id=service_user.id,
                 created_by_id=actor.id, expires_at=expires_at)
    session.add(key)
    session.flush()  # flush: the caller answers with the id
    return NewKey(key, secret)


def list_api_keys() -> Select[tuple[ApiKey]]:
    return select(ApiKey).options(selectinload(ApiKey.user)).order_by(ApiKey.id)


def get_api_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API key not found.")
    return key


def revoke_api_key(session: Session, key: ApiKey) -> ApiKey:
    """From now on the key answers 401; its service user is disabled."""
    if key.revoked_at is not None:
        raise Conflict("The key is already revoked.", error="already_revoked")
    key.revoked_at = utcnow()
    user = session.get(User, key.user_id)
    if user is not None:
        user.is_active = False
    return key


def area_of(blueprint: str | None) -> str | None:
    return AREAS.get(blueprint or "")


def allows(scopes: list[str], area: str | None, method: str) -> bool:
    if area is None:
        return False
    wanted = ("read", "write") if method in READS else ("write",)
    return any(f"{a}:{w}" in scopes for a in (area, "*") for w in wanted)


def authenticate_api_key(session: Session, secret: str, *, blueprint: str | None,
                         method: str) -> tuple[ApiKey, User]:
    """The key's service user if the key is valid and its scopes allow this call."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_sha256 == digest(secret)))
    now = utcnow()
    if key is None or key.revoked_at is not None or (
            key.expires_at is not None and key.expires_at <= now):
        raise Unauthorized("The API key is unknown, revoked or expired.",
                           error="invalid_api_key")
    user = session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The API key is unknown, revoked or expired.",
                           error="invalid_api_key")
    if not allows(key.scopes, area_of(blueprint), method):
        raise Forbidden("The API key's scopes do not allow this call.",
                        error="insufficient_scope", scopes=key.scopes)
    return key, user


def due_for_touch(key: ApiKey) -> bool:
    """Whether the key's last use is older than LAST_USED_EVERY (or unknown)."""
    return key.last_used_at is None or key.last_used_at < utcnow() - LAST_USED_EVERY


def touch(session: Session, key_id: int) -> None:
    """Record the last use, at most once a minute."""
    now = utcnow()
    session.execute(update(ApiKey).where(
        ApiKey.id == key_id,
        (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_EVERY))
        .values(last_used_at=now))
