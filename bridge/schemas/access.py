"""Input schemas of the access use-cases: login users, staff admins and API roles."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class UserSchema(_Strict):
    email = fields.Email(required=True, validate=validate.Length(max=255))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1))
    first_name = fields.String(validate=validate.Length(max=128))
    last_name = fields.String(validate=validate.Length(max=128))


class AdminSchema(_Strict):
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(r"^\S+$", error="username must not contain spaces"),
        ],
    )
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1))
    email = fields.String(validate=validate.Length(max=255))
    first_name = fields.String(validate=validate.Length(max=128))
    last_name = fields.String(validate=validate.Length(max=128))
    role_id = fields.Integer(allow_none=True)


class ApiRoleSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    allowed_actions = fields.List(fields.String(validate=validate.Length(min=1, max=128)))
    description = fields.String()
