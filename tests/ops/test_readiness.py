"""/readyz (may this process take traffic?) against /healthz (is it alive?)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assert_error, redis_url


@pytest.fixture
def unmigrated_app(scratch_databases: Any, tmp_path: Any) -> Any:
    """An app on a database that exists but that `flask db upgrade` has not run on yet."""
    from app import create_app
    from app.extensions import db

    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": scratch_databases.create(),
        "SECRET_KEY": "test-secret",
        "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def test_not_ready_until_migrated_while_alive(unmigrated_app: Any) -> None:
    from flask_migrate import upgrade

    client = unmigrated_app.test_client()
    assert client.get("/healthz").status_code == 200  # alive: do not restart it

    response = client.get("/readyz")
    body = assert_error(response, 503, "not_ready")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "not_migrated"
    assert body["checks"]["broker"] == "not_configured"
    assert response.headers["Retry-After"]

    with unmigrated_app.app_context():
        upgrade()
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "broker": "not_configured"}}


def test_a_schema_behind_the_code_is_not_ready(unmigrated_app: Any) -> None:
    from flask_migrate import upgrade

    with unmigrated_app.app_context():
        upgrade(revision="0002assets")
    body = assert_error(unmigrated_app.test_client().get("/readyz"), 503, "not_ready")
    assert body["checks"]["migrations"].startswith("at 0002assets, head is ")


def test_the_broker_must_answer_when_configured(app: Any, client: Any) -> None:
    app.config["CELERY_BROKER_URL"] = redis_url(0)
    try:
        response = client.get("/readyz")
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["checks"]["broker"] == "ok"

        # Nothing listens on port 1 of this host.
        app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
        body = assert_error(client.get("/readyz"), 503, "not_ready")
        assert body["checks"]["broker"].startswith("unreachable")
        assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    finally:
        app.config["CELERY_BROKER_URL"] = None
