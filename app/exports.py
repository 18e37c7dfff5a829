"""CSV exports of every paginated list: `?format=csv` or `Accept: text/csv`.

A transport concern, like pagination, so it lives at the edge and needs nothing from the
endpoints: the export replays the same GET (same filters, same authorization, same query
shape) page by page with the largest page size, turns each page's rows into CSV lines and
streams them, so memory stays flat in the number of rows. Columns follow the endpoint's
documented response schema (nested objects flattened as `site.name`, lists as JSON), so the
column order is stable whatever the data. The file starts with a UTF-8 byte-order mark (so
spreadsheet programs read Chinese text correctly); texts that a spreadsheet would run as a
formula (`=`, `+`, `-`, `@` first) are prefixed with `'`.

Rows are read by offset, so rows created or deleted while a long export runs may be missed
or repeated; an export is a report, not a snapshot.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, request, stream_with_context
from werkzeug.datastructures import MultiDict
from werkzeug.test import Client

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_DEPTH = 2


def wants_csv() -> bool:
    if request.method != "GET":
        return False
    if request.args.get("format") == "csv":
        return True
    accept = request.accept_mimetypes
    return accept["text/csv"] > accept["application/json"]


def _list_view(app: Flask) -> Any | None:
    """The GET method of a paginated MethodView for this request, or None."""
    view = app.view_functions.get(request.endpoint or "")
    get = getattr(getattr(view, "view_class", None), "get", None)
    if get is None or "pagination" not in getattr(get, "_apidoc", {}):
        return None
    return get


@lru_cache(maxsize=256)
def _columns(rule: str) -> tuple[str, ...]:
    from app.extensions import api

    spec = api.spec.to_dict()
    schemas = spec.get("components", {}).get("schemas", {})
    path = "/" + "/".join(
        "{" + part.split(":")[-1].strip("<>") + "}" if part.startswith("<") else part
        for part in rule.strip("/").split("/"))
    operation = spec.get("paths", {}).get(path, {}).get("get", {})
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    items = content.get("application/json", {}).get("schema", {}).get("items", {})
    return tuple(_flatten_schema(items, schemas, "", 0))


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return schemas.get(ref.rsplit("/", 1)[-1], {})
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            return _resolve(schema[key][0], schemas)
    return schema


def _flatten_schema(schema: dict[str, Any], schemas: dict[str, Any], prefix: str,
                    depth: int) -> list[str]:
    schema = _resolve(schema, schemas)
    props = schema.get("properties")
    if not props or depth > MAX_DEPTH:
        return [prefix.rstrip(".")] if prefix else []
    columns: list[str] = []
    for name, prop in props.items():
        resolved = _resolve(prop, schemas)
        if resolved.get("properties") and depth < MAX_DEPTH:
            columns += _flatten_schema(resolved, schemas, f"{prefix}{name}.", depth + 1)
        else:
            columns.append(f"{prefix}{name}")
    return columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _lookup(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def _page(client: Client, path: str, args: MultiDict[str, str], headers: list[Any],
          page: int, page_size: int) -> Any:
    query = MultiDict(args)
    query.setlist("page", [str(page)])
    query.setlist("page_size", [str(page_size)])
    return client.get(path, query_string=query, headers=headers)


def export_csv() -> Response | None:
    """Answer the current paginated GET as a streamed CSV file (None: not an export)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not wants_csv() or _list_view(app) is None:
        return None
    args = MultiDict((k, v) for k, v in request.args.items(multi=True)
                     if k not in ("format", "page", "page_size"))
    headers = [(k, v) for k, v in request.headers.items()
               if k.lower() in ("authorization", "cookie", "accept-language", "x-request-id")]
    headers.append(("Accept", "application/json"))
    client = Client(app)
    page_size = int(app.config.get("PAGE_SIZE_MAX", 100))
    path = request.path
    first = _page(client, path, args, headers, 1, page_size)
    if first.status_code != 200:
        return Response(first.get_data(), status=first.status_code,
                        content_type=first.headers.get("Content-Type"))
    columns = list(_columns(request.url_rule.rule)) if request.url_rule else []

    def rows() -> Iterator[str]:
        response, page = first, 1
        yield "\ufeff" + _csv_line(columns)
        while True:
            items = json.loads(response.get_data())
            for item in items:
                yield _csv_line([_cell(_lookup(item, c)) for c in columns])
            meta = json.loads(response.headers.get("X-Pagination") or "{}")
            if page >= int(meta.get("total_pages") or 0) or not items:
                return
            page += 1
            response = _page(client, path, args, headers, page, page_size)
            if response.status_code != 200:
                return  # the file ends early; the rows so far stand

    name = (request.endpoint or "export").replace(".", "-")
    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def init_exports(app: Flask) -> None:
    app.before_request(export_csv)
