from marshmallow import Schema, fields, validate

from app.auth.models import ROLE_VALUES
from app.fields import IdField, QueryBoolean, StrictBoolean


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
