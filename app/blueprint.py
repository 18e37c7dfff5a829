"""The API's blueprint: flask-smorest's, whose answers to writes are read in a read
transaction.

A write view commits, then flask-smorest serialises what it returned; the commit expired the
objects, so serialising reads them again in a new transaction. On SQLite a write request
begins its transactions IMMEDIATE (app/db.py), so that read took the write lock a second time
and waited behind any writer that had started since the commit (up to the busy timeout).
Once the view has returned with its work committed (no transaction open), what is still read
to answer begins a plain deferred transaction instead (PostgreSQL: no difference). A view
that returns with its transaction open keeps it.

Two things flask-smorest does per request are done more cheaply here, with the same result
for the client: a GET's ETag (views marked `@blp.etag`, e.g. the technician's day) is the hash
of the response body as sent (flask-smorest encodes the data to JSON a second time, keys
sorted, only to hash it: 0.3 ms of the day's 13 ms of CPU), and a page's X-Pagination is
written from its numbers without building a marshmallow schema per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
from flask import Response, request
from flask_smorest.etag import _get_etag_ctx

from app.db import READ_METHODS, reads_only_from_now


class Blueprint(flask_smorest.Blueprint):
    def response(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]],
                                                              Callable[..., Any]]:
        serialise = super().response(*args, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(view)
            def answered_in_a_read(*a: Any, **kw: Any) -> Any:
                result = view(*a, **kw)
                if request.method not in READ_METHODS:
                    from app.extensions import db

                    if not db.session().in_transaction():
                        reads_only_from_now()
                return result

            return serialise(answered_in_a_read)

        return decorator

    def _set_etag_in_response(self, response: Response) -> None:
        if request.method not in self.METHODS_ALLOWING_SET_ETAG or response.is_streamed:
            return  # a file or a stream: no body in memory to hash
        etag = _get_etag_ctx().get("etag")  # set by the view (set_etag), if it did
        if etag is None:
            digest = hashlib.sha1(response.get_data())
            for name, value in response.headers:
                if name in self.ETAG_INCLUDE_HEADERS:  # X-Pagination: same rows, other page
                    digest.update(f"\n{name}: {value}".encode())
            etag = digest.hexdigest()
            self._check_not_modified(etag)
        response.set_etag(etag)

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int
                                  ) -> dict[str, int]:
        """flask-smorest's X-Pagination fields, in its order."""
        if item_count == 0:
            return {"total": 0, "total_pages": 0}
        last_page = (item_count - 1) // page_size + 1
        meta = {"total": item_count, "total_pages": last_page, "first_page": 1,
                "last_page": last_page}
        if page <= last_page:
            meta["page"] = page
            if page > 1:
                meta["previous_page"] = page - 1
            if page < last_page:
                meta["next_page"] = page + 1
        return meta
