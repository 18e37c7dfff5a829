"""Request ids and the log format.

Every request gets an id: the client's (or the proxy's) `X-Request-ID` when it is sane, else a
fresh one. It is echoed in the response's `X-Request-ID` header and attached to every log record
made while the request is handled (attribute `request_id`, through the log record factory, so
every handler sees it). One access line per request is logged by `fieldops.request`.

`LOG_FORMAT=text` (default, for `make run`) or `json` (one JSON object per line, for
production log collectors).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# Accepted from clients: 1-128 characters that are safe in a log line and a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# Attributes of a log record that the JSON formatter writes under their own names.
_JSON_EXTRAS = ("method", "path", "status", "duration_ms", "remote_addr", "endpoint")
_HANDLER_MARK = "_fieldops_handler"

access_log = logging.getLogger("fieldops.request")


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


def _install_record_factory() -> None:
    base = logging.getLogRecordFactory()
    if getattr(base, "_fieldops", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    factory._fieldops = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id,
    the access line's fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name in _JSON_EXTRAS:
            if hasattr(record, name):
                doc[name] = getattr(record, name)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(app: Flask) -> None:
    """The root logger writes to stderr in the configured format, once per process."""
    _install_record_factory()
    root = logging.getLogger()
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    handler.setFormatter(make_formatter(app.config.get("LOG_FORMAT", "text")))


def init_request_ids(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    access_log.info("%s %s %s %sms", request.method, request.path, response.status_code,
                    duration_ms, extra={
                        "method": request.method, "path": request.path,
                        "status": response.status_code, "duration_ms": duration_ms,
                        "remote_addr": request.remote_addr,
                        "endpoint": request.endpoint or "unmatched"})
    return response
