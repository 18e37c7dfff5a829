"""How the OpenAPI document is written, in one place: the X-Pagination header as the JSON string
it is sent as."""

from __future__ import annotations

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
