"""WHMCS Billing group, money: AddInvoicePayment, AddTransaction, UpdateTransaction,
GetTransactions, CapturePayment, AddCredit, ApplyCredit, GetCredits."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.quotes  # noqa: F401  (tables in the test schema)
from bridge.models import Client, CreditEntry, Invoice, PayMethod, Transaction
from bridge.services.credit import add_credit
from bridge.services.gateway_ops import store_pay_method
from bridge.services.invoices import cancel_invoice, create_invoice
from bridge.services.payments import apply_payment
from bridge.services.settings import add_currency
from bridge.testing import make_client
from hooks import GatewayModule, PaymentResult, PaymentStatus, StoredMethod


class CardPay(GatewayModule):
    """A merchant gateway whose tokens say what happens: ok or decline."""

    name = "cardpay"
    label = "Card Pay"
    kind = "merchant"
    charges = 0

    def store_method(self, ctx, details):
        return StoredMethod(token=details["card_number"], last_four=details["card_number"][-4:],
                            card_type="Visa", expiry="12/2030", description="Visa")

    def charge(self, ctx):
        CardPay.charges += 1
        if ctx.token == "decline":
            return PaymentResult(PaymentStatus.DECLINED, message="card declined")
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"ch_{CardPay.charges}",
                             amount=ctx.amount)


def new_invoice(seed, client, amount="30.00", **kw):
    return seed(lambda s: create_invoice(s, client, [
        {"description": "Work", "unit_amount": Decimal(amount), "taxed": False}], **kw).id)


def read(seed, model, ident):
    return seed(lambda s: s.get(model, ident))


# -- AddInvoicePayment ---------------------------------------------------------------------------


def test_add_invoice_payment_partial_then_full(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id)
    assert call.ok("AddInvoicePayment", invoiceid=invoice_id, transid="T-1",
                   gateway="banktransfer", date="2026-03-01 10:00:00", amount="10.00",
                   fees="0.50") == {"result": "success"}
    invoice = read(seed, Invoice, invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("unpaid", Decimal("10.00"))
    call.ok("AddInvoicePayment", invoiceid=invoice_id, transid="T-2", gateway="banktransfer",
            date="2026-03-02 11:00:00")
    invoice = read(seed, Invoice, invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("30.00"))
    first = seed(lambda s: s.scalar(select(Transaction).where(
        Transaction.gateway_txn_id == "T-1")))
    assert first.date == datetime(2026, 3, 1, 10, tzinfo=UTC) and first.fees == Decimal("0.50")


def test_repeated_transid_is_refused_and_pays_once(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id)
    params = {"invoiceid": invoice_id, "transid": "DUP-1", "gateway": "banktransfer",
              "date": "2026-03-01 10:00:00", "amount": "5.00"}
    call.ok("AddInvoicePayment", **params)
    assert call.error("AddInvoicePayment", **params) == "Transaction ID must be Unique"
    assert read(seed, Invoice, invoice_id).amount_paid == Decimal("5.00")
    # the same id at another gateway is another payment
    call.ok("AddInvoicePayment", **dict(params, gateway="mailin"))
    assert read(seed, Invoice, invoice_id).amount_paid == Decimal("10.00")


def test_retry_after_the_invoice_got_paid_still_answers_not_unique(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id)
    params = {"invoiceid": invoice_id, "transid": "FULL-1", "gateway": "banktransfer",
              "date": "2026-03-01 10:00:00"}
    call.ok("AddInvoicePayment", **params)
    assert call.error("AddInvoicePayment", **params) == "Transaction ID must be Unique"


def test_add_invoice_payment_errors(call, seed, client_id):
    assert call.error("AddInvoicePayment", invoiceid=999, transid="x", gateway="g",
                      date="2026-01-01 00:00:00") == "Invoice ID Not Found"
    cancelled = new_invoice(seed, client_id)
    seed(lambda s: cancel_invoice(s, cancelled))
    assert call.error("AddInvoicePayment", invoiceid=cancelled, transid="x", gateway="g",
                      date="2026-01-01 00:00:00") == (
        "It is not possible to add a payment to an invoice that is Cancelled")
    draft = new_invoice(seed, client_id, status="draft")
    assert call.error("AddInvoicePayment", invoiceid=draft, transid="y", gateway="g") == (
        "It is not possible to add a payment to an invoice that is Draft")
    assert "date" in call.error("AddInvoicePayment", invoiceid=draft, transid="z",
                                gateway="g", date="yesterday")


# -- AddTransaction ------------------------------------------------------------------------------


def test_add_transaction_to_credit_with_local_date_and_rate(call, seed, client_id):
    call.ok("AddTransaction", paymentmethod="banktransfer", userid=client_id,
            transid="W-1", date="05/02/2026", amountin="25.00", fees="0.75", rate="1.25000",
            credit=1, description="Wire")
    txn = seed(lambda s: s.scalar(select(Transaction).where(Transaction.gateway_txn_id == "W-1")))
    assert (txn.amount_in, txn.fees, txn.exchange_rate) == (
        Decimal("25.00"), Decimal("0.75"), Decimal("1.25"))
    assert txn.date.date().isoformat() == "2026-02-05"  # DD/MM/YYYY
    assert read(seed, Client, client_id).credit_balance == Decimal("25.00")
    assert call.error("AddTransaction", paymentmethod="banktransfer", userid=client_id,
                      transid="W-1", amountin="1.00") == "Transaction ID must be Unique"


def test_add_transaction_on_an_invoice_pays_it(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id, "12.00")
    call.ok("AddTransaction", paymentmethod="banktransfer", invoiceid=invoice_id,
            amountin="12.00", transid="INV-PAY")
    assert read(seed, Invoice, invoice_id).status == "paid"


def test_add_transaction_errors(call, seed, client_id):
    other = seed(lambda s: make_client(s).id)
    invoice_id = new_invoice(seed, client_id)
    assert call.error("AddTransaction", userid=client_id) == "Payment Method is required"
    assert call.error("AddTransaction", paymentmethod="g", userid=other,
                      invoiceid=invoice_id, amountin="1") == (
        "User ID does not own the given Invoice ID")
    assert call.error("AddTransaction", paymentmethod="g", amountin="1") == (
        "A Currency ID is required for non-customer related transactions")
    assert "userid" in call.error("AddTransaction", paymentmethod="g", currencyid=1,
                                  amountin="1")
    eur = seed(lambda s: add_currency(s, "EUR", rate=Decimal("0.9")).id)
    assert call.error("AddTransaction", paymentmethod="g", userid=client_id, currencyid=eur,
                      amountin="1") == "Currency ID does not match Client currency"
    assert call.error("AddTransaction", paymentmethod="g", userid=999, amountin="1") == (
        "Client ID Not Found")


# -- UpdateTransaction, GetTransactions ----------------------------------------------------------


def _paid(seed, client_id, transid="ORIG-1"):
    invoice_id = new_invoice(seed, client_id, "45.90")
    txn_id = seed(lambda s: apply_payment(s, invoice_id, Decimal("45.90"), gateway="paypal",
                                          gateway_txn_id=transid).transaction.id)
    return invoice_id, txn_id


def test_update_transaction_changes_bookkeeping_only(call, seed, client_id):
    _, txn_id = _paid(seed, client_id)
    body = call.ok("UpdateTransaction", transactionid=txn_id, description="Fixed",
                   transid="NEW-1", date="2026-04-01", fees="1.10", amountin="45.90")
    assert body == {"result": "success", "transactionid": str(txn_id)}
    txn = read(seed, Transaction, txn_id)
    assert (txn.description, txn.gateway_txn_id, txn.fees) == ("Fixed", "NEW-1",
                                                               Decimal("1.10"))
    assert txn.date == datetime(2026, 4, 1, tzinfo=UTC)
    assert "amountin" in call.error("UpdateTransaction", transactionid=txn_id,
                                    amountin="1.00")
    assert call.error("UpdateTransaction", transactionid=999) == "Transaction ID Not Found"
    _, second = _paid(seed, client_id, "OTHER-2")
    assert call.error("UpdateTransaction", transactionid=second, transid="NEW-1") == (
        "Transaction ID must be Unique")


def test_get_transactions_shape_and_filters(call, seed, client_id):
    invoice_id, txn_id = _paid(seed, client_id)
    _paid(seed, seed(lambda s: make_client(s).id), "ELSE-1")
    body = call.ok("GetTransactions", invoiceid=invoice_id)
    assert (body["totalresults"], body["startnumber"], body["numreturned"]) == (1, 0, 1)
    row = body["transactions"]["transaction"][0]
    assert row == {"id": str(txn_id), "userid": str(client_id), "currency": "0",
                   "gateway": "paypal", "date": row["date"], "description": row["description"],
                   "amountin": 45.9, "fees": 0.0, "amountout": 0.0, "rate": "1.00000",
                   "transid": "ORIG-1", "invoiceid": str(invoice_id), "refundid": "0"}
    assert isinstance(row["amountin"], float)  # whmcs-api-client wants JSON numbers here
    assert call.ok("GetTransactions", transid="ELSE-1")["totalresults"] == 1
    assert call.ok("GetTransactions", clientid=client_id)["totalresults"] == 1
    assert call.ok("GetTransactions")["totalresults"] == 2
    assert call.ok("GetTransactions", limitnum=1)["numreturned"] == 1


def test_get_transactions_xml_keeps_two_decimals(call, seed, client_id):
    _paid(seed, client_id)
    status, text = call("GetTransactions", fmt="xml")
    txn = ET.fromstring(text).find("transactions").find("transaction")
    assert (txn.findtext("amountin"), txn.findtext("fees")) == ("45.90", "0.00")


def test_get_transactions_json_number_text(call, seed, client_id, api_app):
    _paid(seed, client_id)
    response = api_app.test_client().post("/includes/api.php", data={
        "action": "GetTransactions", "responsetype": "json", "identifier": "whmcs-test-id",
        "secret": "whmcs-test-secret-0123"})
    assert '"amountin":45.9' in response.get_data(as_text=True)
    assert json.loads(response.get_data(as_text=True))["result"] == "success"


# -- CapturePayment ------------------------------------------------------------------------------


@pytest.fixture
def cardpay(install_modules):
    install_modules(CardPay, name="cardpay-plugin")


def _stored(seed, client_id, token):
    return seed(lambda s: store_pay_method(s, client_id, "cardpay",
                                           {"card_number": token}).id)


def test_capture_payment_charges_the_stored_method(call, seed, client_id, cardpay):
    invoice_id = new_invoice(seed, client_id)
    _stored(seed, client_id, "4242424242424242")
    assert call.ok("CapturePayment", invoiceid=invoice_id) == {"result": "success"}
    assert read(seed, Invoice, invoice_id).status == "paid"
    assert call.error("CapturePayment", invoiceid=invoice_id) == (
        "Invoice Not Found or Not Unpaid")
    assert call.error("CapturePayment", invoiceid=999) == "Invoice Not Found or Not Unpaid"


def test_declined_capture_fails_but_is_recorded(call, seed, client_id, cardpay):
    invoice_id = new_invoice(seed, client_id)
    method_id = _stored(seed, client_id, "decline")
    assert call.error("CapturePayment", invoiceid=invoice_id) == "Payment Attempt Failed"
    assert read(seed, PayMethod, method_id).failed_count == 1
    invoice = read(seed, Invoice, invoice_id)
    assert invoice.status == "unpaid" and invoice.last_capture_attempt is not None


def test_capture_without_a_stored_method_fails(call, seed, client_id, cardpay):
    invoice_id = new_invoice(seed, client_id)
    assert call.error("CapturePayment", invoiceid=invoice_id) == "Payment Attempt Failed"


# -- AddCredit, ApplyCredit, GetCredits ----------------------------------------------------------


def test_add_and_remove_credit(call, seed, client_id):
    assert call.ok("AddCredit", clientid=client_id, description="Goodwill",
                   amount="40.00") == {"result": "success", "newbalance": "40.00"}
    assert call.ok("AddCredit", clientid=client_id, description="Oops", amount="15",
                   type="remove")["newbalance"] == "25.00"
    assert read(seed, Client, client_id).credit_balance == Decimal("25.00")


@pytest.mark.parametrize(("params", "message"), [
    ({"clientid": 999, "amount": "1"}, "Client ID Not Found"),
    ({"amount": "1", "type": "gift"}, "Type can only be add or remove"),
    ({}, "No Amount Provided"),
    ({"amount": "1.234"}, "Amount must be in decimal format: ### or ###.##"),
    ({"amount": "-5"}, "Amount must be in decimal format: ### or ###.##"),
    ({"amount": "5", "date": "tomorrow"}, "Date Format is not Valid"),
])
def test_add_credit_errors(call, client_id, params, message):
    assert call.error("AddCredit", **{"clientid": client_id, "description": "x",
                                      **params}) == message


def test_apply_credit(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id, "25.00")
    seed(lambda s: add_credit(s, client_id, Decimal("40.00"), "Goodwill"))
    assert call.ok("ApplyCredit", invoiceid=invoice_id, amount="10.00") == {
        "result": "success", "invoiceid": str(invoice_id), "amount": "10.00",
        "invoicepaid": "false"}
    assert call.ok("ApplyCredit", invoiceid=invoice_id, amount="full") == {
        "result": "success", "invoiceid": str(invoice_id), "amount": "15.00",
        "invoicepaid": "true"}
    assert read(seed, Client, client_id).credit_balance == Decimal("15.00")
    assert call.error("ApplyCredit", invoiceid=invoice_id) == "Invoice Not in Unpaid Status"


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "Credit Amount to apply must be greater than zero"),
    ("50.00", "Amount exceeds customer credit balance"),
    ("30.00", "Amount Exceeds Invoice Balance"),
])
def test_apply_credit_errors(call, seed, client_id, amount, message):
    invoice_id = new_invoice(seed, client_id, "25.00")
    seed(lambda s: add_credit(s, client_id, Decimal("40.00"), "Goodwill"))
    assert call.error("ApplyCredit", invoiceid=invoice_id, amount=amount) == message


def test_get_credits_lists_the_ledger(call, seed, client_id):
    invoice_id = new_invoice(seed, client_id, "10.00")
    seed(lambda s: add_credit(s, client_id, Decimal("40.00"), "Goodwill"))
    call.ok("ApplyCredit", invoiceid=invoice_id, amount="10.00")
    body = call.ok("GetCredits", clientid=client_id)
    assert (body["totalresults"], body["clientid"]) == (2, client_id)
    rows = body["credits"]["credit"]
    assert [(r["amount"], r["relid"]) for r in rows] == [("40.00", 0), ("-10.00", invoice_id)]
    ids = seed(lambda s: list(s.scalars(select(CreditEntry.id).order_by(CreditEntry.id))))
    assert [r["id"] for r in rows] == ids
    assert call.error("GetCredits", clientid=999) == "Client ID Not Found"


@pytest.mark.parametrize(("action", "params"), [
    ("ApplyCredit", {"amount": "NaN"}),
    ("AddInvoicePayment", {"amount": "1e999", "transid": "BIG", "gateway": "g"}),
    ("AddTransaction", {"amountin": "9" * 25, "paymentmethod": "g"}),
    ("CreateInvoice", {"itemdescription1": "x", "itemamount1": "Infinity"}),
    ("UpdateInvoice", {"credit": "NaN"}),
    ("AddBillableItem", {"description": "x", "amount": "1", "quantity": "1e-30"}),
])
def test_unreadable_amounts_are_business_errors(call, seed, client_id, action, params):
    invoice_id = new_invoice(seed, client_id)
    message = call.error(action, invoiceid=invoice_id, userid=client_id, clientid=client_id,
                         **params)
    assert message != "An unexpected error occurred"
    assert "amount" in message or "quantity" in message
