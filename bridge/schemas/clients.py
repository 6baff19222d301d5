"""Input schemas of the client use-cases: clients, client groups, contacts and custom fields.

Core field names only; each facade maps its wire names (WHMCS ``firstname``, Blesta
``first_name``) onto these before calling a service.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, pre_load, validate

from bridge.models.enums import ClientStatus

EMAIL_PREFERENCES = ("general", "invoice", "product", "domain", "support", "affiliate")
CONTACT_KINDS = ("primary", "billing", "other")
CUSTOM_FIELD_OWNERS = ("client", "product", "addon", "support")
CUSTOM_FIELD_TYPES = ("text", "link", "password", "dropdown", "tickbox", "textarea")

_COUNTRY = validate.Regexp(r"^([A-Za-z]{2})?$", error="country must be an ISO 3166 two-letter code")
_CURRENCY = validate.Regexp(r"^[A-Za-z]{3}$", error="currency must be a 3-letter ISO code")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _strip_email(data: Any, *, drop_empty: bool) -> Any:
    if isinstance(data, dict) and isinstance(data.get("email"), str):
        data = {**data, "email": data["email"].strip()}
        if drop_empty and not data["email"]:
            del data["email"]
    return data


class _Address(_Strict):
    """Name and postal fields shared by clients and contacts."""

    first_name = fields.String(validate=validate.Length(max=128))
    last_name = fields.String(validate=validate.Length(max=128))
    company_name = fields.String(validate=validate.Length(max=255))
    address1 = fields.String(validate=validate.Length(max=255))
    address2 = fields.String(validate=validate.Length(max=255))
    city = fields.String(validate=validate.Length(max=128))
    state = fields.String(validate=validate.Length(max=128))
    postcode = fields.String(validate=validate.Length(max=32))
    country = fields.String(validate=_COUNTRY)
    phone = fields.String(validate=validate.Length(max=64))
    tax_id = fields.String(validate=validate.Length(max=64))


class ClientSchema(_Address):
    """``add_client`` input; ``update_client`` loads :class:`ClientUpdateSchema` partially."""

    email = fields.Email(required=True, validate=validate.Length(max=255))
    currency = fields.String(validate=_CURRENCY)
    language = fields.String(validate=validate.Length(max=32))
    notes = fields.String()
    group_id = fields.Integer(allow_none=True)
    company_id = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf([s.value for s in ClientStatus]))
    default_gateway = fields.String(validate=validate.Length(max=64))
    tax_exempt = fields.Boolean()
    late_fee_exempt = fields.Boolean()
    overdue_notices_exempt = fields.Boolean()
    separate_invoices = fields.Boolean()
    auto_apply_credit = fields.Boolean()
    disable_auto_charge = fields.Boolean()
    email_opt_out = fields.Boolean()
    marketing_opt_in = fields.Boolean()
    email_verified = fields.Boolean()
    # which mails the client receives: {"invoice": true, "product": false, ...}
    email_preferences = fields.Dict(
        keys=fields.String(validate=validate.OneOf(EMAIL_PREFERENCES)), values=fields.Boolean()
    )
    # login: a new (or existing, by email) user becomes the owner ...
    password = fields.String(load_only=True, validate=validate.Length(min=1))
    # ... or name an existing user as the owner (WHMCS 8 owner_user_id)
    owner_user_id = fields.Integer()

    @pre_load
    def _email(self, data: Any, **_: Any) -> Any:
        return _strip_email(data, drop_empty=False)


class ClientUpdateSchema(ClientSchema):
    """Partial update of a client; logins are managed through the users, not here."""

    class Meta:
        unknown = RAISE
        exclude = ("password", "owner_user_id")


class ClientGroupSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    description = fields.String()
    color = fields.String(validate=validate.Length(max=16))
    discount_percent = fields.Decimal(places=4, validate=validate.Range(min=0, max=100))
    exempt_suspend_terminate = fields.Boolean()
    separate_invoices = fields.Boolean()
    company_id = fields.Integer(allow_none=True)


class ContactSchema(_Address):
    """``add_contact`` / ``update_contact`` input."""

    kind = fields.String(validate=validate.OneOf(CONTACT_KINDS))
    title = fields.String(validate=validate.Length(max=64))
    email = fields.Email(validate=validate.Length(max=255))
    email_preferences = fields.List(fields.String(validate=validate.OneOf(EMAIL_PREFERENCES)))
    permissions = fields.List(fields.String(validate=validate.Length(min=1, max=64)))
    password = fields.String(load_only=True, validate=validate.Length(min=1))

    @pre_load
    def _email(self, data: Any, **_: Any) -> Any:
        # a contact may have no email at all
        return _strip_email(data, drop_empty=True)


class CustomFieldSchema(_Strict):
    """``add_custom_field`` input (WHMCS tblcustomfields / Blesta client custom fields)."""

    owner_type = fields.String(required=True, validate=validate.OneOf(CUSTOM_FIELD_OWNERS))
    owner_id = fields.Integer(allow_none=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    field_type = fields.String(validate=validate.OneOf(CUSTOM_FIELD_TYPES))
    description = fields.String()
    options = fields.List(fields.String())
    regex = fields.String()
    required = fields.Boolean()
    admin_only = fields.Boolean()
    show_on_order = fields.Boolean()
    show_on_invoice = fields.Boolean()
    encrypted = fields.Boolean()
    sort_order = fields.Integer()
