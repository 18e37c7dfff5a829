"""Stored first answers of writes sent with an Idempotency-Key (offline phones resend)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import Unprocessable
from app.mobile_api.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


def request_fingerprint(method: str, path: str, payload: Any) -> str:
    """sha256 of what makes two requests the same: method, path and the canonical payload."""
    canonical = json.dumps([method.upper(), path, payload], sort_keys=True, default=str,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Unprocessable("The Idempotency-Key must be 1 to 200 printable characters.",
                            error="invalid_idempotency_key",
                            errors={"Idempotency-Key": ["1 to 200 printable characters."]})
    return key


def find_response(session: Session, *, key: str, fingerprint: str,
                  actor: User) -> IdempotencyRecord | None:
    """The stored answer for this key, or None; the key with another request is a 422."""
    record = session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == check_key(key)))
    if record is not None and record.request_sha256 != fingerprint:
        raise Unprocessable("This Idempotency-Key was used for a different request.",
                            error="idempotency_key_reused")
    return record


def claim_key(session: Session, *, key: str, method: str, path: str, fingerprint: str,
              actor: User) -> IdempotencyRecord:
    """Take the key before doing the work, in the caller's transaction. The unique (user_id,
    key) makes a concurrent duplicate wait here until the first commits, then fail (the
    caller replays the first answer); a rolled-back request leaves no claim behind."""
    record = IdempotencyRecord(user_id=actor.id, key=check_key(key), method=method.upper(),
                               path=path[:300], request_sha256=fingerprint, status_code=0,
                               response_body={})
    session.add(record)
    session.flush()  # flush: the unique index is the guard against a concurrent duplicate
    return record


def store_response(record: IdempotencyRecord, *, status_code: int, body: Any) -> None:
    """The first answer, committed with the change it reports."""
    record.status_code = status_code
    record.response_body = body
