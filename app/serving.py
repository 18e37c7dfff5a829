"""Serving under gunicorn: worker classes whose own error answers use the one JSON error shape.

gunicorn answers some requests before the application sees them (a request line longer than
`limit_request_line` -> 414, too many or too large header fields -> 431/400, a malformed
request line -> 400) and answers 500 itself when the application raises instead of returning a
response. Those pages are written by `gunicorn.util.write_error(sock, status, reason, mesg)`,
which `Worker.handle_error` calls; it writes HTML. The worker classes here point that function
at `write_json_error` in the worker process, so every answer a client gets is JSON.

Select one with `worker_class` (gunicorn.conf.py does): `app.serving.JsonSyncWorker` or
`app.serving.JsonThreadWorker` (gthread, with `threads` > 1).
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from app.errors import error_body

# Machine keys for the statuses gunicorn answers itself that app.errors does not name.
_GUNICORN_ERROR_KEYS = {
    414: "uri_too_long",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error page, as the application's JSON error shape (same signature)."""
    message = mesg or reason
    body = json.dumps(error_body(status_int, message,
                                 error=_GUNICORN_ERROR_KEYS.get(status_int))).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    gunicorn_util.write_nonblock(sock, head + body)


def _use_json_errors() -> None:
    gunicorn_util.write_error = write_json_error


class JsonSyncWorker(SyncWorker):
    """gunicorn's sync worker; its own error answers are JSON."""

    def init_process(self) -> None:
        _use_json_errors()
        super().init_process()


class JsonThreadWorker(ThreadWorker):
    """gunicorn's gthread worker; its own error answers are JSON."""

    def init_process(self) -> None:
        _use_json_errors()
        super().init_process()
