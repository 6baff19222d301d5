"""The bundled Stripe gateway driven by the core services against localstripe: stored card,
charge, decline, refund, and a signed webhook that never pays twice."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.models import Invoice, PayMethod, Transaction
from bridge.services.gateway_ops import (
    charge_invoice,
    refund_through_gateway,
    store_pay_method,
)
from bridge.services.invoices import create_invoice
from bridge.services.modules import save_module_settings
from hooks import PaymentStatus

SECRET_KEY = "sk_test_hostbridge"
WEBHOOK_SECRET = "whsec_hostbridge_test"


@pytest.fixture
def stripe_ready(db, localstripe_url):
    save_module_settings(db, "gateway", "stripe", {
        "secret_key": SECRET_KEY, "publishable_key": "pk_test_x", "api_base": localstripe_url,
        "webhook_secret": WEBHOOK_SECRET})
    db.commit()


def _invoice(db, factories, amount="25.00"):
    client = factories.client(email=f"stripe{time.monotonic_ns()}@example.test")
    return client, create_invoice(db, client.id, [{"description": "Hosting",
                                                   "unit_amount": amount}])


def test_charge_refund_and_decline_through_the_core(db, factories, stripe_ready):
    client, invoice = _invoice(db, factories)
    method = store_pay_method(db, client.id, "stripe", {"payment_method": "pm_card_visa"})
    assert method.last_four and method.token_enc and "cus_" not in method.token_enc
    result = charge_invoice(db, invoice.id)
    assert result.status == PaymentStatus.PROCESSED and result.transaction_id.startswith("pi_")
    assert invoice.status == "paid"
    payment = db.scalar(select(Transaction).where(Transaction.invoice_id == invoice.id))
    assert payment.gateway_txn_id == result.transaction_id
    refund = refund_through_gateway(db, payment.id, Decimal("10.00"))
    assert refund.gateway_txn_id.startswith("re_") and refund.amount_out == Decimal("10.00")

    other, second = _invoice(db, factories, "9.99")
    declining = store_pay_method(db, other.id, "stripe", {
        "number": "4000000000000341", "exp_month": "12", "exp_year": "2031", "cvc": "123"})
    declined = charge_invoice(db, second.id, pay_method_id=declining.id)
    assert declined.status == PaymentStatus.DECLINED
    assert second.status == "unpaid" and db.get(PayMethod, declining.id).failed_count == 1


def _signed(body: bytes) -> str:
    import hashlib
    import hmac

    ts = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256)
    return f"t={ts},v1={digest.hexdigest()}"


def _event(invoice_id: int, intent_id: str, cents: int) -> bytes:
    return json.dumps({
        "id": f"evt_{intent_id}", "object": "event", "api_version": "2024-06-20",
        "created": int(time.time()), "livemode": False, "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": cents,
                            "amount_received": cents, "currency": "usd",
                            "status": "succeeded",
                            "metadata": {"invoice_id": str(invoice_id)}}},
    }).encode()


def test_signed_webhook_pays_once_and_forgeries_are_refused(client, db, factories, stripe_ready):
    _, invoice = _invoice(db, factories, "25.00")
    db.commit()
    body = _event(invoice.id, "pi_webhook_1", 2500)
    headers = {"Stripe-Signature": _signed(body), "Content-Type": "application/json"}
    first = client.post("/gateways/stripe/callback", data=body, headers=headers)
    assert first.status_code == 200, first.data
    replay = client.post("/gateways/stripe/callback", data=body, headers=headers)
    assert replay.status_code == 200
    forged = client.post("/gateways/stripe/callback", data=body,
                         headers={"Stripe-Signature": "t=1,v1=00",
                                  "Content-Type": "application/json"})
    assert forged.status_code == 400
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == "paid"
    payments = db.scalars(select(Transaction).where(Transaction.invoice_id == invoice.id)).all()
    assert [(p.gateway_txn_id, p.amount_in) for p in payments] == [
        ("pi_webhook_1", Decimal("25.00"))]
