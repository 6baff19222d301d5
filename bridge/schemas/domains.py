"""Input schema of ``update_domain`` (core field names only)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from bridge.models.enums import DomainStatus

from .services import NON_NEGATIVE, Money

CONTACT_ROLES = ("registrant", "admin", "tech", "billing")


class DomainUpdateSchema(Schema):
    """What an admin may edit on a domain with ``update_domain`` (all optional)."""

    class Meta:
        unknown = RAISE

    registration_date = fields.Date(allow_none=True)
    expiry_date = fields.Date(allow_none=True)
    next_due_date = fields.Date(allow_none=True)
    next_invoice_date = fields.Date(allow_none=True)
    first_payment_amount = Money(validate=NON_NEGATIVE)
    recurring_amount = Money(validate=NON_NEGATIVE)
    registrar = fields.String(validate=validate.Length(max=64))
    status = fields.String(validate=validate.OneOf([s.value for s in DomainStatus]))
    do_not_renew = fields.Boolean()
    dns_management = fields.Boolean()
    email_forwarding = fields.Boolean()
    payment_method = fields.String(validate=validate.Length(max=64))
    notes = fields.String()
    registration_period = fields.Integer(validate=validate.Range(min=1, max=10))
    # role -> that contact's fields (first_name, email, ...), free-form per registrar
    contacts = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CONTACT_ROLES)),
        values=fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
    )
