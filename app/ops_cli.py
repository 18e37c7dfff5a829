"""`flask backup FILE` and `flask restore FILE` (app/backup.py does the work)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db


def register_ops_cli(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent backup of the whole database to FILE (SQLite: online backup API;
    PostgreSQL: pg_dump custom format). The application may keep running."""
    from app.backup import BackupError, backup_database

    try:
        backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Backup written to {file} ({file.stat().st_size} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace the whole database with the backup in FILE (made from the same kind of
    database). Stop the web and worker processes first; run `flask db upgrade` afterwards when
    the backup is older than the code."""
    from app.backup import BackupError, restore_database

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        click.confirm(f"Replace everything in {db.engine.url!r} with {file}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # this process holds no connection into the tables being replaced
    try:
        restore_database(url, file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Database restored from {file}.")
