"""Queueing notifications (the outbox) and each user's inbox.

A notification is written in the transaction of the change it reports, one row per
recipient, with the channels the routing table gives the recipient's role (routing.py): the
inbox always, push and email as routed. Delivery (delivery.py, email.py) sends after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.errors import NotFound
from app.notifications.models import Notification, NotificationStatus
from app.notifications.routing import EMAIL, PUSH, channels_for

MAX_TITLE = 200


class Recipient(Protocol):
    """What a notification reads of its recipient: a user, or a row of these columns."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def email(self) -> str | None: ...


def queue_notification(session: Session, *, user_ids: Iterable[int | None], kind: str,
                       title: str, body: str, data: dict[str, Any] | None = None,
                       work_order_id: int | None = None,
                       users: Iterable[Recipient] = ()) -> list[Notification]:
    """Queue one notification per distinct recipient, in the caller's transaction.

    `title`/`body` are the English text; `data` carries the values the catalogue templates
    (texts.py) use to say it in the recipient's language. `users`: recipients the caller
    has read already (the others are read here).
    """
    now = utcnow()
    recipients = list(dict.fromkeys(uid for uid in user_ids if uid is not None))
    known = {u.id: u for u in users}
    missing = [uid for uid in recipients if uid not in known]
    if missing:
        known.update((u.id, u) for u in session.scalars(
            select(User).where(User.id.in_(missing))))
    rows = []
    for uid in recipients:
        user = known.get(uid)
        channels = channels_for(kind, user.role if user is not None else None)
        wants_email = EMAIL in channels and user is not None and bool(user.email)
        rows.append(Notification(
            user_id=uid, kind=kind, title=title[:MAX_TITLE], body=body,
            data=dict(data or {}), work_order_id=work_order_id,
            status=NotificationStatus.pending if PUSH in channels else NotificationStatus.inbox,
            attempts=0, next_attempt_at=now, created_at=now, channels=channels,
            email_status="pending" if wants_email else None,
            email_to=user.email if wants_email and user is not None else None,
            email_attempts=0, email_next_attempt_at=now if wants_email else None))
    session.add_all(rows)
    from app.notifications.events import publish_after_commit

    for row in rows:
        publish_after_commit(session, row)
    return rows


def emit_event(session: Session, event: dict[str, Any]) -> None:
    """Stream `event` ({"type": ..., ...}) to office roles once the transaction commits."""
    from app.notifications.events import emit_after_commit

    emit_after_commit(session, event)


# --- inbox ----------------------------------------------------------------------------------


def inbox_query(*, actor: User, unread: bool | None = None) -> Select[tuple[Notification]]:
    """The user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == actor.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(session: Session, *, actor: User) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0)


def mark_read(session: Session, notification_id: int, *, actor: User) -> Notification:
    """Mark one of the user's notifications read (another user's is 404: not even its id)."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != actor.id:
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(session: Session, *, actor: User) -> int:
    result: Any = session.execute(
        update(Notification).where(Notification.user_id == actor.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
