"""Readiness: may this process be sent traffic? (Liveness is /healthz: is it alive at all.)

Ready when the database answers with its spatial extension, its schema is at the migrations'
head (a process started before `flask db upgrade` finished, or code newer than the schema, must
not serve), and the Celery broker answers when one is configured.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

OK = "ok"
NOT_CONFIGURED = "not_configured"
BROKER_TIMEOUT_S = 2.0


@cache
def migration_heads(migrations_dir: str) -> frozenset[str]:
    """The head revisions of the code's migrations (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database(session: Any, migrations_dir: Path) -> dict[str, str]:
    """`database` and `migrations` checks; raises when the database does not answer."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text

    from app import geo

    session.execute(text("SELECT 1"))
    geo.spatial_version(session)
    current = frozenset(MigrationContext.configure(session.connection()).get_current_heads())
    heads = migration_heads(str(migrations_dir))
    if not current:
        migrations = "not_migrated"
    elif current == heads:
        migrations = OK
    else:
        migrations = f"at {','.join(sorted(current))}, head is {','.join(sorted(heads))}"
    return {"database": OK, "migrations": migrations}


def check_broker(broker_url: str | None) -> str:
    if not broker_url:
        return NOT_CONFIGURED
    try:
        if broker_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(broker_url, socket_connect_timeout=BROKER_TIMEOUT_S,
                                          socket_timeout=BROKER_TIMEOUT_S)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(broker_url, connect_timeout=BROKER_TIMEOUT_S) as conn:
                conn.ensure_connection(max_retries=1)
    except Exception as exc:  # readiness reports, it does not raise
        return f"unreachable: {type(exc).__name__}"
    return OK
