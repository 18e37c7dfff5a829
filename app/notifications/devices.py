"""The phones push notifications go to: one row per FCM registration token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.notifications.models import PushDevice


def register_device(session: Session, *, token: str, platform: str,
                    app_version: str | None = None, actor: User) -> PushDevice:
    """Register or refresh the caller's phone; a token seen before (another user logged in on
    the same phone, or a token FCM had rejected and the app got again) moves to the caller and
    is active again."""
    now = utcnow()
    device = session.scalar(select(PushDevice).where(PushDevice.token == token)
                            .with_for_update())
    if device is None:
        device = PushDevice(token=token, user_id=actor.id, created_at=now)
        session.add(device)
    device.user_id = actor.id
    device.platform = platform
    device.app_version = app_version
    device.is_active = True
    device.deactivated_reason = None
    device.last_seen_at = now
    session.flush()  # flush: the response carries the id; a racing insert fails here (409)
    return device


def active_devices(session: Session, user_id: int) -> list[PushDevice]:
    return list(session.scalars(select(PushDevice).where(
        PushDevice.user_id == user_id, PushDevice.is_active.is_(True)).order_by(PushDevice.id)))
