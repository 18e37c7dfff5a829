"""The one gate every request passes before any view: what a client sends that no database or
schema can hold is refused here with a 400 in the one error shape.

- JSON bodies (the webargs parser of every smorest route, and Flask's `request.get_json`) are
  parsed by `load_json_strictly`: nesting deeper than MAX_JSON_DEPTH, integers longer than
  MAX_INT_DIGITS, lone UTF-16 surrogates and NUL characters in strings or keys are refused.
- NUL bytes in the path, the query string and form fields are refused by a before-request hook
  (PostgreSQL text cannot store NUL; SQLite would store a string that prints truncated).
"""

from __future__ import annotations

import json
from typing import Any

import marshmallow
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from app.errors import error_response

# No document of this API nests deeper than a handful of levels.
MAX_JSON_DEPTH = 32
# Python refuses to convert integers longer than 4,300 digits (a ValueError deep in json).
MAX_INT_DIGITS = 30

MESSAGES = {
    "depth": f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.",
    "int": f"JSON integers longer than {MAX_INT_DIGITS} digits are not accepted.",
    "surrogate": "The JSON contains an unpaired UTF-16 surrogate (\\ud800-\\udfff).",
    "nul": "NUL characters (\\u0000) are not accepted in text.",
    "invalid": "Invalid JSON body.",
    "body_required": "A JSON body (Content-Type: application/json) is required.",
    "nul_url": "NUL characters are not accepted in the path or query string.",
    "nul_form": "NUL characters are not accepted in form fields.",
    "nul_header": "NUL characters are not accepted in header values.",
}


class HostileJSON(ValueError):
    """A JSON document that parses but cannot be accepted; `reason` keys MESSAGES."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise HostileJSON("int")
    return int(digits)


def _check_text(value: str) -> None:
    if "\x00" in value:
        raise HostileJSON("nul")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise HostileJSON("surrogate") from None


def _check_tree(document: Any) -> None:
    """Walk the parsed document without recursion, checking depth and every string."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise HostileJSON("depth")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def load_json_strictly(data: str | bytes) -> Any:
    """json.loads that raises HostileJSON (a ValueError) for what the API never accepts, and
    json.JSONDecodeError for what is not JSON at all."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        document = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise HostileJSON("depth") from None
    _check_tree(document)
    return document


class StrictJSONProvider(DefaultJSONProvider):
    """`request.get_json()` goes through the same strict loader."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json_strictly(s)


class StrictFlaskParser(FlaskParser):
    """The webargs parser for every smorest route: the strict loader, a 400 for what it refuses.
    A route's schema class is instantiated once, not per request (webargs builds a new
    instance each time: two or three per request, ~0.1 ms each, for a query and its paging)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instances: dict[type, Any] = {}

    def _get_schema(self, argmap: Any, req: Any) -> Any:
        if isinstance(argmap, type) and issubclass(argmap, marshmallow.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                schema = self._instances[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:
            return core.missing
        try:
            return load_json_strictly(raw)
        except HostileJSON as exc:
            abort(400, exc=exc, messages={"json": [str(exc)]}, message=str(exc))
        except UnicodeDecodeError as exc:
            abort(400, exc=exc, messages={"json": ["The body is not UTF-8."]})

    def load_json(self, req: Any, schema: Any) -> Any:
        # A route that declares a JSON body documents it as required: no body is a 422, not
        # an empty change that "succeeds" (PATCH without a body).
        data = super().load_json(req, schema)
        if data is core.missing and getattr(schema.Meta, "body_optional", False):
            return {}  # a schema of options only, all defaulted (e.g. applying a plan)
        if data is core.missing:
            abort(422, messages={"json": [MESSAGES["body_required"]]},
                  message=MESSAGES["body_required"])
        return data

    def load_form(self, req: Any, schema: Any) -> Any:
        for key, value in req.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, messages={"form": [MESSAGES["nul_form"]]},
                      message=MESSAGES["nul_form"])
        return super().load_form(req, schema)


def _refuse_nul_in_url() -> Any:
    # werkzeug has decoded %00 into the path and the arguments by now. Header values (e.g.
    # Idempotency-Key, stored in the database) are held to the same rule.
    if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        return error_response(400, MESSAGES["nul_url"], error="bad_request")
    if any("\x00" in value for _name, value in request.headers.items()):
        return error_response(400, MESSAGES["nul_header"], error="bad_request")
    return None


def install_argument_parser() -> None:
    """Every smorest Blueprint parses with the strict parser. `arguments` binds the parser when
    a route module is imported, so this runs when the `app` package is imported, before any."""
    from flask_smorest import Blueprint

    Blueprint.ARGUMENTS_PARSER = StrictFlaskParser()


def init_request_guard(app: Flask) -> None:
    """Install the strict JSON loader for `request.get_json` and the NUL check on `app`."""
    app.json = StrictJSONProvider(app)
    app.before_request(_refuse_nul_in_url)
