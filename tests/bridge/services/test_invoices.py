"""Invoices: creation with taxes and numbering, editing lines, publishing, cancelling."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import CreditEntry, TaxRule
from bridge.services.credit import add_credit, apply_credit, ledger_balance
from bridge.services.invoices import (
    add_invoice_item,
    cancel_invoice,
    create_invoice,
    get_invoice,
    publish_invoice,
    remove_invoice_item,
    update_invoice,
    update_invoice_item,
)
from bridge.services.payments import apply_payment, refund_payment
from bridge.services.settings import get_setting, set_setting

DAY = date(2026, 3, 10)


def _events(db, name):
    return [payload for event, payload in pending_events(db) if event == name]


@pytest.fixture
def taxed_client(db, factories):
    """A client taxed 20% (level 1) and 5% compound (level 2)."""
    db.add_all([TaxRule(level=1, name="VAT", country="US", rate=D("20")),
                TaxRule(level=2, name="Extra", country="US", rate=D("5"), compound=True)])
    db.flush()
    return factories.client(country="US", state="CA")


def _lines(*amounts: str, taxed: bool = True):
    return [{"description": f"line {n}", "unit_amount": a, "taxed": taxed}
            for n, a in enumerate(amounts)]


def test_create_invoice_computes_and_snapshots_taxes(db, taxed_client) -> None:
    invoice = create_invoice(db, taxed_client.id, _lines("10.00", "5.55"), invoice_date=DAY,
                             payment_method="banktransfer", notes="thanks")
    # 15.55 net; 20% = 3.11; 5% compound on 18.66 = 0.933 -> 0.93; total 19.59
    assert (invoice.subtotal, invoice.tax1, invoice.tax2, invoice.total) == (
        D("15.55"), D("3.11"), D("0.93"), D("19.59"))
    assert (invoice.tax1_name, invoice.tax1_rate, invoice.tax2_name, invoice.tax2_rate) == (
        "VAT", D(20), "Extra", D(5))
    assert invoice.tax2_compound and not invoice.tax_inclusive
    assert invoice.status == "unpaid" and invoice.balance == D("19.59")
    assert invoice.currency == "USD" and invoice.number == str(invoice.id)
    assert invoice.due_date == DAY + timedelta(days=7)  # default invoice.due_days
    assert [i.amount for i in invoice.items] == [D("10.00"), D("5.55")]
    assert _events(db, "invoice_created") == [{"invoice_id": invoice.id,
                                               "client_id": taxed_client.id}]
    # a later rule change does not touch the issued invoice
    for rule in db.query(TaxRule):
        rule.rate = D(50)
    add_invoice_item(db, invoice.id, {"description": "more", "unit_amount": "1.00",
                                      "taxed": False})
    assert invoice.tax1_rate == D(20) and invoice.tax1 == D("3.11")
    assert invoice.total == D("20.59")


def test_quantity_and_untaxed_lines(db, taxed_client) -> None:
    invoice = create_invoice(db, taxed_client.id, [
        # 3.3333 x 3 = 9.9999 -> line 10.00
        {"description": "hours", "unit_amount": "3.3333", "quantity": "3"},
        {"description": "untaxed", "unit_amount": D("7.00"), "taxed": False},
    ], invoice_date=DAY)
    # taxed base 10.00: tax1 2.00, tax2 5% of 12.00 = 0.60; subtotal 17.00; total 19.60
    assert (invoice.subtotal, invoice.tax1, invoice.tax2, invoice.total) == (
        D("17.00"), D("2.00"), D("0.60"), D("19.60"))


def test_exempt_client_is_not_taxed(db, factories, taxed_client) -> None:
    client = factories.client(country="US", tax_exempt=True)
    invoice = create_invoice(db, client.id, _lines("10.00"))
    assert (invoice.tax1, invoice.tax2, invoice.total, invoice.tax1_name) == (
        D(0), D(0), D("10.00"), "")


def test_inclusive_taxes_from_setting(db, factories) -> None:
    db.add(TaxRule(level=1, name="VAT", rate=D("20")))
    set_setting(db, "tax.inclusive", "1")
    invoice = create_invoice(db, factories.client().id, _lines("12.00", "10.00"))
    # gross 22.00 / 1.2 = 18.333..; tax 3.666.. -> 3.67; net 22.00 - 3.67 = 18.33
    assert invoice.tax_inclusive
    assert (invoice.subtotal, invoice.tax1, invoice.total) == (D("18.33"), D("3.67"), D("22.00"))


def test_due_days_setting_and_explicit_due_date(db, factories) -> None:
    client = factories.client()
    set_setting(db, "invoice.due_days", "14")
    assert create_invoice(db, client.id, _lines("1.00"), invoice_date=DAY).due_date == date(
        2026, 3, 24)
    assert create_invoice(db, client.id, _lines("1.00"), invoice_date=DAY,
                          due_date=DAY).due_date == DAY
    with pytest.raises(ValidationFailed, match="before"):
        create_invoice(db, client.id, _lines("1.00"), invoice_date=DAY,
                       due_date=DAY - timedelta(days=1))


def test_sequential_numbering(db, factories) -> None:
    client = factories.client()
    set_setting(db, "invoice.sequential", "1")
    set_setting(db, "invoice.number_format", "INV-{YEAR}-{NUMBER}")
    set_setting(db, "invoice.next_number", "41")
    first = create_invoice(db, client.id, _lines("1.00"), invoice_date=DAY)
    second = create_invoice(db, client.id, _lines("2.00"), invoice_date=DAY)
    assert (first.number, second.number) == ("INV-2026-41", "INV-2026-42")
    assert get_setting(db, "invoice.next_number") == "43"
    set_setting(db, "invoice.sequential", "0")
    third = create_invoice(db, client.id, _lines("3.00"))
    assert third.number == str(third.id)
    assert get_setting(db, "invoice.next_number") == "43"


def test_zero_total_invoice_is_created_paid(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, [{"description": "free", "unit_amount": "0"}])
    assert invoice.status == "paid" and invoice.paid_at is not None
    assert _events(db, "invoice_paid") == [{"invoice_id": invoice.id, "client_id": client.id}]
    promo = create_invoice(db, client.id, [{"unit_amount": "10.00", "type": "service"},
                                           {"unit_amount": "-10.00", "type": "promo"}])
    assert promo.status == "paid" and promo.total == 0


def test_draft_is_silent_until_published(db, factories) -> None:
    client = factories.client()
    draft = create_invoice(db, client.id, _lines("8.00"), status="draft")
    assert draft.status == "draft" and _events(db, "invoice_created") == []
    assert publish_invoice(db, draft.id).status == "unpaid"
    assert _events(db, "invoice_created") == [{"invoice_id": draft.id, "client_id": client.id}]
    publish_invoice(db, draft.id)  # a retry changes nothing and emits nothing
    assert len(_events(db, "invoice_created")) == 1
    free = create_invoice(db, client.id, _lines("0.00"), status="draft")
    assert free.status == "draft"
    assert publish_invoice(db, free.id).status == "paid"


def test_apply_credit_on_create(db, factories) -> None:
    client = factories.client()
    add_credit(db, client.id, "5.00", "x")
    invoice = create_invoice(db, client.id, _lines("12.00"), apply_credit=True)
    assert (invoice.credit_applied, invoice.balance, invoice.status) == (
        D("5.00"), D("7.00"), "unpaid")
    add_credit(db, client.id, "50.00", "y")
    covered = create_invoice(db, client.id, _lines("12.00"), apply_credit=True)
    assert covered.status == "paid" and client.credit_balance == D("38.00")
    with pytest.raises(ValidationFailed, match="draft"):
        create_invoice(db, client.id, _lines("1.00"), status="draft", apply_credit=True)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"unit_amount": "1.00"}, {"unit_amount": "ten"}], "items.1.unit_amount"),
        ([{"unit_amount": 1.5}], "items.0.unit_amount"),  # floats lose cents: refused
        ([{"unit_amount": "1.00", "type": "hosting"}], "items.0.type"),
        ([{"description": "no amount"}], "items.0.unit_amount"),
        ([{"unit_amount": "1.00", "colour": "red"}], "items.0.colour"),
        ([{"unit_amount": "1.00", "quantity": "0"}], "items.0.quantity"),
        ([{"unit_amount": "1.00001"}], "items.0.unit_amount"),
        ([{"unit_amount": "1.00", "period_start": "2026-02-01", "period_end": "2026-01-01"}],
         "items.0.period_end"),
    ],
)
def test_item_validation_names_index_and_field(db, factories, items, field) -> None:
    client = factories.client()
    with pytest.raises(ValidationFailed) as err:
        create_invoice(db, client.id, items)
    assert field in err.value.errors


def test_bad_status_unknown_client_and_foreign_links(db, factories) -> None:
    client = factories.client()
    with pytest.raises(ValidationFailed):
        create_invoice(db, client.id, _lines("1.00"), status="paid")
    with pytest.raises(NotFound):
        create_invoice(db, 999_999, _lines("1.00"))
    other_service = factories.service(client=factories.client())
    with pytest.raises(ValidationFailed) as err:
        create_invoice(db, client.id, [{"unit_amount": "1.00", "service_id": other_service.id}])
    assert "items.0.service_id" in err.value.errors
    own = factories.service(client=client)
    invoice = create_invoice(db, client.id, [{"unit_amount": "1.00", "type": "service",
                                              "service_id": own.id, "period_start": DAY,
                                              "period_end": "2026-04-10"}])
    assert invoice.items[0].service_id == own.id
    assert invoice.items[0].period_end == date(2026, 4, 10)


def test_edit_lines_recalculates(db, taxed_client) -> None:
    invoice = create_invoice(db, taxed_client.id, _lines("10.00"))
    # 10.00: tax1 2.00, tax2 5% of 12.00 = 0.60, total 12.60
    assert invoice.total == D("12.60")
    item = add_invoice_item(db, invoice.id, {"description": "x", "unit_amount": "5.55"})
    assert invoice.total == D("19.59")  # same as the 10.00 + 5.55 example
    update_invoice_item(db, item.id, {"quantity": "2"})
    # net 21.10; tax1 4.22; tax2 5% of 25.32 = 1.266 -> 1.27; total 26.59
    assert (item.amount, invoice.tax1, invoice.tax2, invoice.total) == (
        D("11.10"), D("4.22"), D("1.27"), D("26.59"))
    update_invoice_item(db, item.id, {"taxed": False})
    # taxed 10.00 -> taxes 2.00 + 0.60; total 10.00 + 11.10 + 2.60 = 23.70
    assert invoice.total == D("23.70")
    remove_invoice_item(db, item.id)
    assert invoice.total == D("12.60") and len(invoice.items) == 1
    assert [p["change"] for p in _events(db, "invoice_updated")] == [
        "item_added", "item_updated", "item_updated", "item_removed"]
    with pytest.raises(ValidationFailed):
        update_invoice_item(db, invoice.items[0].id, {"unit_amount": "x"})
    with pytest.raises(NotFound):
        remove_invoice_item(db, 999_999)


def test_lines_of_paid_or_part_paid_invoices_are_locked(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("10.00"))
    apply_payment(db, invoice.id, "4.00", gateway="manual")
    with pytest.raises(Conflict, match="without payments"):
        add_invoice_item(db, invoice.id, {"unit_amount": "1.00"})
    with pytest.raises(Conflict):
        remove_invoice_item(db, invoice.items[0].id)
    apply_payment(db, invoice.id, "6.00", gateway="manual")
    with pytest.raises(Conflict):
        update_invoice_item(db, invoice.items[0].id, {"unit_amount": "1.00"})


def test_lowered_total_returns_excess_credit(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("10.00", "10.00"))
    add_credit(db, client.id, "15.00", "x")
    apply_credit(db, invoice.id)  # 15.00 applied, balance 5.00
    remove_invoice_item(db, invoice.items[1].id)
    # total 10.00 < 15.00 applied: 5.00 goes back; credit now covers the invoice exactly
    assert (invoice.total, invoice.credit_applied, invoice.balance) == (D("10.00"), D("10.00"), 0)
    assert invoice.status == "paid"
    assert client.credit_balance == D("5.00") == ledger_balance(db, client.id)
    back = db.query(CreditEntry).filter(CreditEntry.amount > 0,
                                        CreditEntry.invoice_id == invoice.id).one()
    assert back.amount == D("5.00")


def test_negative_total_is_refused(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("10.00"))
    with pytest.raises(ValidationFailed, match="-0.01"):
        add_invoice_item(db, invoice.id, {"unit_amount": "-10.01", "type": "promo"})


def test_update_invoice_fields_and_status(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("10.00"), invoice_date=DAY)
    update_invoice(db, invoice.id, {"due_date": "2026-04-01", "notes": "n", "admin_notes": "a",
                                    "payment_method": "paypal", "status": "collections"})
    assert (invoice.due_date, invoice.notes, invoice.admin_notes, invoice.payment_method,
            invoice.status) == (date(2026, 4, 1), "n", "a", "paypal", "collections")
    assert set(_events(db, "invoice_updated")[0]["fields"]) == {
        "due_date", "notes", "admin_notes", "payment_method", "status"}
    for status in ("paid", "cancelled", "refunded", "Unpaid"):
        with pytest.raises(ValidationFailed):
            update_invoice(db, invoice.id, {"status": status})
    with pytest.raises(ValidationFailed):
        update_invoice(db, invoice.id, {"due_date": "2026-03-01"})
    with pytest.raises(ValidationFailed):
        update_invoice(db, invoice.id, {"total": "1.00"})
    apply_payment(db, invoice.id, "1.00", gateway="manual")
    with pytest.raises(Conflict, match="draft"):
        update_invoice(db, invoice.id, {"status": "draft"})
    apply_payment(db, invoice.id, "9.00", gateway="manual")
    with pytest.raises(Conflict):
        update_invoice(db, invoice.id, {"status": "unpaid"})
    update_invoice(db, invoice.id, {"notes": "paid invoices still take notes"})
    assert invoice.status == "paid" and invoice.notes.startswith("paid")


def test_update_draft_to_unpaid_publishes(db, factories) -> None:
    client = factories.client()
    draft = create_invoice(db, client.id, _lines("3.00"), status="draft")
    update_invoice(db, draft.id, {"status": "unpaid"})
    assert draft.status == "unpaid"
    assert _events(db, "invoice_created") == [{"invoice_id": draft.id, "client_id": client.id}]


def test_cancel_returns_applied_credit(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("30.00"))
    add_credit(db, client.id, "12.00", "x")
    apply_credit(db, invoice.id)
    assert client.credit_balance == 0
    cancel_invoice(db, invoice.id, reason="customer left")
    assert (invoice.status, invoice.credit_applied) == ("cancelled", 0)
    assert invoice.cancelled_at is not None
    assert client.credit_balance == D("12.00") == ledger_balance(db, client.id)
    assert _events(db, "invoice_cancelled") == [{
        "invoice_id": invoice.id, "client_id": client.id, "reason": "customer left",
        "credit_returned": D("12.00")}]
    with pytest.raises(Conflict, match="cancelled"):
        cancel_invoice(db, invoice.id)


def test_cancel_refuses_paid_money_until_refunded(db, factories) -> None:
    client = factories.client()
    invoice = create_invoice(db, client.id, _lines("30.00"))
    result = apply_payment(db, invoice.id, "10.00", gateway="manual", gateway_txn_id="A1")
    with pytest.raises(Conflict, match="refund the payments first"):
        cancel_invoice(db, invoice.id)
    refund_payment(db, result.transaction.id)
    assert invoice.amount_paid == 0 and invoice.balance == D("30.00")
    assert cancel_invoice(db, invoice.id).status == "cancelled"
    paid = create_invoice(db, client.id, _lines("5.00"))
    apply_payment(db, paid.id, "5.00", gateway="manual")
    with pytest.raises(Conflict, match="paid"):
        cancel_invoice(db, paid.id)


def test_get_invoice(db, factories) -> None:
    invoice = create_invoice(db, factories.client().id, _lines("1.00"))
    assert get_invoice(db, invoice.id) is invoice
    with pytest.raises(NotFound):
        get_invoice(db, 999_999)


def test_create_invoice_reads_the_client_as_the_transaction_sees_it(db, factories) -> None:
    """The client's terms are read through Core: a change still pending on the ORM object is
    flushed first, as an ORM query's autoflush would."""
    client = factories.client(country="US")
    db.add(TaxRule(level=1, name="VAT", country="DE", rate=D("19")))
    db.flush()
    client.country, client.default_gateway = "DE", "banktransfer"  # not flushed yet
    invoice = create_invoice(db, client.id, _lines("10.00"), invoice_date=DAY)
    assert (invoice.tax1_name, invoice.tax1_rate, invoice.total) == ("VAT", D("19"), D("11.90"))
    assert invoice.payment_method == "banktransfer"


