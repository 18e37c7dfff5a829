"""`@idempotent`: every mobile write accepts an Idempotency-Key and owns its commit.

Without a key the view runs and its transaction is committed. With a key, a stored answer for
the same request is replayed (header `Idempotent-Replayed: true`) and nothing runs again; the
same key with a different request is 422 `idempotency_key_reused`. The key is claimed (a row,
unique per user and key) before the view runs and its answer is stored in the SAME transaction
as the change: both commit or neither does, and a concurrent duplicate waits on the claim,
fails, and replays the winner's answer.
Errors (4xx) are not stored: nothing happened, and the client may fix the request and resend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import Response, jsonify, make_response, request
from sqlalchemy.exc import IntegrityError

from app.auth.permissions import actor
from app.extensions import db
from app.mobile_api import service

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def request_payload() -> Any:
    """What identifies the request body: the JSON document, or the form fields plus the
    files' sha256 (multipart boundaries differ between two sends of the same upload)."""
    if request.files or request.form:
        files = {name: hashlib.sha256(f.stream.read()).hexdigest()
                 for name, f in sorted(request.files.items())}
        for f in request.files.values():
            f.stream.seek(0)
        return {"form": sorted(request.form.items(multi=True)), "files": files}
    return request.get_json(silent=True)


def replay(record: Any) -> Response:
    response = jsonify(record.response_body)
    response.status_code = record.status_code
    response.headers[REPLAYED] = "true"
    return response


def idempotent(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        try:
            if key is None:
                result = view(*args, **kwargs)
                db.session.commit()
                return result
            user = actor()
            fingerprint = service.request_fingerprint(request.method, request.path,
                                                      request_payload())
            stored = service.find_response(db.session, key=key, fingerprint=fingerprint,
                                           actor=user)
            if stored is not None:
                return replay(stored)
            try:
                claim = service.claim_key(db.session, key=key, method=request.method,
                                          path=request.path, fingerprint=fingerprint,
                                          actor=user)
            except IntegrityError:
                # A concurrent duplicate committed first: answer as it did.
                db.session.rollback()
                stored = service.find_response(db.session, key=key, fingerprint=fingerprint,
                                               actor=user)
                if stored is None:
                    raise
                return replay(stored)
            response = make_response(view(*args, **kwargs))
            service.store_response(claim, status_code=response.status_code,
                                   body=response.get_json(silent=True))
            db.session.commit()
            return response
        except Exception:
            db.session.rollback()  # nothing of a refused request stays, not even the claim
            raise

    _document_header(wrapper)
    return wrapper  # type: ignore[return-value]


def _document_header(view: Any) -> None:
    doc = deepcopy(getattr(view, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual.setdefault("parameters", []).append({
        "name": HEADER, "in": "header", "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": "Replays of the same key return the first answer; nothing runs twice.",
    })
    view._apidoc = doc
