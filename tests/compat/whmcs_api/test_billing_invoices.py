"""WHMCS Billing group, invoices: CreateInvoice, GetInvoice, GetInvoices, UpdateInvoice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest

import bridge.models.quotes  # noqa: F401  (tables in the test schema)
from bridge.db import utcnow
from bridge.models import Client, Invoice
from bridge.services.credit import add_credit
from bridge.services.invoices import create_invoice
from bridge.services.payments import apply_payment
from bridge.services.tax_rules import add_tax_rule
from bridge.testing import make_client


@pytest.fixture
def client_id(seed):
    return seed(lambda s: make_client(s, first_name="Ada", last_name="Lovelace").id)


def invoice_of(seed, client, *amounts, status="unpaid", due=None):
    def make(s):
        items = [{"description": f"Line {n}", "unit_amount": Decimal(a), "taxed": False}
                 for n, a in enumerate(amounts)]
        return create_invoice(s, client, items, status=status, due_date=due).id
    return seed(make)


def read(seed, invoice_id):
    def load(s):
        invoice = s.get(Invoice, invoice_id)
        list(invoice.items)  # loaded while the session is open
        return invoice
    return seed(load)


# -- CreateInvoice -------------------------------------------------------------------------------


def test_create_invoice_from_numbered_items(call, seed, client_id):
    body = call.ok("CreateInvoice", userid=client_id, paymentmethod="banktransfer",
                   date="2026-03-01", duedate="2026-03-15", notes="Thanks",
                   itemdescription1="Setup", itemamount1="40.00", itemtaxed1="0",
                   itemdescription2="Hours", itemamount2="2.50", itemtaxed2="1")
    assert body == {"result": "success", "invoiceid": body["invoiceid"], "status": "Unpaid"}
    invoice = read(seed, int(body["invoiceid"]))
    assert (invoice.total, invoice.date, invoice.due_date, invoice.notes) == (
        Decimal("42.50"), date(2026, 3, 1), date(2026, 3, 15), "Thanks")
    assert [(i.description, i.amount, i.taxed) for i in invoice.items] == [
        ("Setup", Decimal("40.00"), False), ("Hours", Decimal("2.50"), True)]
    # API lines are plain lines: WHMCS type ""
    lines = call.ok("GetInvoice", invoiceid=invoice.id)["items"]["item"]
    assert [(line["type"], line["taxed"]) for line in lines] == [("", 0), ("", 1)]


def test_create_invoice_errors(call, client_id):
    assert call("CreateInvoice", userid=999)[1] == {"result": "error",
                                                    "message": "Client ID Not Found"}
    _, body = call("CreateInvoice", userid=client_id, draft=1, sendinvoice=1)
    assert body["message"] == ("Cannot create and send a draft invoice in a single API "
                               "request. Please create and send separately.")
    _, body = call("CreateInvoice", userid=client_id, status="Paid",
                   itemdescription1="x", itemamount1="1.00")
    assert body["result"] == "error" and "AddInvoicePayment" in body["message"]
    _, body = call("CreateInvoice", userid=client_id, status="Bogus")
    assert body == {"result": "error", "message": "Invalid status Bogus"}


def test_create_draft_and_zero_total_invoices(call, client_id):
    assert call.ok("CreateInvoice", userid=client_id, draft=1, itemdescription1="x",
                   itemamount1="5.00")["status"] == "Draft"
    # a zero-total invoice is settled at once
    assert call.ok("CreateInvoice", userid=client_id, itemdescription1="Free",
                   itemamount1="0.00")["status"] == "Paid"


def test_create_invoice_auto_applies_credit(call, seed, client_id):
    seed(lambda s: add_credit(s, client_id, Decimal("15.00"), "Goodwill"))
    body = call.ok("CreateInvoice", userid=client_id, autoapplycredit=1,
                   itemdescription1="Work", itemamount1="10.00")
    assert body["status"] == "Paid"
    invoice = read(seed, int(body["invoiceid"]))
    assert invoice.credit_applied == Decimal("10.00")
    assert seed(lambda s: s.get(Client, client_id).credit_balance) == Decimal("5.00")


def test_taxrate_override_only_when_it_matches_the_rules(call, seed, client_id):
    seed(lambda s: add_tax_rule(s, "VAT", Decimal("20"), country="US"))
    body = call.ok("CreateInvoice", userid=client_id, taxrate="20", itemdescription1="Work",
                   itemamount1="10.00", itemtaxed1="1")
    assert read(seed, int(body["invoiceid"])).total == Decimal("12.00")
    _, body = call("CreateInvoice", userid=client_id, taxrate="10", itemdescription1="Work",
                   itemamount1="10.00", itemtaxed1="1")
    assert body["result"] == "error" and "taxrate" in body["message"]
    assert seed(lambda s: s.query(Invoice).count()) == 1  # the refused one was rolled back


# -- GetInvoice ----------------------------------------------------------------------------------


def test_get_invoice_maps_total_credit_and_balance(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "30.00", "20.00")

    def pay_part(s):
        add_credit(s, client_id, Decimal("10.00"), "Goodwill")
        from bridge.services.credit import apply_credit
        apply_credit(s, invoice_id, Decimal("10.00"))
        apply_payment(s, invoice_id, Decimal("15.00"), gateway="banktransfer",
                      gateway_txn_id="TX-1")
    seed(pay_part)
    body = call.ok("GetInvoice", invoiceid=invoice_id)
    # core: total 50 gross, credit 10, paid 15 -> WHMCS total 40, balance 25
    assert (body["subtotal"], body["credit"], body["total"], body["balance"]) == (
        "50.00", "10.00", "40.00", "25.00")
    assert body["invoiceid"] == invoice_id and body["userid"] == client_id
    assert (body["status"], body["taxrate"], body["invoicenum"]) == ("Unpaid", "0.000", "")
    assert body["datepaid"] == "0000-00-00 00:00:00" and body["ccgateway"] is False
    items = body["items"]["item"]
    assert [(i["type"], i["amount"], i["taxed"], i["relid"]) for i in items] == [
        ("Item", "30.00", 0, 0), ("Item", "20.00", 0, 0)]
    txn = body["transactions"]["transaction"][0]
    assert (txn["transid"], txn["amountin"], txn["invoiceid"]) == ("TX-1", 15.0,
                                                                   str(invoice_id))


def test_get_invoice_without_transactions_answers_empty_string(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "5.00")
    assert call.ok("GetInvoice", invoiceid=invoice_id)["transactions"] == ""
    assert call("GetInvoice", invoiceid=999)[1] == {"result": "error",
                                                    "message": "Invoice ID Not Found"}


def test_get_invoice_xml(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "12.34")
    status, text = call("GetInvoice", fmt="xml", invoiceid=invoice_id)
    root = ET.fromstring(text)
    assert status == 200 and root.findtext("result") == "success"
    assert root.findtext("total") == "12.34"
    assert [e.findtext("amount") for e in root.find("items").findall("item")] == ["12.34"]


# -- GetInvoices ---------------------------------------------------------------------------------


def test_get_invoices_filters_orders_and_pages(call, seed, client_id):
    other = seed(lambda s: make_client(s).id)
    yesterday = utcnow().date() - timedelta(days=1)
    cheap = invoice_of(seed, client_id, "5.00")
    dear = invoice_of(seed, client_id, "50.00")
    invoice_of(seed, other, "7.00")
    paid = invoice_of(seed, client_id, "0.00")
    body = call.ok("GetInvoices", userid=client_id, orderby="total", order="desc")
    assert (body["totalresults"], body["numreturned"]) == (3, 3)
    rows = body["invoices"]["invoice"]
    assert [r["id"] for r in rows] == [dear, cheap, paid]
    assert rows[0]["firstname"] == "Ada" and rows[0]["currencycode"] == "USD"
    assert rows[0]["currencyprefix"] == "$" and rows[0]["total"] == "50.00"
    body = call.ok("GetInvoices", status="Paid")
    assert [r["id"] for r in body["invoices"]["invoice"]] == [paid]
    page = call.ok("GetInvoices", limitstart=1, limitnum=2)
    assert (page["totalresults"], page["startnumber"], page["numreturned"]) == (4, 1, 2)

    def make_overdue(s):
        s.get(Invoice, cheap).date = yesterday - timedelta(days=5)
        s.get(Invoice, cheap).due_date = yesterday
    seed(make_overdue)
    body = call.ok("GetInvoices", status="Overdue")
    assert [r["id"] for r in body["invoices"]["invoice"]] == [cheap]


def test_get_invoices_runs_a_bounded_number_of_queries(call, seed, sql_log, client_id):
    counts = []

    def count_for(n):
        seed(lambda s: [create_invoice(s, make_client(s).id, [
            {"description": "x", "unit_amount": Decimal("1.00")}]) for _ in range(n)])
        with sql_log() as statements:
            call.ok("GetInvoices", limitnum=25)
        counts.append(len([s for s in statements if "invoices" in s.lower()]))

    count_for(2)
    count_for(23)
    assert counts[0] == counts[1] <= 3


# -- UpdateInvoice -------------------------------------------------------------------------------


def test_update_invoice_lines(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "10.00", "20.00", "30.00")
    first, second, third = (i.id for i in read(seed, invoice_id).items)
    body = call.ok("UpdateInvoice", invoiceid=invoice_id,
                   **{f"itemdescription[{first}]": "Changed", f"itemamount[{first}]": "11.00",
                      f"itemtaxed[{first}]": "0", "newitemdescription[0]": "New A",
                      "newitemamount[0]": "1.50", "newitemtaxed[0]": "0",
                      "deletelineids[0]": second, "deletelineids[1]": third})
    assert body == {"result": "success", "invoiceid": str(invoice_id)}
    invoice = read(seed, invoice_id)
    assert [(i.description, i.amount) for i in invoice.items] == [
        ("Changed", Decimal("11.00")), ("New A", Decimal("1.50"))]
    assert invoice.total == Decimal("12.50")


def test_update_invoice_line_needs_all_three_values(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "10.00")
    line = read(seed, invoice_id).items[0].id
    _, body = call("UpdateInvoice", invoiceid=invoice_id,
                   **{f"itemdescription[{line}]": "Only text"})
    assert body["message"] == ("Missing Variables: itemdescription, itemamount and itemtaxed "
                               "are required for each item being changed")


def test_update_invoice_fields_status_and_publish(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "10.00", status="draft")
    call.ok("UpdateInvoice", invoiceid=invoice_id, notes="Net 30", duedate="2030-01-31",
            paymentmethod="mailin")
    invoice = read(seed, invoice_id)
    assert (invoice.notes, invoice.due_date, invoice.payment_method) == (
        "Net 30", date(2030, 1, 31), "mailin")
    call.ok("UpdateInvoice", invoiceid=invoice_id, publish=1)
    assert read(seed, invoice_id).status == "unpaid"
    _, body = call("UpdateInvoice", invoiceid=invoice_id, publish=1)
    assert body["message"] == "Invoice must be in Draft status to be published"
    _, body = call("UpdateInvoice", invoiceid=invoice_id, status="Nonsense")
    assert body["message"] == "Invalid status Nonsense"
    call.ok("UpdateInvoice", invoiceid=invoice_id, status="Cancelled")
    assert read(seed, invoice_id).status == "cancelled"


def test_update_invoice_refusals(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "10.00")
    assert call("UpdateInvoice", invoiceid=12345)[1]["message"] == "Invoice ID Not Found"
    _, body = call("UpdateInvoice", invoiceid=invoice_id, datepaid="2026-01-01")
    assert body["result"] == "error" and "AddInvoicePayment" in body["message"]
    _, body = call("UpdateInvoice", invoiceid=invoice_id, status="Paid")
    assert body["result"] == "error" and body["message"].startswith("Invalid status Paid")


def test_update_invoice_credit_applies_the_difference(call, seed, client_id):
    invoice_id = invoice_of(seed, client_id, "10.00")
    seed(lambda s: add_credit(s, client_id, Decimal("8.00"), "Goodwill"))
    call.ok("UpdateInvoice", invoiceid=invoice_id, credit="6.00")
    assert read(seed, invoice_id).credit_applied == Decimal("6.00")
    _, body = call("UpdateInvoice", invoiceid=invoice_id, credit="2.00")
    assert body["result"] == "error" and "lowered" in body["message"]
    assert call.ok("GetInvoice", invoiceid=invoice_id)["total"] == "4.00"
