"""Client credit: ledger and cached balance move together, never below zero; applying it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import CreditEntry
from bridge.services.credit import (
    add_credit,
    apply_credit,
    ledger_balance,
    remove_credit,
)
from bridge.services.invoices import cancel_invoice, create_invoice


def _events(db, name):
    return [payload for event, payload in pending_events(db) if event == name]


def _invoice(db, client, *amounts: str, status: str = "unpaid"):
    return create_invoice(db, client.id, [{"description": f"line {n}", "unit_amount": a,
                                           "taxed": False} for n, a in enumerate(amounts)],
                          status=status)


def test_add_and_remove_keep_balance_and_ledger_equal(db, factories) -> None:
    client = factories.client()
    first = add_credit(db, client.id, "25.00", "goodwill", admin_id=None)
    add_credit(db, client.id, D("4.50"), "more")
    removed = remove_credit(db, client.id, "9.25", "correction")
    # 25.00 + 4.50 - 9.25 = 20.25
    assert client.credit_balance == D("20.25")
    assert ledger_balance(db, client.id) == D("20.25")
    assert (first.amount, removed.amount) == (D("25.00"), D("-9.25"))
    assert removed.currency == client.currency == "USD"
    assert [p["credit_entry_id"] for p in _events(db, "credit_added")][0] == first.id
    assert _events(db, "credit_removed")[0]["amount"] == D("9.25")


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "abc"])
def test_add_credit_rejects_bad_amounts(db, factories, amount) -> None:
    client = factories.client()
    with pytest.raises(ValidationFailed) as err:
        add_credit(db, client.id, amount, "x")
    assert "amount" in err.value.errors
    assert client.credit_balance == 0


def test_add_credit_refuses_floats_and_unknown_clients(db, factories) -> None:
    client = factories.client()
    with pytest.raises(ValidationFailed):
        add_credit(db, client.id, 1.1, "float")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        add_credit(db, 999_999, "1.00", "nobody")


def test_remove_credit_never_goes_below_zero(db, factories) -> None:
    client = factories.client()
    add_credit(db, client.id, "5.00", "x")
    with pytest.raises(Conflict, match="only 5"):
        remove_credit(db, client.id, "5.01", "too much")
    remove_credit(db, client.id, "5.00", "all")
    assert client.credit_balance == 0 == ledger_balance(db, client.id)


def test_apply_credit_partially_then_fully(db, factories) -> None:
    client = factories.client()
    invoice = _invoice(db, client, "30.00")
    add_credit(db, client.id, "50.00", "prepaid")
    assert apply_credit(db, invoice.id, "10.00") == D("10.00")
    assert (invoice.status, invoice.credit_applied, invoice.balance) == (
        "unpaid", D("10.00"), D("20.00"))
    assert _events(db, "invoice_paid") == []
    # no amount: the rest of the balance (20.00) since credit (40.00) covers it
    assert apply_credit(db, invoice.id) == D("20.00")
    assert (invoice.status, invoice.balance) == ("paid", D(0))
    assert invoice.paid_at is not None
    assert _events(db, "invoice_paid") == [{"invoice_id": invoice.id, "client_id": client.id}]
    assert client.credit_balance == D("20.00") == ledger_balance(db, client.id)
    spent = db.query(CreditEntry).filter_by(invoice_id=invoice.id).all()
    assert sorted(e.amount for e in spent) == [D("-20.00"), D("-10.00")]


def test_apply_credit_limited_by_available_credit(db, factories) -> None:
    client = factories.client()
    invoice = _invoice(db, client, "30.00")
    assert apply_credit(db, invoice.id) == 0  # nothing to apply is not an error
    add_credit(db, client.id, "12.34", "some")
    assert apply_credit(db, invoice.id) == D("12.34")
    assert invoice.status == "unpaid" and invoice.balance == D("17.66")
    assert client.credit_balance == 0


@pytest.mark.parametrize(("amount", "text"), [("0", "greater than 0"), ("-2", "greater than 0"),
                                              ("15.01", "credit of"), ("1.234", "decimal")])
def test_apply_credit_validation(db, factories, amount, text) -> None:
    client = factories.client()
    invoice = _invoice(db, client, "30.00")
    add_credit(db, client.id, "15.00", "x")
    with pytest.raises(ValidationFailed, match=text):
        apply_credit(db, invoice.id, amount)
    assert invoice.credit_applied == 0


def test_apply_credit_above_invoice_balance_is_refused(db, factories) -> None:
    client = factories.client()
    invoice = _invoice(db, client, "5.00")
    add_credit(db, client.id, "15.00", "x")
    with pytest.raises(ValidationFailed, match="balance"):
        apply_credit(db, invoice.id, "5.01")


def test_apply_credit_refused_on_closed_invoices(db, factories) -> None:
    client = factories.client()
    add_credit(db, client.id, "100.00", "x")
    paid = _invoice(db, client, "10.00")
    apply_credit(db, paid.id)
    cancelled = _invoice(db, client, "10.00")
    cancel_invoice(db, cancelled.id)
    draft = _invoice(db, client, "10.00", status="draft")
    for invoice in (paid, cancelled, draft):
        with pytest.raises(Conflict, match=invoice.status):
            apply_credit(db, invoice.id)
    assert client.credit_balance == D("90.00")


def test_lock_invoice_reads_once_per_transaction(db, factories):
    from sqlalchemy import event

    from bridge.services.credit import lock_invoice

    invoice = _invoice(db, factories.client(), "10.00")
    db.commit()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "FROM invoices" in statement:
            seen.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = lock_invoice(db, invoice.id)
        assert lock_invoice(db, invoice.id) is first and len(seen) == 1
        with pytest.raises(NotFound):
            lock_invoice(db, invoice.id + 1000)
        db.commit()
        lock_invoice(db, invoice.id)  # a new transaction locks again
        assert len(seen) == 3
    finally:
        event.remove(engine, "before_cursor_execute", record)
    db.rollback()
