"""`flask webhooks deliver`: send the due webhook deliveries (cron, a loop, or Celery beat)."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import utcnow
from app.extensions import db

webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")


@webhooks_cli.command("deliver")
@click.option("--batch", default=50, show_default=True, help="Deliveries per round.")
@click.option("--loop", is_flag=True, help="Keep delivering every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True)
def deliver_command(batch: int, loop: bool, interval: float) -> None:
    """Send due deliveries, each claimed and settled in its own commit."""
    from app.integrations.service import deliver_due_webhooks, settings_from

    settings = settings_from(current_app.config)
    while True:
        report = deliver_due_webhooks(db.session, now=utcnow(), settings=settings, limit=batch)
        click.echo(f"delivered {report.delivered}, retrying {report.retrying}, failed "
                   f"{report.failed}, unknown {report.unknown}")
        if not loop:
            return
        time.sleep(interval)


email_cli = AppGroup("email", help="Inbound e-mail: the service address's SMTP server.")


@email_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True)
def serve_command(host: str, port: int) -> None:
    """Accept mail for INBOUND_EMAIL_ADDRESSES and file each message (Ctrl-C stops)."""
    from app.integrations.smtp_inbound import controller

    smtp = controller(current_app._get_current_object(), host, port)  # type: ignore[attr-defined]
    smtp.start()
    click.echo(f"SMTP on {host}:{port} for {current_app.config['INBOUND_EMAIL_ADDRESSES']}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        smtp.stop()
