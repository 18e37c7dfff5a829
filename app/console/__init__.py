"""The web console: server-rendered pages for dispatchers, customers and warehouse staff.

Another transport next to the JSON API (STYLE.md "Pages"): a view parses the form, calls the
same service the API calls, and renders a template. Browser sessions are Flask's signed cookie
session with a per-session CSRF token checked on every POST of this blueprint (the JSON API
keeps its bearer tokens and never sees it).
"""

from __future__ import annotations

from flask import Flask

from app.console.web import bp


def init_console(app: Flask) -> None:
    import importlib

    for name in ("app.console.views_auth", "app.console.views_dispatch",
                 "app.console.views_customer", "app.console.views_warehouse",
                 "app.console.views_board", "app.console.views_admin",
                 "app.console.views_kpis"):
        importlib.import_module(name)
    # Flask's defaults are HttpOnly and no SameSite: the console's cookie is also SameSite=Lax.
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.register_blueprint(bp)
    from app.console.web import install_locale_selector

    install_locale_selector(app)
