"""Security headers on every response, set in one after-request hook.

- `X-Content-Type-Options: nosniff`: browsers take the declared type (a photo stays a photo).
- No framing (`X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`), `Referrer-Policy:
  no-referrer` (QR label URLs carry asset tags; tracking links carry tokens).
- A Content-Security-Policy: `default-src 'none'` for everything that is not a page (JSON,
  images, files), so a document smuggled into an upload can run nothing; HTML pages may load
  their own files and run only the inline scripts and styles they were served with (their
  sha256 hashes are computed here from the page itself, so no 'unsafe-inline').

TLS (HSTS) is the reverse proxy's job and is not set here.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NON_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_INLINE = {tag: re.compile(rf"<{tag}(?![^>]*\bsrc=)[^>]*>(.*?)</{tag}>", re.S | re.I)
           for tag in ("script", "style")}


def _hashes(html: str, tag: str) -> str:
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _INLINE[tag].findall(html) if block)


def page_csp(html: str) -> str:
    """The policy for one HTML page: its own origin, plus its inline code by hash."""
    scripts = " ".join(filter(None, ["'self'", _hashes(html, "script")]))
    styles = " ".join(filter(None, ["'self'", _hashes(html, "style")]))
    return (f"default-src 'self'; script-src {scripts}; style-src {styles}; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def _secure(response: Response) -> Response:
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Content-Security-Policy" not in response.headers:
        if response.mimetype == "text/html" and not response.is_streamed:
            csp = page_csp(response.get_data(as_text=True))
        else:
            csp = NON_PAGE_CSP
        response.headers["Content-Security-Policy"] = csp
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(_secure)
