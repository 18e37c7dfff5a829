"""Login, sign-out, the language switch and each role's home."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.auth import service as auth_service
from app.auth.throttle import throttle_from_config
from app.console.web import HOME, bp, current_user, login_user, requires
from app.errors import RateLimited, Unauthorized
from app.extensions import db
from app.i18n import SUPPORTED_LOCALES, normalize_locale


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no open redirect to another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
def home() -> Response:
    user = current_user()
    if user is None:
        return redirect(url_for("console.login"))
    return redirect(url_for(HOME[user.role]))  # type: ignore[index]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        try:  # the same rules as the API's login: limits per account and address
            user = auth_service.authenticate(
                db.session, request.form.get("email", ""), request.form.get("password", ""),
                password_method=current_app.config["PASSWORD_HASH_METHOD"],
                throttle=throttle_from_config(current_app.config),
                address=request.remote_addr or "unknown")
        except Unauthorized:
            db.session.rollback()
            flash(_("Invalid email or password."), "error")
            return render_template("console/login.html",
                                   email=request.form.get("email", "")), 401
        except RateLimited:
            db.session.rollback()
            flash(_("Too many attempts. Please wait a little and try again."), "error")
            return render_template("console/login.html",
                                   email=request.form.get("email", "")), 429
        db.session.commit()
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME[user.role]))
    if current_user() is not None:
        return redirect(url_for("console.home"))
    return render_template("console/login.html", email="")


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.login"))


@bp.route("/language", methods=["POST"])
def language() -> Response:
    """The page language: kept on the profile when logged in, else for this browser."""
    chosen = normalize_locale(request.form.get("locale"))
    if chosen not in SUPPORTED_LOCALES:
        flash(_("Unknown language."), "error")
        return redirect(url_for("console.home"))
    session["locale"] = chosen
    user = current_user()
    if user is not None:
        user.locale = chosen  # the same profile field PUT /api/v1/me/locale sets
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("console.home"))


@bp.route("/profile")
@requires()
def profile() -> str:
    return render_template("console/profile.html")
