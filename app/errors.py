"""One JSON error shape for every failure, and the DomainError hierarchy services raise.

Shape: {"code": 409, "status": "Conflict", "message": "...", "error": "invalid_transition",
        "errors": {...}}. `error` is the stable machine key clients switch on.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from marshmallow import INCLUDE, fields
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from app.schema import Schema

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. Subclasses fix the HTTP code and machine key."""

    code = 400
    error = "bad_request"

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None,
                 error: str | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        if error is not None:
            self.error = error
        self.errors = errors or {}
        self.details = details


class NotFound(DomainError):
    code, error = 404, "not_found"


class Forbidden(DomainError):
    code, error = 403, "forbidden"


class Unauthorized(DomainError):
    code, error = 401, "unauthorized"


class Conflict(DomainError):
    code, error = 409, "conflict"


class VersionConflict(Conflict):
    error = "version_conflict"


class InvalidTransition(Conflict):
    error = "invalid_transition"


class InsufficientStock(Conflict):
    error = "insufficient_stock"


class Unprocessable(DomainError):
    code, error = 422, "validation_error"


class RateLimited(DomainError):
    code, error = 429, "rate_limited"


class ErrorSchema(Schema):
    """The one error shape, documented in the OpenAPI page. Domain errors may add context
    fields next to these (e.g. `distance_m` with `outside_geofence`, `allowed` with
    `invalid_transition`)."""

    class Meta:
        unknown = INCLUDE

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String()
    error = fields.String(required=True, metadata={"description": "Stable machine key."})
    errors = fields.Dict()


# Machine keys for plain HTTP errors, so clients can switch on `error` for every response.
_HTTP_ERROR_KEYS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
}


def N_(message: str) -> str:
    """Mark a text for the catalogues; `translate` says it in the request's language."""
    return message


# Messages of the handlers below and of the token checks (app/__init__.py), for extraction.
_HANDLER_MESSAGES = (
    N_("The request is not valid; see errors."),
    N_("The change conflicts with existing data."),
    N_("The database is busy or unreachable; try again."),
    N_("Internal error."),
    N_("This account is disabled or no longer exists."),
    N_("Authentication required: send a bearer token."),
    N_("The token is invalid."),
    N_("The token has expired; refresh it or log in again."),
    N_("The token has been revoked."),
    N_("A fresh login is required."),
    N_("Your role may not do this."),
    N_("No such notification."),
    N_("No work order is tracked with this link."),
    N_("This tracking link has been revoked."),
    N_("The requested URL was not found on the server. If you entered the URL manually "
       "please check your spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    N_("Too many reports from your address; try again later."),
)


class Phrase(str):
    """A message with values: reads as the English text, and `translate` looks up its
    catalogue template (`%(name)s` placeholders) and fills in the same values."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        made = super().__new__(cls, template % values if values else template)
        made.template, made.values = template, values
        return made


def translate(message: str) -> str:
    """`message` in the request's language when the catalogue has it (the `error` key never
    changes); unchanged outside a request or for texts not in the catalogue."""
    try:
        from flask import has_request_context
        from flask_babel import gettext

        if not has_request_context():
            return message
        if isinstance(message, Phrase):
            return str(gettext(message.template, **message.values))
        return gettext(message)
    except (RuntimeError, KeyError, AttributeError):  # Babel not bound to this app
        return message


def error_body(code: int, message: str | None = None, *, error: str | None = None,
               errors: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    status = HTTPStatus(code)
    body: dict[str, Any] = {
        "code": code,
        "status": status.phrase,
        "message": translate(message or status.description),
        "error": error or _HTTP_ERROR_KEYS.get(code, "error"),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def error_response(code: int, message: str | None = None, **kwargs: Any):
    response = jsonify(error_body(code, message, **kwargs))
    response.status_code = code
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        response = error_response(exc.code, exc.message, error=exc.error, errors=exc.errors,
                                  **exc.details)
        retry_after = exc.details.get("retry_after_seconds")
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        # flask-smorest / webargs put field messages under exc.data["messages"].
        data = getattr(exc, "data", None) or {}
        errors = data.get("messages") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else None
        if errors and not message:
            message = "The request is not valid; see errors."
        response = error_response(code, message or exc.description, errors=errors)
        for name, value in (exc.get_headers() or []):
            if name.lower() != "content-type":
                response.headers[name] = value
        if isinstance(data, dict):
            response.headers.update(data.get("headers") or {})
        return response

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # The database guard fired behind a service check (a race). Never echo exc.orig.
        log.info("integrity error mapped to 409: %s", exc.orig)
        return error_response(409, "The change conflicts with existing data.", error="conflict")

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        log.warning("database unavailable: %s", exc.orig)
        return database_unavailable()

    @app.errorhandler(DBAPIError)
    def _dbapi(exc: DBAPIError):
        # A lost connection surfaces as other driver errors too (InterfaceError: "connection
        # already closed"); only those are retryable, the rest is a bug.
        if exc.connection_invalidated:
            log.warning("database connection lost: %s", type(exc.orig).__name__)
            return database_unavailable()
        log.exception("database error")
        return error_response(500, "Internal error.", error="internal_error")

    @app.errorhandler(PoolTimeout)
    def _pool_timeout(exc: PoolTimeout):
        log.warning("no database connection free: %s", exc)
        return database_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "Internal error.", error="internal_error")


# Seconds a client should wait before retrying a request the database could not serve.
DATABASE_RETRY_AFTER_S = 1


def database_unavailable(message: str = "The database is busy or unreachable; try again."):
    """503 `unavailable` with Retry-After: the request may be sent again as it is."""
    response = error_response(503, message, error="unavailable")
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    return response
