"""Stripe webhooks: signature checks and event mapping.

Two sources of events: bodies built here in the shape of Stripe's event object
(https://docs.stripe.com/api/events/object) and signed with the documented scheme
(https://docs.stripe.com/webhooks#verify-manually: ``t=<ts>,v1=HMAC-SHA256(secret,
"<ts>.<body>")``), and events that localstripe itself signs and delivers to a loopback
receiver after a real charge.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import requests

from hooks import CallbackRequest, CallbackResult, PaymentContext, PaymentStatus
from plugins.stripe import StripeGateway

Sign = Callable[..., str]
Callback = Callable[..., CallbackRequest]


def event(kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({
        "id": "evt_test1", "object": "event", "api_version": "2024-06-20",
        "created": int(time.time()), "livemode": False, "type": kind,
        "data": {"object": obj},
    }).encode()


def intent(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "pi_hook1", "object": "payment_intent", "amount": 2500,
                            "amount_received": 2500, "currency": "usd", "status": "succeeded",
                            "metadata": {"invoice_id": "42"}}
    body.update(extra)
    return body


@pytest.fixture
def verify(gateway: StripeGateway, config: dict[str, str], sign: Sign,
           callback: Callback) -> Callable[[bytes], CallbackResult | None]:
    """Sign ``body`` correctly and pass it through verify_callback."""
    return lambda body: gateway.verify_callback(callback(body, sign(body)), config)


def test_payment_intent_succeeded(verify: Callable[[bytes], CallbackResult | None]) -> None:
    result = verify(event("payment_intent.succeeded", intent()))
    assert result is not None
    assert (result.invoice_id, result.kind, result.status_code) == (42, "payment", 200)
    assert result.payment.status is PaymentStatus.PROCESSED
    assert (result.payment.transaction_id, result.payment.amount) == ("pi_hook1", Decimal("25.00"))


def test_amount_follows_currency_exponent(
    verify: Callable[[bytes], CallbackResult | None]
) -> None:
    result = verify(event("payment_intent.succeeded",
                          intent(currency="jpy", amount=2500, amount_received=2500)))
    assert result is not None and result.payment.amount == Decimal(2500)


def test_payment_failed(verify: Callable[[bytes], CallbackResult | None]) -> None:
    failed = intent(status="requires_payment_method", amount_received=0,
                    last_payment_error={"code": "card_declined",
                                        "message": "Your card was declined."})
    result = verify(event("payment_intent.payment_failed", failed))
    assert result is not None and result.invoice_id == 42
    assert result.payment.status is PaymentStatus.DECLINED
    assert result.payment.message == "Your card was declined."
    assert result.payment.transaction_id == "pi_hook1"


def test_payment_without_invoice_metadata_is_not_ours(
    verify: Callable[[bytes], CallbackResult | None]
) -> None:
    result = verify(event("payment_intent.succeeded", intent(metadata={})))
    assert result is not None and result.invoice_id is None
    assert result.payment.status is PaymentStatus.UNKNOWN


def test_other_events_are_acknowledged(verify: Callable[[bytes], CallbackResult | None]) -> None:
    result = verify(event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert result is not None
    assert (result.invoice_id, result.payment.status, result.status_code) == \
        (None, PaymentStatus.UNKNOWN, 200)


def test_charge_refunded_with_embedded_refunds(
    verify: Callable[[bytes], CallbackResult | None]
) -> None:
    charge = {
        "id": "ch_1", "object": "charge", "amount": 2500, "amount_refunded": 1500,
        "currency": "usd", "payment_intent": "pi_hook1", "metadata": {}, "refunded": False,
        "refunds": {"object": "list", "data": [
            {"id": "re_new", "amount": 1000, "created": 200, "status": "succeeded",
             "metadata": {"invoice_id": "42"}},
            {"id": "re_old", "amount": 500, "created": 100, "status": "succeeded",
             "metadata": {"invoice_id": "42"}},
        ]},
    }
    result = verify(event("charge.refunded", charge))
    assert result is not None
    assert (result.kind, result.refund_of, result.invoice_id) == ("refund", "pi_hook1", 42)
    assert result.payment.status is PaymentStatus.PROCESSED
    assert (result.payment.transaction_id, result.payment.amount) == ("re_new", Decimal("10.00"))


def test_charge_refunded_without_embedded_refunds_asks_stripe(
    gateway: StripeGateway, make_ctx: Callable[..., PaymentContext], localstripe_url: str,
    verify: Callable[[bytes], CallbackResult | None],
) -> None:
    """Newer API versions leave ``refunds`` out of the charge: the refund is looked up, and
    the invoice comes from the PaymentIntent when the refund has no metadata."""
    method = gateway.store_method(make_ctx(), {"payment_method": "pm_card_visa"})
    assert method is not None
    paid = gateway.charge(make_ctx("30.00", token=method.token, invoice_id=77))
    auth = ("sk_test_hostbridge", "")
    refund = requests.post(f"{localstripe_url}/v1/refunds", auth=auth, timeout=5,
                           data={"payment_intent": paid.transaction_id, "amount": "1200"}).json()
    intent_now = requests.get(f"{localstripe_url}/v1/payment_intents/{paid.transaction_id}",
                              auth=auth, timeout=5).json()
    charge = {key: value for key, value in intent_now["latest_charge"].items()
              if key != "refunds"}
    result = verify(event("charge.refunded", charge))
    assert result is not None
    assert (result.kind, result.refund_of, result.invoice_id) == ("refund", paid.transaction_id, 77)
    assert (result.payment.transaction_id, result.payment.amount) == \
        (refund["id"], Decimal("12.00"))


def test_refund_reported_by_call_and_webhook_has_one_id(
    gateway: StripeGateway, make_ctx: Callable[..., PaymentContext], localstripe_url: str,
    verify: Callable[[bytes], CallbackResult | None],
) -> None:
    """The core deduplicates on transaction ids: refund() and the webhook must agree."""
    method = gateway.store_method(make_ctx(), {"payment_method": "pm_card_visa"})
    assert method is not None
    paid = gateway.charge(make_ctx("9.00", token=method.token, invoice_id=78))
    refunded = gateway.refund(make_ctx("9.00", invoice_id=78), paid.transaction_id,
                              Decimal("9.00"))
    charge = requests.get(f"{localstripe_url}/v1/payment_intents/{paid.transaction_id}",
                          auth=("sk_test_hostbridge", ""), timeout=5).json()["latest_charge"]
    result = verify(event("charge.refunded", charge))
    assert result is not None and result.invoice_id == 78
    assert result.payment.transaction_id == refunded.transaction_id
    assert result.refund_of == paid.transaction_id


def test_bad_signatures_are_refused(gateway: StripeGateway, config: dict[str, str], sign: Sign,
                                    callback: Callback) -> None:
    body = event("payment_intent.succeeded", intent())
    good = sign(body)
    tampered = body.replace(b'"amount_received": 2500', b'"amount_received": 9900')
    assert gateway.verify_callback(callback(body, good), config) is not None
    assert gateway.verify_callback(callback(tampered, good), config) is None
    assert gateway.verify_callback(callback(body, sign(body, secret="whsec_other")),
                                   config) is None
    stale = sign(body, timestamp=int(time.time()) - 301)
    assert gateway.verify_callback(callback(body, stale), config) is None
    assert gateway.verify_callback(callback(body, None), config) is None
    assert gateway.verify_callback(callback(body, "t=1,v1=deadbeef"), config) is None
    assert gateway.verify_callback(callback(body, good),
                                   {**config, "webhook_secret": ""}) is None


def test_header_name_case_and_non_event_body(gateway: StripeGateway, config: dict[str, str],
                                             sign: Sign) -> None:
    body = event("payment_intent.succeeded", intent())
    lower = CallbackRequest("POST", {"stripe-signature": sign(body)}, {}, {}, body)
    assert gateway.verify_callback(lower, config) is not None
    junk = b"not json"
    signed_junk = CallbackRequest("POST", {"Stripe-Signature": sign(junk)}, {}, {}, junk)
    assert gateway.verify_callback(signed_junk, config) is None


def _delivered(inbox: Any, pi_id: str, kind: str) -> CallbackRequest:
    """The delivery of ``kind`` for ``pi_id`` (localstripe waits 1 s before sending)."""
    deadline = time.monotonic() + 20
    seen = []
    while time.monotonic() < deadline:
        try:
            got = inbox.requests.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        payload = json.loads(got["body"])
        seen.append((payload["type"], payload["data"]["object"]["id"]))
        if seen[-1] == (kind, pi_id):
            return CallbackRequest(got["method"], got["headers"], {}, {}, got["body"])
    pytest.fail(f"localstripe did not deliver {kind} for {pi_id}; got {seen}")


def test_events_delivered_by_localstripe(
    gateway: StripeGateway, make_ctx: Callable[..., PaymentContext], config: dict[str, str],
    webhook_inbox: Any,
) -> None:
    good = gateway.store_method(make_ctx(), {"payment_method": "pm_card_visa"})
    bad = gateway.store_method(make_ctx(), {"number": "4000000000000341", "exp_month": "1",
                                            "exp_year": "2032", "cvc": "999"})
    assert good is not None and bad is not None
    paid = gateway.charge(make_ctx("45.60", token=good.token, invoice_id=9001))
    declined = gateway.charge(make_ctx("45.60", token=bad.token, invoice_id=9002))

    ok = gateway.verify_callback(
        _delivered(webhook_inbox, paid.transaction_id, "payment_intent.succeeded"), config)
    assert ok is not None and ok.invoice_id == 9001
    assert ok.payment.status is PaymentStatus.PROCESSED
    assert (ok.payment.transaction_id, ok.payment.amount) == (paid.transaction_id,
                                                              Decimal("45.60"))

    assert declined.status is PaymentStatus.DECLINED
    failed_id = declined.transaction_id or _latest_failed_intent(config)
    no = gateway.verify_callback(
        _delivered(webhook_inbox, failed_id, "payment_intent.payment_failed"), config)
    assert no is not None and no.invoice_id == 9002
    assert no.payment.status is PaymentStatus.DECLINED


def _latest_failed_intent(config: dict[str, str]) -> str:
    """localstripe's decline error names the charge, not the PaymentIntent: find it."""
    listing = requests.get(f"{config['api_base']}/v1/payment_intents?limit=100",
                           auth=("sk_test_hostbridge", ""), timeout=5).json()["data"]
    failed = [pi for pi in listing if pi["metadata"].get("invoice_id") == "9002"]
    assert failed, "the declined PaymentIntent is not in localstripe"
    return str(failed[-1]["id"])
