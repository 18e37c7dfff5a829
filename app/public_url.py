"""Where the outside world reaches this server (QR labels, links in messages): the configured
PUBLIC_BASE_URL, else the URL the current request came in at. Transport only (uses flask)."""

from __future__ import annotations

from flask import current_app, request


def public_base_url() -> str:
    """PUBLIC_BASE_URL without a trailing slash, else the request's scheme and host."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return str(configured or request.host_url).rstrip("/")
