"""The console's plumbing in one place: the signed-cookie login, the CSRF check, the role gate,
the language of a page, dates in the site's time zone, and refusals shown in words."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.auth import audit
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.errors import DomainError, translate
from app.extensions import db
from app.i18n import normalize_locale
from app.notifications.routing import STREAMED_KINDS
from app.workorders.schemas import readable_event_data

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console/static")

F = TypeVar("F", bound=Callable[..., Any])

# Where each role lands after login (the first page of its navigation).
HOME = {Role.admin: "console.queue", Role.dispatcher: "console.queue",
        Role.customer: "console.my_orders", Role.warehouse: "console.stock",
        Role.technician: "console.profile"}
OFFICE = (Role.admin, Role.dispatcher)
STORE = (Role.admin, Role.warehouse)


def current_user() -> User | None:
    return g.get("console_user")


@bp.before_request
def _load_user() -> None:
    g.console_user = None
    user_id = session.get("uid")
    if isinstance(user_id, int):
        g.console_user = auth_service.active_user(db.session, user_id)


@bp.before_request
def _check_csrf() -> None:
    """Every POST of the console carries the session's token (forms render it hidden)."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description=_("The form has expired; reload the page and try again."))


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def login_user(user: User) -> None:
    locale = session.get("locale")
    session.clear()  # a fresh session (and token) at each login
    session["uid"] = user.id
    if locale:
        session["locale"] = locale
    session.permanent = True


def requires(*roles: str) -> Callable[[F], F]:
    """Logged in (else to /login), with one of `roles` (else 403 in words)."""

    def wrap(view: F) -> F:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("console.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403, description=_("Your role may not open this page."))
            # The audit log names who changed what, as for the API's require_roles.
            audit.remember_actor(user.id, user.email)
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


@bp.errorhandler(DomainError)
def _refused(exc: DomainError) -> Response:
    """A rule refused the action: nothing is kept, and the page says why."""
    db.session.rollback()
    flash(translate(exc.message), "error")
    # Browsers send no Referer (Referrer-Policy: no-referrer): a form names its page itself.
    back = request.form.get("back", "") if request.method == "POST" else ""
    if not (back.startswith("/") and not back.startswith(("//", "/\\"))):
        back = ""
    return redirect(back or request.referrer or url_for("console.home"))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    """Console pages answer errors as a page a person can read (the API keeps its JSON)."""
    return render_template("console/error.html", error=exc), exc.code or 500


def install_locale_selector(app: Flask) -> None:
    """Console pages know the user from the cookie session, not a bearer token: its profile
    language (or the language picked before login) comes first, then the API's choice."""
    state = app.extensions["babel"]
    api_selector = state.locale_selector

    def select() -> Any:
        if not has_request_context():
            return api_selector() if api_selector else None
        user = g.get("console_user")
        chosen = normalize_locale(user.locale) if user is not None else None
        if request.blueprint == "console":
            chosen = chosen or normalize_locale(session.get("locale"))
        if chosen:
            return Locale.parse(chosen)
        return api_selector() if api_selector else None

    state.locale_selector = select


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DISPATCH_TIMEZONE") or "UTC")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(_aware(value), "medium", tzinfo=site_zone(), locale=get_locale())


def fmt_time(value: datetime | None) -> str:
    """The clock time of ``value`` in the site's zone, the locale's short form ("3:05 PM",
    "15:05")."""
    return time_formatter()(value)


def time_formatter() -> Callable[[datetime | None], str]:
    """`fmt_time` with the site's zone and the locale read once, for a page that writes
    hundreds of times (the board: two per job)."""
    zone = current_app.config.get("DISPATCH_TIMEZONE") or "UTC"
    locale = str(get_locale())

    def fmt(value: datetime | None) -> str:
        if value is None:
            return "—"
        return _short_time(int(_aware(value).timestamp()) // 60, zone, locale)

    return fmt


@lru_cache(maxsize=16384)
def _short_time(minute: int, zone: str, locale: str) -> str:
    """``fmt_time`` of the minute since the epoch: the short form shows hours and minutes only,
    and every zone's offset is whole minutes (since 1972), so the minute decides the text.
    Cached: Babel took ~15 µs a time, and a city day's board writes ~1,000 of them, mostly
    the same planned minutes."""
    return format_time(datetime.fromtimestamp(minute * 60, UTC), "short",
                       tzinfo=ZoneInfo(zone), locale=locale)


@dataclass(frozen=True)
class TimeLeftWords:
    """The texts of `time_left`, translated once for a page (a queue of 200 orders wrote
    each through gettext row by row: ~8 % of the page's Python calls); their %(...)s
    placeholders are filled per row, as gettext fills them."""

    none: str = field(default_factory=lambda: _("no SLA"))
    hours: str = field(default_factory=lambda: _("%(h)d h %(m)02d min"))
    minutes: str = field(default_factory=lambda: _("%(m)d min"))
    overdue: str = field(default_factory=lambda: _("overdue %(span)s"))
    left: str = field(default_factory=lambda: _("%(span)s left"))


def time_left(due: datetime | None, now: datetime, words: TimeLeftWords | None = None
              ) -> tuple[str, bool]:
    """("2 h 05 min left" | "overdue 40 min", overdue) in the page's language."""
    words = words or TimeLeftWords()
    if due is None:
        return words.none, False
    seconds = int((_aware(due) - now).total_seconds())
    minutes = abs(seconds) // 60
    span = words.hours % {"h": minutes // 60, "m": minutes % 60} if minutes >= 60 \
        else words.minutes % {"m": minutes}
    if seconds < 0:
        return words.overdue % {"span": span}, True
    return words.left % {"span": span}, False


def live_stream_url() -> str | None:
    """The office roles' event stream with a short-lived access token in the query
    (EventSource cannot send headers); None for other roles."""
    user = current_user()
    if user is None or user.role not in OFFICE:
        return None
    from flask_jwt_extended import create_access_token

    token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
    return url_for("notifications.EventStream", access_token=token)


def status_names() -> dict[str, str]:
    return {"new": _("new"), "scheduled": _("scheduled"), "dispatched": _("dispatched"),
            "en_route": _("en route"), "on_site": _("on site"), "on_hold": _("on hold"),
            "completed": _("completed"), "closed": _("closed"), "cancelled": _("cancelled")}


def role_names() -> dict[str, str]:
    return {"admin": _("administrator"), "dispatcher": _("dispatcher"),
            "technician": _("technician"), "warehouse": _("warehouse"),
            "customer": _("customer")}


def event_names() -> dict[str, str]:
    return {"created": _("created"), "status_changed": _("status changed"),
            "assigned": _("assigned"), "note": _("note"), "rated": _("rated"),
            "customer_report": _("fault reported"), "check_in": _("technician on site"),
            "photo": _("photo added"), "sla_warning": _("SLA warning"),
            "sla_breached": _("SLA breached"), "field_changed": _("details changed"),
            "scheduled": _("scheduled")}


@bp.context_processor
def _page_globals() -> dict[str, Any]:
    return {"status_names": status_names(), "role_names": role_names(),
            "event_names": event_names(), "live_stream_url": live_stream_url,
            "streamed_kinds": list(STREAMED_KINDS),
            "format_date": lambda d: format_date(d, "medium", locale=get_locale()),
            "csrf_token": csrf_token, "console_user": current_user(),
            "fmt_datetime": fmt_datetime, "fmt_time": fmt_time, "Role": Role,
            "OFFICE": OFFICE, "STORE": STORE, "page_locale": str(get_locale() or "en"),
            "readable_event_data": readable_event_data}
