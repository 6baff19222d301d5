"""What localstripe cannot show, against a scripted stand-in speaking Stripe's wire format.

localstripe ignores ``Idempotency-Key``, has no Checkout Sessions, books every fee as 0, has
no ``amount_received`` and never fails an off-session payment with
``authentication_required``. For those, the ``recorder`` fixture answers as Stripe documents:
form-encoded requests with bracketed keys and JSON answers
(https://docs.stripe.com/api/payment_intents/create, .../payment_intents/object,
.../balance_transactions/object, .../checkout/sessions/create, .../refunds/object),
idempotent requests via the ``Idempotency-Key`` header (https://docs.stripe.com/api/idempotent_requests),
errors as ``{"error": {"type", "code", "message", ...}}`` with HTTP 402 for card errors and
400 for invalid requests and idempotency errors (https://docs.stripe.com/api/errors), and
the off-session ``authentication_required`` decline that carries the PaymentIntent
(https://docs.stripe.com/payments/save-and-reuse, "Charge the saved payment method later").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bridge.errors import ModuleError
from hooks import ClientInfo, PaymentContext, PaymentStatus
from plugins.stripe import StripeGateway
from plugins.stripe.amounts import from_minor, to_minor


def ctx_for(url: str, amount: str = "12.34", **overrides: Any) -> PaymentContext:
    values: dict[str, Any] = {
        "invoice_id": 5001, "amount": Decimal(amount), "currency": "USD",
        "client": ClientInfo(9, email="grace@example.test"), "token": "cus_abc|pm_abc",
        "config": {"secret_key": "sk_test_wire", "api_base": url},
    }
    values.update(overrides)
    return PaymentContext(**values)


def intent(status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "pi_wire1", "object": "payment_intent", "amount": 1234, "currency": "usd",
        "status": status, "client_secret": "pi_wire1_secret_x", "metadata": {"invoice_id": "5001"},
    }
    body.update(extra)
    return body


def test_charge_request_and_idempotency_key(gateway: StripeGateway, recorder: Any) -> None:
    recorder.script[("POST", "/v1/payment_intents")] = (200, intent(amount_received=1234))
    result = gateway.charge(ctx_for(recorder.url))
    sent = recorder.requests.get(timeout=5)
    assert sent["headers"]["Idempotency-Key"] == "inv-5001-1234usd-pm_abc"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_wire"
    form = sent["form"]
    assert (form["amount"], form["currency"], form["customer"], form["payment_method"]) == \
        ("1234", "usd", "cus_abc", "pm_abc")
    assert (form["confirm"], form["off_session"]) == ("true", "true")
    assert form["metadata[invoice_id]"] == "5001"
    assert form["expand[0]"] == "latest_charge.balance_transaction"
    assert result.status is PaymentStatus.PROCESSED
    assert result.transaction_id == "pi_wire1"


def test_same_invoice_amount_and_card_reuse_the_key(gateway: StripeGateway,
                                                   recorder: Any) -> None:
    recorder.script[("POST", "/v1/payment_intents")] = (200, intent())
    gateway.charge(ctx_for(recorder.url))
    gateway.charge(ctx_for(recorder.url))
    gateway.charge(ctx_for(recorder.url, token="cus_abc|pm_new"))
    keys = [recorder.requests.get(timeout=5)["headers"]["Idempotency-Key"] for _ in range(3)]
    assert keys[0] == keys[1] != keys[2]


def test_fee_and_amount_received(gateway: StripeGateway, recorder: Any) -> None:
    charge = {"id": "ch_1", "balance_transaction": {"id": "txn_1", "fee": 66, "currency": "usd"}}
    recorder.script[("POST", "/v1/payment_intents")] = (
        200, intent(amount=2000, amount_received=1234, latest_charge=charge))
    result = gateway.charge(ctx_for(recorder.url, "20.00"))
    assert (result.amount, result.fees) == (Decimal("12.34"), Decimal("0.66"))


def test_fee_in_settlement_currency_is_not_reported(gateway: StripeGateway,
                                                    recorder: Any) -> None:
    charge = {"id": "ch_1", "balance_transaction": {"id": "txn_1", "fee": 66, "currency": "eur"}}
    recorder.script[("POST", "/v1/payment_intents")] = (200, intent(latest_charge=charge))
    assert gateway.charge(ctx_for(recorder.url)).fees == Decimal(0)


def test_off_session_authentication_required(gateway: StripeGateway, recorder: Any) -> None:
    error = {"error": {
        "type": "card_error", "code": "authentication_required",
        "message": "Your card was declined. This transaction requires authentication.",
        "payment_intent": intent("requires_payment_method"),
    }}
    recorder.script[("POST", "/v1/payment_intents")] = (402, error)
    result = gateway.charge(ctx_for(recorder.url))
    assert result.status is PaymentStatus.DECLINED
    assert result.transaction_id == "pi_wire1"
    assert "3-D Secure" in result.message
    assert "client_secret" not in result.raw["payment_intent"]


def test_redirect_next_action_gives_action_url(gateway: StripeGateway, recorder: Any) -> None:
    action = {"type": "redirect_to_url",
              "redirect_to_url": {"url": "https://hooks.stripe.com/3d/x", "return_url": "r"}}
    recorder.script[("POST", "/v1/payment_intents")] = (
        200, intent("requires_action", next_action=action))
    result = gateway.charge(ctx_for(recorder.url))
    assert result.status is PaymentStatus.PENDING
    assert result.action_url == "https://hooks.stripe.com/3d/x"


@pytest.mark.parametrize(("status", "body", "expected"), [
    (500, {"error": {"type": "api_error", "message": "boom"}}, PaymentStatus.UNKNOWN),
    (400, {"error": {"type": "idempotency_error", "message": "key reused"}},
     PaymentStatus.UNKNOWN),
    (400, {"error": {"type": "invalid_request_error", "message": "Amount must be at least"}},
     PaymentStatus.DECLINED),
])
def test_error_answers(gateway: StripeGateway, recorder: Any, status: int,
                       body: dict[str, Any], expected: PaymentStatus) -> None:
    recorder.script[("POST", "/v1/payment_intents")] = (status, body)
    result = gateway.charge(ctx_for(recorder.url))
    assert result.status is expected
    assert body["error"]["message"] in result.message


def test_rate_limited_is_a_module_error(gateway: StripeGateway, recorder: Any) -> None:
    recorder.script[("POST", "/v1/payment_intents")] = (
        429, {"error": {"type": "invalid_request_error", "message": "Too many requests"}})
    with pytest.raises(ModuleError, match="Too many requests"):
        gateway.charge(ctx_for(recorder.url))


@pytest.mark.parametrize(("refund_status", "expected"), [
    ("pending", PaymentStatus.PENDING), ("failed", PaymentStatus.DECLINED),
])
def test_refund_statuses(gateway: StripeGateway, recorder: Any, refund_status: str,
                         expected: PaymentStatus) -> None:
    recorder.script[("POST", "/v1/refunds")] = (200, {
        "id": "re_1", "object": "refund", "amount": 500, "currency": "usd",
        "status": refund_status, "payment_intent": "pi_wire1",
        "failure_reason": "expired_or_canceled_card" if refund_status == "failed" else None})
    result = gateway.refund(ctx_for(recorder.url), "pi_wire1", Decimal("5.00"))
    assert (result.status, result.transaction_id, result.amount) == \
        (expected, "re_1", Decimal("5.00"))
    form = recorder.requests.get(timeout=5)["form"]
    assert (form["payment_intent"], form["amount"]) == ("pi_wire1", "500")


def test_checkout_session(gateway: StripeGateway, recorder: Any) -> None:
    recorder.script[("POST", "/v1/checkout/sessions")] = (200, {
        "id": "cs_test_1", "object": "checkout.session", "mode": "payment",
        "status": "open", "payment_status": "unpaid",
        "url": "https://checkout.stripe.com/c/pay/cs_test_1"})
    ctx = ctx_for(recorder.url, "1500", currency="JPY", description="Invoice #5001",
                  return_url="https://billing.example.test/viewinvoice/5001")
    link = gateway.payment_link(ctx)
    assert link.url == "https://checkout.stripe.com/c/pay/cs_test_1"
    form = recorder.requests.get(timeout=5)["form"]
    assert form["mode"] == "payment"
    assert form["success_url"] == form["cancel_url"] == ctx.return_url
    assert form["line_items[0][price_data][unit_amount]"] == "1500"
    assert form["line_items[0][price_data][currency]"] == "jpy"
    assert form["line_items[0][price_data][product_data][name]"] == "Invoice #5001"
    assert form["metadata[invoice_id]"] == "5001"
    assert form["payment_intent_data[metadata][invoice_id]"] == "5001"
    assert form["customer_email"] == "grace@example.test"


def test_checkout_needs_return_url_and_a_url_back(gateway: StripeGateway,
                                                  recorder: Any) -> None:
    with pytest.raises(ModuleError, match="return URL"):
        gateway.payment_link(ctx_for(recorder.url))
    recorder.script[("POST", "/v1/checkout/sessions")] = (200, {"id": "cs_1", "url": None})
    with pytest.raises(ModuleError, match="without a URL"):
        gateway.payment_link(ctx_for(recorder.url, return_url="https://x.test/"))


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("12.34", "usd", 1234), ("12.3400", "EUR", 1234), ("500", "JPY", 500),
    ("1.230", "KWD", 1230), ("0.01", "usd", 1), ("1000.00", "krw", 1000),
])
def test_minor_units_round_trip(amount: str, currency: str, minor: int) -> None:
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(("amount", "currency"), [("1.005", "usd"), ("10.5", "JPY")])
def test_minor_units_refuse_extra_decimals(amount: str, currency: str) -> None:
    with pytest.raises(ValueError, match="more decimals"):
        to_minor(Decimal(amount), currency)
