"""Every form field on every console page has a label: each role's pages are walked from its
home by following the links a person can follow (GET only), and each input, select and
textarea must be named by a <label for>, an enclosing <label>, aria-label or aria-labelledby."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

from tests.conftest import PASSWORD

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}
SKIP = re.compile(r"^/(api|mobile|console/static|console/vendor|docs|openapi|swagger)|"
                  r"format=csv|\.(png|pdf|svg|jpe?g)(\?|$)|/photos/|/logout")
MAX_PAGES = 80


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type", "text").lower() in UNLABELLED_TYPES:
                return
            self.fields.append({**a, "tag": tag, "in_label": str(self._label_depth > 0)})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1


def unlabelled(html: str) -> list[str]:
    page = _Fields()
    page.feed(html)
    missing = []
    for f in page.fields:
        named = (f["in_label"] == "True" or f.get("aria-label", "").strip()
                 or (f.get("id") and f["id"] in page.label_for)
                 or (f.get("aria-labelledby") and all(
                     i in page.ids for i in f["aria-labelledby"].split())))
        if not named:
            missing.append(f"<{f['tag']} name={f.get('name')!r} id={f.get('id')!r}>")
    return missing


def _walk(client: Any, start: str) -> dict[str, list[str]]:
    """Each page reachable from `start` by links on the same site -> its unlabelled fields."""
    seen: set[str] = set()
    queue = deque([start])
    found: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        answer = client.get(path)
        assert answer.status_code < 500, path
        if answer.status_code in (301, 302, 303) and answer.headers["Location"].startswith("/"):
            queue.append(answer.headers["Location"])
            continue
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        html = answer.get_data(as_text=True)
        found[path] = unlabelled(html)
        parser = _Fields()
        parser.feed(html)
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/") or SKIP.search(href):
                continue
            if href not in seen:
                queue.append(href)
    return found


def test_the_parser_finds_an_unlabelled_field() -> None:
    assert unlabelled('<label for="a">A</label><input id="a"><input name="b">'
                      '<label>C <select name="c"></select></label>'
                      '<textarea aria-label="D"></textarea><input type="hidden" name="e">'
                      '<h2 id="h">F</h2><input name="f" aria-labelledby="h">') == [
        "<input name='b' id=None>"]


def test_every_field_on_every_page_of_every_role_has_a_label(console: Any) -> None:
    from sqlalchemy import select

    from app.auth import service as auth
    from app.auth.models import User
    from app.extensions import db

    _base, seeded = console
    with seeded.app.app_context():
        if db.session.scalar(select(User).where(
                User.email == "labels-admin@console.test")) is None:
            auth.create_user(db.session, email="labels-admin@console.test",
                             full_name="Lara Labels", password=PASSWORD, role="admin",
                             password_method="pbkdf2:sha256:1000")
            db.session.commit()
    emails = {"dispatcher": seeded.dispatcher, "customer": seeded.customer,
              "warehouse": seeded.warehouse, "technician": "technician@console.test",
              "admin": "labels-admin@console.test"}
    walked: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    for role, email in emails.items():
        client = seeded.app.test_client()
        login = client.get("/login").get_data(as_text=True)
        problems.update({f"{role} /login": unlabelled(login)} if unlabelled(login) else {})
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token
        signed_in = client.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token.group(1)})
        assert signed_in.status_code == 302, (role, signed_in.get_data(as_text=True)[:300])
        pages = _walk(client, "/")
        walked[role] = len(pages)
        problems.update({f"{role} {path}": missing for path, missing in pages.items()
                         if missing})
    assert problems == {}
    # The walk reached each role's pages (not only its home): the office roles see the most.
    assert walked["admin"] >= 10 and walked["dispatcher"] >= 5, walked
    assert min(walked.values()) >= 1, walked  # a technician has only the profile page
