"""One delivery round of every channel (push, then email), as the CLI, the Celery task and
the in-process scheduler run it: claims and outcomes committed as they happen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db import utcnow
from app.notifications.delivery import DeliveryReport, deliver_pending
from app.notifications.email import EmailReport, deliver_emails, email_sender_from_config
from app.notifications.fcm import push_client_from_config


@dataclass
class RoundReport:
    push: DeliveryReport
    email: EmailReport

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.push.sent, "retrying": self.push.retrying,
                "failed": self.push.failed, "dropped": self.push.dropped,
                "kept": self.push.kept, "inbox": self.push.inbox,
                "in_doubt": self.push.in_doubt, "email_sent": self.email.sent,
                "email_retrying": self.email.retrying, "email_failed": self.email.failed,
                "email_kept": self.email.kept, "email_in_doubt": self.email.in_doubt}


def deliver_round(session: Any, config: Any, *, limit: int = 100,
                  push_client: Any = None, email_sender: Any = None) -> RoundReport:
    from app.notifications.texts import email_for, push_texts

    push_client = push_client or push_client_from_config(config)
    email_sender = email_sender or email_sender_from_config(config)
    mail_from = config.get("MAIL_FROM") or "fieldops@localhost"
    push = deliver_pending(session, now=utcnow(), client=push_client, limit=limit,
                           commit=session.commit, texts=push_texts(session))
    session.commit()
    email = deliver_emails(session, now=utcnow(), sender=email_sender, limit=limit,
                           render=lambda note, user: email_for(note, user, mail_from=mail_from),
                           commit=session.commit)
    session.commit()
    return RoundReport(push, email)
