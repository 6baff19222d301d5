"""WHMCS tables beside billing: cancellation requests, domain additional fields, billable
items, quotes and affiliates arrive with their ids, values and money intact."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bridge.models import (
    Affiliate,
    BillableItem,
    CancellationRequest,
    DomainField,
    PayMethod,
    QuarantinedRow,
    Quote,
    QuoteItem,
    TicketStatus,
)
from bridge.services.tickets import seed_ticket_statuses
from tests.importers.test_whmcs_import import run_whmcs
from tests.importers.whmcs_data import generate

BERLIN_SUMMER = dt.timedelta(hours=2)


def test_extras_arrive_and_reconcile(app: Any, db: Any, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    seed_ticket_statuses(db)  # as `bridge init` does
    db.commit()
    report = run_whmcs(app, src)
    assert report["ok"], [e for e in report["entities"] if not e["reconciled"]]
    by_name = {e["entity"]: e for e in report["entities"]}
    for name, imported in (("cancel_requests", 2), ("domain_fields", 1),
                           ("billable_items", 2), ("quotes", 2), ("quote_items", 2),
                           ("affiliates", 1), ("ticket_statuses", 1), ("pay_methods", 3)):
        assert by_name[name]["inserted"] == imported, by_name[name]
    money = {(m["label"], m["currency"]): m for m in report["money"]}
    # source totals include the quarantined rows (held), which the check accounts for
    for key, source in ((("billable items", "EUR"), "108.00"), (("billable items", "USD"), "17.00"),
                        (("quote totals", "EUR"), "116.00"), (("quote totals", "USD"), "20.00"),
                        (("affiliate balances", "EUR"), "25.50")):
        assert money[key]["ok"] and Decimal(money[key]["source"]) == Decimal(source), money[key]

    open_request, ended = db.get(CancellationRequest, 1), db.get(CancellationRequest, 2)
    assert (open_request.service_id, open_request.kind, open_request.processed_at) == (
        1, "end_of_period", None)
    assert open_request.created_at == dt.datetime(2024, 7, 1, 8, 0, tzinfo=dt.UTC)
    # WHMCS already terminated service 50: the request is closed at its termination date
    assert ended.kind == "immediate"
    assert ended.processed_at == dt.datetime(2024, 2, 29, 23, 0, tzinfo=dt.UTC)

    assert [(f.domain_id, f.name, f.value) for f in db.scalars(select(DomainField))] == [
        (1, "Nexus Category", "C11")]

    hours = db.get(BillableItem, 1)
    assert (hours.quantity, hours.unit_amount, hours.currency) == (
        Decimal("2.5"), Decimal("40"), "EUR")
    assert hours.invoice_action == "none" and not hours.invoiced
    recurring = db.get(BillableItem, 2)  # 10.00 over 3 hours does not split exactly
    assert (recurring.quantity, recurring.unit_amount) == (Decimal(1), Decimal("10.00"))
    assert recurring.description == "Consulting (3 x)"
    assert (recurring.invoice_action, recurring.recur_cycle, recurring.recur_for,
            recurring.invoice_count, recurring.invoiced) == ("recur", "1M", 12, 2, False)

    quote = db.get(Quote, 1)
    assert (quote.client_id, quote.stage, quote.currency, quote.subject) == (
        facts.client_ids[0], "on_hold", "EUR", "New site & mail")
    assert quote.date_sent is None and quote.valid_until == dt.date(2024, 9, 30)
    prospect = db.get(Quote, 2)
    assert prospect.client_id is None and prospect.currency == "USD"
    assert prospect.valid_until == prospect.date_created == dt.date(2024, 9, 1)
    lines = db.scalars(select(QuoteItem).where(QuoteItem.quote_id == 1)
                       .order_by(QuoteItem.id)).all()
    assert [(i.quantity, i.unit_amount, i.discount_percent, i.amount) for i in lines] == [
        (Decimal(2), Decimal(50), Decimal(0), Decimal("100.00")),
        (Decimal("1.5"), Decimal(10), Decimal(10), Decimal("13.50"))]

    affiliate = db.get(Affiliate, 1)
    assert (affiliate.client_id, affiliate.visitors, affiliate.commission_type,
            affiliate.commission_amount, affiliate.balance, affiliate.withdrawn) == (
        facts.client_ids[0], 42, "percentage", Decimal(10), Decimal("25.50"), Decimal(5))
    assert affiliate.currency == "EUR"

    # the three built-in statuses are the seeded rows (left alone), the custom one is added
    assert by_name["ticket_statuses"]["unchanged"] == 3
    statuses = {s.key: s for s in db.scalars(select(TicketStatus))}
    vendor = statuses["awaiting_vendor"]
    assert (vendor.title, vendor.color, vendor.is_open, vendor.awaiting_reply,
            vendor.auto_close, vendor.sort_order) == ("Awaiting Vendor", "#123456", True, True,
                                                      True, 7)
    assert statuses["open"].title == "Open" and len(statuses) == 7


def test_pay_methods_keep_their_details_and_tokens(app: Any, db: Any, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    assert run_whmcs(app, src)["ok"]
    box = app.extensions["bridge"].secrets
    first, second = facts.client_ids[0], facts.client_ids[1]
    card = db.get(PayMethod, 1)
    assert (card.client_id, card.kind, card.gateway, card.card_type, card.last_four,
            card.expiry, card.description) == (first, "card", "offlinecc", "Visa", "4242",
                                               "08/2027", "Office card")
    assert json.loads(box.decrypt(card.token_enc)) == {
        "number": "4242424242424242", "start": "", "issue": ""}
    remote = db.get(PayMethod, 2)
    assert (remote.client_id, remote.kind, remote.preference) == (second, "remote_card", 1)
    assert box.decrypt(remote.token_enc) == "cus_A1|pm_B2"  # the Stripe plugin's token form
    bank = db.get(PayMethod, 3)
    assert (bank.kind, bank.bank_name, bank.last_four, bank.contact_id) == (
        "bank", "First Bank", "6789", 1)
    assert json.loads(box.decrypt(bank.token_enc)) == {
        "routing": "110000000", "account": "000123456789", "account_type": "Checking"}
    assert bank.deleted_at == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    reasons = {q.source_id: q.reason for q in db.scalars(
        select(QuarantinedRow).where(QuarantinedRow.source_table == "tblpaymethods"))}
    assert reasons["4"].startswith("cannot decrypt pay method details")
    assert reasons["5"].startswith("orphan: userid=999")
