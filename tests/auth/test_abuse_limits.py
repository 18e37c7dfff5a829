"""Issue 13, item 6: brute force is limited per account and per address (429 + Retry-After),
and a login costs one password hash of the configured method whether the email exists or not."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.conftest import PASSWORD, assert_error, redis_url


def _from(client, address):
    """The test client's requests come from `address` (flask's client sets REMOTE_ADDR)."""
    client.flask_client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, email, password=PASSWORD, address="10.0.0.1"):
    return _from(client, address).post("/api/v1/auth/login",
                                       json={"email": email, "password": password})


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 3)
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 5)
    monkeypatch.setitem(app.config, "TOKEN_REFRESHES_PER_ADDRESS", 4)
    monkeypatch.setitem(app.config, "LOGIN_WINDOW_SECONDS", 2)


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def test_failed_logins_per_account_end_in_429_and_the_right_password_waits(
        client, make_user, small_limits):
    user = make_user("dispatcher")
    for _ in range(3):
        assert_error(_login(client, user.email, "wrong-password!", _address()), 401,
                     "invalid_credentials")
    refused = _login(client, user.email, "wrong-password!", _address())
    assert_error(refused, 429, "too_many_attempts")
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 2
    # The right password, from yet another address, is refused too while the window runs.
    right = _login(client, user.email, PASSWORD, _address())
    assert_error(right, 429, "too_many_attempts")
    assert right.get_json()["retry_after_seconds"] >= 1
    time.sleep(int(right.headers["Retry-After"]) + 0.2)
    assert _login(client, user.email, PASSWORD, _address()).status_code == 200


def test_failed_logins_per_address_are_limited_across_accounts(client, make_user,
                                                               small_limits):
    address = _address()
    for _ in range(5):
        assert_error(_login(client, f"{uuid.uuid4().hex}@example.test", "x", address), 401)
    user = make_user("technician")
    assert_error(_login(client, user.email, PASSWORD, address), 429, "too_many_attempts")
    assert _login(client, user.email, PASSWORD, _address()).status_code == 200


def test_refresh_is_limited_per_address(client, make_user, small_limits):
    user = make_user("technician")
    tokens = _login(client, user.email, PASSWORD, _address()).get_json()
    address = _address()
    headers = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    for _ in range(4):
        ok = _from(client, address).post("/api/v1/auth/refresh", headers=headers)
        assert ok.status_code == 200
    refused = _from(client, address).post("/api/v1/auth/refresh", headers=headers)
    assert_error(refused, 429, "too_many_attempts")
    assert int(refused.headers["Retry-After"]) >= 1


def test_unknown_and_known_emails_cost_the_same_hash(app, client, make_user, monkeypatch):
    """Timing-free: every failed login verifies exactly one hash made with the configured
    method, whether the account exists or not (the unknown email against a dummy hash)."""
    from werkzeug.security import generate_password_hash

    from app.auth import service

    method = "pbkdf2:sha256:1234"
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", method)
    user = make_user("dispatcher", password_hash=generate_password_hash(PASSWORD, method=method))
    verified: list[str] = []
    real_check = service.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        verified.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", counting_check)
    assert_error(_login(client, user.email, "wrong-password!", _address()), 401)
    assert verified == [method]
    assert_error(_login(client, "nobody-" + user.email, "wrong-password!", _address()), 401)
    assert verified == [method, method]


def test_redis_storage_is_shared_by_processes():
    """Two throttles on one Redis URL (as two gunicorn workers would be) count together."""
    from app.auth.throttle import LoginThrottle, _storage
    from app.errors import RateLimited

    # The local Redis (running here and in CI), on a database of its own by default.
    url = redis_url(13)
    settings = dict(storage_url=url, account_limit=2, address_limit=100, refresh_limit=10,
                    window_seconds=60)
    worker_a, worker_b = LoginThrottle(**settings), LoginThrottle(**settings)
    account = f"acct-{uuid.uuid4().hex}"
    worker_a.record_failure(account=account, address="10.1.1.1")
    worker_b.record_failure(account=account, address="10.1.1.2")
    with pytest.raises(RateLimited) as refused:
        worker_a.refuse_if_exhausted(account=account, address="10.1.1.3")
    assert 1 <= refused.value.details["retry_after_seconds"] <= 60
    assert type(_storage(url)).__name__ == "RedisStorage"
