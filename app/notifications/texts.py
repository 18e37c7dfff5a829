"""What a notification says, in the reader's language (the zh-CN / en catalogues).

A notification row keeps its English title and body (what was queued) and the values in
`data`; the texts here say the same in the current locale (the request's for the inbox,
`force_locale(locale_for(user))` for push and email). A kind without a template, or a row
missing a value a template needs, is shown as queued.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark a text for the catalogue; it is translated where it is shown."""
    return message


_NUMBER = re.compile(r"WO-\d{4}-\d{6}")

# kind -> (title, body or None = the queued body, e.g. the customer's own words)
TEMPLATES: dict[str, tuple[str, str | None]] = {
    "sla_warning": (N_("%(number)s: %(clock)s SLA at 75 %%"),
                    N_("%(priority)s %(wo_title)s — %(clock)s due %(due_at)s")),
    "sla_breached": (N_("%(number)s: %(clock)s SLA breached"),
                     N_("%(priority)s %(wo_title)s — %(clock)s due %(due_at)s")),
    "fault_reported": (N_("%(number)s: new fault report"), None),
    "fault_report_attached": (N_("%(number)s: another fault report"), None),
    "job_assigned": (N_("Job %(number)s assigned to you"), None),
    "job_unassigned": (N_("Job %(number)s was reassigned"), None),
    "job_rescheduled": (N_("Job %(number)s rescheduled"), None),
    "job_dispatched": (N_("New job %(number)s"), None),
    "job_cancelled": (N_("Job %(number)s cancelled"), None),
    "route_released": (N_("Your route for %(date)s is ready"),
                       N_("%(jobs)s jobs, first at %(first)s (%(site)s)")),
    "route_changed": (N_("Your route for %(date)s changed"),
                      N_("%(jobs)s jobs, first at %(first)s (%(site)s)")),
}

CLOCKS = {"response": N_("response"), "resolution": N_("resolution")}

# Email wrapper texts.
EMAIL_FOOTER = N_("You receive this email because of your role in FieldOps. "
                  "Open your inbox to see all notifications.")
EMAIL_WORK_ORDER = N_("Work order: %(number)s")


def _params(notification: Any) -> dict[str, Any]:
    params = {str(k): v for k, v in (notification.data or {}).items()}
    if "number" not in params:
        found = _NUMBER.search(notification.title or "")
        if found:
            params["number"] = found.group(0)
    if params.get("clock") in CLOCKS:
        params["clock"] = gettext(CLOCKS[params["clock"]])
    return params


def render(notification: Any) -> tuple[str, str]:
    """(title, body) in the current locale."""
    template = TEMPLATES.get(notification.kind)
    if template is None:
        return notification.title, notification.body
    title_t, body_t = template
    params = _params(notification)
    title = _translated(title_t, params, notification.title)
    body = notification.body if body_t is None else _translated(body_t, params,
                                                                  notification.body)
    return title, body


def _translated(template: str, params: dict[str, Any], queued: str) -> str:
    """The template in the current locale; the queued text when a value is missing."""
    try:
        return gettext(template, **params)
    except (KeyError, ValueError, TypeError):
        return queued


def localized(notification: Any) -> dict[str, Any]:
    """The inbox item of `notification` in the current locale."""
    title, body = render(notification)
    return {"id": notification.id, "kind": notification.kind, "title": title, "body": body,
            "data": notification.data or {}, "work_order_id": notification.work_order_id,
            "channels": notification.channels or [], "created_at": notification.created_at,
            "read_at": notification.read_at}


def email_for(notification: Any, user: Any, *, mail_from: str) -> Any:
    """The email of `notification` for `user`, in the user's language."""
    from flask_babel import force_locale

    from app.i18n import locale_for
    from app.notifications.email import build_message

    language = locale_for(user)
    with force_locale(language):
        title, body = render(notification)
        lines = [body, ""]
        number = _params(notification).get("number")
        if number:
            lines.append(gettext(EMAIL_WORK_ORDER, number=number))
        lines += ["", "-- ", gettext(EMAIL_FOOTER)]
    return build_message(notification_id=notification.id, to=user.email, mail_from=mail_from,
                         subject=title, text="\n".join(lines),
                         language=language.replace("_", "-"))


def push_texts(session: Any) -> Any:
    """(title, body) of a notification in its recipient's profile language, for push."""
    from flask_babel import force_locale

    from app.auth.models import User
    from app.i18n import locale_for

    def texts(notification: Any) -> tuple[str, str]:
        with force_locale(locale_for(session.get(User, notification.user_id))):
            return render(notification)

    return texts
