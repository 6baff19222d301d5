"""Stripe webhooks: signature check and the events that pay or refund an invoice.

Signature: the ``Stripe-Signature`` header (``t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the endpoint's whsec_ secret>``), checked by
``stripe.Webhook.construct_event`` with its default 300-second tolerance
(https://docs.stripe.com/webhooks#verify-events). Events understood:

- ``payment_intent.succeeded`` -> processed payment of ``metadata.invoice_id``;
- ``payment_intent.payment_failed`` -> declined;
- ``charge.refunded`` -> a refund (``kind="refund"``) of the PaymentIntent.

Everything else is acknowledged (200) with an unknown result, so Stripe stops resending it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

import stripe

from bridge.errors import ModuleError
from hooks import CallbackRequest, CallbackResult, PaymentResult, PaymentStatus

from . import intents
from .client import describe, reachable

log = logging.getLogger(__name__)

ClientFactory = Callable[[], AbstractContextManager[stripe.StripeClient]]


def read_event(
    request: CallbackRequest, config: Mapping[str, str], client_factory: ClientFactory
) -> CallbackResult | None:
    """Verify ``request`` with ``config["webhook_secret"]`` and map the event it carries.

    None for a missing secret, a missing or wrong signature, a stale timestamp or a body
    that is not a Stripe event. ``client_factory`` is used only when a ``charge.refunded``
    event does not embed its refunds (API versions from 2022-11-15 on).
    """
    secret = (config.get("webhook_secret") or "").strip()
    if not secret:
        log.warning("Stripe webhook refused: the gateway has no webhook signing secret")
        return None
    signature = _header(request.headers, "Stripe-Signature")
    if not signature:
        return None
    try:
        event = stripe.Webhook.construct_event(request.body, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        log.info("Stripe webhook refused: %s", exc)
        return None
    data: dict[str, Any] = event.to_dict()
    kind = str(data.get("type") or "")
    obj = (data.get("data") or {}).get("object") or {}
    if kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return _intent_event(obj)
    if kind == "charge.refunded":
        return _refund_event(obj, client_factory)
    return CallbackResult(None, PaymentResult(PaymentStatus.UNKNOWN,
                                              message=f"event {kind or '?'} ignored"))


def _intent_event(intent: Mapping[str, Any]) -> CallbackResult:
    invoice_id = intents.invoice_id_of(intent)
    if invoice_id is None:
        return CallbackResult(None, PaymentResult(
            PaymentStatus.UNKNOWN, str(intent.get("id") or ""),
            message="PaymentIntent without invoice_id metadata: not a hostbridge payment",
        ))
    return CallbackResult(invoice_id, intents.intent_result(intent))


def _refund_event(charge: Mapping[str, Any], client_factory: ClientFactory) -> CallbackResult:
    """The newest refund of a refunded charge, reported against its PaymentIntent."""
    charge_id = str(charge.get("id") or "")
    payment_id = str(charge.get("payment_intent") or "") or charge_id
    refunds = _embedded_refunds(charge)
    if refunds is None:
        refunds = _fetch_refunds(client_factory, charge_id)
    if not refunds:
        return CallbackResult(None, PaymentResult(
            PaymentStatus.UNKNOWN, message=f"charge {charge_id} refunded, but no refund found"
        ), kind="refund", refund_of=payment_id)
    refund = max(refunds, key=lambda item: int(item.get("created") or 0))
    invoice_id = intents.invoice_id_of(refund) or intents.invoice_id_of(charge)
    if invoice_id is None and payment_id.startswith("pi_"):
        invoice_id = _invoice_of_intent(client_factory, payment_id)
    result = intents.refund_result({"currency": charge.get("currency"), **refund})
    return CallbackResult(invoice_id, result, kind="refund", refund_of=payment_id)


def _embedded_refunds(charge: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    listing = charge.get("refunds")
    if isinstance(listing, Mapping) and isinstance(listing.get("data"), list):
        return [item for item in listing["data"] if isinstance(item, Mapping)]
    return None


def _fetch_refunds(client_factory: ClientFactory, charge_id: str) -> list[Mapping[str, Any]]:
    with client_factory() as client, reachable("read the refunds of a refunded charge"):
        try:
            listing = client.v1.refunds.list(params={"charge": charge_id, "limit": 100})
        except stripe.StripeError as exc:
            raise ModuleError(f"Stripe: could not read refunds of {charge_id}: "
                              f"{describe(exc)}") from exc
    return [item.to_dict() for item in listing.data]


def _invoice_of_intent(client_factory: ClientFactory, payment_id: str) -> int | None:
    with client_factory() as client, reachable("read the refunded PaymentIntent"):
        try:
            intent = client.v1.payment_intents.retrieve(payment_id)
        except stripe.StripeError as exc:
            raise ModuleError(f"Stripe: could not read {payment_id}: {describe(exc)}") from exc
    return intents.invoice_id_of(intent.to_dict())


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header value whatever the case the web layer used for its name."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""
