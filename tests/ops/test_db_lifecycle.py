"""A database connection that dies after the route's last query (before the request's
rollback) must not turn the response into an unhandled exception (under gunicorn: an HTML 500).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TEST_DATABASE, TEST_POSTGRES_URL, _libpq_dsn, build_app

pytestmark = pytest.mark.skipif(TEST_DATABASE != "postgis", reason=(
    "SQLite is a file opened inside the web process: there is no server connection that "
    "could die between the route's query and the rollback"))


@pytest.fixture(scope="module")
def killing_app(scratch_databases: Any, tmp_path_factory: Any) -> Any:
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path_factory.mktemp("instance"))

    @app.route("/test-only/query-then-lose-connection", methods=["GET", "POST"])
    def query_then_lose_connection() -> Any:
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(_libpq_dsn(make_url(TEST_POSTGRES_URL)), autocommit=True) as c:
            # with a timeout: returns once the backend has exited (its socket closed)
            c.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        return {"backend": pid}

    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_response_stands_when_the_connection_dies_before_the_rollback(
        killing_app: Any, caplog: Any) -> None:
    """A request that may write ends its transaction with a ROLLBACK, which meets the dead
    connection."""
    client = killing_app.test_client()
    response = client.post("/test-only/query-then-lose-connection")
    assert response.status_code == 200
    first_backend = response.get_json()["backend"]
    assert any("connection lost while closing" in r.getMessage() for r in caplog.records)

    # The dead connection was invalidated: the next request gets a fresh one and works.
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    response = client.post("/test-only/query-then-lose-connection")
    assert response.status_code == 200
    assert response.get_json()["backend"] != first_backend


def test_a_connection_that_died_in_the_pool_is_replaced_before_the_next_request(
        killing_app: Any) -> None:
    """A read request runs in autocommit and ends with no ROLLBACK: its connection goes back
    to the pool dead. The pool sees it closed when it hands it out next (the server said so
    on the socket) and gives a fresh one: no request fails on it."""
    client = killing_app.test_client()
    response = client.get("/test-only/query-then-lose-connection")
    assert response.status_code == 200
    first_backend = response.get_json()["backend"]
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    response = client.get("/test-only/query-then-lose-connection")
    assert response.status_code == 200
    assert response.get_json()["backend"] != first_backend
