"""The webhooks API's contract."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from app.fields import IdField, StrictBoolean
from app.integrations.models import DELIVERY_STATUS_VALUES, INBOUND_STATUS_VALUES
from app.integrations.service import EVENT_TYPES
from app.schema import Schema

_EVENTS = fields.List(fields.String(validate=validate.OneOf((*EVENT_TYPES, "*"))),
                      validate=validate.Length(1, len(EVENT_TYPES) + 1), metadata={
                          "description": "Event types to receive; `*` for all."})


class SubscriptionCreate(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=500))
    events = _EVENTS
    description = fields.String(allow_none=True, validate=validate.Length(max=200))


class SubscriptionUpdate(Schema):
    url = fields.Url(schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=500))
    events = _EVENTS
    description = fields.String(allow_none=True, validate=validate.Length(max=200))
    is_active = StrictBoolean(metadata={"description": "true re-enables (failures reset)."})


class SubscriptionOut(Schema):
    id = fields.Integer()
    url = fields.String()
    description = fields.String(allow_none=True)
    events = fields.List(fields.String())
    is_active = StrictBoolean()
    disabled_reason = fields.String(allow_none=True)
    consecutive_failures = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SubscriptionWithSecret(SubscriptionOut):
    secret = fields.String(metadata={
        "description": "The signing secret. Shown only now; store it."})


class DeliveryQuery(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUS_VALUES))


class DeliveryOut(Schema):
    id = fields.Integer()
    delivery_key = fields.String()
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    response_status = fields.Integer(allow_none=True)
    response_ms = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    redelivery_of_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    payload = fields.Dict()


class EventTypeOut(Schema):
    type = fields.String()
    description = fields.String()


class InboundQuery(Schema):
    status = fields.String(validate=validate.OneOf(INBOUND_STATUS_VALUES))


class InboundOut(Schema):
    id = fields.Integer()
    message_id = fields.String()
    from_address = fields.String()
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True, metadata={
        "description": "Why it is held: unknown_sender, unknown_work_order, site_unknown."})
    held_attachments = fields.Method("_held", metadata={"type": "array", "items": {
        "type": "string"}, "description": "Names of the images kept for filing."})
    skipped_attachments = fields.List(fields.Dict())
    customer_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    received_at = fields.DateTime()
    handled_at = fields.DateTime(allow_none=True)

    def _held(self, record: Any) -> list[str]:
        return [a["filename"] for a in record.attachments or []]


class InboundFile(Schema):
    site_id = IdField(required=True)
    asset_id = IdField(allow_none=True)


class RuleIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    event = fields.String(required=True, metadata={
        "description": "A webhook event type, e.g. work_order.created, sla.warning."})
    conditions = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "All must hold: priority, type, customer_tier, customer_ids, site_ids, "
                       "equipment_model_ids, skill_ids (lists); local_time {from, to, "
                       "timezone}."})
    actions = fields.List(fields.Dict(keys=fields.String()), required=True,
                          validate=validate.Length(1, 10), metadata={
        "description": "In order: assign {technician_user_id}, assign_best {territory_id?}, "
                       "set_priority {priority}, notify {role | user_id, title?, message?}, "
                       "webhook {subscription_id}, add_note {text, internal?}."})


class RuleUpdate(Schema):
    name = fields.String(validate=validate.Length(1, 120))
    event = fields.String()
    conditions = fields.Dict(keys=fields.String())
    actions = fields.List(fields.Dict(keys=fields.String()), validate=validate.Length(1, 10))
    is_active = StrictBoolean()


class RuleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    event = fields.String()
    conditions = fields.Dict()
    actions = fields.List(fields.Dict())
    is_active = StrictBoolean()
    created_by_id = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FiringOut(Schema):
    id = fields.Integer()
    rule_id = fields.Integer()
    work_order_id = fields.Integer(allow_none=True)
    event_type = fields.String()
    outcome = fields.String(metadata={"description": "done or failed"})
    detail = fields.List(fields.Dict())
    fired_at = fields.DateTime()
