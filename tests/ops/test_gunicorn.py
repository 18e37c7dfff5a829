"""FieldOps served by real gunicorn (gunicorn.conf.py, 2 workers): every answer is JSON, also
the ones gunicorn writes itself, and a database that drops its connections mid-run gives
retryable 503s, never an HTML 500, and the service recovers."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from tests.conftest import TEST_DATABASE, TEST_POSTGRES_URL, _libpq_dsn, build_app
from tests.ops.gunicorn_server import GunicornServer


@pytest.fixture(scope="module")
def served(scratch_databases: Any, tmp_path_factory: Any) -> Any:
    url = scratch_databases.create()
    instance = tmp_path_factory.mktemp("gunicorn")
    app = build_app(url, instance)  # migrated by Alembic
    from werkzeug.security import generate_password_hash

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        db.session.add(User(email="ops@example.test", full_name="Ops", role="admin",
                            password_hash=generate_password_hash(
                                "correct-horse-battery", method="pbkdf2:sha256:1000")))
        db.session.commit()
        db.engine.dispose()
    # The kill test logs in wrongly on purpose, many times: the login limits (tested in
    # tests/auth) would answer 429 long before the run ends.
    server = GunicornServer(url, instance,
                            PROMETHEUS_MULTIPROC_DIR=str(instance / "prometheus"),
                            LOGIN_FAILURES_PER_ACCOUNT="1000000",
                            LOGIN_FAILURES_PER_ADDRESS="1000000")
    server.database_name = url.rsplit("/", 1)[-1]
    server.database_url = url
    yield server
    server.stop()


def assert_json_error(status: int, headers: dict[str, str], body: bytes, code: int) -> dict:
    assert status == code, (status, body[:300])
    assert headers["content-type"].startswith("application/json"), (headers, body[:300])
    doc = json.loads(body)
    assert doc["code"] == code and doc["status"] and doc["message"] and doc["error"]
    return doc


def parse_raw(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def test_a_request_line_longer_than_the_limit_is_a_json_414(served: Any) -> None:
    answer = served.raw(b"GET /api/v1/work-orders?q=" + b"x" * 5000 + b" HTTP/1.1\r\n"
                        b"Host: 127.0.0.1\r\n\r\n")
    doc = assert_json_error(*parse_raw(answer), 414)
    assert doc["error"] == "uri_too_long"


def test_a_malformed_request_line_is_a_json_400(served: Any) -> None:
    answer = served.raw(b"GET /healthz HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n")
    doc = assert_json_error(*parse_raw(answer), 400)
    assert doc["error"] == "bad_request"


def test_a_header_field_larger_than_the_limit_is_a_json_431(served: Any) -> None:
    answer = served.raw(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                        + b"y" * 9000 + b"\r\n\r\n")
    doc = assert_json_error(*parse_raw(answer), 431)
    assert doc["error"] == "request_header_fields_too_large"


def test_the_threaded_worker_answers_json_too(served: Any, tmp_path: Any) -> None:
    server = GunicornServer(served.database_url, tmp_path, GUNICORN_THREADS="2")
    try:
        answer = server.raw(b"GET /?" + b"q" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert_json_error(*parse_raw(answer), 414)
        assert server.request("GET", "/healthz")[0] == 200
    finally:
        log = server.stop()
    assert "Using worker: app.serving.JsonThreadWorker" in log


def test_the_app_answers_through_gunicorn(served: Any) -> None:
    status, headers, body = served.request("GET", "/healthz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    status, headers, body = served.request("GET", "/api/v1/nowhere")
    assert_json_error(status, headers, body, 404)


def test_metrics_sum_over_both_workers(served: Any) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    def healthz_count() -> float:
        status, _headers, body = served.request("GET", "/metrics")
        assert status == 200, body
        for family in text_string_to_metric_families(body.decode()):
            for sample in family.samples:
                if (sample.name == "fieldops_http_request_duration_seconds_count"
                        and sample.labels == {"endpoint": "/healthz", "method": "GET",
                                              "status": "200"}):
                    return sample.value
        return 0.0

    before = healthz_count()
    for _ in range(20):
        assert served.request("GET", "/healthz")[0] == 200
    # Whichever worker answers the scrape, it reports the requests both workers served.
    assert healthz_count() - before == 20
    assert healthz_count() - before == 20


def _login(served: Any, password: str) -> tuple[int, dict[str, str], bytes]:
    return served.request("POST", "/api/v1/auth/login",
                          {"email": "ops@example.test", "password": password})


@pytest.mark.skipif(TEST_DATABASE != "postgis", reason=(
    "SQLite is a file opened inside each web process: there is no server connection that "
    "another party could terminate, so 'the database drops its connections' cannot happen"))
def test_connections_killed_mid_run_give_json_503_and_the_service_recovers(served: Any) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    admin_dsn = _libpq_dsn(make_url(TEST_POSTGRES_URL))
    stop_killing = threading.Event()
    stop_traffic = threading.Event()
    kills = 0
    answers: list[tuple[str, int, dict[str, str], bytes]] = []
    lock = threading.Lock()

    def killer() -> None:
        nonlocal kills
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            while not stop_killing.is_set():
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (served.database_name,)).fetchall()
                kills += len(rows)
                time.sleep(0.01)

    def traffic(kind: int) -> None:
        while not stop_traffic.is_set():
            if kind == 0:
                result = ("healthz", *served.request("GET", "/healthz"))
            elif kind == 1:
                result = ("login-wrong", *_login(served, "wrong-password"))
            else:
                result = ("login", *_login(served, "correct-horse-battery"))
            with lock:
                answers.append(result)

    threads = [threading.Thread(target=traffic, args=(i % 3,)) for i in range(6)]
    for t in threads:
        t.start()
    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    time.sleep(6)
    stop_killing.set()
    kill_thread.join()
    stop_traffic.set()
    for t in threads:
        t.join()

    assert kills > 0
    expected = {"healthz": {200, 503}, "login-wrong": {401, 503}, "login": {200, 503}}
    unavailable = 0
    for kind, status, headers, body in answers:
        assert headers["content-type"].startswith("application/json"), (kind, status, body)
        doc = json.loads(body)
        assert status in expected[kind], (kind, status, doc)
        if status == 503:
            assert doc["error"] == "unavailable", doc
            assert headers["retry-after"] == "1"
            unavailable += 1
    assert unavailable > 0, f"no request met a killed connection in {len(answers)} requests"
    print(f"\n{len(answers)} requests while {kills} connections were terminated: "
          f"{unavailable} answered 503 unavailable, the rest as usual, all JSON")

    # Recovered: the pools reconnect, every request succeeds again.
    for _ in range(10):
        assert served.request("GET", "/healthz")[0] == 200
        assert _login(served, "correct-horse-battery")[0] == 200
        assert _login(served, "wrong-password")[0] == 401


def test_the_production_config_serves_an_app_whose_start_up_objects_are_frozen(
        tmp_path: Any) -> None:
    """The one gunicorn.conf.py (production and benchmarks/api.py) loads `app.wsgi:app`,
    which moves the start-up objects out of the garbage collector's full collections (~100 ms
    pauses that hit one request in 13 otherwise, issue 18)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    probe = ("import gc, importlib, runpy; "
             "target = runpy.run_path('gunicorn.conf.py')['wsgi_app']; "
             "module, name = target.split(':'); "
             "app = getattr(importlib.import_module(module), name); "
             "print(target, callable(app), gc.get_freeze_count())")
    env = {**os.environ, "FIELDOPS_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "probe",
           "DATABASE_URL": f"sqlite:///{tmp_path}/probe.db", "PYTHONPATH": str(repo)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout.split()
    assert out[:2] == ["app.wsgi:app", "True"]
    assert int(out[2]) > 50_000  # SQLAlchemy mappers, schemas, the OpenAPI spec
