"""`flask backup` / `flask restore`: data changed or deleted after a backup is back after the
restore; a backup from the other kind of database is refused with a clear message."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_DATABASE, build_app


@pytest.fixture(scope="module")
def own_app(scratch_databases: Any, tmp_path_factory: Any) -> Any:
    """An app on its own scratch database (a restore replaces the whole database)."""
    app = build_app(scratch_databases.create(), tmp_path_factory.mktemp("instance"))
    yield app
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


def _customers(app: Any) -> dict[str, str]:
    from sqlalchemy import select

    from app.assets.models import Customer
    from app.extensions import db

    with app.app_context():
        rows = db.session.execute(select(Customer.account_number, Customer.name)).all()
        db.session.remove()
    return dict(rows)


def test_restore_brings_back_what_changed_after_the_backup(own_app: Any, tmp_path: Path) -> None:
    from sqlalchemy import delete, update

    from app.assets.models import Customer
    from app.extensions import db

    with own_app.app_context():
        db.session.add_all([Customer(account_number=f"BK-{i}", name=f"Backup customer {i}",
                                     sla_tier="silver") for i in range(3)])
        db.session.commit()
    before = _customers(own_app)
    assert {"BK-0", "BK-1", "BK-2"} <= before.keys()

    runner = own_app.test_cli_runner()
    backup = tmp_path / "fieldops.backup"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output and backup.stat().st_size > 0

    with own_app.app_context():
        db.session.execute(delete(Customer).where(Customer.account_number == "BK-0"))
        db.session.execute(update(Customer).where(Customer.account_number == "BK-1")
                           .values(name="Renamed after the backup"))
        db.session.add(Customer(account_number="BK-new", name="Added after", sla_tier="gold"))
        db.session.commit()
        db.session.remove()
    changed = _customers(own_app)
    assert "BK-0" not in changed and "BK-new" in changed

    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert _customers(own_app) == before

    # The restored database is fully usable: the app writes to it again.
    with own_app.app_context():
        db.session.add(Customer(account_number="BK-after", name="After restore",
                                sla_tier="silver"))
        db.session.commit()
    assert "BK-after" in _customers(own_app)


def _other_dialect_backup(tmp_path: Path) -> Path:
    if TEST_DATABASE == "postgis":
        path = tmp_path / "from-sqlite.backup"  # a real SQLite database file
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
        return path
    # Without a PostgreSQL server here, a file with pg_dump's custom-format signature: the
    # refusal looks at the signature before anything else is read.
    path = tmp_path / "from-postgres.backup"
    path.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    return path


def test_a_backup_of_the_other_database_kind_is_refused(own_app: Any, tmp_path: Path) -> None:
    before = _customers(own_app)
    result = own_app.test_cli_runner().invoke(
        args=["restore", "--yes", str(_other_dialect_backup(tmp_path))])
    assert result.exit_code == 1
    expected = "SQLite" if TEST_DATABASE == "postgis" else "PostgreSQL"
    assert f"is a {expected} backup, but the configured database is" in result.output
    assert _customers(own_app) == before


def test_a_file_that_is_no_backup_is_refused(own_app: Any, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    result = own_app.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code == 1
    assert "is not a FieldOps backup" in result.output
