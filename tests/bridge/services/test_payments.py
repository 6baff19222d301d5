"""Payments, ledger transactions and refunds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import CreditEntry, Transaction
from bridge.services import payments
from bridge.services.credit import add_credit, apply_credit, ledger_balance, remove_credit
from bridge.services.invoices import cancel_invoice, create_invoice
from bridge.services.payments import (
    DuplicatePayment,
    add_transaction,
    apply_payment,
    refund_payment,
)

PAID_AT = datetime(2026, 3, 12, 9, 30, tzinfo=UTC)


def _events(db, name):
    return [payload for event, payload in pending_events(db) if event == name]


def _invoice(db, client, amount: str = "19.59", **kw):
    return create_invoice(db, client.id, [{"description": "plan", "unit_amount": amount,
                                           "taxed": False}], **kw)


@pytest.fixture
def client(factories):
    return factories.client()


def test_partial_then_final_payment(db, client) -> None:
    invoice = _invoice(db, client)
    first = apply_payment(db, invoice.id, "10.00", gateway="stripe", gateway_txn_id="ch_1",
                          fees="0.59")
    # 19.59 - 10.00 = 9.59 still owed
    assert (first.paid_now, first.credited, invoice.status) == (False, D(0), "unpaid")
    assert (invoice.amount_paid, invoice.balance) == (D("10.00"), D("9.59"))
    assert first.transaction.fees == D("0.59") and first.transaction.kind == "payment"
    assert _events(db, "invoice_paid") == []
    final = apply_payment(db, invoice.id, D("9.59"), gateway="stripe", gateway_txn_id="ch_2",
                          paid_at=PAID_AT)
    assert final.paid_now and invoice.status == "paid" and invoice.balance == 0
    assert invoice.paid_at == PAID_AT and final.transaction.date == PAID_AT
    assert _events(db, "invoice_paid") == [{"invoice_id": invoice.id, "client_id": client.id}]
    applied = _events(db, "payment_applied")
    assert [p["transaction_id"] for p in applied] == [first.transaction.id, final.transaction.id]
    assert [p["paid"] for p in applied] == [False, True]


def test_duplicate_gateway_transaction_is_refused(db, client) -> None:
    invoice = _invoice(db, client)
    first = apply_payment(db, invoice.id, "5.00", gateway="paypal", gateway_txn_id="TX-9")
    with pytest.raises(DuplicatePayment) as err:
        apply_payment(db, invoice.id, "5.00", gateway="paypal", gateway_txn_id="TX-9")
    assert err.value.transaction_id == first.transaction.id
    assert f"invoice {invoice.id}" in err.value.message
    assert isinstance(err.value, Conflict)
    assert invoice.amount_paid == D("5.00")
    # the same id at another gateway is another payment; no id (or "") never clashes
    apply_payment(db, invoice.id, "1.00", gateway="stripe", gateway_txn_id="TX-9")
    apply_payment(db, invoice.id, "1.00", gateway="paypal")
    apply_payment(db, invoice.id, "1.00", gateway="paypal", gateway_txn_id="")
    apply_payment(db, invoice.id, "1.00", gateway="paypal", gateway_txn_id=" ")
    assert invoice.amount_paid == D("9.00")
    with pytest.raises(DuplicatePayment):
        add_transaction(db, client.id, amount_in="3.00", gateway="paypal", gateway_txn_id="TX-9")
    apply_payment(db, invoice.id, invoice.balance, gateway="paypal", gateway_txn_id="TX-10")
    # a retried callback for the payment that settled the invoice is a duplicate, not a refusal
    with pytest.raises(DuplicatePayment):
        apply_payment(db, invoice.id, "1.00", gateway="paypal", gateway_txn_id="TX-10")


def test_duplicate_caught_by_unique_constraint(db, client, monkeypatch) -> None:
    """A concurrent duplicate slips past the pre-check; the constraint still stops it."""
    invoice = _invoice(db, client)
    first = apply_payment(db, invoice.id, "5.00", gateway="paypal", gateway_txn_id="RACE")
    calls = []

    def blind_check(session, gateway, ref):
        calls.append(ref)
        return None

    monkeypatch.setattr(payments, "_existing", blind_check)
    with pytest.raises(DuplicatePayment) as err:
        apply_payment(db, invoice.id, "5.00", gateway="paypal", gateway_txn_id="RACE")
    assert err.value.transaction_id == first.transaction.id
    assert calls and set(calls) == {"RACE"}  # the pre-checks ran and saw nothing
    # only the savepoint was rolled back: the session still works and nothing was applied
    assert invoice.amount_paid == D("5.00")
    assert db.query(Transaction).filter_by(gateway_txn_id="RACE").count() == 1
    # the events queued before the failed insert are still waiting for the commit
    assert [p["transaction_id"] for p in _events(db, "payment_applied")] == [first.transaction.id]
    db.commit()


def test_payment_is_undone_by_the_callers_rollback(db, client) -> None:
    """Nothing is committed behind the caller's back (no early savepoint release)."""
    invoice = _invoice(db, client)
    db.commit()
    apply_payment(db, invoice.id, "25.00", gateway="manual", gateway_txn_id="undo")
    db.rollback()
    db.expire_all()
    assert db.query(Transaction).count() == 0
    assert db.query(CreditEntry).count() == 0
    assert (invoice.status, invoice.amount_paid, client.credit_balance) == ("unpaid", 0, 0)


