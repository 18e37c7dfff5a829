"""Integrations' business rules: webhook subscriptions, event capture and delivery."""

from app.integrations.service.delivery import (
    HttpOutcome,
    WebhookRound,
    WebhookSettings,
    deliver_due_webhooks,
    settings_from,
    sign,
)
from app.integrations.service.events import EVENT_TYPES, PAYLOAD_VERSION, install
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

__all__ = [
    "EVENT_TYPES",
    "PAYLOAD_VERSION",
    "HttpOutcome",
    "WebhookRound",
    "WebhookSettings",
    "create_subscription",
    "delete_subscription",
    "deliver_due_webhooks",
    "file_inbound",
    "get_inbound",
    "get_subscription",
    "install",
    "list_deliveries",
    "list_inbound",
    "list_subscriptions",
    "ping",
    "receive_email",
    "redeliver",
    "reject_inbound",
    "rotate_secret",
    "settings_from",
    "sign",
    "update_subscription",
]
