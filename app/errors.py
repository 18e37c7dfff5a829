"""One JSON error shape for every failure, and the DomainError hierarchy services raise.

Shape: {"code": 409, "status": "Conflict", "message": "...", "error": "invalid_transition",
        "errors": {...}}. `error` is the stable machine key clients switch on.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from marshmallow import INCLUDE, Schema, fields
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

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


def error_body(code: int, message: str | None = None, *, error: str | None = None,
               errors: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    status = HTTPStatus(code)
    body: dict[str, Any] = {
        "code": code,
        "status": status.phrase,
        "message": message or status.description,
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
        if "retry_after_seconds" in exc.details:
            response.headers["Retry-After"] = str(exc.details["retry_after_seconds"])
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
        return error_response(503, "The database is busy or unreachable; try again.",
                              error="unavailable")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "Internal error.", error="internal_error")
