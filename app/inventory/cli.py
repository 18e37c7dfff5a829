"""`flask inventory ...`: operator commands for the stock ledger."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.extensions import db

inventory_cli = AppGroup("inventory", help="Inventory: stock ledger checks.")


@inventory_cli.command("verify")
def verify_command() -> None:
    """Recompute every stock level from the ledger and the active reservations; exit 1 on any
    mismatch."""
    from app.inventory.service import verify_stock

    mismatches = verify_stock(db.session)
    db.session.rollback()
    for m in mismatches:
        click.echo(f"MISMATCH part {m.part_id} at location {m.location_id}: {m.field} stored "
                   f"{m.stored}, expected {m.expected}", err=True)
    if mismatches:
        click.echo(f"{len(mismatches)} mismatches.", err=True)
        sys.exit(1)
    click.echo("Stock levels agree with the ledger and the reservations.")
