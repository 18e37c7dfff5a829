"""The email channel: notifications routed to `email` are sent by SMTP after commit, once.

Each notification routed to email carries its own email state (`email_status`): `pending`
rows that are due are claimed with a conditional UPDATE (pending -> claimed) and committed
BEFORE the SMTP conversation, then set to `sent` (or back to `pending` with a backoff on a
temporary failure, or `failed` on a permanent one) and committed right after. A deliverer that
dies in between leaves a claim whose send is in doubt: once older than EMAIL_CLAIM_LEASE_SECONDS
it is marked `in_doubt` and never sent again (never twice is the promise). Every message carries
a stable Message-ID (`<notification-<id>@...>`), so a relay or mail client that sees the same
notification twice can tell.

The text is rendered in the recipient's language (profile setting; English by default).
Without SMTP_HOST the emails stay pending and are logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.config import Config
from app.notifications.models import Notification

log = logging.getLogger(__name__)


class EmailError(Exception):
    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    """One SMTP connection per batch is not worth the state; one per message keeps it simple."""

    def __init__(self, *, host: str, port: int, user: str | None, password: str | None,
                 starttls: bool, timeout_s: float, mail_from: str) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.timeout_s, self.mail_from = starttls, timeout_s, mail_from

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise EmailError(f"{exc.smtp_code} {exc.smtp_error!r}",
                             temporary=400 <= exc.smtp_code < 500) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise EmailError(f"recipient refused {codes}",
                             temporary=all(400 <= c < 500 for c in codes)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(f"{type(exc).__name__}: {exc}", temporary=True) from exc


def email_sender_from_config(config: Any) -> SmtpSender | None:
    host = config.get("SMTP_HOST")
    if not host:
        return None
    return SmtpSender(host=host, port=int(config.get("SMTP_PORT") or 587),
                      user=config.get("SMTP_USER"), password=config.get("SMTP_PASSWORD"),
                      starttls=bool(config.get("SMTP_STARTTLS", True)),
                      timeout_s=float(config.get("SMTP_TIMEOUT_SECONDS") or 10),
                      mail_from=config.get("MAIL_FROM") or "fieldops@localhost")


@dataclass
class EmailReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    kept: int = 0
    in_doubt: int = 0


def _backoff(attempts: int) -> timedelta:
    seconds = Config.PUSH_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, Config.PUSH_BACKOFF_MAX_SECONDS))


def settle_abandoned_claims(session: Session, *, now: datetime) -> int:
    """Claims older than the lease were being sent by a deliverer that stopped: in doubt."""
    lease = timedelta(seconds=Config.EMAIL_CLAIM_LEASE_SECONDS)
    result: Any = session.execute(
        update(Notification).where(Notification.email_status == "claimed",
                                   Notification.email_claimed_at <= now - lease)
        .values(email_status="in_doubt",
                email_error="the deliverer stopped during this send; not sent again")
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def deliver_emails(session: Session, *, now: datetime, sender: EmailSender | None,
                   render: Callable[[Notification, User], EmailMessage], limit: int = 100,
                   commit: Callable[[], None] | None = None) -> EmailReport:
    """One pass over the due email outbox; `commit` makes claims and outcomes durable."""
    checkpoint = commit or session.flush
    report = EmailReport(in_doubt=settle_abandoned_claims(session, now=now))
    due = list(session.scalars(
        select(Notification.id).where(Notification.email_status == "pending",
                                      Notification.email_next_attempt_at <= now)
        .order_by(Notification.email_next_attempt_at, Notification.id).limit(limit)))
    if sender is None:
        if due:
            log.info("SMTP not configured; kept %d email(s) in the outbox", len(due))
        report.kept = len(due)
        checkpoint()
        return report
    for notification_id in due:
        claimed: Any = session.execute(
            update(Notification).where(Notification.id == notification_id,
                                       Notification.email_status == "pending")
            .values(email_status="claimed", email_claimed_at=now)
            .execution_options(synchronize_session=False))
        if not claimed.rowcount:  # another deliverer took it
            continue
        checkpoint()  # the claim is durable before the message leaves
        note = session.get(Notification, notification_id, populate_existing=True)
        user = session.get(User, note.user_id) if note is not None else None
        if note is None or user is None:
            continue
        note.email_attempts += 1
        try:
            sender.send(render(note, user))
        except EmailError as exc:
            note.email_error = str(exc)[:2000]
            if exc.temporary and note.email_attempts < Config.PUSH_MAX_ATTEMPTS:
                note.email_status = "pending"
                note.email_next_attempt_at = now + _backoff(note.email_attempts)
                report.retrying += 1
            else:
                note.email_status = "failed"
                report.failed += 1
        else:
            note.email_status, note.email_sent_at = "sent", now
            report.sent += 1
        checkpoint()  # the outcome is durable before the next message
    return report


def message_id(notification_id: int, mail_from: str) -> str:
    domain = mail_from.rsplit("@", 1)[-1].strip("> ") or "fieldops.local"
    return f"<notification-{notification_id}@{domain}>"


def build_message(*, notification_id: int, to: str, mail_from: str, subject: str,
                  text: str, language: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(notification_id, mail_from) if notification_id \
        else make_msgid()
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message["Content-Language"] = language  # after set_content, which clears Content-*
    return message
