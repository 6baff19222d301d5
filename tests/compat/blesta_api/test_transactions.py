"""transactions/*: add (money to credit), apply (credit to invoices), reads, edit/refund."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.models import Client, Invoice, ModuleSetting, Transaction
from bridge.services.gateway_ops import store_pay_method
from bridge.services.invoices import create_invoice
from bridge.services.payments import apply_payment
from bridge.services.reconcile import audit_billing
from hooks import GatewayModule, PaymentResult, PaymentStatus, StoredMethod, hookimpl


def load(db, model, ident):
    """A fresh copy of a row, ending the read so the API's writes are not locked out (read
    its attributes at once: the next load expires it, and a refresh would hold a lock)."""
    db.expire_all()
    row = db.get(model, ident)
    db.commit()
    return row


@pytest.fixture
def setup(db, factories):
    client = factories.client()
    first = create_invoice(db, client.id, [{"description": "A", "unit_amount": "30.00"}])
    second = create_invoice(db, client.id, [{"description": "B", "unit_amount": "50.00"}])
    gateway = ModuleSetting(kind="gateway", module="banktransfer", display_name="Bank")
    db.add(gateway)
    db.commit()
    return {"client": client.id, "first": first.id, "second": second.id,
            "gateway": gateway.id}


def _add(call, client_id, value="100.00", **extra):
    params = {"vars[client_id]": client_id, "vars[amount]": value, "vars[currency]": "USD",
              "vars[type]": "other", "vars[transaction_type_id]": 2,
              "vars[transaction_id]": "CHK-1001", "vars[status]": "approved"}
    params.update(extra)
    return call("POST", "transactions/add", **params)


def test_add_records_the_money_as_client_credit(call, setup, db):
    status, body = _add(call, setup["client"])
    assert status == 200 and isinstance(body["response"], str)
    txn_id = int(body["response"])
    txn = load(db, Transaction, txn_id)
    assert txn.amount_in == Decimal("100.00") and txn.gateway == "check"
    assert txn.gateway_txn_id == "CHK-1001" and txn.invoice_id is None
    assert load(db, Client, setup["client"]).credit_balance == Decimal("100.00")
    got = call("GET", "transactions/get", transaction_id=txn_id)[1]["response"]
    assert got["amount"] == "100.0000" and got["status"] == "approved"
    assert got["transaction_type_id"] == 2 and got["type_name"] == "check"
    assert got["transaction_id"] == "CHK-1001" and got["credited_amount"] == "100.0000"
    assert got["applied_amount"] == "0.0000"


def test_apply_spends_the_transaction_on_invoices(call, setup, db):
    txn_id = _add(call, setup["client"])[1]["response"]
    status, body = call("POST", "transactions/apply", transaction_id=txn_id, **{
        "vars[amounts][0][invoice_id]": setup["first"], "vars[amounts][0][amount]": "30.00",
        "vars[amounts][1][invoice_id]": setup["second"], "vars[amounts][1][amount]": "20.00"})
    assert (status, body) == (200, {"response": None})
    first, second = load(db, Invoice, setup["first"]), load(db, Invoice, setup["second"])
    assert first.status == "paid" and second.balance == Decimal("30.00")
    assert load(db, Client, setup["client"]).credit_balance == Decimal("50.00")
    assert audit_billing(db) == []
    db.commit()
    got = call("GET", "transactions/get", transaction_id=txn_id)[1]["response"]
    assert got["applied_amount"] == "50.0000" and got["credited_amount"] == "50.0000"
    applied = call("GET", "transactions/getApplied", transaction_id=txn_id)[1]["response"]
    assert [(a["invoice_id"], a["amount"]) for a in applied] == [
        (setup["first"], "30.0000"), (setup["second"], "20.0000")]
    by_invoice = call("GET", "transactions/getApplied",
                      invoice_id=setup["second"])[1]["response"]
    assert [a["transaction_id"] for a in by_invoice] == [int(txn_id)]
    invoice = call("GET", "invoices/get", invoice_id=setup["first"])[1]["response"]
    assert invoice["paid"] == "30.0000" and invoice["due"] == "0.0000"


def test_apply_cannot_exceed_what_is_left(call, setup):
    txn_id = _add(call, setup["client"], "40.00")[1]["response"]
    status, body = call("POST", "transactions/apply", transaction_id=txn_id, **{
        "vars[amounts][0][invoice_id]": setup["second"], "vars[amounts][0][amount]": "45.00"})
    assert status == 400 and "overage" in body["errors"]["amounts"]
    call("POST", "transactions/apply", transaction_id=txn_id, **{
        "vars[amounts][0][invoice_id]": setup["second"], "vars[amounts][0][amount]": "40.00"})
    status, body = call("POST", "transactions/apply", transaction_id=txn_id, **{
        "vars[amounts][0][invoice_id]": setup["first"], "vars[amounts][0][amount]": "1.00"})
    assert status == 400 and "0" in body["errors"]["amounts"]["overage"]


def test_apply_refuses_another_clients_invoice_and_empty_amounts(call, setup, db, factories):
    other = factories.client()
    foreign = create_invoice(db, other.id, [{"description": "X", "unit_amount": "5.00"}])
    db.commit()
    txn_id = _add(call, setup["client"])[1]["response"]
    status, body = call("POST", "transactions/apply", transaction_id=txn_id, **{
        "vars[amounts][0][invoice_id]": foreign.id, "vars[amounts][0][amount]": "5.00"})
    assert status == 400 and "amounts[0][invoice_id]" in body["errors"]
    status, body = call("POST", "transactions/apply", transaction_id=txn_id,
                        **{"vars[date]": "2026-01-01"})
    assert status == 400 and "amounts" in body["errors"]
    assert call("POST", "transactions/apply", transaction_id=txn_id)[0] == 500  # vars required
    status, body = call("POST", "transactions/apply", transaction_id=9999, **{
        "vars[amounts][0][invoice_id]": setup["first"], "vars[amounts][0][amount]": "5.00"})
    assert status == 400 and "transaction_id" in body["errors"]


def test_add_validation(call, setup):
    assert _add(call, 9999)[0] == 400
    status, body = _add(call, setup["client"], "abc")
    assert status == 400 and "amount" in body["errors"]
    status, body = _add(call, setup["client"], **{"vars[currency]": "EUR"})
    assert status == 400 and "currency" in body["errors"]
    status, body = _add(call, setup["client"], **{"vars[status]": "pending"})
    assert status == 400 and "status" in body["errors"]
    status, body = _add(call, setup["client"], **{"vars[transaction_type_id]": 77})
    assert status == 400 and "transaction_type_id" in body["errors"]


def test_duplicate_gateway_reference_is_refused(call, setup, db):
    params = {"vars[gateway_id]": setup["gateway"], "vars[transaction_id]": "BT-9"}
    assert _add(call, setup["client"], **params)[0] == 200
    status, body = _add(call, setup["client"], **params)
    assert status == 400 and "unique" in body["errors"]["transaction_id"]
    assert load(db, Client, setup["client"]).credit_balance == Decimal("100.00")
    row = call("GET", "transactions/getByTransactionId", transaction_id="BT-9",
               gateway_id=setup["gateway"])[1]["response"]
    assert row["gateway_id"] == setup["gateway"] and row["gateway_name"] == "banktransfer"


def test_direct_invoice_payments_are_listed_and_applied(call, setup, db):
    payment = apply_payment(db, setup["first"], Decimal("30.00"), gateway="banktransfer",
                            gateway_txn_id="BT-1").transaction
    db.commit()
    rows = call("GET", "transactions/getList", client_id=setup["client"])[1]["response"]
    assert [row["id"] for row in rows] == [payment.id]
    assert rows[0]["gateway_id"] == setup["gateway"]
    applied = call("GET", "transactions/getApplied",
                   invoice_id=setup["first"])[1]["response"]
    assert [(a["transaction_id"], a["amount"]) for a in applied] == [(payment.id, "30.0000")]


def test_list_status_and_filters(call, setup, db):
    old = _add(call, setup["client"], "10.00", **{"vars[date_added]": "2026-01-05 10:00:00",
                                                  "vars[transaction_id]": "A-1"})[1]
    _add(call, setup["client"], "20.00", **{"vars[transaction_id]": "B-2"})
    assert call("GET", "transactions/getListCount")[1]["response"] == 2
    newest_first = call("GET", "transactions/getList")[1]["response"]
    assert [row["amount"] for row in newest_first] == ["20.0000", "10.0000"]
    rows = call("GET", "transactions/getList", **{"filters[start_amount]": "15"})[1]
    assert [row["amount"] for row in rows["response"]] == ["20.0000"]
    rows = call("GET", "transactions/getList", **{"filters[end_date]": "2026-01-31"})[1]
    assert [row["id"] for row in rows["response"]] == [int(old["response"])]
    assert call("GET", "transactions/getListCount", status="refunded")[1]["response"] == 0


def test_edit_details_and_refund(call, setup, db):
    txn_id = _add(call, setup["client"], "25.00")[1]["response"]
    status, _ = call("POST", "transactions/edit", transaction_id=txn_id, **{
        "vars[transaction_id]": "CHK-2002", "vars[message]": "cheque 2002"})
    assert status == 200
    txn = load(db, Transaction, int(txn_id))
    assert txn.gateway_txn_id == "CHK-2002" and txn.description == "cheque 2002"
    status, body = call("POST", "transactions/edit", transaction_id=txn_id,
                        **{"vars[amount]": "30.00"})
    assert status == 400 and "amount" in body["errors"]
    status, _ = call("POST", "transactions/edit", transaction_id=txn_id,
                     **{"vars[status]": "refunded"})
    assert status == 200
    assert load(db, Client, setup["client"]).credit_balance == Decimal("0")
    got = call("GET", "transactions/get", transaction_id=txn_id)[1]["response"]
    assert got["status"] == "refunded"
    assert call("GET", "transactions/getListCount", status="refunded")[1]["response"] == 1
    assert call("GET", "transactions/getListCount")[1]["response"] == 0


def test_apply_from_credits_and_total_credit(call, setup, db):
    _add(call, setup["client"], "35.00")
    status, _ = call("POST", "transactions/applyFromCredits", client_id=setup["client"], **{
        "amounts[0][invoice_id]": setup["first"], "amounts[0][amount]": "30.00"})
    assert status == 200
    assert load(db, Invoice, setup["first"]).status == "paid"
    total = call("GET", "transactions/getTotalCredit", client_id=setup["client"],
                 currency="USD")[1]["response"]
    assert total == "5.0000"


def test_types_and_missing(call, setup):
    types = call("GET", "transactions/getTypes")[1]["response"]
    assert [t["name"] for t in types] == ["cash", "check", "in_house_credit"]
    assert call("GET", "transactions/getType", type_id=3)[1]["response"]["type"] == "credit"
    assert call("GET", "transactions/getType", type_id=9)[1]["response"] is False
    assert call("GET", "transactions/get", transaction_id=999)[1]["response"] is False
    assert "refunded" in call("GET", "transactions/transactionStatusNames")[1]["response"]


# -- accounts and payments ----------------------------------------------------------------------

class FakePay(GatewayModule):
    """Charges any stored token except ``decline``; refunds everything."""

    name = "fakepay"
    label = "Fake Pay"
    kind = "merchant"

    def store_method(self, ctx, details):
        return StoredMethod(token=details["card"], card_type="Visa", last_four="1111",
                            expiry="09/2031")

    def charge(self, ctx):
        if ctx.token == "decline":
            return PaymentResult(PaymentStatus.DECLINED, message="card declined")
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"fp_{ctx.invoice_id}",
                             amount=ctx.amount)

    def refund(self, ctx, transaction_id, amount):
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"rf_{transaction_id}",
                             amount=amount)


class FakePayPlugin:
    @hookimpl
    def register_gateway_modules(self):
        return [FakePay]


@pytest.fixture
def fakepay(register_plugin, db, setup):
    register_plugin(FakePayPlugin(), name="fakepay-plugin")
    good = store_pay_method(db, setup["client"], "fakepay", {"card": "tok_ok"})
    bad = store_pay_method(db, setup["client"], "fakepay", {"card": "decline"})
    db.commit()
    return {"good": good.id, "bad": bad.id}


def _process(call, setup, account_id, value="30.00"):
    return call("POST", "payments/processPayment", client_id=setup["client"], type="cc",
                amount=value, currency="USD", account_id=account_id,
                **{f"options[invoices][{setup['first']}]": value})


def test_process_payment_charges_a_stored_account(call, setup, fakepay, db):
    status, body = _process(call, setup, fakepay["good"])
    assert status == 200, body
    txn = body["response"]
    assert txn["transaction_id"] == f"fp_{setup['first']}" and txn["amount"] == "30.0000"
    assert txn["applied_amount"] == "30.0000"
    assert load(db, Invoice, setup["first"]).status == "paid"
    status, body = call("POST", "payments/refundPayment", client_id=setup["client"],
                        transaction_id=txn["id"], amount="10.00")
    assert status == 200 and body["response"]["status"] == "approved"
    refund = db.scalar(select(Transaction).where(Transaction.refund_of_id == txn["id"]))
    assert refund.amount_out == Decimal("10.00") and refund.gateway_txn_id.startswith("rf_")
    db.commit()


def test_process_payment_refusals(call, setup, fakepay):
    status, body = _process(call, setup, fakepay["bad"])
    assert status == 400 and body["errors"]["gateway"] == {"declined": "card declined"}
    status, body = _process(call, setup, fakepay["good"], "10.00")
    assert status == 400 and "whole balance" in body["errors"]["amount"]["valid"]
    status, body = call("POST", "payments/processPayment", client_id=setup["client"],
                        type="cc", amount="30.00", currency="USD")
    assert status == 400 and "account_id" in body["errors"]


def test_accounts_store_list_and_delete_cards(call, setup, db):
    status, body = call("POST", "accounts/addCc", **{
        "vars[client_id]": setup["client"], "vars[number]": "4111 1111 1111 1111",
        "vars[expiration]": "203012", "vars[first_name]": "Test"})
    assert status == 200 and isinstance(body["response"], str)
    account_id = int(body["response"])
    card = call("GET", "accounts/getCc", account_id=account_id)[1]["response"]
    assert (card["last4"], card["expiration"], card["type"]) == ("1111", "203012", "visa")
    assert "number" not in card and card["client_id"] == setup["client"]
    assert [c["id"] for c in call("GET", "accounts/getAllCcByClient",
                                  client_id=setup["client"])[1]["response"]] == [account_id]
    assert call("GET", "accounts/getAch", account_id=account_id)[1]["response"] is False
    status, body = call("POST", "accounts/addCc", **{
        "vars[client_id]": setup["client"], "vars[number]": "4111 1111 1111 1112",
        "vars[expiration]": "203012"})
    assert status == 400 and "number" in body["errors"]
    call("POST", "accounts/editCc", account_id=account_id, **{"vars[expiration]": "203105"})
    card = call("GET", "accounts/getCc", account_id=account_id)[1]["response"]
    assert card["expiration"] == "203105"
    assert call("POST", "accounts/deleteCc", account_id=account_id)[0] == 200
    assert call("GET", "accounts/getCc", account_id=account_id)[1]["response"] is False


def test_accounts_bank_and_helpers(call, setup):
    status, body = call("POST", "accounts/addAch", **{
        "vars[client_id]": setup["client"], "vars[account]": "000123456789",
        "vars[routing]": "021000021", "vars[type]": "savings"})
    assert status == 200
    ach = call("GET", "accounts/getAch", account_id=body["response"])[1]["response"]
    assert (ach["last4"], ach["type"]) == ("6789", "savings")
    assert call("GET", "accounts/luhnValid", card_number="4111111111111111")[1] == \
        {"response": True}
    assert call("GET", "accounts/luhnValid", card_number="4111111111111112")[1] == \
        {"response": False}
    assert call("GET", "accounts/creditCardType",
                card_number="5500000000000004")[1]["response"] == "mc"
    assert call("GET", "accounts/getCcTypes")[1]["response"]["amex"] == "American Express"
