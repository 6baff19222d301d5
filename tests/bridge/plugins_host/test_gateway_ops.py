"""Charges, refunds, links and callbacks through a gateway module registered by a plugin."""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, PermissionDenied, ValidationFailed
from bridge.models import ActivityLog, Invoice, Transaction
from bridge.services.gateway_ops import (
    charge_invoice,
    handle_gateway_callback,
    payment_link,
    refund_through_gateway,
    store_pay_method,
)
from bridge.services.invoices import create_invoice
from bridge.services.modules import module_settings, save_module_settings
from hooks import (
    CallbackRequest,
    CallbackResult,
    ConfigField,
    GatewayModule,
    PaymentLink,
    PaymentResult,
    PaymentStatus,
    StoredMethod,
    hookimpl,
)

SECRET = "whsec_test"


class SandboxPay(GatewayModule):
    """A gateway whose cards behave by token: ok, decline, 3ds."""

    name = "testpay"
    label = "Test Pay"
    kind = "hybrid"
    config_fields = (ConfigField("api_key", "API key", required=True, secret=True),
                     ConfigField("webhook_secret", "Webhook secret", secret=True))
    seen_configs: list = []
    counter = 0

    def store_method(self, ctx, details):
        return StoredMethod(token=details["card"], card_type="visa", last_four="4242",
                            expiry="12/2030", description="Visa 4242")

    def charge(self, ctx):
        SandboxPay.seen_configs.append(dict(ctx.config))
        SandboxPay.counter += 1
        if ctx.token == "decline":
            return PaymentResult(PaymentStatus.DECLINED, message="card declined")
        if ctx.token == "3ds":
            return PaymentResult(PaymentStatus.PENDING, transaction_id="pi_3ds",
                                 action_url="https://pay.test/3ds")
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"ch_{SandboxPay.counter}",
                             amount=ctx.amount, fees=Decimal("0.59"))

    def refund(self, ctx, transaction_id, amount):
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"re_{transaction_id}",
                             amount=amount)

    def payment_link(self, ctx):
        return PaymentLink(url=f"https://pay.test/inv/{ctx.invoice_id}?amt={ctx.amount}")

    def verify_callback(self, request, config):
        signature = hmac.new(config["webhook_secret"].encode(), request.body,
                             hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, request.headers.get("X-Sig", "")):
            return None
        event = json.loads(request.body)
        payment = PaymentResult(PaymentStatus(event["status"]), transaction_id=event["id"],
                                amount=Decimal(event["amount"]))
        return CallbackResult(invoice_id=event["invoice"], payment=payment,
                              kind=event.get("kind", "payment"),
                              refund_of=event.get("refund_of", ""))


class SandboxPayPlugin:
    @hookimpl
    def register_gateway_modules(self):
        return [SandboxPay]


@pytest.fixture
def gateway(register_plugin, db):
    SandboxPay.seen_configs = []
    register_plugin(SandboxPayPlugin(), name="testpay-plugin")
    save_module_settings(db, "gateway", "testpay", {"api_key": "sk_live_1",
                                                    "webhook_secret": SECRET})
    return SandboxPay


def _invoice(db, factories, amount="20.00"):
    client = factories.client()
    return client, create_invoice(db, client.id, [{"description": "x", "unit_amount": amount}])


def test_settings_are_validated_and_secrets_encrypted(db, gateway):
    from bridge.models import ModuleSetting

    row = db.scalar(select(ModuleSetting))
    assert "sk_live_1" not in json.dumps(row.values)
    assert module_settings(db, "gateway", "testpay")["api_key"] == "sk_live_1"
    with pytest.raises(ValidationFailed) as err:
        save_module_settings(db, "gateway", "testpay", {"bogus": "1"})
    assert set(err.value.errors) == {"bogus", "api_key"}


def test_charge_applies_payment_with_fees(db, factories, gateway):
    client, invoice = _invoice(db, factories)
    method = store_pay_method(db, client.id, "testpay", {"card": "ok"})
    assert "ok" != method.token_enc and method.last_four == "4242"
    result = charge_invoice(db, invoice.id)
    assert result.status == PaymentStatus.PROCESSED
    assert invoice.status == "paid"
    txn = db.scalar(select(Transaction))
    assert (txn.gateway, txn.gateway_txn_id, txn.fees) == ("testpay", result.transaction_id,
                                                          Decimal("0.59"))
    assert gateway.seen_configs[-1]["api_key"] == "sk_live_1"
    with pytest.raises(Conflict):
        charge_invoice(db, invoice.id)