def test_overpayment_goes_to_credit(db, client) -> None:
    invoice = _invoice(db, client)
    result = apply_payment(db, invoice.id, "25.00", gateway="manual", gateway_txn_id="OVER")
    # 25.00 - 19.59 = 5.41 over
    assert result.paid_now and result.credited == D("5.41")
    assert (invoice.amount_paid, invoice.balance, invoice.status) == (D("19.59"), 0, "paid")
    entry = db.query(CreditEntry).filter_by(transaction_id=result.transaction.id).one()
    assert (entry.amount, entry.invoice_id) == (D("5.41"), invoice.id)
    assert client.credit_balance == D("5.41") == ledger_balance(db, client.id)


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.001", "x"])
def test_payment_amount_validation(db, client, amount) -> None:
    invoice = _invoice(db, client)
    with pytest.raises(ValidationFailed):
        apply_payment(db, invoice.id, amount, gateway="manual")
    assert invoice.amount_paid == 0


def test_payment_needs_gateway_and_aware_time(db, client) -> None:
    invoice = _invoice(db, client)
    with pytest.raises(ValidationFailed):
        apply_payment(db, invoice.id, "1.00", gateway=" ")
    with pytest.raises(ValidationFailed, match="timezone"):
        apply_payment(db, invoice.id, "1.00", gateway="manual", paid_at=datetime(2026, 1, 1))


def test_payment_refused_on_closed_or_draft_invoices(db, client) -> None:
    paid = _invoice(db, client)
    apply_payment(db, paid.id, "19.59", gateway="manual")
    cancelled = _invoice(db, client)
    cancel_invoice(db, cancelled.id)
    draft = _invoice(db, client, status="draft")
    for invoice, word in ((paid, "paid"), (cancelled, "cancelled"), (draft, "publish")):
        with pytest.raises(Conflict, match=word):
            apply_payment(db, invoice.id, "1.00", gateway="manual")
    assert paid.amount_paid == D("19.59") and client.credit_balance == 0


def test_payment_completes_credit(db, client) -> None:
    invoice = _invoice(db, client, "30.00")
    add_credit(db, client.id, "20.00", "x")
    apply_credit(db, invoice.id)
    result = apply_payment(db, invoice.id, "15.00", gateway="manual")
    # 30.00 - 20.00 credit = 10.00 owed; 5.00 back to credit
    assert result.credited == D("5.00") and invoice.amount_paid == D("10.00")
    assert invoice.status == "paid" and client.credit_balance == D("5.00")


