"""Reads do not queue behind a writer: on SQLite a GET begins a deferred (plain BEGIN)
transaction, so with WAL it reads while another connection holds the write lock; requests
that write still begin IMMEDIATE and queue for the lock (app/db.py). Both databases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from app import geo
from tests.conftest import TEST_DATABASE, build_app

LOCK_HELD_S = 20  # the writer lets go after this long at the latest


@pytest.fixture
def committed_app(scratch_databases: Any, tmp_path: Any) -> Iterator[Any]:
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def _token(app: Any, role: str) -> str:
    from flask_jwt_extended import create_access_token

    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        user = User(email=f"{role}@example.test", full_name=role, role=role, password_hash="x")
        db.session.add(user)
        db.session.commit()
        return create_access_token(identity=str(user.id), additional_claims={"role": role})


def _hold_write_lock(app: Any, held: threading.Event, release: threading.Event) -> None:
    """Another connection in the middle of a write transaction (uncommitted insert)."""
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("INSERT INTO skills (code, name) VALUES ('lock', 'Lock')"))
        held.set()
        release.wait(LOCK_HELD_S)
        conn.rollback()


def test_a_read_answers_while_another_connection_writes(committed_app: Any) -> None:
    headers = {"Authorization": f"Bearer {_token(committed_app, 'dispatcher')}"}
    held, release, answered = threading.Event(), threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(committed_app, held, release))
    writer.start()
    try:
        assert held.wait(LOCK_HELD_S)
        results: list[Any] = []

        def read() -> None:
            client = committed_app.test_client()
            results.append(client.get("/api/v1/skills", headers=headers))
            results.append(client.get("/api/v1/work-orders?page_size=50", headers=headers))
            answered.set()

        reader = threading.Thread(target=read)
        reader.start()
        # The reads finish while the write lock is still held (not after the writer let go).
        assert answered.wait(LOCK_HELD_S), "the GET waited for the writer's lock"
        reader.join()
        assert [r.status_code for r in results] == [200, 200]
        assert "lock" not in [s["code"] for s in results[0].get_json()]  # uncommitted: unseen
    finally:
        release.set()
        writer.join()


def test_a_writes_answer_is_read_while_another_connection_writes(committed_app: Any) -> None:
    """Once a write request has committed, the reads that build its answer do not take the
    write lock again (app/blueprint.py): another connection that starts writing right after
    the commit does not hold the answer up."""
    from sqlalchemy.orm import Session

    headers = {"Authorization": f"Bearer {_token(committed_app, 'admin')}"}
    held, release, answered = threading.Event(), threading.Event(), threading.Event()
    holders: list[threading.Thread] = []

    def lock_after_commit(_session: Any) -> None:
        if not holders:  # the request's own commit: another connection starts writing now
            holders.append(threading.Thread(target=_hold_write_lock,
                                            args=(committed_app, held, release)))
            holders[0].start()
            assert held.wait(LOCK_HELD_S)

    results: list[Any] = []

    def write() -> None:
        results.append(committed_app.test_client().post(
            "/api/v1/skills", headers=headers, json={"code": "brazing", "name": "Brazing"}))
        answered.set()

    event.listen(Session, "after_commit", lock_after_commit)
    try:
        writer = threading.Thread(target=write)
        writer.start()
        assert answered.wait(LOCK_HELD_S), "the answer waited for the other writer's lock"
        writer.join()
        assert holders and held.is_set()
        assert results[0].status_code == 201, results[0].get_json()
        assert results[0].get_json()["code"] == "brazing"
    finally:
        event.remove(Session, "after_commit", lock_after_commit)
        release.set()
        for holder in holders:
            holder.join()


def test_reads_begin_deferred_and_writes_immediate_on_sqlite(committed_app: Any) -> None:
    """What each request sends to begin its transaction (PostgreSQL: the driver's BEGIN for
    both; the IMMEDIATE lock is a SQLite matter)."""
    from app.extensions import db

    headers = {"Authorization": f"Bearer {_token(committed_app, 'admin')}"}
    client = committed_app.test_client()
    with committed_app.app_context():
        engine = db.engine
    begins: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.upper().startswith("BEGIN"):
            begins.append(statement.upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/skills", headers=headers).status_code == 200
        read_begins = list(begins)
        begins.clear()
        r = client.post("/api/v1/skills", headers=headers,
                        json={"code": "brazing", "name": "Brazing"})
        assert r.status_code == 201, r.get_json()
        write_begins = list(begins)
        begins.clear()
        assert client.get("/r/NO-SUCH-TAG").status_code == 404  # a GET that counts views
        label_begins = list(begins)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    if engine.dialect.name == "sqlite":
        assert read_begins and set(read_begins) == {"BEGIN"}
        # the write, then the read of its answer after the commit (app/blueprint.py)
        assert write_begins == ["BEGIN IMMEDIATE", "BEGIN"]
        assert label_begins and set(label_begins) == {"BEGIN IMMEDIATE"}
    else:
        assert "BEGIN IMMEDIATE" not in read_begins + write_begins + label_begins


def test_postgres_sessions_run_in_utc_keeping_the_urls_own_options() -> None:
    """Timestamps come back in UTC without a conversion per value; a URL's libpq options
    (a statement timeout, say) still reach the server."""
    from app.db import postgres_engine_options

    url = "postgresql+psycopg://u@db.example/fieldops?options=-c%20statement_timeout%3D5000"
    given = postgres_engine_options({"SQLALCHEMY_DATABASE_URI": url})["connect_args"]
    plain = postgres_engine_options({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/x"})
    assert given["options"] == "-c statement_timeout=5000 -c TimeZone=UTC"
    assert plain["connect_args"]["options"] == "-c TimeZone=UTC"


def test_timestamps_read_back_are_utc_on_both_databases(committed_app: Any) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    _token(committed_app, "admin")
    with committed_app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
        created = db.session.scalars(select(User)).first().created_at
        assert created.tzinfo is UTC and created <= datetime.now(UTC)


@pytest.mark.skipif(TEST_DATABASE != "postgis", reason="a PostgreSQL session's TimeZone: "
                    "SQLite stores naive UTC and has none")
def test_timestamps_are_utc_even_when_the_config_replaces_the_connect_options(
        scratch_databases: Any, tmp_path: Any) -> None:
    """`UTCDateTime` hands psycopg's values through untouched on PostgreSQL, so a session in
    another zone (engine options from the config replace ours) is set to UTC on connect."""
    from datetime import UTC

    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    app = build_app(scratch_databases.create(), tmp_path, SQLALCHEMY_ENGINE_OPTIONS={
        "connect_args": {"options": "-c TimeZone=Asia/Shanghai"}})
    try:
        _token(app, "admin")
        with app.app_context():
            assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
            created = db.session.scalars(select(User)).first().created_at
            assert created.tzinfo is UTC and created.isoformat().endswith("+00:00")
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_write_slipped_into_a_read_request_is_refused_on_both_databases(
        committed_app: Any) -> None:
    """A GET's transaction only reads: a write there is refused (on PostgreSQL it would
    otherwise commit at once, read requests running in autocommit) and leaves nothing; after
    `begin_writing` the same write goes through."""
    from sqlalchemy import select

    from app.assets.models import Skill
    from app.db import ReadOnlyTransactionError, begin_writing
    from app.extensions import db

    insert = text("INSERT INTO skills (code, name) VALUES (:code, 'Slipped in')")
    with committed_app.test_request_context("/api/v1/skills", method="GET"):
        committed_app.preprocess_request()
        db.session.execute(select(Skill.id)).all()
        with pytest.raises(ReadOnlyTransactionError):
            db.session.execute(insert, {"code": "refused"})
        db.session.rollback()
        begin_writing(db.session)
        db.session.execute(insert, {"code": "allowed"})
        db.session.commit()
    with committed_app.app_context():
        codes = set(db.session.scalars(select(Skill.code)))
    assert "allowed" in codes and "refused" not in codes


@pytest.mark.skipif(TEST_DATABASE != "postgis", reason="psycopg's prepared statements: "
                    "PostgreSQL only")
def test_read_requests_keep_their_prepared_statements_on_postgres(committed_app: Any) -> None:
    """A read request sends no BEGIN and no ROLLBACK (autocommit): psycopg deallocates every
    prepared statement on a ROLLBACK, so before this each GET threw away what the previous
    ones had prepared and PostgreSQL parsed and planned every statement again. A write
    request still runs in a transaction."""
    from app.extensions import db

    headers = {"Authorization": f"Bearer {_token(committed_app, 'admin')}"}
    client = committed_app.test_client()
    with committed_app.app_context():
        engine = db.engine
    seen: list[tuple[str, Any, bool]] = []

    def record(conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        seen.append((statement, dbapi, dbapi.autocommit))

    event.listen(engine, "before_cursor_execute", record)
    try:
        r = client.post("/api/v1/skills", headers=headers, json={"code": "weld", "name": "Weld"})
        assert r.status_code == 201, r.get_json()
        wrote = [autocommit for s, _c, autocommit in seen if s.startswith("INSERT")]
        seen.clear()
        for _ in range(4):
            assert client.get("/api/v1/skills", headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert wrote and not any(wrote)  # the write request: in a transaction
    reads = [(s, c) for s, c, autocommit in seen if "FROM skills" in s and autocommit]
    assert len(reads) >= 4 and len({id(c) for _s, c in reads}) == 1  # page and count
    dbapi = reads[-1][1]
    prepared = [row[0] for row in dbapi.execute(
        "SELECT statement FROM pg_prepared_statements").fetchall()]
    dbapi.rollback()
    assert any("FROM skills" in statement for statement in prepared), prepared


def test_a_fault_reports_answer_is_read_after_its_commit_without_a_write_transaction(
        committed_app: Any) -> None:
    """The report commits, then the answer reads the order again: in a read transaction, as
    a GET would (SQLite: a plain BEGIN, not the write lock again; PostgreSQL: autocommit, no
    BEGIN and no ROLLBACK, which would make psycopg deallocate every prepared statement)."""
    from flask_jwt_extended import create_access_token

    from app.assets.models import Asset, Customer, EquipmentModel, Site
    from app.auth.models import User
    from app.extensions import db

    with committed_app.app_context():
        customer = Customer(account_number="C-TX", name="Tx GmbH", sla_tier="gold")
        site = Site(customer=customer, name="Plant", address_line="Arnulfstraße 1",
                    city="München", location=geo.to_point(48.14, 11.56))
        asset = Asset(tag="TX-1", site=site, equipment_model=EquipmentModel(
            manufacturer="Daikin", model="EWAD-1", category="chiller"))
        db.session.add_all([customer, site, asset])
        db.session.flush()  # flush: the customer id for the customer user
        reporter = User(email="c@example.test", full_name="C", role="customer",
                        password_hash="x", customer_id=customer.id)
        db.session.add(reporter)
        db.session.commit()
        token = create_access_token(identity=str(reporter.id),
                                    additional_claims={"role": "customer"})
        engine = db.engine
    seen: list[tuple[str, bool, bool]] = []  # statement, transaction writes, autocommit

    def record(conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append((statement.lstrip()[:16].upper(), conn.info.get("fieldops_writes", True),
                     bool(getattr(conn.connection.dbapi_connection, "autocommit", False))))

    def committed(_conn: Any) -> None:
        seen.append(("<COMMIT>", True, False))

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        r = committed_app.test_client().post(
            "/api/v1/fault-reports", headers={"Authorization": f"Bearer {token}"},
            json={"asset_tag": "TX-1", "description": "Noise"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["work_order"]["asset_id"] is not None
    done = [s for s, _w, _a in seen].index("<COMMIT>")
    assert any(s.startswith("INSERT") for s, _w, _a in seen[:done])
    after = seen[done + 1:]
    assert any(s.startswith("SELECT") for s, _w, _a in after)  # the answer's reads
    assert not any(writes for _s, writes, _a in after), after
    if TEST_DATABASE == "postgis":
        assert all(autocommit for _s, _w, autocommit in after), after
    else:
        assert "BEGIN IMMEDIATE" not in [s for s, _w, _a in after]
