"""Declarative base, column types shared by every package, and engine set-up per dialect."""

from __future__ import annotations

import os
import select
from collections.abc import Iterable, Sequence
from contextvars import ContextVar, Token
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import DateTime, Integer, MetaData, Table, bindparam, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
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

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        # PostgreSQL sessions run in UTC (configure_postgres_engine makes sure of it), so
        # psycopg already hands back datetimes with `datetime.UTC`: no Python call per value
        # (a page of the queue reads ~1,000 timestamps, candidates ~1,500).
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)


def sqlite_engine_options() -> dict[str, Any]:
    """Driver options for SQLite: a driver that can load extensions (see ARCHITECTURE pitfalls)."""
    import sqlite3

    module: Any = sqlite3
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found,no-redef]
    return {"module": module, "connect_args": {"check_same_thread": False, "timeout": 30}}


# Whether the transactions begun in this context may write (see configure_sqlite_engine).
# True unless a read-only request said otherwise: the CLI, workers and threads write.
_may_write: ContextVar[bool] = ContextVar("fieldops_may_write", default=True)


def transactions_read_only(read_only: bool) -> Token[bool]:
    """Declare whether the transactions this context begins from now on only read (a GET
    request) or may write; returns the token to reset it with `_may_write.reset`."""
    return _may_write.set(not read_only)


def reset_transaction_mode(token: Token[bool]) -> None:
    _may_write.reset(token)


def reads_only_from_now() -> None:
    """The request's writes are committed: the transactions it still begins only read (on
    SQLite a plain BEGIN, not the write lock again). A write after this is refused, as in a
    GET, unless `begin_writing` comes first. See app/blueprint.py."""
    _may_write.set(False)


def begin_writing(session: Any) -> None:
    """A read-only request that turns out to need a write: end its read transaction (it has
    written nothing) so that the next statement begins a write transaction (IMMEDIATE on
    SQLite). Call it before the reads the write depends on are (re)done."""
    session.rollback()
    _may_write.set(True)


def postgres_engine_options(config: Any) -> dict[str, Any]:
    """Pool and psycopg options for PostgreSQL (settings in app/config.py, measured by
    benchmarks/api.py): no pre-ping, recycled connections, statements prepared the
    DATABASE_PREPARE_THRESHOLD-th time a connection runs them. Sessions run in UTC:
    psycopg then hands timestamps back with `datetime.UTC` itself, which `UTCDateTime` passes
    through as they are, instead of converting each one from the server's zone (~0.6 us a
    value, about 1500 values for one dispatcher's candidates); libpq `options` given in
    the database URL are kept."""
    raw = str(config.get("DATABASE_PREPARE_THRESHOLD") or "").strip()
    given = make_url(str(config.get("SQLALCHEMY_DATABASE_URI") or "postgresql://")).query
    libpq_options = " ".join(filter(None, [str(given.get("options") or ""), "-c TimeZone=UTC"]))
    return {
        "pool_pre_ping": bool(config.get("DATABASE_POOL_PRE_PING", False)),
        "pool_recycle": int(config.get("DATABASE_POOL_RECYCLE_S", 1800)),
        "connect_args": {"prepare_threshold": int(raw) if raw else None,
                         "options": libpq_options},
    }


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def install_transaction_modes(app: Any) -> None:
    """Per request: GET/HEAD/OPTIONS begin read-only transactions, other methods may write
    (what that changes on SQLite: configure_sqlite_engine; PostgreSQL: nothing)."""
    from flask import g, request

    @app.before_request
    def _transaction_mode() -> None:
        g.fieldops_transaction_mode = transactions_read_only(request.method in READ_METHODS)

    @app.teardown_request
    def _reset_transaction_mode(_exc: BaseException | None) -> None:
        token = g.pop("fieldops_transaction_mode", None)
        if token is not None:
            reset_transaction_mode(token)


