"""Backup and restore of the whole database, for both dialects.

SQLite: the sqlite3 module's online backup API copies the live database page by page while the
application keeps running; the backup is itself a SQLite database file. PostgreSQL: pg_dump's
custom format (compressed, restored selectively by pg_restore). A file knows its dialect by its
first bytes, so a restore refuses a backup made from the other kind of database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"

# Human texts in one place (to be wrapped by the translation catalogue).
MESSAGES = {
    "not_a_backup": "{path} is not a FieldOps backup (neither a SQLite database file nor a "
                    "pg_dump custom-format archive).",
    "wrong_dialect": "{path} is a {found} backup, but the configured database is {expected}: "
                     "restore it into a {found} database (set DATABASE_URL accordingly).",
    "missing_tool": "{tool} was not found: install the PostgreSQL client tools "
                    "(Debian: apt-get install postgresql-client-{major}).",
    "old_tool": "{tool} is version {tool_major} but the server is PostgreSQL {server_major}: "
                "install postgresql-client-{server_major} (a pg_dump older than the server "
                "cannot dump it).",
    "tool_failed": "{tool} failed (exit {rc}): {stderr}",
    "unsupported": "Backups are supported for SQLite and PostgreSQL, not {dialect}.",
    "no_file": "{path} does not exist.",
}
DIALECT_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup_dialect(path: Path) -> str | None:
    """'sqlite' or 'postgresql' from the file's first bytes, None when it is neither."""
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def backup_database(database_url: str, path: Path) -> None:
    """Write a consistent copy of the whole database to `path` (replaced if it exists)."""
    url = make_url(database_url)
    dialect = url.get_backend_name()
    path.parent.mkdir(parents=True, exist_ok=True)
    if dialect == "sqlite":
        _sqlite_copy(Path(url.database or ""), path)
    elif dialect == "postgresql":
        tmp = path.with_name(path.name + ".partial")
        _run_pg_tool(url, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                                      f"--file={tmp}", url.database or ""])
        tmp.replace(path)  # never leave a half-written backup under the final name
    else:
        raise BackupError(MESSAGES["unsupported"].format(dialect=dialect))


def restore_database(database_url: str, path: Path) -> None:
    """Replace the database's whole content with the backup at `path` (same dialect only)."""
    url = make_url(database_url)
    dialect = url.get_backend_name()
    if not path.exists():
        raise BackupError(MESSAGES["no_file"].format(path=path))
    found = backup_dialect(path)
    if found is None:
        raise BackupError(MESSAGES["not_a_backup"].format(path=path))
    if found != dialect:
        raise BackupError(MESSAGES["wrong_dialect"].format(
            path=path, found=DIALECT_NAMES[found],
            expected=DIALECT_NAMES.get(dialect, dialect)))
    if dialect == "sqlite":
        _sqlite_copy(path, Path(url.database or ""))
    else:
        # One transaction: a restore that fails leaves the database as it was.
        _run_pg_tool(url, "pg_restore", ["--clean", "--if-exists", "--no-owner",
                                         "--no-privileges", "--single-transaction",
                                         "--exit-on-error", f"--dbname={url.database}",
                                         str(path)])


def _sqlite_copy(source: Path, target: Path) -> None:
    import sqlite3

    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            # Online: other connections keep reading and writing the source meanwhile.
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _run_pg_tool(url: URL, tool: str, args: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(MESSAGES["missing_tool"].format(tool=tool, major=_server_major(url)))
    tool_major = _tool_major(executable)
    server_major = _server_major(url)
    if tool_major < server_major:
        raise BackupError(MESSAGES["old_tool"].format(tool=tool, tool_major=tool_major,
                                                      server_major=server_major))
    done = subprocess.run([executable, *args], env=_libpq_env(url), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BackupError(MESSAGES["tool_failed"].format(
            tool=tool, rc=done.returncode, stderr=done.stderr.strip()[-2000:]))


def _tool_major(executable: str) -> int:
    out = subprocess.run([executable, "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def _server_major(url: URL) -> int:
    import psycopg

    with psycopg.connect(**_psycopg_params(url)) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000 if row else 0


def _psycopg_params(url: URL) -> dict[str, Any]:
    params: dict[str, Any] = {"dbname": url.database}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username),
                       ("password", url.password)):
        if value is not None:
            params[key] = value
    params.update(url.query)
    return params


def _libpq_env(url: URL) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore through the environment (a password never
    appears in a process list)."""
    env = dict(os.environ)
    for var, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[var] = str(value)
    if sslmode := url.query.get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    return env
