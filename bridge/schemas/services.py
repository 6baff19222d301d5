"""Input schemas of the service lifecycle use-cases (core field names only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from bridge.models.enums import ServiceStatus
from bridge.money import to_decimal


class Money(fields.Field[Decimal]):
    """A money amount read as ``Decimal`` from a string, int or Decimal; floats are refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            amount = to_decimal(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"not a valid amount: {exc}") from exc
        if not amount.is_finite():
            raise ValidationError("not a valid amount: must be a finite number")
        return amount


NON_NEGATIVE = validate.Range(min=0)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ServiceUpdateSchema(_Strict):
    """What an admin may edit on a service with ``update_service`` (all optional)."""

    domain = fields.String(validate=validate.Length(max=255))
    username = fields.String(validate=validate.Length(max=128))
    password = fields.String()
    dedicated_ip = fields.String(validate=validate.Length(max=45))
    assigned_ips = fields.List(fields.String(validate=validate.Length(max=255)))
    billing_cycle = fields.String()
    recurring_amount = Money(validate=NON_NEGATIVE)
    first_payment_amount = Money(validate=NON_NEGATIVE)
    next_due_date = fields.Date(allow_none=True)
    next_invoice_date = fields.Date(allow_none=True)
    payment_method = fields.String(validate=validate.Length(max=64))
    notes = fields.String()
    override_auto_suspend = fields.Boolean()
    override_suspend_until = fields.Date(allow_none=True)
    override_auto_terminate = fields.Boolean()
    server_id = fields.Integer(allow_none=True)
    quantity = fields.Integer(validate=validate.Range(min=1))


class ServiceAddonAddSchema(_Strict):
    """An addon attached to an existing service by ``add_service_addon``."""

    addon_id = fields.Integer(allow_none=True, load_default=None)
    name = fields.String(load_default="", validate=validate.Length(max=255))
    status = fields.String(
        load_default=ServiceStatus.PENDING.value,
        validate=validate.OneOf([s.value for s in ServiceStatus]),
    )
    billing_cycle = fields.String(allow_none=True, load_default=None)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1))
    setup_fee = Money(load_default=Decimal(0), validate=NON_NEGATIVE)
    recurring_amount = Money(load_default=Decimal(0), validate=NON_NEGATIVE)
    taxable = fields.Boolean(allow_none=True, load_default=None)
    registration_date = fields.Date(allow_none=True, load_default=None)
    next_due_date = fields.Date(allow_none=True, load_default=None)
    next_invoice_date = fields.Date(allow_none=True, load_default=None)
    payment_method = fields.String(allow_none=True, load_default=None)
    order_id = fields.Integer(allow_none=True, load_default=None)
    notes = fields.String(load_default="")
