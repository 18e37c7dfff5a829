"""The API's blueprint: flask-smorest's, whose answers to writes are read in a read
transaction.

A write view commits, then flask-smorest serialises what it returned; the commit expired the
objects, so serialising reads them again in a new transaction. On SQLite a write request
begins its transactions IMMEDIATE (app/db.py), so that read took the write lock a second time
and waited behind any writer that had started since the commit (up to the busy timeout).
Once the view has returned with its work committed (no transaction open), what is still read
to answer begins a plain deferred transaction instead (PostgreSQL: no difference). A view
that returns with its transaction open keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import flask_smorest
from flask import request

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
