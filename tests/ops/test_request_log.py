"""Every request has an id: the client's X-Request-ID when sane, else a fresh one; echoed in the
response and carried by every log line of that request, in text and in JSON format."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest

from tests.conftest import build_app


@pytest.fixture(scope="module")
def logging_app(scratch_databases: Any, tmp_path_factory: Any) -> Any:
    app = build_app(scratch_databases.create(), tmp_path_factory.mktemp("instance"),
                    LOG_FORMAT="json")

    @app.get("/test-only/logs-twice")
    def logs_twice() -> Any:
        logging.getLogger("app.somewhere").warning("first line of the request")
        logging.getLogger("thirdparty.lib").info("second line, %s", "from a library")
        return {"ok": True}

    yield app
    from app.extensions import db
    from app.request_log import make_formatter

    with app.app_context():
        db.engine.dispose()
    for handler in logging.getLogger().handlers:  # back to the default for later tests
        if getattr(handler, "_fieldops_handler", False):
            handler.setFormatter(make_formatter("text"))


@pytest.fixture
def json_stream() -> Any:
    """The application's JSON formatter on a stream we can read."""
    from app.request_log import make_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_log_line_of_a_request_carries_its_id(logging_app: Any, json_stream: Any) -> None:
    client = logging_app.test_client()
    response = client.get("/test-only/logs-twice")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)

    lines = json_lines(json_stream)
    assert [line["message"] for line in lines] == [
        "first line of the request", "second line, from a library",
        f"GET /test-only/logs-twice 200 {lines[-1]['duration_ms']}ms"]
    assert {line["request_id"] for line in lines} == {request_id}
    access = lines[-1]
    assert access["logger"] == "fieldops.request"
    assert (access["method"], access["path"], access["status"]) == (
        "GET", "/test-only/logs-twice", 200)
    assert access["level"] == "INFO" and access["time"].endswith("+00:00")

    # The next request has another id; lines outside a request carry none.
    other = client.get("/test-only/logs-twice").headers["X-Request-ID"]
    assert other != request_id
    logging.getLogger("app.somewhere").warning("outside any request")
    assert json_lines(json_stream)[-1]["request_id"] == "-"


def test_a_sane_incoming_id_is_kept_and_an_insane_one_replaced(logging_app: Any,
                                                               json_stream: Any) -> None:
    client = logging_app.test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:2026-11-30.1"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:2026-11-30.1"
    assert json_lines(json_stream)[-1]["request_id"] == "lb-7f3a:2026-11-30.1"

    for insane in ("x" * 129, "has space", "<script>", "two\tparts"):
        response = client.get("/healthz", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), insane


def test_error_responses_and_their_log_lines_carry_the_id(logging_app: Any,
                                                          json_stream: Any) -> None:
    response = logging_app.test_client().get("/api/v1/me",
                                             headers={"X-Request-ID": "req-401"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "req-401"
    assert json_lines(json_stream)[-1]["request_id"] == "req-401"


def test_log_format_setting_picks_the_formatter(logging_app: Any) -> None:
    from app.request_log import JsonFormatter

    handlers = [h for h in logging.getLogger().handlers
                if getattr(h, "_fieldops_handler", False)]
    assert len(handlers) == 1
    assert isinstance(handlers[0].formatter, JsonFormatter)  # LOG_FORMAT=json

    from app.request_log import make_formatter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "abc"
    assert make_formatter("text").format(record).endswith("INFO [abc] x: hello you")
