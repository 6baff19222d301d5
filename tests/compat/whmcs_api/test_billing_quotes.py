"""WHMCS Billing group, quotes: CreateQuote, UpdateQuote, DeleteQuote, GetQuotes, SendQuote,
AcceptQuote (and the quote service behind them)."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.quotes  # noqa: F401  (tables in the test schema)
from bridge.context import pending_events
from bridge.db import utcnow
from bridge.errors import Conflict
from bridge.models import Client, Invoice
from bridge.models.quotes import Quote
from bridge.services.quotes import accept_quote, create_quote, remove_quote_item
from bridge.services.settings import add_currency
from bridge.services.tax_rules import add_tax_rule
from bridge.testing import make_client
from compat.whmcs.api.params import php_serialize


def lineitems(*lines):
    return base64.b64encode(php_serialize(list(lines)).encode()).decode()


@pytest.fixture
def client_id(seed):
    return seed(lambda s: make_client(s, email="quote@example.com").id)


def load(seed, quote_id):
    def run(s):
        quote = s.get(Quote, quote_id)
        list(quote.items)
        return quote
    return seed(run)


def quote_row(call, quote_id):
    return call.ok("GetQuotes", quoteid=quote_id)["quotes"]["quote"][0]


def new_quote(call, client_id, **extra):
    params = {"subject": "Website", "stage": "Draft", "validuntil": "31/12/2030",
              "userid": client_id, "lineitems": lineitems(
                  {"desc": "Design", "qty": 2, "up": "100.00", "discount": "10.00",
                   "taxable": True},
                  {"desc": "Hosting", "qty": 1, "up": "15.00", "discount": "0",
                   "taxable": False}), **extra}
    return int(call.ok("CreateQuote", **params)["quoteid"])


def test_create_quote_computes_lines_and_taxes(call, seed, client_id):
    seed(lambda s: add_tax_rule(s, "Sales tax", Decimal("10"), country="US"))
    quote_id = new_quote(call, client_id, proposal="We build it", adminnotes="Margin 30%")
    quote = load(seed, quote_id)
    # 2 x 100 less 10% = 180 (taxed); 15 untaxed; tax 10% of 180
    assert [item.amount for item in quote.items] == [Decimal("180.00"), Decimal("15.00")]
    assert (quote.subtotal, quote.tax1, quote.total) == (
        Decimal("195.00"), Decimal("18.00"), Decimal("213.00"))
    assert quote.valid_until == date(2030, 12, 31)  # DD/MM/YYYY
    row = quote_row(call, quote_id)
    assert {k: row[k] for k in ("id", "subject", "stage", "validuntil", "userid", "currency",
                                "subtotal", "tax1", "tax2", "total", "proposal",
                                "adminnotes", "datesent", "dateaccepted")} == {
        "id": str(quote_id), "subject": "Website", "stage": "Draft",
        "validuntil": "2030-12-31", "userid": str(client_id), "currency": "1",
        "subtotal": "195.00", "tax1": "18.00", "tax2": "0.00", "total": "213.00",
        "proposal": "We build it", "adminnotes": "Margin 30%", "datesent": "0000-00-00",
        "dateaccepted": "0000-00-00"}
    assert row["items"]["item"][0] == {"id": str(quote.items[0].id), "description": "Design",
                                       "quantity": "2", "unitprice": "100.00",
                                       "discount": "10.00", "taxable": "1"}


def test_create_quote_with_bracket_line_items(call, seed, client_id):
    body = call.ok("CreateQuote", subject="Offer", stage="On Hold", validuntil="2030-01-01",
                   userid=client_id, **{"lineitems[0][desc]": "Build",
                                        "lineitems[0][qty]": "3", "lineitems[0][up]": "5.00",
                                        "lineitems[0][taxable]": "0"})
    quote = load(seed, int(body["quoteid"]))
    assert (quote.stage, quote.total, quote.items[0].quantity) == (
        "on_hold", Decimal("15.00"), Decimal(3))


@pytest.mark.parametrize(("params", "message"), [
    ({"subject": ""}, "Subject is required"),
    ({"stage": "Pending"}, "Invalid Stage"),
    ({"validuntil": ""}, "Valid Until is required"),
    ({"userid": 999}, "Client ID Not Found"),
    ({"lineitems": "not base64 serialized"},
     "lineitems must be a base64 encoded serialized array"),
])
def test_create_quote_errors(call, params, message):
    base = {"subject": "S", "stage": "Draft", "validuntil": "2030-01-01"}
    assert call.error("CreateQuote", **{**base, **params}) == message


def test_prospect_quote(call, seed):
    eur = seed(lambda s: add_currency(s, "EUR", rate=Decimal("0.9")).id)
    quote_id = int(call.ok("CreateQuote", subject="For a prospect", stage="Draft",
                           validuntil="2030-01-01", firstname="Pat", lastname="Prospect",
                           companyname="Prospect Ltd", country="DE", currency=eur,
                           lineitems=lineitems({"desc": "Audit", "qty": 1, "up": "99.00",
                                                "taxable": False}))["quoteid"])
    row = quote_row(call, quote_id)
    assert (row["userid"], row["firstname"], row["currency"], row["total"]) == (
        "0", "Pat", str(eur), "99.00")
    assert seed(lambda s: s.query(Client).count()) == 0  # a prospect is not a client
    # no email yet: can't be sent; no client: can't be accepted
    assert "email" in call.error("SendQuote", quoteid=quote_id)
    assert "prospect" in call.error("AcceptQuote", quoteid=quote_id)
    call.ok("UpdateQuote", quoteid=quote_id, email="pat@example.com")
    call.ok("SendQuote", quoteid=quote_id)
    assert quote_row(call, quote_id)["stage"] == "Delivered"


def test_update_quote_edits_and_adds_lines(call, seed, client_id):
    quote_id = new_quote(call, client_id)
    design = load(seed, quote_id).items[0].id
    assert call.ok("UpdateQuote", quoteid=quote_id, subject="Website v2", stage="On Hold",
                   lineitems=lineitems({"id": design, "qty": 1, "discount": "0"},
                                       {"desc": "Logo", "qty": 1, "up": "50.00",
                                        "taxable": False})) == {"result": "success"}
    quote = load(seed, quote_id)
    assert (quote.subject, quote.stage) == ("Website v2", "on_hold")
    assert [(i.description, i.amount) for i in quote.items] == [
        ("Design", Decimal("100.00")), ("Hosting", Decimal("15.00")), ("Logo", Decimal("50.00"))]
    assert quote.total == Decimal("165.00")
    assert call.error("UpdateQuote", quoteid=999) == "Quote ID Not Found"
    assert call.error("UpdateQuote", quoteid=quote_id, stage="Won") == "Invalid Stage"


def test_send_quote(call, seed, client_id):
    quote_id = new_quote(call, client_id)
    assert call.ok("SendQuote", quoteid=quote_id) == {"result": "success"}
    row = quote_row(call, quote_id)
    assert row["stage"] == "Delivered" and row["datesent"] != "0000-00-00"
    assert call.error("SendQuote", quoteid=999) == "Quote ID Not Found"


def test_accept_quote_creates_the_invoice_once(call, seed, client_id):
    quote_id = new_quote(call, client_id)
    body = call.ok("AcceptQuote", quoteid=quote_id)
    invoice = seed(lambda s: s.get(Invoice, int(body["invoiceid"])))
    assert (invoice.client_id, invoice.total, invoice.status) == (
        client_id, Decimal("195.00"), "unpaid")
    quote = load(seed, quote_id)
    assert (quote.stage, quote.invoice_id, quote.date_accepted) == (
        "accepted", invoice.id, utcnow().date())
    assert "already accepted" in call.error("AcceptQuote", quoteid=quote_id)
    message = call.error("UpdateQuote", quoteid=quote_id, lineitems=lineitems(
        {"desc": "More", "qty": 1, "up": "1.00"}))
    assert "invoice" in message
    lines = seed(lambda s: [(i.description, i.amount) for i in s.get(Invoice, invoice.id).items])
    assert lines == [("2 x Design (10% discount)", Decimal("180.00")),
                     ("Hosting", Decimal("15.00"))]


def test_delete_quote(call, seed, client_id):
    quote_id = new_quote(call, client_id)
    assert call.ok("DeleteQuote", quoteid=quote_id) == {"result": "success"}
    assert call.ok("GetQuotes")["totalresults"] == 0
    assert call.error("DeleteQuote", quoteid=quote_id) == "Quote ID Not Found"


def test_get_quotes_filters_and_pages(call, seed, client_id, sql_log):
    other = seed(lambda s: make_client(s).id)
    first = new_quote(call, client_id)
    new_quote(call, client_id, stage="Lost", subject="Other")
    new_quote(call, other)
    assert call.ok("GetQuotes", userid=client_id)["totalresults"] == 2
    assert [q["id"] for q in call.ok("GetQuotes", stage="Lost")["quotes"]["quote"]] == [
        str(first + 1)]
    assert call.ok("GetQuotes", subject="Other")["totalresults"] == 1
    assert call.ok("GetQuotes", validuntil="2030-12-31")["totalresults"] == 3
    page = call.ok("GetQuotes", limitstart=1, limitnum=1)
    assert (page["totalresults"], page["startnumber"], page["numreturned"]) == (3, 1, 1)
    with sql_log() as statements:
        call.ok("GetQuotes")
    quote_statements = [s for s in statements if "quote" in s.lower()]
    assert len(quote_statements) == 3  # count, page, lines of every quote at once


def test_quote_service_rules(db, factories):
    client = factories.client()
    quote = create_quote(db, {"subject": "S", "valid_until": date(2030, 1, 1),
                              "client_id": client.id, "items": [
                                  {"description": "A", "unit_amount": Decimal("10")},
                                  {"description": "B", "unit_amount": Decimal("5")}]})
    assert [e[0] for e in pending_events(db)][-1] == "quote_created"
    remove_quote_item(db, quote.id, quote.items[1].id)
    assert quote.total == Decimal("10.00")
    invoice = accept_quote(db, quote.id)
    assert db.scalar(select(Quote.invoice_id).where(Quote.id == quote.id)) == invoice.id
    with pytest.raises(Conflict):
        remove_quote_item(db, quote.id, quote.items[0].id)
    empty = create_quote(db, {"subject": "Empty", "valid_until": date(2030, 1, 1),
                              "client_id": client.id})
    with pytest.raises(Conflict, match="no lines"):
        accept_quote(db, empty.id)