def test_terms_read_by_the_caller_are_used_and_must_be_the_clients(db, factories) -> None:
    from bridge.services.clients import client_terms

    client, other = factories.client(), factories.client()
    terms = client_terms(db, client.id)
    assert terms.id == client.id and terms.currency == client.currency
    invoice = create_invoice(db, client.id, _lines("1.00"), terms=terms)
    assert invoice.client_id == client.id
    with pytest.raises(ValueError):
        create_invoice(db, other.id, _lines("1.00"), terms=terms)
    with pytest.raises(NotFound):
        client_terms(db, 999_999)


def test_checked_items_are_not_checked_again(db, factories, monkeypatch) -> None:
    import bridge.services.invoices as invoices_mod
    from bridge.services.invoices import CheckedItems, check_items

    with pytest.raises(ValidationFailed) as err:
        check_items([{"unit_amount": "1.00"}, {"unit_amount": "x"}])
    assert "items.1.unit_amount" in err.value.errors
    checked = check_items(_lines("2.00", "3.00"))
    assert isinstance(checked, CheckedItems) and checked.values[1]["unit_amount"] == D("3.00")
    monkeypatch.setattr(invoices_mod, "validate", lambda *a, **k: pytest.fail("validated"))
    invoice = create_invoice(db, factories.client().id, checked, invoice_date=DAY)
    assert [item.unit_amount for item in invoice.items] == [D("2.00"), D("3.00")]
