"""Integrations' business rules: webhook subscriptions, event capture and delivery."""

from app.integrations.service.automation import (
    ACTION_TYPES,
    CONDITION_KEYS,
    RULE_EVENTS,
    create_rule,
    get_rule,
    list_firings,
    list_rules,
    run_rules,
    update_rule,
)
from app.integrations.service.automation import install as install_automation
from app.integrations.service.delivery import (
    HttpOutcome,
    WebhookRound,
    WebhookSettings,
    deliver_due_webhooks,
    settings_from,
    sign,
)
from app.integrations.service.events import (
    EVENT_TYPES,
    PAYLOAD_VERSION,
    install_webhook_capture,
)
from app.integrations.service.inbound import (
    file_inbound,
    get_inbound,
    list_inbound,
    receive_email,
    reject_inbound,
)
from app.integrations.service.subscriptions import (
    create_subscription,
    delete_subscription,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    ping,
    redeliver,
    rotate_secret,
    update_subscription,
)


def install() -> None:
    """The session hooks: webhook events and automation rules (idempotent)."""
    install_webhook_capture()
    install_automation()


__all__ = [
    "ACTION_TYPES",
    "CONDITION_KEYS",
    "EVENT_TYPES",
    "PAYLOAD_VERSION",
    "RULE_EVENTS",
    "HttpOutcome",
    "WebhookRound",
    "WebhookSettings",
    "create_rule",
    "create_subscription",
    "delete_subscription",
    "deliver_due_webhooks",
    "file_inbound",
    "get_inbound",
    "get_rule",
    "get_subscription",
    "install",
    "list_deliveries",
    "list_firings",
    "list_inbound",
    "list_rules",
    "list_subscriptions",
    "ping",
    "receive_email",
    "redeliver",
    "reject_inbound",
    "rotate_secret",
    "run_rules",
    "settings_from",
    "sign",
    "update_rule",
    "update_subscription",
]
