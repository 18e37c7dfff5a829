"""Declarative base, column types shared by every package, and engine set-up per dialect."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import DateTime, MetaData, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Every constraint gets a stable name, so migrations can refer to it on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The clock's offset from the system clock: zero in production; tests pin "now" to a chosen
# instant (late evening, a Sunday) with `pin_clock` and time keeps running from there.
_clock_offset = timedelta(0)


def utcnow() -> datetime:
    """Now, in UTC: every rule and seeder reads the time here (never datetime.now)."""
    return datetime.now(UTC) + _clock_offset


def pin_clock(at: datetime | None) -> None:
    """Let `utcnow()` run from `at` (None: back to the system clock)."""
    global _clock_offset
    _clock_offset = timedelta(0) if at is None else at - datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC-aware in Python.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so the value is stored as naive
    UTC and made aware again on the way out. Naive input is refused: it is a bug upstream.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; FieldOps stores UTC-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_engine_options() -> dict[str, Any]:
    """Driver options for SQLite: a driver that can load extensions (see ARCHITECTURE pitfalls)."""
    import sqlite3

    module: Any = sqlite3
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found,no-redef]
    return {"module": module, "connect_args": {"check_same_thread": False, "timeout": 30}}


def configure_sqlite_engine(engine: Engine, spatialite_path: str) -> None:
    """Load SpatiaLite on every connection and take over transaction control from the driver.

    The stdlib driver issues BEGIN lazily and mishandles SAVEPOINT; SQLAlchemy's documented
    recipe is to switch that off and emit BEGIN ourselves. IMMEDIATE takes the write lock up
    front so two writers queue on busy_timeout instead of failing with SQLITE_BUSY mid-way.
    """
    from geoalchemy2.admin.dialects.sqlite import init_spatialite, load_spatialite_driver

    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", spatialite_path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.enable_load_extension(True)
        load_spatialite_driver(dbapi_conn)
        dbapi_conn.enable_load_extension(False)
        # WGS84 only: ~0.3 s instead of ~7 s for the full EPSG table (ARCHITECTURE pitfalls).
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def table_of(model: type[Base]) -> Table:
    """A model's Table, typed as such (Core inserts/updates and upserts take a Table)."""
    return cast(Table, model.__table__)


def fetch_page(session: Any, stmt: Any, pagination: Any) -> list[Any]:
    """One page of a select for flask-smorest's @paginate; sets the total for X-Pagination."""
    from sqlalchemy import func, select

    pagination.item_count = session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    offset = (pagination.page - 1) * pagination.page_size
    if offset >= pagination.item_count:
        return []  # past the end (also keeps absurd page numbers away from the driver)
    return list(session.scalars(stmt.limit(pagination.page_size).offset(offset)))


# LIKE searches (`q=`) match the client's text literally: its %, _ and \ are escaped.
LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """`%text%` (lower-cased) with LIKE's wildcards in `text` escaped; use with
    `.like(pattern, escape=LIKE_ESCAPE)`."""
    escaped = (text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
    return f"%{escaped}%"


def matches_text(column: Any, text: str) -> Any:
    """Case-insensitive "contains `text`" on `column`, wildcards in `text` taken literally."""
    from sqlalchemy import func

    return func.lower(column).like(like_pattern(text), escape=LIKE_ESCAPE)
