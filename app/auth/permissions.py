"""Role checks for routes. Ownership (a customer's own account, a technician's own jobs) is a
business rule and lives in each package's service."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import request
from flask_jwt_extended import current_user, verify_jwt_in_request

from app.auth import audit, policy
from app.auth.models import Role, User
from app.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.admin, Role.dispatcher, Role.warehouse, Role.technician)
ANY_ROLE = tuple(Role)


def require_roles(*roles: str) -> Callable[[F], F]:
    """Let the request through only with a valid access token of an active user whose role
    the policy table (app/auth/policy.py) allows for this operation. `roles` documents the
    view and must equal the table's entry (tests/auth/test_policy_matrix.py checks both)."""
    declared = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            secret = request.headers.get("X-API-Key")
            if secret is not None:
                _authenticate_api_key(secret)
            else:
                verify_jwt_in_request()
            if current_user.role not in _allowed_roles(declared):
                raise Forbidden("Your role may not do this.")
            audit.remember_actor(current_user.id, current_user.email)
            return view(*args, **kwargs)

        _document_roles(wrapper, sorted(declared))
        return wrapper  # type: ignore[return-value]

    return decorator


def _authenticate_api_key(secret: str) -> None:
    """An integration's key: its service user becomes this request's user (as a token's
    would), after its scopes allowed the call; its last use is recorded on the side."""
    from flask import g

    from app.auth import api_keys
    from app.db import begin_writing
    from app.extensions import db

    key, user = api_keys.authenticate_api_key(db.session, secret, blueprint=request.blueprint,
                                              method=request.method)
    key_id, user_id = key.id, user.id
    if api_keys.due_for_touch(key):  # at most once a minute: the last use is kept even
        begin_writing(db.session)    # when the call itself writes nothing (e.g. a GET)
        api_keys.touch(db.session, key_id)
        db.session.commit()
    user = db.session.get(User, user_id)
    g._jwt_extended_jwt = {"sub": str(user_id), "type": "access", "api_key_id": key_id}
    g._jwt_extended_jwt_user = {"loaded_user": user}


def _allowed_roles(declared: frozenset[str]) -> frozenset[str] | tuple[str, ...]:
    """The table's roles for the operation of this request. An operation missing from the
    table keeps its declared roles (so that a newly merged endpoint still works) and fails
    the policy test until it has an entry."""
    rule = request.url_rule
    entry = policy.rule_for(request.method, rule.rule) if rule is not None else None
    return entry.roles if entry is not None else declared


def _document_roles(view: Any, roles: list[str]) -> None:
    """Show the roles, the bearer requirement and 401/403 on the OpenAPI page."""
    error = {"$ref": "#/components/responses/DEFAULT_ERROR"}
    doc = deepcopy(getattr(view, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual["security"] = [{"bearerAuth": []}, {"apiKey": []}]
    manual.setdefault("responses", {}).update({"401": error, "403": error})
    manual["x-roles"] = roles
    view._apidoc = doc


def actor() -> User:
    """The authenticated user of this request (call only behind require_roles)."""
    return current_user  # type: ignore[no-any-return]
