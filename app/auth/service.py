"""Authentication and user administration rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import Role, User
from app.db import matches_text, utcnow
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable

# Compared against when the email is unknown, so both halves of a failed login cost the same.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")

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


def authenticate(session: Session, email: str, password: str) -> User:
    """A login succeeds only for an active user with the right password; failures say no more."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.is_active:
        raise Unauthorized("Invalid email or password.", error="invalid_credentials")
    user.last_login_at = utcnow()
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
    role = changes.get("role", user.role)
    customer_id = changes.get("customer_id", user.customer_id if role == Role.customer else None)
    _check_customer_link(session, role, customer_id)
    changes["customer_id"] = customer_id
    for key, value in changes.items():
        setattr(user, key, value)
    return user
