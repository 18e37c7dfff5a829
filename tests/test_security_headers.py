"""Security headers on every response (issue 13, item 12): nosniff, no framing, a referrer
policy, a Content-Security-Policy (strict, hash-based for the HTML pages' inline code); files
that clients upload or the server draws are downloaded as attachments."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def assert_secure(response: Any) -> str:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (name, dict(response.headers))
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    return csp


def _inline_hashes(html: str, tag: str) -> set[str]:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    return {"'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
            for b in blocks}


@pytest.mark.parametrize("path,status", [
    ("/healthz", 200),
    ("/openapi.json", 200),
    ("/api/v1/customers", 401),
    ("/api/v1/nowhere", 404),
])
def test_json_responses_carry_the_headers(client: Any, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    csp = assert_secure(response)
    assert "default-src 'none'" in csp


def test_the_label_page_allows_only_its_own_inline_code(client: Any, make_asset: Any) -> None:
    asset = make_asset()
    for path in (f"/r/{asset.tag}", "/r/UNKNOWN-TAG"):
        response = client.get(path)
        assert response.mimetype == "text/html"
        csp = assert_secure(response)
        html = response.get_data(as_text=True)
        for tag, directive in (("script", "script-src"), ("style", "style-src")):
            hashes = _inline_hashes(html, tag)
            policy = next(d for d in csp.split(";") if d.strip().startswith(directive))
            assert hashes <= set(policy.split()), (tag, hashes, policy)
        assert "<script>" not in html or _inline_hashes(html, "script")


def test_the_docs_page_carries_a_csp(client: Any) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = assert_secure(response)
    assert "script-src 'self'" in csp


@pytest.mark.parametrize("suffix,mimetype", [("label.png", "image/png"),
                                             ("label.svg", "image/svg+xml")])
def test_labels_are_attachments(login: Any, make_asset: Any, suffix: str, mimetype: str) -> None:
    asset = make_asset()
    response = login("dispatcher").get(f"/api/v1/assets/{asset.id}/{suffix}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert_secure(response)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and asset.tag in disposition
