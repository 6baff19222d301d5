"""The Stripe gateway end-to-end against a real localstripe server.

localstripe's test cards (read from its ``resources.py``): 4242424242424242 succeeds;
4000000000000002 is declined when attached to a customer; 4000000000000341 attaches but its
charges are declined; 4000002500003155 requires 3-D Secure (the PaymentIntent stops in
``requires_action``). ``pm_card_visa`` is the canonical test PaymentMethod.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests

from bridge.errors import ModuleError
from hooks import PaymentContext, PaymentStatus, StoredMethod
from plugins.stripe import StripeGateway

Ctx = Callable[..., PaymentContext]


def raw_card(number: str) -> dict[str, str]:
    """Card fields as a test form would post them."""
    return {"number": number, "exp_month": "12", "exp_year": "2031", "cvc": "123"}


def stored(gateway: StripeGateway, make_ctx: Ctx, details: dict[str, str]) -> StoredMethod:
    method = gateway.store_method(make_ctx(), details)
    assert method is not None
    return method


def stripe_get(url: str, path: str) -> dict[str, Any]:
    answer = requests.get(f"{url}{path}", auth=("sk_test_hostbridge", ""), timeout=5)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_store_payment_method_id(gateway: StripeGateway, make_ctx: Ctx,
                                 localstripe_url: str) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    customer_id, _, pm_id = method.token.partition("|")
    assert customer_id.startswith("cus_") and pm_id.startswith("pm_")
    assert (method.card_type, method.last_four, method.expiry) == ("Visa", "4242", "12/2030")
    customer = stripe_get(localstripe_url, f"/v1/customers/{customer_id}")
    assert customer["email"] == "ada@example.test"
    assert customer["metadata"] == {"client_id": "7"}
    assert stripe_get(localstripe_url, f"/v1/payment_methods/{pm_id}")["customer"] == customer_id


def test_store_token_and_reuse_customer(gateway: StripeGateway, make_ctx: Ctx,
                                        localstripe_url: str) -> None:
    first = stored(gateway, make_ctx, raw_card("4242424242424242"))
    customer_id = first.token.split("|")[0]
    token = requests.post(f"{localstripe_url}/v1/tokens", auth=("sk_test_hostbridge", ""),
                          data={f"card[{k}]": v for k, v in raw_card("4242424242424242").items()},
                          timeout=5).json()["id"]
    second = stored(gateway, make_ctx, {"token": token, "customer": customer_id})
    assert second.token.startswith(f"{customer_id}|card_")
    assert (second.last_four, second.expiry) == ("4242", "12/2031")
    charged = gateway.charge(make_ctx(token=second.token, invoice_id=2001))
    assert charged.status is PaymentStatus.PROCESSED
    assert gateway.delete_method(make_ctx(), second.token) is True
    sources = stripe_get(localstripe_url, f"/v1/customers/{customer_id}/sources")["data"]
    assert second.token.split("|")[1] not in [source["id"] for source in sources]


def test_store_declined_card_returns_none_and_leaves_no_customer(
    gateway: StripeGateway, make_ctx: Ctx, localstripe_url: str
) -> None:
    before = len(stripe_get(localstripe_url, "/v1/customers?limit=100")["data"])
    assert gateway.store_method(make_ctx(), raw_card("4000000000000002")) is None
    after = len(stripe_get(localstripe_url, "/v1/customers?limit=100")["data"])
    assert after == before


def test_store_without_card_details_returns_none(gateway: StripeGateway, make_ctx: Ctx) -> None:
    assert gateway.store_method(make_ctx(), {"name": "Ada"}) is None


def test_charge_processed(gateway: StripeGateway, make_ctx: Ctx, localstripe_url: str) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    result = gateway.charge(make_ctx("12.34", token=method.token, invoice_id=3001))
    assert result.status is PaymentStatus.PROCESSED
    assert result.transaction_id.startswith("pi_")
    assert result.amount == Decimal("12.34")
    assert result.fees == Decimal(0)  # localstripe's balance transactions carry no fee
    assert "client_secret" not in result.raw
    intent = stripe_get(localstripe_url, f"/v1/payment_intents/{result.transaction_id}")
    assert (intent["amount"], intent["currency"], intent["status"]) == (1234, "usd", "succeeded")
    assert intent["metadata"] == {"invoice_id": "3001", "client_id": "7",
                                  "description": "Invoice #3001"}


def test_charge_zero_decimal_currency(gateway: StripeGateway, make_ctx: Ctx,
                                      localstripe_url: str) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    result = gateway.charge(make_ctx("1500.00", currency="JPY", token=method.token))
    assert result.status is PaymentStatus.PROCESSED
    assert result.amount == Decimal(1500)
    intent = stripe_get(localstripe_url, f"/v1/payment_intents/{result.transaction_id}")
    assert (intent["amount"], intent["currency"]) == (1500, "jpy")


def test_charge_refuses_amount_finer_than_currency(gateway: StripeGateway, make_ctx: Ctx) -> None:
    with pytest.raises(ModuleError, match="JPY"):
        gateway.charge(make_ctx("10.50", currency="JPY", token="cus_x|pm_y"))


def test_charge_declined(gateway: StripeGateway, make_ctx: Ctx) -> None:
    method = stored(gateway, make_ctx, raw_card("4000000000000341"))
    result = gateway.charge(make_ctx(token=method.token))
    assert result.status is PaymentStatus.DECLINED
    assert "declined" in result.message.lower()
    assert "card_declined" in result.message


def test_charge_needing_3d_secure_is_pending_until_authenticated(
    gateway: StripeGateway, make_ctx: Ctx, localstripe_url: str
) -> None:
    method = stored(gateway, make_ctx, raw_card("4000002500003155"))
    result = gateway.charge(make_ctx(token=method.token, invoice_id=3002))
    assert result.status is PaymentStatus.PENDING
    assert result.transaction_id.startswith("pi_")
    assert "3-D Secure" in result.message
    # the payer authenticates (what localstripe's Stripe.js stand-in posts)
    intent = stripe_get(localstripe_url, f"/v1/payment_intents/{result.transaction_id}")
    answer = requests.post(
        f"{localstripe_url}/v1/payment_intents/{result.transaction_id}/_authenticate",
        data={"key": "pk_test_hostbridge", "client_secret": intent["client_secret"],
              "success": "true"}, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded"


@pytest.mark.parametrize("token", ["", "pm_only", "cus_x"])
def test_charge_without_usable_token_is_declined(gateway: StripeGateway, make_ctx: Ctx,
                                                 token: str) -> None:
    result = gateway.charge(make_ctx(token=token))
    assert result.status is PaymentStatus.DECLINED
    assert result.message


def test_charge_unknown_payment_method_is_declined(gateway: StripeGateway, make_ctx: Ctx) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    customer_id = method.token.split("|")[0]
    result = gateway.charge(make_ctx(token=f"{customer_id}|pm_doesnotexist"))
    assert result.status is PaymentStatus.DECLINED


def test_refund_full_and_partial(gateway: StripeGateway, make_ctx: Ctx,
                                 localstripe_url: str) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    first = gateway.charge(make_ctx("20.00", token=method.token, invoice_id=4001))
    full = gateway.refund(make_ctx("20.00"), first.transaction_id, Decimal("20.00"))
    assert full.status is PaymentStatus.PROCESSED
    assert full.transaction_id.startswith("re_")
    assert full.amount == Decimal("20.00")

    second = gateway.charge(make_ctx("20.00", token=method.token, invoice_id=4002))
    part = gateway.refund(make_ctx("20.00"), second.transaction_id, Decimal("7.50"))
    assert part.status is PaymentStatus.PROCESSED
    assert part.amount == Decimal("7.50")
    refund = stripe_get(localstripe_url, f"/v1/refunds/{part.transaction_id}")
    assert refund["amount"] == 750
    assert refund["payment_intent"] == second.transaction_id


def test_refund_of_unknown_or_foreign_id_is_declined(gateway: StripeGateway,
                                                     make_ctx: Ctx) -> None:
    assert gateway.refund(make_ctx(), "pi_doesnotexist", Decimal(1)).status \
        is PaymentStatus.DECLINED
    assert gateway.refund(make_ctx(), "txn_123", Decimal(1)).status is PaymentStatus.DECLINED


def test_delete_method(gateway: StripeGateway, make_ctx: Ctx, localstripe_url: str) -> None:
    method = stored(gateway, make_ctx, {"payment_method": "pm_card_visa"})
    assert gateway.delete_method(make_ctx(), method.token) is True
    pm_id = method.token.split("|")[1]
    assert stripe_get(localstripe_url, f"/v1/payment_methods/{pm_id}")["customer"] is None
    assert gateway.delete_method(make_ctx(), "garbage") is False


def test_wrong_key_is_a_module_error(gateway: StripeGateway, make_ctx: Ctx,
                                     config: dict[str, str]) -> None:
    # localstripe answers 401 to any key that is not "sk_" plus at least three characters
    bad = make_ctx(config={**config, "secret_key": "sk_x"}, token="cus_a|pm_b")
    with pytest.raises(ModuleError, match="could not charge"):
        gateway.charge(bad)


def test_unreachable_stripe_is_a_module_error(gateway: StripeGateway, make_ctx: Ctx,
                                              config: dict[str, str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    ctx = make_ctx(config={**config, "api_base": dead}, token="cus_a|pm_b")
    with pytest.raises(ModuleError, match="could not charge"):
        gateway.charge(ctx)
    with pytest.raises(ModuleError):
        gateway.refund(ctx, "pi_1", Decimal(1))
    with pytest.raises(ModuleError):
        gateway.store_method(ctx, {"payment_method": "pm_card_visa"})


def test_missing_secret_key_is_a_module_error(gateway: StripeGateway, make_ctx: Ctx) -> None:
    with pytest.raises(ModuleError, match="secret key"):
        gateway.charge(make_ctx(config={}, token="cus_a|pm_b"))


def test_checkout_is_not_in_localstripe(gateway: StripeGateway, make_ctx: Ctx) -> None:
    """localstripe has no /v1/checkout/sessions: the module says so instead of a bad link."""
    with pytest.raises(ModuleError, match="Checkout"):
        gateway.payment_link(make_ctx(return_url="https://billing.example.test/inv/1"))
