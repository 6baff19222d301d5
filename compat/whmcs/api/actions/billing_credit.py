"""Billing group, client credit: AddCredit, ApplyCredit, GetCredits.

WHMCS's ledger ``tblcredit`` is the core's ``credit_entries``: positive rows add credit,
negative rows spend or remove it; ``relid`` is the invoice the movement concerns (0 if none).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bridge.models import Admin, Client, CreditEntry
from bridge.services.credit import PAYABLE_STATUSES, add_credit, apply_credit, remove_credit

from ..format import money, ymd
from ..registry import ApiError, ApiRequest, action
from .billing import amount, client_or_fail, invoice_or_fail

_DECIMAL = re.compile(r"^\d+(\.\d{1,2})?$")


@action("AddCredit", status="partial",
        notes="date is checked but the entry is dated when it is recorded")
def add_credit_action(req: ApiRequest) -> dict[str, Any]:
    """Add credit to (``type=remove``: take it from) a client; answers the new balance."""
    client = client_or_fail(req, "clientid", "Client ID Not Found")
    kind = req.text("type", "add").lower()
    if kind not in ("add", "remove"):
        raise ApiError("Type can only be add or remove")
    raw = req.text("amount")
    if not raw:
        raise ApiError("No Amount Provided")
    if not _DECIMAL.match(raw):
        raise ApiError("Amount must be in decimal format: ### or ###.##")
    try:
        req.date_value("date")
    except ApiError:
        raise ApiError("Date Format is not Valid") from None
    admin_id = req.integer("adminid")
    if admin_id and req.session.get(Admin, admin_id) is None:
        raise ApiError("Admin ID Not Found")
    description = req.text("description")
    if kind == "add":
        add_credit(req.session, client.id, Decimal(raw), description, admin_id=admin_id or None)
    else:
        remove_credit(req.session, client.id, Decimal(raw), description,
                      admin_id=admin_id or None)
    return {"newbalance": money(client.credit_balance)}


@action("ApplyCredit")
def apply_credit_action(req: ApiRequest) -> dict[str, Any]:
    """Pay (part of) an invoice from the client's credit (``amount`` empty or ``full``: as
    much as the credit and the balance allow)."""
    invoice = invoice_or_fail(req)
    if invoice.status not in PAYABLE_STATUSES:
        raise ApiError("Invoice Not in Unpaid Status")
    wanted = None if req.text("amount").lower() in ("", "full") else amount(req, "amount")
    if wanted is not None:
        client = req.session.get(Client, invoice.client_id)
        if wanted <= 0:
            raise ApiError("Credit Amount to apply must be greater than zero")
        if client is None or wanted > client.credit_balance:
            raise ApiError("Amount exceeds customer credit balance")
        if wanted > invoice.balance:
            raise ApiError("Amount Exceeds Invoice Balance")
    applied = apply_credit(req.session, invoice.id, wanted)
    return {"invoiceid": str(invoice.id), "amount": money(applied),
            "invoicepaid": "true" if invoice.status == "paid" else "false"}


@action("GetCredits")
def get_credits(req: ApiRequest) -> dict[str, Any]:
    """The client's credit ledger, oldest first."""
    client = client_or_fail(req, "clientid", "Client ID Not Found")
    entries = req.session.scalars(select(CreditEntry).where(CreditEntry.client_id == client.id)
                                  .order_by(CreditEntry.date, CreditEntry.id)).all()
    rows = [{"id": e.id, "date": ymd(e.date.date()), "description": e.description,
             "amount": money(e.amount), "relid": e.invoice_id or 0} for e in entries]
    return {"totalresults": len(rows), "clientid": client.id, "credits": {"credit": rows}}
