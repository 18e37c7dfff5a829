from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import create_access_token, create_refresh_token, current_user
from flask_jwt_extended import jwt_required as _jwt_required

from app.auth import service
from app.auth.models import Role, User
from app.auth.permissions import ANY_ROLE, actor, require_roles
from app.auth.schemas import (
    AccessToken,
    AuditEntryOut,
    AuditLogQuery,
    LoginRequest,
    PasswordChange,
    TokenPair,
    UserCreate,
    UserOut,
    UserQuery,
    UserUpdate,
)
from app.auth.throttle import throttle_from_config
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Login, tokens, users.")


def _access_token(user: User) -> dict[str, Any]:
    ttl = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl.total_seconds())}


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginRequest)
    @blp.response(200, TokenPair)
    @blp.alt_response(401, schema=ErrorSchema, description="Wrong email or password.")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="too_many_attempts: wait Retry-After seconds.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Log in with email and password: a short-lived access token and a refresh token."""
        user = service.authenticate(
            db.session, body["email"], body["password"],
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
            throttle=throttle_from_config(current_app.config),
            address=request.remote_addr or "unknown")
        db.session.commit()
        return _token_pair(user)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @_jwt_required(refresh=True)
    @blp.response(200, AccessToken)
    @blp.alt_response(401, schema=ErrorSchema, description="Missing, expired or revoked token.")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="too_many_attempts: wait Retry-After seconds.")
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> dict[str, Any]:
        """A new access token for the refresh token sent as the bearer (disabled users fail);
        limited per client address."""
        throttle_from_config(current_app.config).count_refresh(
            address=request.remote_addr or "unknown")
        return _access_token(current_user)


@blp.route("/me")
class Me(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(200, UserOut)
    def get(self) -> User:
        """The logged-in user."""
        return actor()


def _token_pair(user: User) -> dict[str, Any]:
    return {**_access_token(user), "refresh_token": create_refresh_token(str(user.id)),
            "user": user}


@blp.route("/me/password")
class MyPassword(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.arguments(PasswordChange)
    @blp.response(200, TokenPair)
    @blp.alt_response(422, schema=ErrorSchema, description="wrong_password; password too short.")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="too_many_attempts: wait Retry-After seconds.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change your own password (the current one is required). Every session ends; the
        answer is a new token pair for this device."""
        user = service.change_own_password(
            db.session, actor(), **body,
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
            throttle=throttle_from_config(current_app.config),
            address=request.remote_addr or "unknown")
        db.session.commit()
        return _token_pair(user)


@blp.route("/me/sessions/revoke")
class MySessions(MethodView):
    @require_roles(*ANY_ROLE)
    @blp.response(204)
    def post(self) -> None:
        """Sign out everywhere: every access and refresh token issued to you stops working."""
        service.revoke_sessions(actor())
        db.session.commit()


@blp.route("/users/<id:user_id>/sessions/revoke")
class UserSessions(MethodView):
    @require_roles(Role.admin)
    @blp.response(204)
    def post(self, user_id: int) -> None:
        """Sign a user out everywhere (admin): every token issued to them stops working."""
        service.revoke_sessions(service.get_user(db.session, user_id))
        db.session.commit()


@blp.route("/users")
class Users(MethodView):
    @require_roles(Role.admin)
    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[User]:
        """Users, filterable by role, active flag and name/email text (admin)."""
        return fetch_page(db.session, service.list_users(db.session, **query),
                          pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(UserCreate)
    @blp.response(201, UserOut)
    @blp.alt_response(409, schema=ErrorSchema, description="Email already taken.")
    def post(self, body: dict[str, Any]) -> User:
        """Create a user (admin). Customer users name their customer account."""
        user = service.create_user(
            db.session, **body, password_method=current_app.config["PASSWORD_HASH_METHOD"],
            actor=actor(),
        )
        db.session.commit()
        return user


@blp.route("/users/<id:user_id>")
class UserById(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, UserOut)
    def get(self, user_id: int) -> User:
        """One user (admin)."""
        return service.get_user(db.session, user_id)

    @require_roles(Role.admin)
    @blp.arguments(UserUpdate)
    @blp.response(200, UserOut)
    @blp.alt_response(409, schema=ErrorSchema, description="Would lock the admin out.")
    def patch(self, body: dict[str, Any], user_id: int) -> User:
        """Change a user's name, role, account, password or active flag (admin)."""
        user = service.update_user(
            db.session, service.get_user(db.session, user_id), body,
            password_method=current_app.config["PASSWORD_HASH_METHOD"], actor=actor(),
        )
        db.session.commit()
        return user


@blp.route("/audit-log")
class AuditLog(MethodView):
    @require_roles(Role.admin)
    @blp.arguments(AuditLogQuery, location="query")
    @blp.response(200, AuditEntryOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """Changes to users, roles, settings and policies: who, when, what (before/after) and
        from where; newest first, filterable (admin). Append-only."""
        return fetch_page(db.session, service.audit_log(db.session, **query),
                          pagination_parameters)
