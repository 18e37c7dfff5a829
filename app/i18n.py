"""Languages: Flask-Babel with the zh-CN and en catalogues in app/translations.

The locale of a request is the user's profile setting (`users.locale`) when logged in and set,
else the best match of `Accept-Language`, else English. Work done for a user outside a request
(push, email) uses `locale_for(user)` with `force_locale`.

Catalogues: `babel.cfg` says what is extracted into `app/translations/messages.pot`; the `.po`
files are committed and compiled to `.mo` by `make setup` (pybabel compile) and, when a `.mo`
is missing or older than its `.po`, at app start (`compile_catalogues`), so a fresh clone works
without a build step.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, has_request_context, request
from flask_babel import refresh

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
SUPPORTED_LOCALES = ("en", "zh_CN")
DEFAULT_LOCALE = "en"


def normalize_locale(value: str | None) -> str | None:
    """'zh-CN', 'zh_cn', 'zh' -> 'zh_CN'; 'en-GB' -> 'en'; unknown -> None."""
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def locale_for(user: Any) -> str:
    """The language for messages sent to `user` outside a request (push, email)."""
    return normalize_locale(getattr(user, "locale", None)) or DEFAULT_LOCALE


def select_locale() -> Locale:
    if has_request_context():
        user = _current_user()
        chosen = normalize_locale(getattr(user, "locale", None)) if user is not None else None
        if chosen:
            return Locale.parse(chosen)
        header = request.accept_languages.best_match(
            ["en", "en-US", "en-GB", "zh-CN", "zh", "zh-Hans", "zh-Hans-CN"])
        return Locale.parse(normalize_locale(header) or DEFAULT_LOCALE)
    return Locale.parse(DEFAULT_LOCALE)


def _current_user() -> Any:
    """The logged-in user when the request carried a valid token (never raises)."""
    try:
        from flask_jwt_extended import get_current_user, verify_jwt_in_request

        verify_jwt_in_request(optional=True)
        return get_current_user()
    except Exception:  # no or bad token here: the route's own check answers for that
        return None


def compile_catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every `.po` whose `.mo` is missing or older (a fresh clone has only `.po`).

    Babel names zh_CN "zh_Hans_CN" and looks the catalogue up under that name, so the `.mo`
    of `zh_CN/` is also written to `zh_Hans_CN/` (generated, not committed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        name = po_path.parent.parent.name
        targets = {po_path.with_suffix(".mo")}
        babel_name = str(Locale.parse(name))
        if babel_name != name:
            targets.add(directory / babel_name / "LC_MESSAGES" / "messages.mo")
        for mo_path in sorted(targets):
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=name)
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                write_mo(handle, catalog)
            tmp.replace(mo_path)  # atomic: several processes may start at once
            written.append(mo_path)
    return written


def init_i18n(app: Flask) -> None:
    from app.extensions import babel

    try:
        compile_catalogues()
    except OSError as exc:  # a read-only install: the Makefile compiled them already
        log.warning("could not compile the message catalogues: %s", exc)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _fresh_locale() -> None:
        # Flask-Babel keeps the locale on the app context, which an outer context (a CLI
        # command, a test) shares across requests: choose it again for each request.
        refresh()