def test_declined_card_is_a_result(db, factories, gateway):
    client, invoice = _invoice(db, factories)
    method = store_pay_method(db, client.id, "testpay", {"card": "decline"})
    result = charge_invoice(db, invoice.id)
    assert result.status == PaymentStatus.DECLINED
    assert invoice.status == "unpaid" and invoice.last_capture_attempt is not None
    assert method.failed_count == 1
    assert db.scalar(select(ActivityLog).where(ActivityLog.action == "payment.declined"))


def test_pending_3ds_then_signed_callback_pays_once(db, factories, gateway):
    client, invoice = _invoice(db, factories)
    store_pay_method(db, client.id, "testpay", {"card": "3ds"})
    assert charge_invoice(db, invoice.id).status == PaymentStatus.PENDING
    assert invoice.status == "unpaid"
    body = json.dumps({"invoice": invoice.id, "status": "processed", "id": "pi_3ds",
                       "amount": "20.00"}).encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = CallbackRequest("POST", {"X-Sig": sig}, {}, {}, body)
    handle_gateway_callback(db, "testpay", request)
    assert invoice.status == "paid"
    handle_gateway_callback(db, "testpay", request)  # replayed
    assert len(db.scalars(select(Transaction)).all()) == 1
    assert invoice.amount_paid == Decimal("20.00")
    forged = CallbackRequest("POST", {"X-Sig": "0" * 64}, {}, {}, body)
    with pytest.raises(PermissionDenied):
        handle_gateway_callback(db, "testpay", forged)


def test_refund_through_gateway_and_refund_callback_once(db, factories, gateway):
    client, invoice = _invoice(db, factories)
    store_pay_method(db, client.id, "testpay", {"card": "ok"})
    charge_invoice(db, invoice.id)
    payment = db.scalar(select(Transaction))
    refund = refund_through_gateway(db, payment.id, Decimal("5.00"))
    assert refund.amount_out == Decimal("5.00")
    assert refund.gateway_txn_id == f"re_{payment.gateway_txn_id}"
    body = json.dumps({"invoice": invoice.id, "status": "processed", "id": "re_dash",
                       "amount": "15.00", "kind": "refund",
                       "refund_of": payment.gateway_txn_id}).encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = CallbackRequest("POST", {"X-Sig": sig}, {}, {}, body)
    handle_gateway_callback(db, "testpay", request)
    handle_gateway_callback(db, "testpay", request)
    refunds = db.scalars(select(Transaction).where(Transaction.kind == "refund")).all()
    assert sorted(r.amount_out for r in refunds) == [Decimal("5.00"), Decimal("15.00")]
    assert db.get(Invoice, invoice.id).status == "refunded"


def test_payment_link(db, factories, gateway):
    _, invoice = _invoice(db, factories, "12.50")
    link = payment_link(db, invoice.id, "testpay")
    assert link.url == f"https://pay.test/inv/{invoice.id}?amt=12.50"


def test_callback_endpoint(app, client, gateway, db, factories):
    _, invoice = _invoice(db, factories)
    db.commit()
    body = json.dumps({"invoice": invoice.id, "status": "processed", "id": "ch_web",
                       "amount": "20.00"}).encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post("/gateways/testpay/callback", data=body,
                         headers={"X-Sig": sig, "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.data == b"OK"
    again = client.post("/gateways/testpay/callback", data=body,
                        headers={"X-Sig": sig, "Content-Type": "application/json"})
    assert again.status_code == 200
    bad = client.post("/gateways/testpay/callback", data=body, headers={"X-Sig": "nope"})
    assert bad.status_code == 400
    unknown = client.post("/gateways/nosuch/callback", data=b"{}")
    assert unknown.status_code == 404
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == "paid"
    assert len(db.scalars(select(Transaction)).all()) == 1
