"""E-mail as an intake channel: a message to the service address becomes a fault report, a
reply naming a work order becomes a customer-visible comment, and anything we cannot place
waits for a dispatcher.

- The sender must be a customer user (matched on the e-mail address, case-insensitive);
  unknown senders are held for review, never trusted.
- A subject carrying one of the sender's work-order numbers (`WO-2026-000123`) adds the
  message (without the quoted history) as a note on that order.
- Otherwise it is a fault report through the same intake as the web and the API: on the asset
  whose tag the message names, else on the account's only site; with several sites and no tag
  it is held.
- Image attachments become photos through the same checks as uploads; what fails them is
  listed as skipped, and the report still stands.
- One row per Message-ID: a message delivered twice is handled once.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html import unescape
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.assets.models import Asset, Site
from app.auth.models import Role, User
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound, Unprocessable
from app.integrations.models import InboundEmail, InboundStatus
from app.mobile_api.service.photos import add_photo
from app.mobile_api.storage import Storage
from app.workorders import service as workorders
from app.workorders.models import WorkOrder

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_BODY = 4000
MAX_ATTACHMENTS = 10
_NUMBER = re.compile(r"\bWO-\d{4}-\d{6}\b")
_TAG_CANDIDATE = re.compile(r"\b[A-Z0-9][A-Z0-9-]{2,39}\b")
_QUOTE_START = re.compile(r"^(>|On .+ wrote:$|.+ 写道：$|-----Original Message-----)")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = str(part.get_content())
    if part.get_content_type() == "text/html":
        text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style).*?</\1>", "", text)))
    return text


def _without_quotes(text: str) -> str:
    """The new part of a reply: everything above the quoted history."""
    lines = []
    for line in text.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append(Attachment(part.get_filename() or "attachment",
                                    part.get_content_type(), payload))
    return found[:MAX_ATTACHMENTS]


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = (message.get("Message-ID") or "").strip()
    return value[:300] if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def _sender(session: Session, address: str) -> User | None:
    return session.scalar(select(User).where(
        func.lower(User.email) == address, User.role == Role.customer,
        User.is_active.is_(True)))


def _asset_named(session: Session, customer_id: int, text: str) -> Asset | None:
    tags = set(_TAG_CANDIDATE.findall(text.upper()))
    if not tags:
        return None
    return session.scalar(select(Asset).join(Site).where(
        Site.customer_id == customer_id, Asset.tag.in_(tags)).order_by(Asset.id).limit(1))


def _photos(session: Session, order: WorkOrder, attachments: list[Attachment], *,
            storage: Storage, actor: User) -> list[dict[str, Any]]:
    """Attach the images; what the upload rules refuse is returned as skipped."""
    skipped = []
    for item in attachments:
        if item.content_type not in IMAGE_TYPES:
            skipped.append({"filename": item.filename, "reason": "not an image"})
            continue
        try:
            with session.begin_nested():
                add_photo(session, order, data=item.data, kind="before",
                          caption=item.filename[:500], storage=storage, actor=actor)
        except DomainError as exc:
            skipped.append({"filename": item.filename, "reason": exc.message})
    return skipped


def receive_email(session: Session, raw: bytes, *, storage: Storage) -> InboundEmail:
    """File one raw RFC 5322 message (idempotent per Message-ID); see the module docstring."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    message_id = _message_id(message, raw)
    known = session.scalar(select(InboundEmail).where(InboundEmail.message_id == message_id))
    if known is not None:
        return known
    address = parseaddr(str(message.get("From", "")))[1].strip().lower()
    subject = str(message.get("Subject", "")).strip()[:300]
    body = _text_of(message).strip()[:MAX_BODY * 2]
    attachments = _attachments(message)
    record = InboundEmail(message_id=message_id, from_address=address[:254], subject=subject,
                          body=body[:MAX_BODY * 2], attachments=[], skipped_attachments=[],
                          status=InboundStatus.held, received_at=utcnow())
    session.add(record)
    user = _sender(session, address) if address else None
    if user is None or user.customer_id is None:
        return _hold(record, "unknown_sender", attachments)
    record.user_id, record.customer_id = user.id, user.customer_id
    number = _NUMBER.search(subject)
    if number is not None:
        order = session.scalar(select(WorkOrder).where(
            WorkOrder.number == number.group(0), WorkOrder.customer_id == user.customer_id))
        if order is None:
            return _hold(record, "unknown_work_order", attachments)
        note = _without_quotes(body) or subject
        workorders.add_note(session, order, text=note[:MAX_BODY], internal=False, actor=user)
        record.status, record.work_order_id = InboundStatus.comment, order.id
        record.skipped_attachments = _photos(session, order, attachments, storage=storage,
                                             actor=user)
        return record
    description = "\n\n".join(p for p in (subject, body) if p)[:MAX_BODY] or "(empty e-mail)"
    asset = _asset_named(session, user.customer_id, f"{subject}\n{body}")
    site_id = None
    if asset is None:
        sites = list(session.scalars(select(Site.id).where(
            Site.customer_id == user.customer_id).limit(2)))
        if len(sites) != 1:
            return _hold(record, "site_unknown", attachments)
        site_id = sites[0]
    outcome = workorders.report_fault(session, description=description, actor=user,
                                      asset_id=asset.id if asset else None, site_id=site_id)
    record.status, record.work_order_id = InboundStatus.fault_report, outcome.work_order.id
    record.skipped_attachments = _photos(session, outcome.work_order, attachments,
                                         storage=storage, actor=user)
    return record


