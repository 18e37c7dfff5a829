"""The service address's SMTP server (aiosmtpd): every accepted message goes to the inbound
e-mail service in its own transaction. Run it with `flask email serve`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)


class InboundHandler:
    """aiosmtpd handler: accepts mail for the configured service addresses only."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.addresses = {a.strip().lower() for a in
                          str(app.config["INBOUND_EMAIL_ADDRESSES"]).split(",") if a.strip()}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address.lower() not in self.addresses:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.file, raw)
        except Exception:  # the sender should retry later, not lose the message
            log.exception("inbound e-mail could not be filed")
            return "451 4.3.0 Could not file the message, try again later"
        return "250 Message accepted"

    def file(self, raw: bytes) -> int:
        from app.extensions import db
        from app.integrations.service import receive_email
        from app.mobile_api.storage import LocalStorage

        with self.app.app_context():
            try:
                record = receive_email(db.session, raw, storage=LocalStorage(
                    self.app.config["PHOTO_STORAGE_DIR"]))
                db.session.commit()
                log.info("inbound e-mail %s from %s: %s", record.id, record.from_address,
                         record.status)
                return record.id
            finally:
                db.session.remove()


def controller(app: Flask, host: str, port: int) -> Any:
    from aiosmtpd.controller import Controller

    return Controller(InboundHandler(app), hostname=host, port=port,
                      data_size_limit=int(app.config["INBOUND_EMAIL_MAX_BYTES"]))
