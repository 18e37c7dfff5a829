"""Role checks for routes. Ownership (a customer's own account, a technician's own jobs) is a
business rule and lives in each package's service."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask_jwt_extended import current_user, verify_jwt_in_request

from app.auth.models import Role, User
from app.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.admin, Role.dispatcher, Role.warehouse, Role.technician)
ANY_ROLE = tuple(Role)


def require_roles(*roles: str) -> Callable[[F], F]:
    """Let the request through only with a valid access token of an active user in `roles`."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if current_user.role not in allowed:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        _document_roles(wrapper, sorted(allowed))
        return wrapper  # type: ignore[return-value]

    return decorator


def _document_roles(view: Any, roles: list[str]) -> None:
    """Show the roles, the bearer requirement and 401/403 on the OpenAPI page."""
    error = {"$ref": "#/components/responses/DEFAULT_ERROR"}
    doc = deepcopy(getattr(view, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual["security"] = [{"bearerAuth": []}]
    manual.setdefault("responses", {}).update({"401": error, "403": error})
    manual["x-roles"] = roles
    view._apidoc = doc


def actor() -> User:
    """The authenticated user of this request (call only behind require_roles)."""
    return current_user  # type: ignore[no-any-return]
