"""Issue 13, item 7: sessions are revocable. Every token carries the user's token version;
a password change, a role change, a disable and "sign out everywhere" bump it, and every older
access or refresh token then answers 401."""

from __future__ import annotations

from tests.conftest import PASSWORD, assert_error

NEW_PASSWORD = "a-new-long-password-42"


def _login(client, email, password=PASSWORD):
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _assert_revoked(client, tokens):
    assert_error(client.get("/api/v1/me", headers=_bearer(tokens["access_token"])), 401,
                 "token_revoked")
    assert_error(client.post("/api/v1/auth/refresh", headers=_bearer(tokens["refresh_token"])),
                 401, "token_revoked")


def test_password_change_revokes_every_older_token(client, make_user):
    user = make_user("technician")
    phone, laptop = _login(client, user.email), _login(client, user.email)
    r = client.post("/api/v1/me/password", headers=_bearer(laptop["access_token"]),
                    json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.get_json()
    fresh = r.get_json()
    _assert_revoked(client, phone)
    _assert_revoked(client, laptop)
    # The answer carries a new pair, so the device that changed it stays signed in.
    assert client.get("/api/v1/me", headers=_bearer(fresh["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/refresh",
                       headers=_bearer(fresh["refresh_token"])).status_code == 200
    assert_error(client.post("/api/v1/auth/login",
                             json={"email": user.email, "password": PASSWORD}), 401)
    _login(client, user.email, NEW_PASSWORD)


def test_password_change_needs_the_current_password(client, make_user):
    user = make_user("customer")
    tokens = _login(client, user.email)
    r = client.post("/api/v1/me/password", headers=_bearer(tokens["access_token"]),
                    json={"current_password": "not-the-password", "new_password": NEW_PASSWORD})
    body = assert_error(r, 422, "wrong_password")
    assert "current_password" in body["errors"]
    assert client.get("/api/v1/me", headers=_bearer(tokens["access_token"])).status_code == 200
    _login(client, user.email)  # unchanged


def test_sign_out_everywhere(client, make_user):
    user = make_user("dispatcher")
    one, two = _login(client, user.email), _login(client, user.email)
    r = client.post("/api/v1/me/sessions/revoke", headers=_bearer(one["access_token"]))
    assert r.status_code == 204
    _assert_revoked(client, one)
    _assert_revoked(client, two)
    _login(client, user.email)


def test_admin_role_change_password_reset_and_disable_revoke_sessions(client, make_user,
                                                                      login):
    admin = login("admin")
    for change in ({"role": "warehouse"}, {"password": NEW_PASSWORD}, {"is_active": False}):
        user = make_user("dispatcher")
        tokens = _login(client, user.email)
        r = admin.patch(f"/api/v1/users/{user.id}", json=change)
        assert r.status_code == 200, r.get_json()
        if change == {"is_active": False}:
            assert admin.patch(f"/api/v1/users/{user.id}",
                               json={"is_active": True}).status_code == 200
        _assert_revoked(client, tokens)
    # A change of the name alone keeps sessions.
    user = make_user("dispatcher")
    tokens = _login(client, user.email)
    assert admin.patch(f"/api/v1/users/{user.id}", json={"full_name": "Renamed"}).status_code \
        == 200
    assert client.get("/api/v1/me", headers=_bearer(tokens["access_token"])).status_code == 200


def test_admin_signs_a_user_out_everywhere(client, make_user, login):
    user = make_user("technician")
    tokens = _login(client, user.email)
    r = login("admin").post(f"/api/v1/users/{user.id}/sessions/revoke")
    assert r.status_code == 204
    _assert_revoked(client, tokens)
    assert_error(login("dispatcher").post(f"/api/v1/users/{user.id}/sessions/revoke"), 403)
