"""Revocable sessions: every token carries its user's token version (claim `tv`), and a token
whose version is no longer the user's is answered 401 `token_revoked` on every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g
from flask_jwt_extended import JWTManager
from sqlalchemy import bindparam, select

from app.auth import service
from app.auth.models import User
from app.extensions import db

TOKEN_VERSION_CLAIM = "tv"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The request's user as its token was checked: what serialisation asks of who looks."""

    id: int
    role: str
    customer_id: int | None
# Every authenticated request's first statement: built once, and not through Session.get
# (whose identity lookup is empty at the start of a request; ~700 Python calls against ~500).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def register_token_versions(jwt: JWTManager) -> None:
    @jwt.additional_claims_loader
    def _version_claim(identity: Any) -> dict[str, Any]:
        try:
            user = db.session.get(User, int(identity))
        except (TypeError, ValueError):
            return {}
        return {TOKEN_VERSION_CLAIM: user.token_version} if user is not None else {}

    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        try:
            user_id = int(payload["sub"])
        except (KeyError, TypeError, ValueError):
            return True
        # Held for the request: the user lookup that follows this check finds the user in the
        # session instead of reading it again (the identity map holds objects weakly).
        user = g.token_user = db.session.execute(_USER_BY_ID, {"user_id": user_id}).scalar()
        if user is not None:
            # Who the answer is for, as authenticated: a write's commit expires the user, and
            # the answer's serialisation (internal notes, allowed transitions) would read it
            # again from the database.
            g.viewer = Viewer(user.id, user.role, user.customer_id)
        return service.token_is_revoked(db.session, user_id, payload.get(TOKEN_VERSION_CLAIM))
