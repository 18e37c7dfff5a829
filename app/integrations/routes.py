from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth.models import Role
from app.auth.permissions import actor, require_roles
from app.blueprint import Blueprint
from app.db import fetch_page
from app.errors import ErrorSchema
from app.extensions import db
from app.integrations import service
from app.integrations.models import (
    AutomationFiring,
    AutomationRule,
    InboundEmail,
    WebhookDelivery,
    WebhookSubscription,
)
from app.integrations.schemas import (
    DeliveryOut,
    DeliveryQuery,
    EventTypeOut,
    FiringOut,
    InboundFile,
    InboundOut,
    InboundQuery,
    RuleIn,
    RuleOut,
    RuleUpdate,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from app.mobile_api.storage import LocalStorage

blp = Blueprint("integrations", __name__, url_prefix="/api/v1",
                description="Webhooks: signed event deliveries to other systems, with a "
                            "delivery log, retries and redelivery (admins). Inbound e-mail: "
                            "messages held for a dispatcher.")

_NOT_FOUND = "not_found: no such subscription."


def _allow_private() -> bool:
    return bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"])


@blp.route("/webhooks/event-types")
class WebhookEventTypes(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, EventTypeOut(many=True))
    def get(self) -> list[dict[str, str]]:
        """Event types a subscription may ask for."""
        return [{"type": k, "description": v} for k, v in service.EVENT_TYPES.items()]


@blp.route("/webhooks")
class Webhooks(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, SubscriptionOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[WebhookSubscription]:
        """Subscriptions (the secret is never shown again)."""
        return fetch_page(db.session, service.list_subscriptions(), pagination_parameters)

    @require_roles(Role.admin)
    @blp.arguments(SubscriptionCreate)
    @blp.response(201, SubscriptionWithSecret)
    @blp.alt_response(422, schema=ErrorSchema, description="invalid_webhook_url, "
                      "webhook_url_private, unknown_event_type.")
    def post(self, body: dict[str, Any]) -> WebhookSubscription:
        """Subscribe a URL to event types; the answer carries the signing secret, once."""
        subscription = service.create_subscription(
            db.session, url=body["url"], events=body.get("events") or [],
            description=body.get("description"), allow_private=_allow_private(),
            actor=actor())
        db.session.commit()
        return subscription


@blp.route("/webhooks/<id:subscription_id>")
class WebhookById(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, SubscriptionOut)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def get(self, subscription_id: int) -> WebhookSubscription:
        """One subscription and its health (failures in a row, why it was disabled)."""
        return service.get_subscription(db.session, subscription_id)

    @require_roles(Role.admin)
    @blp.arguments(SubscriptionUpdate)
    @blp.response(200, SubscriptionOut)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.alt_response(422, schema=ErrorSchema, description="invalid_webhook_url, "
                      "webhook_url_private, unknown_event_type.")
    def patch(self, body: dict[str, Any], subscription_id: int) -> WebhookSubscription:
        """Change the URL, events or description; `is_active: true` re-enables it."""
        subscription = service.update_subscription(
            db.session, service.get_subscription(db.session, subscription_id), changes=body,
            allow_private=_allow_private())
        db.session.commit()
        return subscription

    @require_roles(Role.admin)
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def delete(self, subscription_id: int) -> None:
        """Remove the subscription and its delivery log."""
        service.delete_subscription(db.session,
                                    service.get_subscription(db.session, subscription_id))
        db.session.commit()


@blp.route("/webhooks/<id:subscription_id>/secret")
class WebhookSecret(MethodView):
    @require_roles(Role.admin)
    @blp.response(200, SubscriptionWithSecret)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def post(self, subscription_id: int) -> WebhookSubscription:
        """Rotate the signing secret; the new one is shown once."""
        subscription = service.rotate_secret(
            service.get_subscription(db.session, subscription_id))
        db.session.commit()
        return subscription


@blp.route("/webhooks/<id:subscription_id>/ping")
class WebhookPing(MethodView):
    @require_roles(Role.admin)
    @blp.response(202, DeliveryOut)
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    def post(self, subscription_id: int) -> WebhookDelivery:
        """Queue a `ping` event to check the receiver and its signature check."""
        delivery = service.ping(db.session, service.get_subscription(db.session,
                                                                     subscription_id))
        db.session.commit()
        return delivery


@blp.route("/webhooks/<id:subscription_id>/deliveries")
class WebhookDeliveries(MethodView):
    @require_roles(Role.admin)
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliveryOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description=_NOT_FOUND)
    @blp.paginate()
    def get(self, query: dict[str, Any], subscription_id: int,
            pagination_parameters: Any) -> list[WebhookDelivery]:
        """The delivery log, newest first: status, attempts, response code and time."""
        subscription = service.get_subscription(db.session, subscription_id)
        return fetch_page(db.session, service.list_deliveries(
            subscription, status=query.get("status")), pagination_parameters)


@blp.route("/webhooks/<id:subscription_id>/deliveries/<id:delivery_id>/redeliver")
class WebhookRedeliver(MethodView):
    @require_roles(Role.admin)
    @blp.response(202, DeliveryOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such subscription "
                      "or delivery.")
    @blp.alt_response(409, schema=ErrorSchema, description="delivery_in_progress, "
                      "subscription_disabled.")
    def post(self, subscription_id: int, delivery_id: int) -> WebhookDelivery:
        """Send a settled delivery again (same payload and X-FieldOps-Delivery key)."""
        delivery = service.redeliver(db.session, service.get_subscription(
            db.session, subscription_id), delivery_id)
        db.session.commit()
        return delivery


OFFICE = (Role.admin, Role.dispatcher)


@blp.route("/inbound-emails")
class InboundEmails(MethodView):
    @require_roles(*OFFICE)
    @blp.arguments(InboundQuery, location="query")
    @blp.response(200, InboundOut(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[InboundEmail]:
        """Messages to the service address, newest first (`status=held`: waiting for you)."""
        return fetch_page(db.session, service.list_inbound(query.get("status")),
                          pagination_parameters)


@blp.route("/inbound-emails/<id:inbound_id>")
class InboundEmailById(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, InboundOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such e-mail.")
    def get(self, inbound_id: int) -> InboundEmail:
        """One message and what became of it."""
        return service.get_inbound(db.session, inbound_id)


@blp.route("/inbound-emails/<id:inbound_id>/file")
class InboundEmailFile(MethodView):
    @require_roles(*OFFICE)
    @blp.arguments(InboundFile)
    @blp.response(200, InboundOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such e-mail.")
    @blp.alt_response(409, schema=ErrorSchema, description="already_handled.")
    @blp.alt_response(422, schema=ErrorSchema, description="unknown_site, unknown_asset.")
    def post(self, body: dict[str, Any], inbound_id: int) -> InboundEmail:
        """Turn a held message into a work order at the site (and asset) you name; its
        images become the order's photos."""
        record = service.file_inbound(
            db.session, service.get_inbound(db.session, inbound_id), site_id=body["site_id"],
            asset_id=body.get("asset_id"), actor=actor(),
            storage=LocalStorage(current_app.config["PHOTO_STORAGE_DIR"]))
        db.session.commit()
        return record


@blp.route("/inbound-emails/<id:inbound_id>/reject")
class InboundEmailReject(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, InboundOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such e-mail.")
    @blp.alt_response(409, schema=ErrorSchema, description="already_handled.")
    def post(self, inbound_id: int) -> InboundEmail:
        """Dismiss a held message (spam, not for us)."""
        record = service.reject_inbound(service.get_inbound(db.session, inbound_id),
                                        actor=actor())
        db.session.commit()
        return record


@blp.route("/automation-rules")
class AutomationRules(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, RuleOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[AutomationRule]:
        """Rules in the order they run."""
        return fetch_page(db.session, service.list_rules(), pagination_parameters)

    @require_roles(*OFFICE)
    @blp.arguments(RuleIn)
    @blp.response(201, RuleOut)
    @blp.alt_response(422, schema=ErrorSchema, description="invalid_rule: unknown event, "
                      "condition or action, or a value an action cannot use.")
    def post(self, body: dict[str, Any]) -> AutomationRule:
        """When <event> and <conditions> then <actions>: runs in the transaction of the
        change; its own actions never trigger rules; actions act as you (assignment as the
        system)."""
        rule = service.create_rule(db.session, name=body["name"], event=body["event"],
                                   conditions=body["conditions"], actions=body["actions"],
                                   actor=actor())
        db.session.commit()
        return rule


@blp.route("/automation-rules/<id:rule_id>")
class AutomationRuleById(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, RuleOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such rule.")
    def get(self, rule_id: int) -> AutomationRule:
        """One rule."""
        return service.get_rule(db.session, rule_id)

    @require_roles(*OFFICE)
    @blp.arguments(RuleUpdate)
    @blp.response(200, RuleOut)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such rule.")
    @blp.alt_response(422, schema=ErrorSchema, description="invalid_rule.")
    def patch(self, body: dict[str, Any], rule_id: int) -> AutomationRule:
        """Change or pause (`is_active: false`) a rule."""
        rule = service.update_rule(service.get_rule(db.session, rule_id), body)
        db.session.commit()
        return rule

    @require_roles(*OFFICE)
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such rule.")
    def delete(self, rule_id: int) -> None:
        """Remove a rule and its log."""
        db.session.delete(service.get_rule(db.session, rule_id))
        db.session.commit()


@blp.route("/automation-rules/<id:rule_id>/firings")
class AutomationRuleFirings(MethodView):
    @require_roles(*OFFICE)
    @blp.response(200, FiringOut(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: no such rule.")
    @blp.paginate()
    def get(self, rule_id: int, pagination_parameters: Any) -> list[AutomationFiring]:
        """Each time the rule matched, newest first: what its actions did or why it failed."""
        return fetch_page(db.session, service.list_firings(service.get_rule(db.session,
                                                                            rule_id)),
                          pagination_parameters)
