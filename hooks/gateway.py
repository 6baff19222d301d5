"""Payment gateway modules: merchant (stored tokens, captures, refunds) and off-site
(payment links, redirects and signed callbacks).

Every money-moving method returns a :class:`PaymentResult` whose ``status`` is processed,
pending, declined or unknown. A declined card is a result; ``bridge.errors.ModuleError`` means
the gateway could not be reached. The core applies processed payments to invoices,
idempotently on ``transaction_id``: a callback replayed or a charge reported twice never pays
twice.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from .common import ClientInfo
from .config import ConfigField
from .markers import hookspec


class PaymentStatus(StrEnum):
    """The four outcomes a gateway can report."""

    PROCESSED = "processed"
    PENDING = "pending"
    DECLINED = "declined"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PaymentContext:
    """One payment to make or describe: an invoice, its amount and the payer.

    ``token`` is the stored payment method's gateway token (merchant gateways); ``config`` the
    gateway's settings as the operator saved them (secrets decrypted); ``return_url`` and
    ``callback_url`` are where an off-site gateway sends the payer and its notifications.
    """

    invoice_id: int
    amount: Decimal
    currency: str
    client: ClientInfo
    description: str = ""
    token: str = ""
    config: Mapping[str, str] = field(default_factory=dict)
    return_url: str = ""
    callback_url: str = ""


@dataclass(frozen=True)
class PaymentResult:
    """What the gateway said about a payment or refund.

    ``action_url`` is set for a pending payment that needs the payer (3-D Secure, redirect).
    ``raw`` is the gateway's answer, kept in the gateway log.
    """

    status: PaymentStatus
    transaction_id: str = ""
    amount: Decimal | None = None
    fees: Decimal = Decimal(0)
    message: str = ""
    action_url: str = ""
    raw: Any = None


@dataclass(frozen=True)
class StoredMethod:
    """A payment method saved at the gateway: its token and what may be shown of it."""

    token: str
    kind: str = "remote_card"
    description: str = ""
    card_type: str = ""
    last_four: str = ""
    expiry: str = ""  # MM/YYYY


@dataclass(frozen=True)
class PaymentLink:
    """How an off-site payment starts: a URL to send the payer to, an HTML form, or
    instructions (bank transfer)."""

    url: str = ""
    html: str = ""
    instructions: str = ""


@dataclass(frozen=True)
class CallbackRequest:
    """An incoming notification from the gateway, as the web layer received it."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str]
    body: bytes
    remote_addr: str = ""


@dataclass(frozen=True)
class CallbackResult:
    """A verified notification: which invoice it pays (or refunds) and the payment result.

    ``response`` is what to answer the gateway (body text), ``status_code`` its HTTP code.
    ``kind`` is payment or refund; ``refund_of`` names the original transaction id.
    """

    invoice_id: int | None
    payment: PaymentResult
    kind: str = "payment"
    refund_of: str = ""
    response: str = "OK"
    status_code: int = 200


class GatewayModule(ABC):  # noqa: B024 - each kind implements a different subset
    """Base class of gateways; list subclasses in ``register_gateway_modules``.

    ``kind`` is ``merchant`` (charges stored tokens), ``offsite`` (payment links and
    callbacks) or both (``hybrid``). Implement what the kind needs; the defaults report that
    an operation is not supported (status unknown).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    kind: ClassVar[str] = "merchant"
    config_fields: ClassVar[Sequence[ConfigField]] = ()
    currencies: ClassVar[Sequence[str]] = ()  # empty: any currency

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """``settings`` are the plugin's install settings (``[plugins.<name>]``)."""
        self.settings: Mapping[str, Any] = settings or {}

    def charge(self, ctx: PaymentContext) -> PaymentResult:
        """Charge ``ctx.amount`` to the stored ``ctx.token`` without the payer present."""
        return PaymentResult(PaymentStatus.UNKNOWN, message="charging is not supported")

    def capture(self, ctx: PaymentContext, transaction_id: str) -> PaymentResult:
        """Capture a payment authorised earlier."""
        return PaymentResult(PaymentStatus.UNKNOWN, message="capture is not supported")

    def refund(self, ctx: PaymentContext, transaction_id: str, amount: Decimal) -> PaymentResult:
        """Refund ``amount`` of the payment ``transaction_id``; the result's id is the refund's."""
        return PaymentResult(PaymentStatus.UNKNOWN, message="refunds are not supported")

    def store_method(self, ctx: PaymentContext, details: Mapping[str, str]) -> StoredMethod | None:
        """Save a payment method at the gateway (``details`` as the gateway's form sent them)."""
        return None

    def delete_method(self, ctx: PaymentContext, token: str) -> bool:
        """Remove a stored method; True when the gateway confirmed."""
        return False

    def payment_link(self, ctx: PaymentContext) -> PaymentLink:
        """Where or how the payer pays this invoice off-site."""
        return PaymentLink()

    def verify_callback(
        self, request: CallbackRequest, config: Mapping[str, str]
    ) -> CallbackResult | None:
        """Check a notification's signature and read it; None when it is not genuine."""
        return None


@hookspec
def register_gateway_modules() -> list[type[GatewayModule]]:  # type: ignore[empty-body]
    """Return the :class:`GatewayModule` subclasses this plugin provides (unique names)."""
