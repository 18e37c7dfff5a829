"""Integrations' API keys (admins): create (shown once), list, read, revoke."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth import api_keys
from app.auth.models import ApiKey, Role
from app.auth.permissions import actor, require_roles
from app.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db

blp = Blueprint("api_keys", __name__, url_prefix="/api/v1",
                description="API keys for integrations: scoped, hashed at rest, revocable. "
                            "Send a key as the X-API-Key header.")


@blp.route("/api-keys")
class ApiKeys(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, ApiKeyOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[ApiKey]:
        """Keys with their prefix, scopes and last use (never the key itself)."""
        return fetch_page(db.session, api_keys.list_api_keys(), pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(ApiKeyCreate)
    @blp.response(201, ApiKeyCreated)
    @blp.alt_response(422, schema=ErrorSchema, description="invalid_scope, invalid_role.")
    def post(self, body: dict[str, Any]) -> ApiKey:
        """A new key acting as its own service user of `role`, within `scopes`; the answer
        carries the key, once."""
        made = api_keys.create_api_key(db.session, name=body["name"], role=body["role"],
                                       scopes=body["scopes"], expires_at=body.get("expires_at"),
                                       actor=actor())
        db.session.commit()
        made.key.shown_secret = made.secret  # type: ignore[attr-defined]  # answered once
        return made.key


@blp.route("/api-keys/<id:key_id>")
class ApiKeyById(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, ApiKeyOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such key.")
    def get(self, key_id: int) -> ApiKey:
        """One key."""
        return api_keys.get_api_key(db.session, key_id)

    @require_roles(Role.admin)
    @blp.response(200, ApiKeyOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such key.")
    @blp.alt_response(409, schema=ErrorSchema, description="already_revoked.")
    def delete(self, key_id: int) -> ApiKey:
        """Revoke the key: from now on it answers 401."""
        key = api_keys.revoke_api_key(db.session, api_keys.get_api_key(db.session, key_id))
        db.session.commit()
        return key