def _hold(record: InboundEmail, reason: str, attachments: list[Attachment]) -> InboundEmail:
    record.status, record.reason = InboundStatus.held, reason
    record.attachments = [{"filename": a.filename, "content_type": a.content_type,
                           "data": base64.b64encode(a.data).decode()}
                          for a in attachments if a.content_type in IMAGE_TYPES]
    return record


def list_inbound(status: str | None) -> Select[tuple[InboundEmail]]:
    stmt = select(InboundEmail).order_by(InboundEmail.id.desc())
    return stmt if status is None else stmt.where(InboundEmail.status == status)


def get_inbound(session: Session, inbound_id: int) -> InboundEmail:
    record = session.get(InboundEmail, inbound_id)
    if record is None:
        raise NotFound("Inbound e-mail not found.")
    return record


def _still_held(record: InboundEmail) -> None:
    if record.status != InboundStatus.held:
        raise Conflict("This e-mail has been handled already.", error="already_handled")


def file_inbound(session: Session, record: InboundEmail, *, site_id: int,
                 asset_id: int | None, storage: Storage, actor: User) -> InboundEmail:
    """A dispatcher turns a held e-mail into a work order at a site (and asset) they name."""
    _still_held(record)
    site = session.get(Site, site_id)
    if site is None:
        raise Unprocessable("Unknown site.", errors={"site_id": ["Unknown."]},
                            error="unknown_site")
    asset = session.get(Asset, asset_id) if asset_id is not None else None
    if asset_id is not None and (asset is None or asset.site_id != site.id):
        raise Unprocessable("The asset is not at that site.",
                            errors={"asset_id": ["Not at the site."]}, error="unknown_asset")
    order = workorders.new_work_order(
        session, site=site, asset=asset, title=(record.subject or "E-mail")[:200],
        description=(record.body or record.subject or "(empty e-mail)")[:MAX_BODY],
        actor=actor, contact_name=record.from_address[:200])
    kept = [Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in record.attachments]
    record.skipped_attachments = _photos(session, order, kept, storage=storage, actor=actor)
    record.status, record.work_order_id, record.attachments = InboundStatus.filed, order.id, []
    record.handled_by_id, record.handled_at = actor.id, utcnow()
    return record


def reject_inbound(record: InboundEmail, *, actor: User) -> InboundEmail:
    _still_held(record)
    record.status, record.attachments = InboundStatus.rejected, []
    record.handled_by_id, record.handled_at = actor.id, utcnow()
    return record
