"""API keys for integrations: shown once, hashed at rest, scoped, revocable, last use kept,
and honoured by every operation (the policy table for the key's role, then its scopes)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from tests.conftest import assert_error

PARAM = re.compile(r"{([^}]+)}")


def make_key(admin: Any, role: str = "dispatcher", scopes: list[str] | None = None,
             **extra: Any) -> dict[str, Any]:
    response = admin.post("/api/v1/api-keys", json={
        "name": "ERP sync", "role": role, "scopes": scopes or ["work_orders:read"], **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_key_is_shown_once_and_kept_only_as_a_hash(db_session, login):
    from app.auth.models import ApiKey

    admin = login("admin")
    created = make_key(admin)
    secret = created["key"]
    assert secret.startswith("fo_") and created["prefix"] == secret[:11]
    listed = admin.get("/api/v1/api-keys").get_json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]
    assert listed[0]["role"] == "dispatcher"
    row = db_session.get(ApiKey, created["id"])
    dumped = " ".join(str(v) for v in db_session.execute(
        text("SELECT * FROM api_keys WHERE id = :id"), {"id": row.id}).one())
    assert secret not in dumped  # only its SHA-256


def test_scopes_narrow_what_a_key_may_do(db_session, app, client, login, make_asset):
    from app.auth.models import ApiKey
    from app.workorders import service as workorders

    admin = login("admin")
    read_only = make_key(admin, scopes=["work_orders:read"])
    asset = make_asset()
    order = workorders.new_work_order(db_session, site=asset.site, asset=asset, title="Alarm",
                                      description="HP1", actor=None)
    db_session.commit()
    key = {"X-API-Key": read_only["key"]}

    listed = client.get("/api/v1/work-orders", headers=key)
    assert listed.status_code == 200 and order.number in {o["number"] for o in listed.get_json()}
    assert_error(client.post("/api/v1/work-orders", headers=key,
                             json={"site_id": order.site_id, "title": "x",
                                   "description": "y"}), 403, "insufficient_scope")
    assert_error(client.get("/api/v1/parts", headers=key), 403, "insufficient_scope")
    assert_error(client.get("/mobile/v1/me/jobs", headers=key), 403)
    db_session.expire_all()
    assert db_session.get(ApiKey, read_only["id"]).last_used_at is not None

    writer = make_key(admin, role="warehouse", scopes=["*:write"])
    made = client.post("/api/v1/parts", headers={"X-API-Key": writer["key"]},
                       json={"sku": "KEY-1", "name": "Filter", "unit_cost": "12.50"})
    assert made.status_code == 201, made.get_json()
    # The key's role still decides first: warehouse may not open work orders.
    assert_error(client.post("/api/v1/work-orders", headers={"X-API-Key": writer["key"]},
                             json={"site_id": order.site_id, "title": "x",
                                   "description": "y"}), 403)


def test_revoked_expired_and_unknown_keys_are_refused(db_session, client, login):
    from app.auth.models import ApiKey, User

    admin = login("admin")
    key = make_key(admin)
    assert client.get("/api/v1/work-orders", headers={"X-API-Key": key["key"]}).status_code \
        == 200
    revoked = admin.delete(f"/api/v1/api-keys/{key['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert_error(client.get("/api/v1/work-orders", headers={"X-API-Key": key["key"]}),
                 401, "invalid_api_key")
    assert_error(admin.delete(f"/api/v1/api-keys/{key['id']}"), 409, "already_revoked")
    service_user = db_session.get(User, db_session.get(ApiKey, key["id"]).user_id)
    assert service_user.is_active is False

    soon = make_key(admin)
    row = db_session.get(ApiKey, soon["id"])
    row.expires_at = row.created_at - timedelta(seconds=1)
    db_session.commit()
    assert_error(client.get("/api/v1/work-orders", headers={"X-API-Key": soon["key"]}),
                 401, "invalid_api_key")
    assert_error(client.get("/api/v1/work-orders", headers={"X-API-Key": "fo_nope"}),
                 401, "invalid_api_key")
    assert_error(admin.post("/api/v1/api-keys", json={"name": "x", "role": "technician",
                                                      "scopes": ["*:read"]}), 422)
    assert_error(admin.post("/api/v1/api-keys", json={"name": "x", "role": "dispatcher",
                                                      "scopes": ["moon:read"]}),
                 422, "invalid_scope")
    assert_error(login("dispatcher").get("/api/v1/api-keys"), 403)


def test_creating_a_key_is_audited_without_its_hash(db_session, login):
    from app.auth.models import AuditLogEntry

    make_key(login("admin"))
    entry = db_session.scalar(select(AuditLogEntry).where(
        AuditLogEntry.target_type == "api_keys"))
    assert entry is not None and entry.changes["key_sha256"][1] == "<secret>"


def test_every_operation_honours_a_keys_role_and_scopes(app, client, login):
    """Each operation of the OpenAPI document, called with a dispatcher's read-only key and
    with its read-write key: the policy table decides for the role, the scopes for writes."""
    from app.auth.policy import POLICY

    admin = login("admin")
    reader = {"X-API-Key": make_key(admin, scopes=["*:read"])["key"]}
    writer = {"X-API-Key": make_key(admin, scopes=["*:write"])["key"]}
    spec = client.get("/openapi.json").get_json()
    wrong = []
    for path, ops in spec["paths"].items():
        url = PARAM.sub("999999", path)
        for method in ("get", "post", "put", "patch", "delete"):
            if method not in ops or "x-roles" not in ops[method]:
                continue  # public or token-only endpoints (tracking links, event stream)
            rule = POLICY[f"{method.upper()} {path}"]
            allowed = "dispatcher" in rule.roles
            for headers, may_write in ((reader, False), (writer, True)):
                status = client.open(method.upper(), url, headers=headers,
                                     json={}).status_code
                expect_refused = not allowed or (method != "get" and not may_write)
                if expect_refused != (status in (401, 403)):
                    wrong.append((method.upper(), path, may_write, status))
    assert not wrong, wrong


def test_a_read_with_a_key_records_its_use_on_a_real_request(scratch_databases, tmp_path):
    """Without the test harness's outer transaction: a GET begins a read-only transaction on
    SQLite, and recording the key's use must switch to a write transaction first."""
    from app.auth import api_keys
    from app.auth.models import ApiKey, User
    from app.extensions import db
    from tests.conftest import build_app

    app = build_app(scratch_databases.create(), tmp_path)
    with app.app_context():
        admin = User(email="admin@example.test", full_name="Admin", role="admin",
                     password_hash="x")
        db.session.add(admin)
        db.session.flush()  # flush: the key's creator
        made = api_keys.create_api_key(db.session, name="BI", role="dispatcher",
                                       scopes=["*:read"], expires_at=None, actor=admin)
        db.session.commit()
        key_id, secret = made.key.id, made.secret
    response = app.test_client().get("/api/v1/work-orders", headers={"X-API-Key": secret})
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        assert db.session.get(ApiKey, key_id).last_used_at is not None
        db.session.remove()
        db.engine.dispose()