def test_add_transaction_plain_credit_and_invoice(db, client, factories) -> None:
    plain = add_transaction(db, client.id, amount_in="12.00", fees="0.50", gateway="bank",
                            gateway_txn_id="B-1", description="wire")
    assert (plain.kind, plain.invoice_id, plain.amount_in, plain.currency) == (
        "payment", None, D("12.00"), "USD")
    assert client.credit_balance == 0
    funds = add_transaction(db, client.id, amount_in="40.00", gateway="bank", add_to_credit=True)
    assert client.credit_balance == D("40.00")
    assert db.query(CreditEntry).filter_by(transaction_id=funds.id).one().amount == D("40.00")
    out = add_transaction(db, client.id, amount_out="3.00", gateway="bank", description="fee")
    assert (out.kind, out.amount_out) == ("refund", D("3.00"))
    invoice = _invoice(db, client, "10.00")
    on_invoice = add_transaction(db, client.id, amount_in="10.00", gateway="bank",
                                 invoice_id=invoice.id, at=PAID_AT)
    assert on_invoice.invoice_id == invoice.id and invoice.status == "paid"
    assert invoice.paid_at == PAID_AT
    assert [p["transaction_id"] for p in _events(db, "transaction_added")] == [
        plain.id, funds.id, out.id]


def test_add_transaction_validation(db, client, factories) -> None:
    other_invoice = _invoice(db, factories.client())
    invoice = _invoice(db, client)
    bad_calls = [
        {"amount_in": "1.00", "amount_out": "1.00"},
        {},
        {"amount_in": "-1.00"},
        {"amount_out": "1.00", "add_to_credit": True},
        {"amount_in": "1.00", "invoice_id": other_invoice.id},
        {"amount_in": "1.00", "invoice_id": invoice.id, "add_to_credit": True},
    ]
    for kwargs in bad_calls:
        with pytest.raises(ValidationFailed):
            add_transaction(db, client.id, gateway="bank", **kwargs)
    assert db.query(Transaction).count() == 0


def test_full_refund_marks_invoice_refunded(db, client) -> None:
    invoice = _invoice(db, client)
    pay = apply_payment(db, invoice.id, "19.59", gateway="stripe",
                        gateway_txn_id="ch_r").transaction
    refund = refund_payment(db, pay.id, gateway_txn_id="re_1", reason="unhappy")
    assert (refund.kind, refund.amount_out, refund.refund_of_id, refund.invoice_id) == (
        "refund", D("19.59"), pay.id, invoice.id)
    assert refund.gateway == "stripe" and refund.description == "unhappy"
    assert (invoice.status, invoice.amount_refunded, invoice.balance) == (
        "refunded", D("19.59"), 0)
    assert invoice.refunded_at is not None
    assert _events(db, "invoice_refunded") == [{"invoice_id": invoice.id, "client_id": client.id}]
    with pytest.raises(Conflict, match="fully refunded"):
        refund_payment(db, pay.id)
    with pytest.raises(Conflict, match="not a payment"):
        refund_payment(db, refund.id)
    with pytest.raises(NotFound):
        refund_payment(db, 999_999)


def test_partial_refunds_then_too_much(db, client) -> None:
    invoice = _invoice(db, client)
    pay = apply_payment(db, invoice.id, "19.59", gateway="manual").transaction
    refund_payment(db, pay.id, "5.00")
    assert (invoice.status, invoice.amount_refunded) == ("paid", D("5.00"))
    # 19.59 - 5.00 = 14.59 left
    with pytest.raises(Conflict, match="only 14.59"):
        refund_payment(db, pay.id, "14.60")
    with pytest.raises(ValidationFailed):
        refund_payment(db, pay.id, "0")
    refund_payment(db, pay.id, "14.59")
    assert invoice.status == "refunded" and invoice.amount_refunded == D("19.59")


