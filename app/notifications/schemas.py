"""The inbox and device registration on the wire."""

from __future__ import annotations

from marshmallow import fields, validate

from app.fields import QueryBoolean, StrictBoolean
from app.schema import Schema

PLATFORMS = ("android", "ios", "web")


class InboxQuery(Schema):
    unread = QueryBoolean(metadata={"description": "true: only unread; false: only read."})


class InboxItem(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "Stable machine key of the event."})
    title = fields.String(metadata={"description": "In the reader's language."})
    body = fields.String(metadata={"description": "In the reader's language."})
    data = fields.Dict()
    work_order_id = fields.Integer(allow_none=True)
    channels = fields.List(fields.String())
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class MarkedOut(Schema):
    marked = fields.Integer()


class UnreadOut(Schema):
    unread = fields.Integer()


class PushDeviceIn(Schema):
    token = fields.String(required=True, validate=validate.Length(20, 512),
                          metadata={"description": "The FCM registration token."})
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    app_version = fields.String(validate=validate.Length(1, 40))


class PushDeviceOut(Schema):
    id = fields.Integer()
    platform = fields.String()
    app_version = fields.String(allow_none=True)
    is_active = StrictBoolean()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class LocaleIn(Schema):
    locale = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf(("en", "zh_CN")),
                           metadata={"description": "Profile language; null = the browser's."})


class LocaleOut(Schema):
    locale = fields.String(allow_none=True)
