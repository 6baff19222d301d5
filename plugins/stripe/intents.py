"""Reading Stripe PaymentIntents, cards and refunds into hostbridge results.

Pure functions over the JSON Stripe returns (as plain dicts), shared by the charge path and
the webhook path so both report the same ids and amounts. Field meanings follow Stripe's API
reference: https://docs.stripe.com/api/payment_intents/object,
https://docs.stripe.com/api/refunds/object, https://docs.stripe.com/api/payment_methods/object.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hooks import PaymentResult, PaymentStatus, StoredMethod

from .amounts import from_minor

BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "american express": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "diners club": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}

_REFUND_STATUS = {
    "succeeded": PaymentStatus.PROCESSED,
    "pending": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "failed": PaymentStatus.DECLINED,
    "canceled": PaymentStatus.DECLINED,
}

AUTH_NEEDED = (
    "the card issuer requires the payer to authenticate this payment (3-D Secure); "
    "ask the client to pay the invoice online"
)


def join_token(customer_id: str, method_id: str) -> str:
    """The stored token: ``cus_...|pm_...`` (or ``cus_...|card_...`` for token-made cards)."""
    return f"{customer_id}|{method_id}"


def split_token(token: str) -> tuple[str, str]:
    """``(customer id, payment method id)`` of a stored token; ValueError when malformed."""
    customer_id, sep, method_id = token.strip().partition("|")
    if not sep or not customer_id.startswith("cus_") or not method_id:
        raise ValueError(f"stored token {token!r} is not a Stripe 'cus_...|pm_...' pair")
    return customer_id, method_id


def stored_method(token: str, card: Mapping[str, Any]) -> StoredMethod:
    """A :class:`StoredMethod` from a PaymentMethod's ``card`` hash or a legacy Card object
    (both carry ``brand``, ``last4``, ``exp_month``, ``exp_year``)."""
    brand = str(card.get("brand") or "")
    card_type = BRANDS.get(brand.lower(), brand.title())
    last_four = str(card.get("last4") or "")
    expiry = ""
    if card.get("exp_month") and card.get("exp_year"):
        expiry = f"{int(card['exp_month']):02d}/{int(card['exp_year']):04d}"
    description = f"{card_type} ending {last_four}".strip() if last_four else card_type
    return StoredMethod(
        token=token,
        kind="remote_card",
        description=description,
        card_type=card_type,
        last_four=last_four,
        expiry=expiry,
    )


def intent_result(intent: Mapping[str, Any]) -> PaymentResult:
    """What a PaymentIntent's ``status`` means for hostbridge.

    succeeded -> processed (fees from the expanded balance transaction when it is in the
    charge's currency); processing, requires_action, requires_confirmation, requires_capture
    -> pending (``action_url`` from a ``redirect_to_url`` next action); requires_payment_method
    and canceled -> declined with the last payment error.
    """
    currency = str(intent.get("currency") or "usd")
    status = intent.get("status")
    amount = from_minor(intent.get("amount_received") or intent.get("amount") or 0, currency)
    raw = public_intent(intent)
    pi_id = str(intent.get("id") or "")
    if status == "succeeded":
        return PaymentResult(PaymentStatus.PROCESSED, pi_id, amount, charge_fee(intent), raw=raw)
    if status in ("processing", "requires_action", "requires_confirmation", "requires_capture"):
        next_action = intent.get("next_action") or {}
        redirect = next_action.get("redirect_to_url") or {}
        message = AUTH_NEEDED if status == "requires_action" else f"payment is {status}"
        return PaymentResult(
            PaymentStatus.PENDING, pi_id, amount, message=message,
            action_url=str(redirect.get("url") or ""), raw=raw,
        )
    error = intent.get("last_payment_error") or {}
    message = str(error.get("message") or f"payment {status or 'failed'}")
    return PaymentResult(PaymentStatus.DECLINED, pi_id, amount, message=message, raw=raw)


def charge_fee(intent: Mapping[str, Any]) -> Decimal:
    """Stripe's fee from ``latest_charge.balance_transaction`` when expanded; 0 otherwise.

    A balance transaction is in the account's settlement currency; when that differs from the
    charge currency the fee is not comparable to the payment and 0 is reported.
    """
    charge = intent.get("latest_charge")
    if not isinstance(charge, Mapping):
        return Decimal(0)
    txn = charge.get("balance_transaction")
    if not isinstance(txn, Mapping) or txn.get("fee") is None:
        return Decimal(0)
    currency = str(intent.get("currency") or "")
    if str(txn.get("currency") or "").lower() != currency.lower():
        return Decimal(0)
    return from_minor(txn["fee"], currency)


def refund_result(refund: Mapping[str, Any]) -> PaymentResult:
    """A Refund object as a result whose ``transaction_id`` is the refund id (``re_...``)."""
    currency = str(refund.get("currency") or "usd")
    status = _REFUND_STATUS.get(str(refund.get("status")), PaymentStatus.UNKNOWN)
    message = str(refund.get("failure_reason") or "") if status is PaymentStatus.DECLINED else ""
    return PaymentResult(
        status,
        transaction_id=str(refund.get("id") or ""),
        amount=from_minor(refund.get("amount") or 0, currency),
        message=message,
        raw=dict(refund),
    )


def public_intent(intent: Mapping[str, Any]) -> dict[str, Any]:
    """The intent for the gateway log, without its ``client_secret`` (which lets anyone with
    the publishable key confirm the payment)."""
    return {key: value for key, value in intent.items() if key != "client_secret"}


def invoice_id_of(obj: Mapping[str, Any]) -> int | None:
    """``metadata.invoice_id`` as an int (None when absent or not a number)."""
    metadata = obj.get("metadata") or {}
    value = str(metadata.get("invoice_id") or "").strip()
    return int(value) if value.isdigit() else None
