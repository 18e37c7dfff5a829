import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt_header,
    verify_jwt_in_request,
)

from tests.conftest import PASSWORD, assert_error


def _login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_returns_tokens_that_open_me(client, make_user):
    user = make_user("dispatcher", full_name="Dora Dispatch")
    r = _login(client, user.email.upper())  # emails are case-insensitive
    assert r.status_code == 200
    body = r.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    assert body["user"]["role"] == "dispatcher"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["full_name"] == "Dora Dispatch"
    assert "password" not in me.get_json() and "password_hash" not in me.get_json()


def test_login_failure_does_not_say_which_half_was_wrong(client, make_user):
    user = make_user("technician")
    wrong_password = assert_error(_login(client, user.email, "wrong-password!"), 401)
    unknown_email = assert_error(_login(client, "nobody@example.test"), 401)
    assert wrong_password == unknown_email
    assert wrong_password["error"] == "invalid_credentials"


def test_disabled_user_cannot_log_in_refresh_or_use_old_tokens(app, client, make_user,
                                                               db_session):
    user = make_user("technician")
    tokens = _login(client, user.email).get_json()
    user.is_active = False
    db_session.commit()
    assert_error(_login(client, user.email), 401, "invalid_credentials")
    refreshed = client.post("/api/v1/auth/refresh",
                            headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert_error(refreshed, 401, "account_disabled")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert_error(me, 401, "account_disabled")


def test_refresh_gives_a_working_access_token(client, make_user):
    user = make_user("warehouse")
    tokens = _login(client, user.email).get_json()
    r = client.post("/api/v1/auth/refresh",
                    headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert r.status_code == 200
    token = r.get_json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["id"] == user.id


def test_token_kinds_cannot_be_swapped(client, make_user):
    user = make_user("warehouse")
    tokens = _login(client, user.email).get_json()
    assert_error(client.post("/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {tokens['access_token']}"}), 401)
    assert_error(client.get("/api/v1/me",
                            headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), 401)


def test_expired_and_forged_tokens_are_refused(app, client, make_user):
    user = make_user("admin")
    with app.app_context():
        expired = create_access_token(str(user.id), expires_delta=timedelta(seconds=-5))
        good = create_access_token(str(user.id))
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}),
                 401, "token_expired")
    claims = pyjwt.decode(good, options={"verify_signature": False})
    claims["sub"] = "1"
    forged = pyjwt.encode(claims, "attacker-key-that-is-long-enough-for-hs256!", algorithm="HS256")
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}),
                 401, "token_invalid")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"}),
                 401, "token_invalid")
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    with app.app_context():
        refresh_for_ghost = create_refresh_token("999999")
    assert_error(client.post("/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {refresh_for_ghost}"}),
                 401, "account_disabled")


def test_a_token_used_before_is_refused_once_it_expires(app, client, make_user, monkeypatch):
    """Access tokens are verified once per process (app/auth/verified_tokens.py); expiry is
    still checked on every request (with the leeway as seconds or as a timedelta)."""
    user = make_user("admin")
    with app.app_context():
        short = create_access_token(str(user.id), expires_delta=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {short}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # the remembered one
    monkeypatch.setitem(app.config, "JWT_DECODE_LEEWAY", timedelta(0))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    expires = pyjwt.decode(short, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_expired")


def test_a_token_verified_under_one_key_is_refused_under_another(app, client, make_user,
                                                                 monkeypatch):
    """What is remembered of a verified token is tied to the key it was verified with: after
    the secret changes, the same token is refused."""
    user = make_user("admin")
    with app.app_context():
        token = create_access_token(str(user.id))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    monkeypatch.setitem(app.config, "JWT_SECRET_KEY",
                        "another-secret-that-is-long-enough-for-hs256")
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_invalid")


def test_a_remembered_token_still_shows_its_own_header(app, make_user):
    """The header the app reads of a request's token (remembered per token string after the
    first request) is that token's: each of two tokens used twice shows its own `kid`."""
    user = make_user("admin")
    with app.app_context():
        tokens = {kid: create_access_token(str(user.id), additional_headers={"kid": kid})
                  for kid in ("key-1", "key-2")}
    seen = []
    for _ in range(2):
        for kid, token in tokens.items():
            with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
                verify_jwt_in_request()
                seen.append((kid, get_jwt_header()["kid"], get_jwt_header()["alg"]))
    assert seen == [("key-1", "key-1", "HS256"), ("key-2", "key-2", "HS256")] * 2


@pytest.mark.parametrize("body, content_type, code", [
    ("{not json", "application/json", 400),
    ('{"email": 5, "password": []}', "application/json", 422),
    ('{"email": "a@b.c", "password": "x", "admin": true}', "application/json", 422),
    ('{}', "application/json", 422),
    ('[1, 2]', "application/json", 422),
])
def test_bad_login_bodies_get_the_error_shape(client, body, content_type, code):
    r = client.post("/api/v1/auth/login", data=body, headers={"Content-Type": content_type})
    assert_error(r, code)


def test_oversized_body_is_413_json(app, client):
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = client.post("/api/v1/auth/login", data=too_big,
                    headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_unknown_path_and_method_are_json(client, login):
    assert_error(client.get("/api/v1/nope"), 404, "not_found")
    assert_error(login("admin").delete("/api/v1/me"), 405, "method_not_allowed")


def test_healthz_reports_dialect_and_spatial_version(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    db = r.get_json()["database"]
    assert db["dialect"] in {"sqlite", "postgresql"}
    assert db["spatial"][0].isdigit()


def test_docs_page_is_served_with_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    size = len(asset.data)
    asset.close()
    assert asset.status_code == 200 and size > 100_000
    spec = client.get("/openapi.json").get_json()
    assert "/api/v1/auth/login" in spec["paths"]
