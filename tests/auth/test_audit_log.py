"""Audit log of admin actions: who, when, what (before/after), from where (address, user
agent); readable by admins at GET /api/v1/audit-log, paginated and filterable."""

from __future__ import annotations

import json

from tests.conftest import assert_error

BROWSER = {"User-Agent": "Mozilla/5.0 (audit test)"}


def _entries(admin, query=""):
    r = admin.get(f"/api/v1/audit-log{query}")
    assert r.status_code == 200, r.get_json()
    return r


def test_user_changes_are_logged_with_who_what_and_where(login):
    admin = login("admin")
    admin.flask_client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    created = admin.post("/api/v1/users", headers=BROWSER, json={
        "email": "new.dispatcher@example.test", "full_name": "New Dispatcher",
        "password": "a-long-password-1", "role": "dispatcher"})
    assert created.status_code == 201
    user_id = created.get_json()["id"]
    assert admin.patch(f"/api/v1/users/{user_id}", headers=BROWSER,
                       json={"role": "warehouse", "password": "another-password-2"}
                       ).status_code == 200
    entries = _entries(admin, f"?target_type=users&target_id={user_id}").get_json()
    assert [e["action"] for e in entries] == ["update", "create"]  # newest first
    update, create = entries
    assert update["actor_user_id"] == admin.user.id and update["actor_email"] == admin.user.email
    assert update["ip"] == "192.0.2.7" and update["user_agent"] == BROWSER["User-Agent"]
    assert update["changes"]["role"] == ["dispatcher", "warehouse"]
    # Secrets are never copied into the log, only that they changed.
    assert update["changes"]["password_hash"] == ["<secret>", "<secret>"]
    assert "another-password-2" not in json.dumps(entries)
    assert create["changes"]["email"] == [None, "new.dispatcher@example.test"]
    assert create["occurred_at"] <= update["occurred_at"]


def test_settings_and_sign_outs_are_logged_and_filterable(login, make_user):
    admin = login("admin")
    r = admin.put("/api/v1/sla-policies", json={
        "sla_tier": "gold", "priority": "P2", "response_minutes": 120,
        "resolution_minutes": 480})
    assert r.status_code == 200
    policy_id = r.get_json()["id"]
    user = make_user("technician")
    assert admin.post(f"/api/v1/users/{user.id}/sessions/revoke").status_code == 204
    sla = _entries(admin, "?target_type=sla_policies").get_json()
    assert sla[0]["target_id"] == str(policy_id)
    assert sla[0]["changes"]["resolution_minutes"][1] == 480
    revoked = _entries(admin, f"?target_type=users&target_id={user.id}").get_json()
    assert revoked[0]["changes"] == {"token_version": [0, 1]}
    mine = _entries(admin, f"?actor_user_id={admin.user.id}&page_size=1")
    assert len(mine.get_json()) == 1
    assert json.loads(mine.headers["X-Pagination"])["total"] >= 2


def test_only_admins_read_the_log_and_nobody_logs_without_a_change(login):
    for role in ("dispatcher", "warehouse", "technician", "customer"):
        assert_error(login(role).get("/api/v1/audit-log"), 403)
    admin = login("admin")
    before = json.loads(_entries(admin).headers["X-Pagination"])["total"]
    assert admin.get("/api/v1/users").status_code == 200
    assert json.loads(_entries(admin).headers["X-Pagination"])["total"] == before
    assert_error(admin.get("/api/v1/audit-log?target_type=nope"), 422)
