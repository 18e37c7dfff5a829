"""`flask maintenance generate`: preventive work orders for every plan's rolling horizon
(cron, or --loop; Celery beat runs the same job)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db

maintenance_cli = AppGroup("maintenance", help="Preventive maintenance.")


def generate_job() -> tuple[int, int]:
    """One generator pass in its own transaction: (orders created, occurrences already there).
    Safe to run on several machines at once."""
    from app.maintenance import service

    report = service.generate_preventive_orders(db.session)
    db.session.commit()
    return report.created_count, report.already_there


@maintenance_cli.command("generate")
@click.option("--loop", is_flag=True, help="Keep generating every --interval seconds.")
@click.option("--interval", default=3600.0, show_default=True)
def generate_command(loop: bool, interval: float) -> None:
    """Create the preventive work orders due within each active plan's horizon, once each."""
    while True:
        created, existing = generate_job()
        click.echo(f"maintenance generate: {created} work orders created, "
                   f"{existing} occurrences already generated")
        if not loop:
            return
        time.sleep(interval)
