"""The Stripe gateway module: stored cards, off-session charges, refunds, Checkout links.

Stored token: ``cus_...|pm_...`` (or ``cus_...|card_...`` for cards stored from a ``tok_``
token). Transaction id of a payment: the PaymentIntent id (``pi_...``), the same in
:meth:`StripeGateway.charge`, in refunds (``refund(transaction_id="pi_...")``) and in
webhooks. A refund's transaction id is the Refund id (``re_...``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import stripe

from bridge.errors import ModuleError
from hooks import (
    CallbackRequest,
    CallbackResult,
    ConfigField,
    GatewayModule,
    PaymentContext,
    PaymentLink,
    PaymentResult,
    PaymentStatus,
    StoredMethod,
)

from . import cards, intents, webhook
from .amounts import to_minor
from .client import describe, error_body, open_client, reachable

log = logging.getLogger(__name__)


def idempotency_key(ctx: PaymentContext, minor: int, method_id: str) -> str:
    """``inv-<invoice id>-<amount in minor units><currency>-<payment method id>``.

    The same invoice, amount and card within Stripe's 24-hour key window gives the same
    PaymentIntent instead of a second charge (a crash after Stripe charged, a double-clicked
    button, a retried cron run). The payment method is part of the key so that a client who
    replaces a declined card can be charged at once: Stripe refuses a reused key whose
    parameters differ.
    """
    return f"inv-{ctx.invoice_id}-{minor}{ctx.currency.lower()}-{method_id}"


class StripeGateway(GatewayModule):
    """Stripe via the official SDK: PaymentIntents off-session, Checkout, signed webhooks."""

    name: ClassVar[str] = "stripe"
    label: ClassVar[str] = "Stripe"
    version: ClassVar[str] = "1.0"
    kind: ClassVar[str] = "hybrid"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("secret_key", "Secret key", "password", required=True, secret=True,
                    pattern=r"(sk|rk)_\w+",
                    description="sk_live_... / sk_test_... (or a restricted rk_ key)"),
        ConfigField("publishable_key", "Publishable key", pattern=r"pk_\w+",
                    description="pk_live_... / pk_test_..., used by Stripe.js card forms"),
        ConfigField("webhook_secret", "Webhook signing secret", "password", secret=True,
                    pattern=r"whsec_\w+",
                    description="whsec_... of the webhook endpoint; without it webhooks "
                                "are refused"),
        ConfigField("api_base", "API base URL", pattern=r"https?://\S+",
                    description="Leave empty for Stripe; set to a localstripe URL for tests"),
    )

    # -- stored methods ---------------------------------------------------------------------

    def store_method(self, ctx: PaymentContext, details: Mapping[str, str]) -> StoredMethod | None:
        """Save a card at Stripe under a Customer and return its ``cus|pm`` token.

        ``details`` carry one of: ``payment_method`` (a ``pm_`` id from Stripe.js),
        ``token`` (a ``tok_`` card token, saved as a customer source), or raw card fields
        ``number``, ``exp_month``, ``exp_year``, ``cvc`` (test servers and PCI-approved
        accounts only). With ``customer`` the card joins that Customer, else a new Customer
        is created for ``ctx.client``. A declined or invalid card returns None (the reason
        is logged); an unreachable Stripe raises ModuleError.
        """
        if not any(details.get(key) for key in ("payment_method", "token", "number")):
            log.info("store_method for client %s: no payment_method, token or card number",
                     ctx.client.id)
            return None
        customer_id = (details.get("customer") or "").strip()
        created = False
        with open_client(ctx.config, self.settings) as client, reachable("store the card"):
            try:
                if not customer_id:
                    customer_id = cards.create_customer(client, ctx)
                    created = True
                method_id, card = cards.attach(client, customer_id, details)
            except (stripe.CardError, stripe.InvalidRequestError) as exc:
                log.info("Stripe refused to store a card for client %s: %s",
                         ctx.client.id, describe(exc))
                if created:
                    cards.forget_customer(client, customer_id)
                return None
            except stripe.APIError as exc:
                raise ModuleError(f"Stripe: could not store the card: {describe(exc)}") from exc
        if method_id is None:
            return None
        return intents.stored_method(intents.join_token(customer_id, method_id), card)

    def delete_method(self, ctx: PaymentContext, token: str) -> bool:
        """Detach the stored card (or delete the token-made source); True when Stripe agreed."""
        try:
            customer_id, method_id = intents.split_token(token)
        except ValueError:
            return False
        with open_client(ctx.config, self.settings) as client, reachable("remove the card"):
            try:
                if method_id.startswith("pm_"):
                    client.v1.payment_methods.detach(method_id)
                else:
                    client.v1.customers.payment_sources.delete(customer_id, method_id)
            except (stripe.InvalidRequestError, stripe.APIError) as exc:
                log.info("Stripe did not remove %s: %s", method_id, describe(exc))
                return False
        return True

    # -- money ------------------------------------------------------------------------------

    def charge(self, ctx: PaymentContext) -> PaymentResult:
        """Charge the stored card off-session with a confirmed PaymentIntent.

        PaymentIntent metadata carries ``invoice_id`` (webhooks read it back); the
        idempotency key is :func:`idempotency_key`. Result mapping: see
        :func:`intents.intent_result`; a card error is declined (``authentication_required``
        explains that the payer must pay on-session); an invalid request is declined with
        Stripe's message; a Stripe 5xx is unknown (the payment may or may not exist).
        """
        if not ctx.token:
            return PaymentResult(PaymentStatus.DECLINED, message="no Stripe card is stored")
        try:
            customer_id, method_id = intents.split_token(ctx.token)
        except ValueError as exc:
            return PaymentResult(PaymentStatus.DECLINED, message=str(exc))
        minor = self._minor(ctx.amount, ctx.currency)
        params: dict[str, Any] = {
            "amount": minor,
            "currency": ctx.currency.lower(),
            "customer": customer_id,
            "payment_method": method_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "off_session": True,
            # ``description`` lives in metadata: localstripe refuses the top-level field
            "metadata": {"invoice_id": str(ctx.invoice_id), "client_id": str(ctx.client.id),
                         "description": ctx.description or f"Invoice #{ctx.invoice_id}"},
            "expand": ["latest_charge.balance_transaction"],
        }
        key = idempotency_key(ctx, minor, method_id)
        with open_client(ctx.config, self.settings) as client, reachable("charge the card"):
            try:
                intent = client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": key},
                )
            except stripe.CardError as exc:
                return self._card_error(exc, ctx)
            except stripe.IdempotencyError as exc:
                return PaymentResult(PaymentStatus.UNKNOWN, message=describe(exc))
            except stripe.InvalidRequestError as exc:
                return PaymentResult(PaymentStatus.DECLINED, message=describe(exc),
                                     raw=error_body(exc))
            except stripe.APIError as exc:
                return PaymentResult(
                    PaymentStatus.UNKNOWN, raw=error_body(exc),
                    message=f"Stripe answered with an error; check the dashboard before "
                            f"retrying: {describe(exc)}",
                )
        return intents.intent_result(intent.to_dict())

    def refund(self, ctx: PaymentContext, transaction_id: str, amount: Decimal) -> PaymentResult:
        """Refund ``amount`` of the payment ``transaction_id`` (a ``pi_`` id; ``ch_`` accepted).

        The result's transaction id is the Refund id; a refusal (already refunded, amount too
        large) is declined with Stripe's message.
        """
        params: dict[str, Any] = {
            "amount": self._minor(amount, ctx.currency),
            "metadata": {"invoice_id": str(ctx.invoice_id)},
        }
        if transaction_id.startswith("pi_"):
            params["payment_intent"] = transaction_id
        elif transaction_id.startswith("ch_"):
            params["charge"] = transaction_id
        else:
            return PaymentResult(PaymentStatus.DECLINED,
                                 message=f"{transaction_id!r} is not a Stripe payment id")
        with open_client(ctx.config, self.settings) as client, reachable("refund the payment"):
            try:
                refund = client.v1.refunds.create(params=params)  # type: ignore[arg-type]
            except (stripe.CardError, stripe.InvalidRequestError) as exc:
                return PaymentResult(PaymentStatus.DECLINED, message=describe(exc),
                                     raw=error_body(exc))
            except stripe.APIError as exc:
                return PaymentResult(PaymentStatus.UNKNOWN, message=describe(exc),
                                     raw=error_body(exc))
        return intents.refund_result(refund.to_dict())

    def payment_link(self, ctx: PaymentContext) -> PaymentLink:
        """A Stripe Checkout Session (mode payment) for the invoice; its URL.

        The session and its PaymentIntent carry ``invoice_id`` metadata, so the
        ``payment_intent.succeeded`` webhook pays the invoice. Needs ``ctx.return_url``
        (success and cancel both return there). Stripe refusing or unreachable: ModuleError.
        """
        if not ctx.return_url:
            raise ModuleError("Stripe Checkout needs a return URL for the payer")
        metadata = {"invoice_id": str(ctx.invoice_id), "client_id": str(ctx.client.id)}
        params: dict[str, Any] = {
            "mode": "payment",
            "success_url": ctx.return_url,
            "cancel_url": ctx.return_url,
            "client_reference_id": str(ctx.invoice_id),
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": ctx.currency.lower(),
                    "unit_amount": self._minor(ctx.amount, ctx.currency),
                    "product_data": {"name": ctx.description or f"Invoice #{ctx.invoice_id}"},
                },
            }],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
        }
        if ctx.client.email:
            params["customer_email"] = ctx.client.email
        with open_client(ctx.config, self.settings) as client, reachable("start Checkout"):
            try:
                session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
            except stripe.StripeError as exc:
                raise ModuleError(
                    f"Stripe: could not start a Checkout session: {describe(exc)}"
                ) from exc
        url = session.to_dict().get("url") or ""
        if not url:
            raise ModuleError("Stripe created a Checkout session without a URL")
        return PaymentLink(url=str(url))

    def verify_callback(
        self, request: CallbackRequest, config: Mapping[str, str]
    ) -> CallbackResult | None:
        """A signed Stripe webhook read into a result; None when the signature is not good.

        See :mod:`plugins.stripe.webhook` for the events understood.
        """
        return webhook.read_event(request, config, lambda: open_client(config, self.settings))

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _minor(amount: Decimal, currency: str) -> int:
        try:
            return to_minor(amount, currency)
        except ValueError as exc:
            raise ModuleError(f"Stripe: {exc}") from exc

    @staticmethod
    def _card_error(exc: stripe.CardError, ctx: PaymentContext) -> PaymentResult:
        error = dict(error_body(exc))
        intent = error.get("payment_intent")
        pi_id = ""
        if isinstance(intent, Mapping):
            pi_id = str(intent.get("id") or "")
            error["payment_intent"] = intents.public_intent(intent)
        message = describe(exc)
        if getattr(exc, "code", None) == "authentication_required":
            message = intents.AUTH_NEEDED
        return PaymentResult(PaymentStatus.DECLINED, pi_id, ctx.amount, message=message,
                             raw=error)
