from marshmallow import fields, validate

from app.auth.models import ROLE_VALUES
from app.fields import IdField, QueryBoolean, StrictBoolean
from app.schema import Schema


class LoginRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 1024))


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    customer_id = fields.Integer(allow_none=True)
    phone = fields.String(allow_none=True)
    is_active = StrictBoolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class TokenPair(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token seconds."})
    user = fields.Nested(UserOut, required=True)


class AccessToken(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


_password = fields.String(load_only=True, validate=validate.Length(10, 1024))


class UserCreate(Schema):
    email = fields.Email(required=True, validate=validate.Length(3, 254))
    full_name = fields.String(required=True, validate=validate.Length(1, 200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(10, 1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))
    customer_id = IdField(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))


class UserUpdate(Schema):
    full_name = fields.String(validate=validate.Length(1, 200))
    password = fields.String(load_only=True, validate=validate.Length(10, 1024))
    role = fields.String(validate=validate.OneOf(ROLE_VALUES))
    customer_id = IdField(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    is_active = StrictBoolean()


class UserQuery(Schema):
    role = fields.String(validate=validate.OneOf(ROLE_VALUES))
    is_active = QueryBoolean()
    q = fields.String(validate=validate.Length(1, 100))


class PasswordChange(Schema):
    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(1, 1024))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(10, 1024))


AUDIT_TARGETS = ("users", "sla_policies", "business_calendars", "skills", "territories",
                 "technicians", "technician_skills")


class AuditLogQuery(Schema):
    actor_user_id = IdField()
    target_type = fields.String(validate=validate.OneOf(AUDIT_TARGETS))
    target_id = fields.String(validate=validate.Length(1, 60))
    action = fields.String(validate=validate.OneOf(("create", "update", "delete")))
    since = fields.AwareDateTime(metadata={"description": "From this time (inclusive)."})
    until = fields.AwareDateTime(metadata={"description": "Before this time."})


class AuditEntryOut(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor_user_id = fields.Integer(allow_none=True)
    actor_email = fields.String(allow_none=True)
    action = fields.String(metadata={"description": "create, update or delete."})
    target_type = fields.String(metadata={"description": "The table changed."})
    target_id = fields.String(allow_none=True)
    changes = fields.Dict(metadata={
        "description": "Field -> [before, after]; secrets appear as \"<secret>\"."})
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)


class ApiKeyCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 120))
    role = fields.String(required=True, validate=validate.OneOf(("admin", "dispatcher",
                                                                 "warehouse")), metadata={
        "description": "The role the key acts as (its own service user)."})
    scopes = fields.List(fields.String(validate=validate.Length(3, 40)), required=True,
                         validate=validate.Length(1, 20), metadata={
        "description": "<area>:read or <area>:write; areas: *, work_orders, assets, "
                       "inventory, dispatch, maintenance, reports, integrations, auth, "
                       "notifications."})
    expires_at = fields.AwareDateTime(allow_none=True)


class ApiKeyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The key's first characters."})
    role = fields.String(attribute="user.role")
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyCreated(ApiKeyOut):
    key = fields.String(attribute="shown_secret", metadata={
        "description": "The whole key. Shown only now; send it "
                                                 "as the X-API-Key header."})
