"""Bank transfer and mail-in (cheque, money order) payment methods.

Both only tell the payer how to pay: :meth:`payment_link` returns the operator's
instructions for the invoice. Nothing is charged and no callback arrives; when the money
is in, staff record the payment on the invoice (the core's "add payment"), which is what
marks it paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from hooks import ConfigField, GatewayModule, PaymentContext, PaymentLink

from .render import render

_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split())
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())

BANK_TEMPLATE = """Please transfer {amount} {currency} to:
Account holder: {account_holder}
Bank: {bank_name}
IBAN: {iban}
BIC: {bic}
Reference: Invoice {invoice_id}
The invoice is marked paid once the transfer has arrived."""

MAIL_TEMPLATE = """Please send a cheque or money order for {amount} {currency}
payable to {payee}, to:
{address}
Write "Invoice {invoice_id}" on the back. The invoice is marked paid once it has cleared."""

INSTRUCTIONS_HELP = (
    "Placeholders: {invoice_id}, {amount}, {currency}, {description}, {client_id}, "
    "{client_name}, {company_name} and this method's settings"
)


def display_amount(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with the currency's usual number of decimals (12.3400 USD -> 12.34),
    unless that would drop significant digits (then it is shown unrounded)."""
    code = currency.upper()
    places = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    shown = amount.quantize(Decimal(1).scaleb(-places))
    return shown if shown == amount else amount.normalize()


def group_iban(iban: str) -> str:
    """An IBAN in the printed form: upper case, groups of four (DE89 3704 0044 ...)."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


class OfflineGateway(GatewayModule):
    """Shared behaviour: render ``instructions`` for the invoice; nothing to charge."""

    kind: ClassVar[str] = "offsite"
    version: ClassVar[str] = "1.0"
    default_template: ClassVar[str] = ""

    def payment_link(self, ctx: PaymentContext) -> PaymentLink:
        """The instructions template rendered for ``ctx`` (see :mod:`plugins.offline.render`)."""
        template = (ctx.config.get("instructions") or "").strip() or self.default_template
        return PaymentLink(instructions=render(template, self.placeholders(ctx)))

    def placeholders(self, ctx: PaymentContext) -> dict[str, Any]:
        """The values a template can use: invoice and client fields plus every setting."""
        client = ctx.client
        values: dict[str, Any] = {
            name: str(ctx.config.get(name) or "").strip() for name in self._setting_names()
        }
        values.pop("instructions", None)
        values.update(
            invoice_id=ctx.invoice_id,
            amount=display_amount(ctx.amount, ctx.currency),
            currency=ctx.currency.upper(),
            description=ctx.description,
            client_id=client.id,
            client_name=" ".join(p for p in (client.first_name, client.last_name) if p),
            company_name=client.company_name,
        )
        return values

    @classmethod
    def _setting_names(cls) -> list[str]:
        return [field.name for field in cls.config_fields]


class BankTransferGateway(OfflineGateway):
    """Pay by bank transfer to the operator's account."""

    name: ClassVar[str] = "banktransfer"
    label: ClassVar[str] = "Bank transfer"
    default_template: ClassVar[str] = BANK_TEMPLATE
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("account_holder", "Account holder", required=True),
        ConfigField("iban", "IBAN", pattern=r"[A-Za-z]{2}[0-9]{2}( ?[A-Za-z0-9]){11,30}",
                    description="Shown in groups of four; leave empty for non-IBAN accounts "
                                "and give the details in the instructions"),
        ConfigField("bic", "BIC / SWIFT", pattern=r"[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?"),
        ConfigField("bank_name", "Bank name"),
        ConfigField("instructions", "Instructions", "textarea", default=BANK_TEMPLATE,
                    description=INSTRUCTIONS_HELP),
    )

    def placeholders(self, ctx: PaymentContext) -> dict[str, Any]:
        """As the base, with ``{iban}`` printed in groups of four and ``{bic}`` upper case."""
        values = super().placeholders(ctx)
        values["iban"] = group_iban(values["iban"])
        values["bic"] = values["bic"].upper()
        return values


class MailInGateway(OfflineGateway):
    """Pay by cheque or money order sent by post."""

    name: ClassVar[str] = "mailin"
    label: ClassVar[str] = "Mail-in payment"
    default_template: ClassVar[str] = MAIL_TEMPLATE
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("payee", "Payable to", required=True),
        ConfigField("address", "Postal address", "textarea", required=True),
        ConfigField("instructions", "Instructions", "textarea", default=MAIL_TEMPLATE,
                    description=INSTRUCTIONS_HELP),
    )

