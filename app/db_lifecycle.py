"""The end of a request's database session, robust against a connection that died meanwhile.

Flask-SQLAlchemy closes the session in a teardown function; closing rolls back the request's
open transaction. When the database connection died after the route's last query (a server
restart, `pg_terminate_backend`, a network cut), that ROLLBACK raises, and an exception from a
teardown escapes the application: the WSGI server then answers its own HTML 500 instead of the
response the application had already produced. Here the failure is logged, the connection is
invalidated (the pool opens a fresh one for the next request) and the response stands.
"""

from __future__ import annotations

import logging

from flask import Flask

from app.extensions import db

log = logging.getLogger(__name__)


def close_request_session(_exc: BaseException | None = None) -> None:
    """Roll back and close the request's session; a dead connection is invalidated, not raised."""
    scoped = db.session
    try:
        scoped.remove()
    except Exception as err:  # the connection is gone; nothing of it can be saved
        log.warning("database connection lost while closing the request's session; "
                    "connection invalidated: %s", type(err).__name__)
        try:
            scoped().invalidate()
        except Exception:
            log.debug("invalidating the lost connection failed as well", exc_info=True)
        finally:
            scoped.registry.clear()


def install_session_teardown(app: Flask) -> None:
    """Run before Flask-SQLAlchemy's own teardown (teardowns run in reverse order), which then
    finds no session left to close."""
    app.teardown_appcontext(close_request_session)