def test_refund_over_several_payments(db, client) -> None:
    invoice = _invoice(db, client, "100.00")
    a = apply_payment(db, invoice.id, "60.00", gateway="manual").transaction
    b = apply_payment(db, invoice.id, "40.00", gateway="manual").transaction
    refund_payment(db, a.id)
    assert invoice.status == "paid"  # 40.00 of the payments still stand
    refund_payment(db, b.id)
    assert invoice.status == "refunded" and invoice.amount_refunded == D("100.00")


def test_refund_to_credit(db, client) -> None:
    invoice = _invoice(db, client)
    pay = apply_payment(db, invoice.id, "19.59", gateway="manual").transaction
    refund = refund_payment(db, pay.id, "9.59", to_credit=True)
    assert client.credit_balance == D("9.59") == ledger_balance(db, client.id)
    assert db.query(CreditEntry).filter_by(transaction_id=refund.id).one().amount == D("9.59")
    assert refund.amount_out == D("9.59")  # still on the ledger
    assert (invoice.status, invoice.amount_refunded) == ("paid", D("9.59"))
    assert _events(db, "payment_refunded")[0]["to_credit"] is True


def test_refund_of_overpayment_takes_back_the_credit_first(db, client) -> None:
    invoice = _invoice(db, client, "100.00")
    pay = apply_payment(db, invoice.id, "150.00", gateway="manual").transaction
    assert client.credit_balance == D("50.00")
    refund_payment(db, pay.id, "30.00")
    # the 30.00 comes out of the 50.00 overpayment credit; the invoice is untouched
    assert client.credit_balance == D("20.00") == ledger_balance(db, client.id)
    assert (invoice.status, invoice.amount_refunded) == ("paid", 0)
    refund_payment(db, pay.id, "120.00")
    # 20.00 more credit, then the 100.00 applied to the invoice
    assert client.credit_balance == 0
    assert (invoice.status, invoice.amount_refunded) == ("refunded", D("100.00"))


def test_spent_overpayment_credit_cannot_be_refunded_again(db, client) -> None:
    invoice = _invoice(db, client, "100.00")
    pay = apply_payment(db, invoice.id, "150.00", gateway="manual").transaction
    other = _invoice(db, client, "50.00")
    apply_credit(db, other.id)  # the client spends the 50.00 overpayment
    with pytest.raises(Conflict, match="at most 100.00"):
        refund_payment(db, pay.id)
    with pytest.raises(Conflict):
        refund_payment(db, pay.id, "150.00", to_credit=True)
    refund_payment(db, pay.id, "100.00")
    assert invoice.status == "refunded" and client.credit_balance == 0
    with pytest.raises(Conflict):
        refund_payment(db, pay.id, "0.01")


def test_added_funds_refund_only_while_the_credit_is_there(db, client) -> None:
    funds = add_transaction(db, client.id, amount_in="40.00", gateway="bank", add_to_credit=True)
    remove_credit(db, client.id, "15.00", "used elsewhere")
    with pytest.raises(Conflict, match="at most 25.00"):
        refund_payment(db, funds.id)
    refund_payment(db, funds.id, "25.00")
    assert client.credit_balance == 0 == ledger_balance(db, client.id)


def test_refund_on_open_invoice_reopens_the_balance(db, client) -> None:
    invoice = _invoice(db, client, "30.00")
    pay = apply_payment(db, invoice.id, "20.00", gateway="manual").transaction
    refund_payment(db, pay.id, "5.00")
    # still unpaid: the client owes 30.00 - 15.00 = 15.00 again
    assert (invoice.status, invoice.amount_paid, invoice.balance, invoice.amount_refunded) == (
        "unpaid", D("15.00"), D("15.00"), 0)
    apply_payment(db, invoice.id, "15.00", gateway="manual")
    assert invoice.status == "paid"
    with pytest.raises(Conflict, match="only 15.00"):
        refund_payment(db, pay.id, "15.01")