def configure_sqlite_engine(engine: Engine, spatialite_path: str) -> None:
    """Load SpatiaLite on every connection and take over transaction control from the driver.

    The stdlib driver issues BEGIN lazily and mishandles SAVEPOINT; SQLAlchemy's documented
    recipe is to switch that off and emit BEGIN ourselves.

    Which BEGIN depends on what the transaction may do, decided when it starts:
    - A transaction that may write (every request but GET/HEAD/OPTIONS, the CLI, workers,
      threads) begins IMMEDIATE: it takes the write lock up front, so two writers queue on
      busy_timeout instead of one failing with SQLITE_BUSY when it upgrades a stale read
      snapshot half-way. Writers stay serialised as before, so every guarantee built on that
      (stock never negative, idempotency keys, version locks, numbering) is unchanged.
    - A read-only request (`transactions_read_only(True)`, set per request by its HTTP method
      in `install_transaction_modes`, which create_app calls) begins a plain deferred BEGIN:
      in WAL mode readers take no lock, so they run beside each other and beside the one
      writer instead of queueing behind it.
      A read request that must write after all calls `begin_writing(session)` first; a
      write slipped into a read transaction without it is refused (`_no_writes_in_reads`)
      rather than left to fail only under concurrency.
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
        writes = _may_write.get()
        conn.info["fieldops_writes"] = writes
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    event.listen(engine, "before_cursor_execute", _no_writes_in_reads)


def configure_postgres_engine(engine: Engine, prepared_max: int) -> None:
    """Read-only transactions run in autocommit mode on PostgreSQL; each connection keeps up
    to `prepared_max` prepared statements (psycopg's default, 100, is fewer than the
    statements the API runs: they would be prepared and deallocated in turn).

    A transaction begun while `_may_write` is False (a GET request, or the answer read after a
    write request committed) sends no BEGIN and no ROLLBACK: at READ COMMITTED, PostgreSQL's
    default, every statement takes its own snapshot inside a transaction too, so the reads
    see exactly what they saw before, two round trips fewer. It also keeps psycopg's prepared
    statements: psycopg deallocates all of them on every ROLLBACK (DEALLOCATE ALL), which
    ended every read request; with no ROLLBACK they are prepared once per connection
    (DATABASE_PREPARE_THRESHOLD) and PostgreSQL parses and plans them no more.
    A write in such a transaction would commit at once, so it is refused, as on SQLite
    (`_no_writes_in_reads`); a GET that must write calls `begin_writing` first.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, record: Any) -> None:
        dbapi.prepared_max = prepared_max
        if dbapi.info.parameter_status("TimeZone") != "UTC":
            # postgres_engine_options asks for UTC; engine options given in the config may
            # have replaced its connect_args. `UTCDateTime` relies on it on PostgreSQL.
            dbapi.execute("SET TIME ZONE 'UTC'")
            dbapi.commit()
        record.info["fieldops_fresh"] = True  # its first checkout is not checked (below)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        writes = _may_write.get()
        conn.info["fieldops_writes"] = writes
        dbapi = conn.connection.dbapi_connection
        # psycopg: no round trip. Only on an idle connection: one the server dropped has no
        # transaction status, and its first statement answers 503 as on any lost connection.
        if dbapi.autocommit == writes and _idle(dbapi):
            dbapi.autocommit = not writes

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        # An idle connection's socket has nothing to read unless the server closed it (a
        # restart, pg_terminate_backend, an idle timeout): found here, without a round trip,
        # the pool replaces it instead of the request failing on it. (A read request ends
        # with no ROLLBACK that would have found it dead on its way back to the pool.) A new
        # connection is not checked: the pool would retry a server that drops every
        # connection three times and then raise a 500; its first statement fails with 503.
        if record.info.pop("fieldops_fresh", False):
            return
        try:
            if dbapi.closed:
                raise DisconnectionError("connection closed")
            poll = select.poll()  # not select(): descriptors above 1024 are fine
            poll.register(dbapi.pgconn.socket, select.POLLIN)
            if poll.poll(0):
                for _ in range(2):  # the server's last message, then the end of the stream
                    dbapi.pgconn.consume_input()
        except DisconnectionError:
            raise
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi: Any, _record: Any) -> None:
        # back in the pool as every other connection is: transactional
        if dbapi is not None and dbapi.autocommit and _idle(dbapi):
            dbapi.autocommit = False

    event.listen(engine, "before_cursor_execute", _no_writes_in_reads)


def _idle(dbapi: Any) -> bool:
    """A psycopg connection that is open and outside a transaction."""
    from psycopg.pq import TransactionStatus

    return not dbapi.closed and dbapi.info.transaction_status == TransactionStatus.IDLE


