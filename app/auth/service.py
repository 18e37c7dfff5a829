"""Authentication and user administration rules."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import AuditLogEntry, Role, User
from app.db import matches_text, utcnow
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable

# Compared against when the email is unknown, one per hash method, so that a failed login costs
# one hash of the configured method whether the account exists or not (no timing oracle).
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash(method: str) -> str:
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    return _DUMMY_HASHES[method]


class Throttle(Protocol):
    """Counts failed logins per account and address (app/auth/throttle.py)."""

    def refuse_if_exhausted(self, *, account: str, address: str) -> None: ...

    def record_failure(self, *, account: str, address: str) -> None: ...


MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str, method: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(
            "Password too short.",
            errors={"password": [f"At least {MIN_PASSWORD_LENGTH} characters."]},
        )
    return generate_password_hash(password, method=method)


def authenticate(session: Session, email: str, password: str, *, password_method: str,
                 throttle: Throttle, address: str) -> User:
    """A login succeeds only for an active user with the right password, and only while neither
    the account nor the address has used up its failed attempts; failures say no more."""
    email = normalise_email(email)
    throttle.refuse_if_exhausted(account=email, address=address)
    user = session.scalar(select(User).where(User.email == email))
    valid = check_password_hash(user.password_hash if user else _dummy_hash(password_method),
                                password)
    if user is None or not valid or not user.is_active:
        throttle.record_failure(account=email, address=address)
        raise Unauthorized("Invalid email or password.", error="invalid_credentials")
    user.last_login_at = utcnow()
    return user


def revoke_sessions(user: User) -> None:
    """Every token issued to this user before now stops working (access and refresh)."""
    user.token_version = (user.token_version or 0) + 1


def token_is_revoked(session: Session, user_id: int, token_version: Any) -> bool:
    """A token is revoked when its version is not its user's current one (a user gone or
    disabled is refused by the user lookup, with its own answer)."""
    user = session.get(User, user_id)
    return user is not None and token_version != user.token_version


def change_own_password(session: Session, user: User, *, current_password: str,
                        new_password: str, password_method: str, throttle: Throttle,
                        address: str) -> User:
    """Only with the current password (counted like failed logins); every session ends."""
    throttle.refuse_if_exhausted(account=user.email, address=address)
    if not check_password_hash(user.password_hash, current_password):
        throttle.record_failure(account=user.email, address=address)
        raise Unprocessable("The current password is wrong.", error="wrong_password",
                            errors={"current_password": ["Wrong password."]})
    user.password_hash = hash_password(new_password, password_method)
    revoke_sessions(user)
    return user


def active_user(session: Session, user_id: int) -> User | None:
    """The user a token names, or None when it is gone or disabled (its tokens stop working)."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def list_users(session: Session, *, role: str | None = None, q: str | None = None,
               is_active: bool | None = None) -> Any:
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    if q:
        stmt = stmt.where(matches_text(User.full_name, q) | matches_text(User.email, q))
    return stmt


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


def _check_customer_link(session: Session, role: str, customer_id: int | None) -> None:
    from app.assets.models import Customer  # the account model lives with customers

    if role == Role.customer:
        if customer_id is None:
            raise Unprocessable("A customer user needs a customer account.",
                                errors={"customer_id": ["Required for role customer."]})
        if session.get(Customer, customer_id) is None:
            raise Unprocessable("Unknown customer account.",
                                errors={"customer_id": ["No such customer."]})
    elif customer_id is not None:
        raise Unprocessable("Only customer users belong to a customer account.",
                            errors={"customer_id": ["Only for role customer."]})


def create_user(session: Session, *, email: str, full_name: str, password: str, role: str,
                password_method: str, customer_id: int | None = None,
                phone: str | None = None, actor: User | None = None) -> User:
    """Emails are unique regardless of case; a customer user must name an existing account."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this email already exists.", error="email_taken")
    _check_customer_link(session, role, customer_id)
    user = User(email=email, full_name=full_name, role=role, customer_id=customer_id,
                phone=phone, password_hash=hash_password(password, password_method))
    session.add(user)
    session.flush()  # flush: the caller returns the new id
    return user


def update_user(session: Session, user: User, changes: dict[str, Any], *, password_method: str,
                actor: User) -> User:
    """Admins edit users; nobody can disable or demote themselves (no locked-out instance)."""
    if user.id == actor.id and (
        changes.get("is_active") is False or changes.get("role", user.role) != user.role
    ):
        raise Conflict("You cannot disable or demote your own account.", error="self_lockout")
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"), password_method)
        revoke_sessions(user)
    elif changes.get("role", user.role) != user.role or (
            changes.get("is_active") is False and user.is_active):
        revoke_sessions(user)
    role = changes.get("role", user.role)
    customer_id = changes.get("customer_id", user.customer_id if role == Role.customer else None)
    _check_customer_link(session, role, customer_id)
    changes["customer_id"] = customer_id
    for key, value in changes.items():
        setattr(user, key, value)
    return user


def audit_log(session: Session, *, actor_user_id: int | None = None,
              target_type: str | None = None, target_id: str | None = None,
              action: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> Any:
    """Audit entries, newest first, filtered (admins read them; nobody changes them)."""
    stmt = select(AuditLogEntry).order_by(AuditLogEntry.id.desc())
    for column, value in ((AuditLogEntry.actor_user_id, actor_user_id),
                          (AuditLogEntry.target_type, target_type),
                          (AuditLogEntry.target_id, target_id),
                          (AuditLogEntry.action, action)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(AuditLogEntry.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(AuditLogEntry.occurred_at < until)
    return stmt
