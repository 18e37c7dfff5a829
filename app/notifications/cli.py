"""`flask notifications deliver`: push the due outbox to phones (cron or a loop)."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import utcnow
from app.extensions import db

notifications_cli = AppGroup("notifications", help="Push notification outbox.")


@notifications_cli.command("deliver")
@click.option("--batch", default=50, show_default=True, help="Notifications per transaction.")
@click.option("--loop", is_flag=True, help="Keep delivering every --interval seconds.")
@click.option("--interval", default=10.0, show_default=True)
def deliver_command(batch: int, loop: bool, interval: float) -> None:
    """Send due notifications with firebase-admin (or log them when FCM is not configured)."""
    from app.notifications.delivery import deliver_pending
    from app.notifications.fcm import push_client_from_config
    from app.notifications.texts import push_texts

    client = push_client_from_config(current_app.config)
    if client is None:
        click.echo("FCM is not configured (FCM_PROJECT_ID + FCM_CREDENTIALS_FILE): the outbox "
                   "is kept and logged.")
    while True:
        while True:
            # Each claim and each outcome is committed as it happens: a crash never re-sends.
            report = deliver_pending(db.session, now=utcnow(), client=client, limit=batch,
                                     commit=db.session.commit, texts=push_texts(db.session))
            db.session.commit()
            click.echo(f"sent {report.sent}, retrying {report.retrying}, failed "
                       f"{report.failed}, dropped {report.dropped}, kept {report.kept}, "
                       f"inbox {report.inbox}, in doubt {report.in_doubt}")
            if client is None or len(report.notification_ids) < batch:
                break
        _deliver_emails(batch)
        if not loop:
            return
        time.sleep(interval)


def _deliver_emails(batch: int) -> None:
    from app.notifications.email import deliver_emails, email_sender_from_config
    from app.notifications.texts import email_for

    sender = email_sender_from_config(current_app.config)
    mail_from = current_app.config.get("MAIL_FROM") or "fieldops@localhost"
    while True:
        report = deliver_emails(
            db.session, now=utcnow(), sender=sender, limit=batch, commit=db.session.commit,
            render=lambda note, user: email_for(note, user, mail_from=mail_from))
        db.session.commit()
        click.echo(f"email: sent {report.sent}, retrying {report.retrying}, failed "
                   f"{report.failed}, kept {report.kept}, in doubt {report.in_doubt}")
        if sender is None or report.sent + report.retrying + report.failed < batch:
            return
