"""WHMCS Billing group: AddBillableItem and GenInvoices (billable items invoicing)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.quotes  # noqa: F401  (tables in the test schema)
from bridge.db import utcnow
from bridge.errors import ValidationFailed
from bridge.models import BillableItem, Invoice
from bridge.services.billable_items import add_billable_item, invoice_due_billable_items


def item(seed, item_id):
    return seed(lambda s: s.get(BillableItem, item_id))


def test_add_billable_item(call, seed, client_id):
    body = call.ok("AddBillableItem", clientid=client_id, description="Consulting",
                   amount="10.00", unit="hours", quantity="4", invoiceaction="nextcron")
    stored = item(seed, int(body["billableid"]))
    assert (stored.description, stored.quantity, stored.unit_amount, stored.invoice_action) == (
        "Consulting", Decimal(4), Decimal("2.50"), "next_cron")
    assert body["billableid"].isdigit()


def test_add_recurring_billable_item(call, seed, client_id):
    body = call.ok("AddBillableItem", clientid=client_id, description="Backup", amount="5",
                   unit="quantity", invoiceaction="recur", recur="2", recurcycle="Weeks",
                   recurfor="3", duedate="2026-01-01")
    stored = item(seed, int(body["billableid"]))
    assert (stored.recur_cycle, stored.recur_for, stored.due_date) == (
        "2W", 3, date(2026, 1, 1))


@pytest.mark.parametrize(("params", "message"), [
    ({"clientid": 999}, "Client ID not Found"),
    ({"description": ""}, "You must provide a description"),
    ({"invoiceaction": "someday"}, "Invalid Invoice Action"),
    ({"invoiceaction": "duedate"}, "Due date is required"),
    ({"invoiceaction": "recur", "duedate": "2026-01-01", "recur": "1"},
     "Recurring must have a unit, cycle and limit"),
    ({"invoiceaction": "recur", "duedate": "2026-01-01", "recur": "1",
      "recurcycle": "Fortnights", "recurfor": "2"}, "Recurring must have a unit, cycle and limit"),
])
def test_add_billable_item_errors(call, client_id, params, message):
    base = {"clientid": client_id, "description": "x", "amount": "1.00", "unit": "hours"}
    assert call.error("AddBillableItem", **{**base, **params}) == message


def test_gen_invoices_invoices_what_is_due_once(call, seed, client_id):
    today = utcnow().date()

    def items(s):
        add_billable_item(s, client_id, description="Now", unit_amount="7.00",
                          invoice_action="next_cron")
        add_billable_item(s, client_id, description="Due", unit_amount="3.00",
                          invoice_action="due_date", due_date=today)
        add_billable_item(s, client_id, description="Later", unit_amount="9.00",
                          invoice_action="due_date", due_date=today + timedelta(days=9))
        add_billable_item(s, client_id, description="Manual", unit_amount="1.00")
    seed(items)
    body = call.ok("GenInvoices", clientid=client_id)
    assert body["numcreated"] == 2  # one per due date: the "next cron" one and today's
    invoices = seed(lambda s: list(s.scalars(select(Invoice).order_by(Invoice.id))))
    assert body["latestinvoiceid"] == invoices[-1].id
    assert sorted(i.total for i in invoices) == [Decimal("3.00"), Decimal("7.00")]
    assert call.ok("GenInvoices", clientid=client_id)["numcreated"] == 0
    assert call.ok("GenInvoices") == {"result": "success", "numcreated": 0}


def test_recurring_items_move_on_until_done(db, factories):
    client = factories.client()
    start = date(2026, 1, 31)
    recurring = add_billable_item(db, client.id, description="Retainer", unit_amount="20",
                                  invoice_action="recur", due_date=start, recur_cycle="1M",
                                  recur_for=2)
    assert len(invoice_due_billable_items(db, today=start)) == 1
    assert (recurring.due_date, recurring.invoice_count, recurring.invoiced) == (
        date(2026, 2, 28), 1, False)
    assert invoice_due_billable_items(db, today=start) == []
    assert len(invoice_due_billable_items(db, today=date(2026, 3, 1))) == 1
    assert (recurring.invoice_count, recurring.invoiced) == (2, True)
    assert invoice_due_billable_items(db, today=date(2026, 6, 1)) == []
    with pytest.raises(ValidationFailed):
        add_billable_item(db, client.id, description="Bad", unit_amount="1",
                          invoice_action="recur", due_date=start, recur_cycle="onetime",
                          recur_for=1)


def test_gen_invoices_refuses_chosen_services_and_unknown_clients(call):
    assert "automation" in call.error("GenInvoices", **{"serviceids[0]": "1"})
    assert call.error("GenInvoices", clientid=999) == "Client ID Not Found"
