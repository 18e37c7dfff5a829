"""How the OpenAPI document is written, in one place: the X-Pagination header as the JSON string
it is sent as; operationIds, response descriptions, 404s and machine error keys."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

PAGINATION_FIELDS = {
    "total": "total number of items",
    "total_pages": "total number of pages",
    "first_page": "first page number",
    "last_page": "last page number",
    "page": "this page's number",
    "previous_page": "previous page number (absent on the first page)",
    "next_page": "next page number (absent on the last page)",
}

PAGINATION_HEADER: dict[str, Any] = {
    "description": (
        "Pagination metadata, a JSON object serialised as a string, e.g. "
        '`{"total": 120, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, '
        '"next_page": 2}`. Fields (integers): '
        + "; ".join(f"`{name}`: {text}" for name, text in PAGINATION_FIELDS.items()) + "."),
    "schema": {"type": "string", "format": "json"},
}


def configure_openapi() -> None:
    """Before `api.init_app`: the documented X-Pagination header is a JSON string."""
    from flask_smorest import pagination

    pagination.PAGINATION_HEADER = PAGINATION_HEADER


# --- the document's final form -----------------------------------------------------------
# flask-smorest builds the document from the routes; `finish_document` adds, for every
# operation and in one pass, what a client generator needs: an operationId derived from the
# method and path, a description on every response, a 404 on every path with an id, and the
# machine `error` keys of each error status (x-error-keys, also listed in the description).

_API_PREFIXES = ("/api/v1", "/mobile/v1")
_METHODS = ("get", "put", "post", "patch", "delete")
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def operation_id(method: str, path: str) -> str:
    """`GET /api/v1/work-orders/{work_order_id}` -> `get_work_orders_by_work_order_id`;
    mobile paths keep a `mobile` prefix. Unique because (method, path) is."""
    prefix = ""
    for api_prefix in _API_PREFIXES:
        if path.startswith(api_prefix):
            path = path[len(api_prefix):]
            prefix = "mobile_" if api_prefix == "/mobile/v1" else ""
            break
    words = []
    for segment in filter(None, path.split("/")):
        if segment.startswith("{"):
            words.append("by_" + segment.strip("{}"))
        else:
            words.append(re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_"))
    return f"{method}_{prefix}" + "_".join(words)


@lru_cache(maxsize=1)
def error_keys_by_status() -> dict[int, list[str]]:
    """Machine `error` keys per HTTP status, collected from the code itself so the list cannot
    drift: every DomainError subclass's key, every `error="..."` given when one is raised, and
    every `error_response(code, ..., error="...")`; plus the plain HTTP error keys."""
    from app import errors

    classes: dict[str, type[errors.DomainError]] = {}
    pending: list[type[errors.DomainError]] = [errors.DomainError]
    while pending:
        cls = pending.pop()
        classes[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    found: dict[int, set[str]] = {}
    for cls in classes.values():
        found.setdefault(cls.code, set()).add(cls.error)
    for code, key in errors._HTTP_ERROR_KEYS.items():
        found.setdefault(code, set()).add(key)
    root = Path(errors.__file__).resolve().parent
    for source in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            key = next((k.value.value for k in node.keywords if k.arg == "error"
                        and isinstance(k.value, ast.Constant)
                        and isinstance(k.value.value, str)), None)
            if key is None:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in classes:
                found.setdefault(classes[name].code, set()).add(key)
            elif (name in ("error_response", "error_body") and node.args
                  and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, int)):
                found.setdefault(node.args[0].value, set()).add(key)
    return {code: sorted(keys) for code, keys in sorted(found.items())}


def _error_response(code: int, base: dict[str, Any] | None, keys: list[str]) -> dict[str, Any]:
    phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
    description = (base or {}).get("description") or phrase
    response = {k: v for k, v in (base or {}).items() if k != "description"}
    response.setdefault("content", {"application/json": {"schema": _ERROR_REF}})
    response["description"] = f"{description} Machine keys (`error`): {', '.join(keys)}."
    response["x-error-keys"] = keys
    return response


# Text may hold any character but NUL (refused by app.request_guard); strings whose schema does
# not already restrict them say so, so generated requests and validation agree.
NO_NUL_PATTERN = "^[^\\u0000]*$"


def _state_no_nul(node: Any) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if (item.get("type") == "string" and "pattern" not in item and "enum" not in item
                    and item.get("format") not in ("binary", "date", "date-time")):
                item["pattern"] = NO_NUL_PATTERN
            stack.extend(v for k, v in item.items() if k not in ("example", "examples"))


def finish_document(spec: dict[str, Any]) -> dict[str, Any]:
    _state_no_nul(spec.get("paths", {}))
    _state_no_nul(spec.get("components", {}).get("schemas", {}))
    _state_no_nul(spec.get("components", {}).get("parameters", {}))
    keys = error_keys_by_status()
    every_key = sorted({k for ks in keys.values() for k in ks})
    components = spec.setdefault("components", {})
    shared = components.get("responses", {})
    for name, response in shared.items():
        code = HTTPStatus[name].value if name in HTTPStatus.__members__ else None
        if code is not None and code >= 400:
            shared[name] = _error_response(code, response, keys.get(code, ["error"]))
        elif name == "DEFAULT_ERROR":
            shared[name] = _error_response(500, response, every_key)
    error_schema = components.get("schemas", {}).get("Error")
    if error_schema:
        error_field = error_schema["properties"]["error"]
        error_field["x-error-keys"] = every_key
        error_field["description"] = ("Stable machine key clients switch on; the keys each "
                                      "status may carry are listed on its response.")
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation.setdefault("operationId", operation_id(method, path))
            responses = operation.setdefault("responses", {})
            if "{" in path and "404" not in responses:
                responses["404"] = {"description": "No such object, or not one you may see."}
            for code, response in list(responses.items()):
                if not code.isdigit():
                    continue  # `default`: the shared DEFAULT_ERROR, all keys
                if int(code) < 400:
                    if "$ref" not in response:
                        response.setdefault("description", HTTPStatus(int(code)).phrase)
                    continue
                if "$ref" in response:
                    response = {}  # inline, so the keys listed are this status's
                responses[code] = _error_response(int(code), response,
                                                  keys.get(int(code), ["error"]))
    return spec


def install_document_finisher(api: Any) -> None:
    """After `api.init_app`: every rendering of the document (the /openapi.json route, the
    `flask openapi` commands, tests) goes through `finish_document`."""
    spec = api.spec
    render = spec.to_dict

    def to_dict() -> dict[str, Any]:
        return finish_document(render())

    spec.to_dict = to_dict
