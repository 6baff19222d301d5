"""Saving cards at Stripe: the Customer, and the PaymentMethod or token-made source.

Stripe references: https://docs.stripe.com/api/customers/create,
https://docs.stripe.com/api/payment_methods/attach, https://docs.stripe.com/api/cards/create
(a ``tok_`` token saved as a customer source; its ``card_`` id works as a PaymentIntent
``payment_method``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import stripe

from hooks import PaymentContext

from .client import describe

log = logging.getLogger(__name__)


def create_customer(client: stripe.StripeClient, ctx: PaymentContext) -> str:
    """A Customer for ``ctx.client`` (name, email, ``metadata.client_id``); its id."""
    info = ctx.client
    name = " ".join(part for part in (info.first_name, info.last_name) if part)
    params: dict[str, Any] = {"metadata": {"client_id": str(info.id)}}
    if name or info.company_name:
        params["name"] = name or info.company_name
    if info.email:
        params["email"] = info.email
    customer = client.v1.customers.create(params=params)  # type: ignore[arg-type]
    return str(customer.id)


def attach(
    client: stripe.StripeClient, customer_id: str, details: Mapping[str, str]
) -> tuple[str | None, Mapping[str, Any]]:
    """Attach what ``details`` describe to the customer: ``(method id, card fields)``."""
    if details.get("payment_method"):
        pm = client.v1.payment_methods.attach(
            details["payment_method"], params={"customer": customer_id}
        ).to_dict()
        return str(pm["id"]), pm.get("card") or {}
    if details.get("token"):
        source = client.v1.customers.payment_sources.create(
            customer_id, params={"source": details["token"]}
        ).to_dict()
        return str(source["id"]), source
    if details.get("number"):
        card = {key: str(details.get(key) or "").strip()
                for key in ("number", "exp_month", "exp_year", "cvc")}
        created = client.v1.payment_methods.create(
            params={"type": "card", "card": card}  # type: ignore[arg-type]
        )
        pm = client.v1.payment_methods.attach(
            str(created.id), params={"customer": customer_id}
        ).to_dict()
        return str(pm["id"]), pm.get("card") or {}
    return None, {}


def forget_customer(client: stripe.StripeClient, customer_id: str) -> None:
    """Delete a Customer created for a card Stripe then refused (best effort)."""
    try:
        client.v1.customers.delete(customer_id)
    except stripe.StripeError as exc:
        log.info("could not delete Stripe customer %s: %s", customer_id, describe(exc))
