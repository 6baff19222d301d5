"""Input schemas of the billing use-cases: invoice lines and invoice edits.

Amounts go through :class:`Money`, which reads str/int/Decimal like ``bridge.money.to_decimal``
and refuses floats, NaN and infinities. Whether an amount fits the currency and whether linked
records exist is checked by ``bridge.services.invoices``, not here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from bridge.models.enums import InvoiceItemType, InvoiceStatus
from bridge.money import to_decimal

ITEM_TYPES = [t.value for t in InvoiceItemType]
# statuses update_invoice may set; paid comes from payments, cancelled from cancel_invoice
EDITABLE_STATUSES = [
    InvoiceStatus.DRAFT.value,
    InvoiceStatus.UNPAID.value,
    InvoiceStatus.COLLECTIONS.value,
    InvoiceStatus.PAYMENT_PENDING.value,
]


class Money(fields.Field):  # type: ignore[type-arg]
    """A Decimal amount from a Decimal, int or numeric string (never a float)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            amount = to_decimal(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Not a valid amount: {value!r}.") from exc
        if not amount.is_finite():
            raise ValidationError(f"Not a valid amount: {value!r}.")
        return amount


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class InvoiceItemSchema(_Strict):
    """One invoice line as given to create_invoice / add_invoice_item."""

    type = fields.String(load_default=InvoiceItemType.ITEM.value,
                         validate=validate.OneOf(ITEM_TYPES))
    description = fields.String(load_default="")
    unit_amount = Money(required=True)
    quantity = Money(load_default=Decimal(1))
    taxed = fields.Boolean(load_default=True)
    service_id = fields.Integer(allow_none=True, load_default=None)
    service_addon_id = fields.Integer(allow_none=True, load_default=None)
    domain_id = fields.Integer(allow_none=True, load_default=None)
    rel_id = fields.Integer(allow_none=True, load_default=None)
    period_start = fields.Date(allow_none=True, load_default=None)
    period_end = fields.Date(allow_none=True, load_default=None)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        quantity = data.get("quantity")
        if quantity is not None and quantity <= 0:
            raise ValidationError("Must be greater than 0.", "quantity")
        start, end = data.get("period_start"), data.get("period_end")
        if start is not None and end is not None and end < start:
            raise ValidationError("period_end must not be before period_start.", "period_end")


class InvoiceItemsSchema(_Strict):
    """The lines of a new invoice; errors are reported as ``items.<index>.<field>``."""

    items = fields.List(fields.Nested(InvoiceItemSchema), required=True)


class InvoiceUpdateSchema(_Strict):
    """Fields update_invoice may change."""

    date = fields.Date()
    due_date = fields.Date()
    notes = fields.String()
    admin_notes = fields.String()
    payment_method = fields.String(validate=validate.Length(max=64))
    status = fields.String(validate=validate.OneOf(EDITABLE_STATUSES))
