"""`flask sla tick`: record SLA warnings and breaches (cron every minute, or --loop)."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask.cli import AppGroup

from app.extensions import db

sla_cli = AppGroup("sla", help="SLA clocks of work orders.")


def sla_tick_job() -> tuple[int, int]:
    """One tick in its own transaction: the same function a background worker schedules."""
    from app.workorders import service

    result = service.run_sla_tick(db.session)
    # Housekeeping rides along: fixed-window rate-limit counters older than a day are dead.
    service.purge_rate_limit_windows(db.session, older_than=timedelta(days=1))
    db.session.commit()
    return result.warnings, result.breaches


@sla_cli.command("tick")
@click.option("--loop", is_flag=True, help="Keep ticking every --interval seconds.")
@click.option("--interval", default=60.0, show_default=True)
def tick_command(loop: bool, interval: float) -> None:
    """Record `sla_warning` (75 % of a target) and `sla_breached`, each once, and notify the
    dispatchers. Safe to run from several machines at once."""
    while True:
        warnings, breaches = sla_tick_job()
        click.echo(f"sla tick: {warnings} warnings, {breaches} breaches recorded")
        if not loop:
            return
        time.sleep(interval)
