"""Access tokens verified once per process, not on every request.

A phone or a console sends the same access token with every request until it expires.
Verifying it (flask-jwt-extended decodes it twice, once unverified to choose the key; PyJWT
validates each base64 segment character by character in Python, then checks the HMAC) was
about 1,450 of the ~9,500 Python calls of a status change on the phone. The token string, the
key and the decoding settings it was verified with are remembered with its claims; the same
string under the same settings has the same signature check and the same claims, so what a
later request re-checks is only what changes with time: expiry (with the configured leeway).
Revocation is untouched: `app.auth.sessions` still compares the token's version with the
user's on every request. Refresh tokens and tokens read with a CSRF value or allowing expiry
take flask-jwt-extended's full path.

After decoding, flask-jwt-extended also reads the token's header unverified, on every request
(PyJWT's base64 check again: ~380 calls); the header is a function of the token's text alone,
so it is remembered per token string too (`remembered_header`).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import flask_jwt_extended.view_decorators as jwt_views
import jwt
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config

# Distinct tokens remembered per process (a few hundred bytes each); the table is emptied
# when full, so a flood of distinct tokens costs memory no more than this.
MAX_REMEMBERED = 4096


class RememberingJWTManager(JWTManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verified: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value: Any = None,
                                allow_expired: bool = False) -> dict[str, Any]:
        if csrf_value is not None or allow_expired:
            claims: dict[str, Any] = super()._decode_jwt_from_config(
                encoded_token, csrf_value, allow_expired)
            return claims
        audience = config.decode_audience
        key = (encoded_token, config.decode_key, tuple(config.decode_algorithms),
               audience if isinstance(audience, str | None) else tuple(audience),
               config.decode_issuer, config.identity_claim_key, config.verify_sub)
        known = self._verified.get(key)
        leeway = config.leeway  # seconds, or a timedelta (JWT_DECODE_LEEWAY takes both)
        leeway_s = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
        # PyJWT's rule: expired once `exp` <= now - leeway (a later request may be past it)
        if known is not None and ("exp" not in known or known["exp"] > time.time() - leeway_s):
            return dict(known)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if claims.get("type", "access") == "access":
            if len(self._verified) >= MAX_REMEMBERED:
                self._verified.clear()
            self._verified[key] = dict(claims)
        return claims


_headers: dict[str, dict[str, Any]] = {}


def remembered_header(encoded_token: str) -> dict[str, Any]:
    """The token's header, read without verification (as `get_unverified_jwt_headers`),
    remembered per token string. flask-jwt-extended asks for it only after the token was
    decoded and verified."""
    header = _headers.get(encoded_token)
    if header is None:
        header = jwt.get_unverified_header(encoded_token)
        if len(_headers) >= MAX_REMEMBERED:
            _headers.clear()
        _headers[encoded_token] = header
    return dict(header)


# flask-jwt-extended's request decoding reads the header through this module-level name (its
# only hook for it).
jwt_views.get_unverified_jwt_headers = remembered_header