def _no_writes_in_reads(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """Refuse a write in a transaction begun read-only (see configure_sqlite_engine)."""
    if conn.info.get("fieldops_writes", True) or not conn.in_transaction():
        return
    head = statement.lstrip()[:8].upper()
    if not head.startswith(_READ_STATEMENTS):
        raise ReadOnlyTransactionError(
            "A write in a read-only (deferred) transaction; call app.db.begin_writing "
            f"first: {statement[:80]}")


_READ_STATEMENTS = ("SELECT", "PRAGMA", "WITH", "BEGIN", "SAVEPOIN", "RELEASE", "ROLLBACK",
                    "COMMIT", "EXPLAIN")


class ReadOnlyTransactionError(RuntimeError):
    """A programming error: a GET handler wrote without `begin_writing` (see above)."""


def table_of(model: type[Base]) -> Table:
    """A model's Table, typed as such (Core inserts/updates and upserts take a Table)."""
    return cast(Table, model.__table__)


def as_written(row: Any) -> SimpleNamespace:
    """A flushed row's column values, read now: the answer after the commit, without reading
    the row again. Only for rows that never change once written (the append-only tables,
    guarded by triggers): what was written is what is stored."""
    from sqlalchemy import inspect

    return SimpleNamespace(**{a.key: getattr(row, a.key)
                              for a in inspect(row).mapper.column_attrs})


def fetch_page(session: Any, stmt: Any, pagination: Any, *options: Any) -> list[Any]:
    """One page of a select for flask-smorest's @paginate; sets the total for X-Pagination.
    `options` (e.g. joinedload) apply to the page's query, not to the count."""
    from sqlalchemy import func, select

    pagination.item_count = session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    offset = (pagination.page - 1) * pagination.page_size
    if offset >= pagination.item_count:
        return []  # past the end (also keeps absurd page numbers away from the driver)
    return list(session.scalars(stmt.options(*options).limit(pagination.page_size)
                                .offset(offset)))


def load_related(session: Any, parents: Sequence[Any], attribute: Any, *options: Any) -> None:
    """Load one relationship of all `parents` with one plain query and hand each parent its
    share, as loaded from the database (nothing recorded as changed).

    What selectinload does, for about half the CPU on a page of 50 orders or the 60
    technicians of a roster: selectinload fills each collection through the relationship's
    events, here the results are grouped and set directly. For relationships on one
    foreign-key column: one-to-many (a list, or one object with uselist=False, ordered by the
    relationship's order_by) and many-to-one. `options` apply to the related rows' query
    (e.g. joinedload of their own many-to-one). Parents that have the relationship loaded
    already keep it."""
    from sqlalchemy.orm import RelationshipDirection
    from sqlalchemy.orm.attributes import set_committed_value

    prop = attribute.property
    key = attribute.key
    todo = [p for p in parents if key not in p.__dict__]
    if not todo:
        return
    ((local, remote),) = prop.local_remote_pairs
    parent_attr = prop.parent.get_property_by_column(local).key
    child_attr = prop.mapper.get_property_by_column(remote).key
    wanted = {getattr(p, parent_attr) for p in todo} - {None}
    found: dict[Any, list[Any]] = {}
    if wanted:
        stmt = _related_statement(prop, options)
        for row in session.scalars(stmt, {"wanted": sorted(wanted)}):
            found.setdefault(getattr(row, child_attr), []).append(row)
    for p in todo:
        rows = found.get(getattr(p, parent_attr), [])
        if prop.direction is RelationshipDirection.ONETOMANY and prop.uselist:
            set_committed_value(p, key, rows)
        else:
            set_committed_value(p, key, rows[0] if rows else None)


# load_related's statements, one per (relationship, options): built once, so SQLAlchemy
# computes their cache key once too (a statement built per call cost more Python than
# grouping its rows).
_RELATED_STATEMENTS: dict[Any, Any] = {}


def _related_statement(prop: Any, options: tuple[Any, ...]) -> Any:
    keys = [o._generate_cache_key() for o in options]
    key = (prop, tuple(k.key for k in keys)) if all(k is not None for k in keys) else None
    stmt = _RELATED_STATEMENTS.get(key) if key is not None else None
    if stmt is None:
        from sqlalchemy import select

        ((_, remote),) = prop.local_remote_pairs
        order = [remote, *(prop.order_by or ()), *prop.mapper.primary_key]
        # integer keys written into the statement's text: a city day's board loads the
        # sites and windows of ~500 orders, and psycopg parses a statement with more than
        # 50 bound parameters anew each time
        wanted: Any = bindparam("wanted", expanding=True,
                                literal_execute=isinstance(remote.type, Integer))
        stmt = (select(prop.mapper.class_).where(remote.in_(wanted))
                .options(*options).order_by(*order))
        if key is not None:
            _RELATED_STATEMENTS[key] = stmt
    return stmt


def ids_param(name: str) -> Any:
    """A parameter for a list of integer ids in a statement built once (`column.in_(
    ids_param("ids"))`, executed with ``{"ids": [...]}``): written into the statement's
    text like ``in_ids``'s."""
    return bindparam(name, expanding=True, literal_execute=True)


def in_ids(column: Any, ids: Iterable[int]) -> Any:
    """`column IN (ids)` with the ids written into the statement's text, not bound: psycopg
    parses a statement with more than 50 parameters anew on every execution (its cache stops
    there), which for a roster's 60 technicians cost more CPU than reading the rows. Integer
    ids only (they are rendered as literals)."""
    values = [int(i) for i in ids]
    return column.in_(bindparam(None, values, expanding=True, literal_execute=True))


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
