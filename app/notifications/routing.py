"""Who gets what: event kind -> role -> channels (inbox, push, email).

Every notification is in its recipient's inbox; `push` sends it to their registered devices,
`email` to their address (when SMTP is configured). The defaults below can be changed per kind
and role with the NOTIFICATION_ROUTES setting (JSON, merged over these per kind), e.g.
`NOTIFICATION_ROUTES='{"sla_warning": {"dispatcher": ["inbox"]}}'`. A kind or role not named
here goes to the inbox and push.
"""

from __future__ import annotations

from app.config import Config

INBOX, PUSH, EMAIL = "inbox", "push", "email"
CHANNELS = (INBOX, PUSH, EMAIL)
FALLBACK = (INBOX, PUSH)

_OFFICE_ESCALATION = {"dispatcher": [INBOX, PUSH, EMAIL], "admin": [INBOX]}

DEFAULT_ROUTES: dict[str, dict[str, list[str]]] = {
    # dispatchers: SLA warning/breach, new fault report, run finished, job running late
    "sla_warning": _OFFICE_ESCALATION,
    "sla_breached": _OFFICE_ESCALATION,
    "fault_reported": _OFFICE_ESCALATION,
    "fault_report_attached": {"dispatcher": [INBOX, PUSH]},
    "run_finished": {"dispatcher": [INBOX, PUSH], "admin": [INBOX]},
    "job_running_late": {"dispatcher": [INBOX, PUSH, EMAIL]},
    # technicians: assignment, route released/changed
    "job_assigned": {"technician": [INBOX, PUSH]},
    "job_unassigned": {"technician": [INBOX, PUSH]},
    "job_rescheduled": {"technician": [INBOX, PUSH]},
    "job_dispatched": {"technician": [INBOX, PUSH]},
    "job_cancelled": {"technician": [INBOX, PUSH]},
    "route_released": {"technician": [INBOX, PUSH]},
    "route_changed": {"technician": [INBOX, PUSH]},
}

# What office roles see on the live event stream (app/notifications/events.py).
STREAMED_KINDS = ("sla_warning", "sla_breached", "fault_reported", "fault_report_attached",
                  "run_finished", "job_running_late", "technician_status")


def routes() -> dict[str, dict[str, list[str]]]:
    merged = {kind: dict(by_role) for kind, by_role in DEFAULT_ROUTES.items()}
    for kind, by_role in (Config.NOTIFICATION_ROUTES or {}).items():
        merged.setdefault(kind, {}).update(by_role)
    return merged


def channels_for(kind: str, role: str | None) -> list[str]:
    """The channels `kind` takes to a user of `role` (the inbox is always one of them)."""
    by_role = routes().get(kind, {})
    chosen = by_role.get(role or "", list(FALLBACK))
    ordered = [c for c in CHANNELS if c in chosen or c == INBOX]
    return ordered
