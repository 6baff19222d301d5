"""Billing group, money in and out: AddInvoicePayment, AddTransaction, UpdateTransaction,
GetTransactions, CapturePayment.

A gateway transaction id is recorded once per gateway (the core's unique (gateway, id) pair):
repeating AddInvoicePayment or AddTransaction with the same ``transid`` answers WHMCS's
``Transaction ID must be Unique`` and changes nothing, so a retried call never pays twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from bridge.db import utcnow
from bridge.errors import Conflict, ModuleError, NotFound, ValidationFailed
from bridge.models import Client, Transaction
from bridge.services.credit import PAYABLE_STATUSES, lock_invoice
from bridge.services.gateway_ops import charge_invoice
from bridge.services.payments import (
    DuplicatePayment,
    add_transaction,
    apply_payment,
    recorded_payment,
)
from bridge.services.transaction_edits import update_transaction
from hooks import PaymentStatus

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action, listing
from .billing import (
    WireNumber,
    amount,
    client_or_fail,
    currency_by_id,
    currency_ids,
    invoice_or_fail,
    invoice_status,
    moment,
    rate5,
)

NOT_UNIQUE = "Transaction ID must be Unique"


def transaction_rows(req: ApiRequest, txns: Sequence[Transaction]) -> list[dict[str, Any]]:
    """``transactions.transaction`` entries: ids as numeric strings (as WHMCS's example), the
    amounts as JSON numbers (see WireNumber)."""
    ids = currency_ids(req) if any(t.client_id is None for t in txns) else {}
    return [{
        "id": str(t.id), "userid": str(t.client_id or 0),
        # WHMCS: 0 when the transaction belongs to a client (the client's currency applies)
        "currency": str(0 if t.client_id else ids.get(t.currency, 0)), "gateway": t.gateway,
        "date": ymd_his(t.date), "description": t.description,
        "amountin": WireNumber(t.amount_in), "fees": WireNumber(t.fees),
        "amountout": WireNumber(t.amount_out), "rate": rate5(t.exchange_rate),
        "transid": t.gateway_txn_id or "", "invoiceid": str(t.invoice_id or 0),
        "refundid": str(t.refund_of_id or 0),
    } for t in txns]


def _recorded(req: ApiRequest, gateway: str, transid: str) -> bool:
    # the service remembers a miss, so apply_payment does not look again
    return transid != "" and recorded_payment(req.session, gateway, transid) is not None


@action("AddInvoicePayment")
def add_invoice_payment(req: ApiRequest) -> dict[str, Any]:
    """Record a payment on an invoice (the whole balance when ``amount`` is not sent)."""
    # locked now, as apply_payment would lock it: one read of the invoice in the write
    # transaction instead of two
    invoice_id = req.integer("invoiceid", message="Invoice ID Not Found")
    try:
        invoice = lock_invoice(req.session, invoice_id) if invoice_id else None
    except NotFound:
        invoice = None
    if invoice is None:
        raise ApiError("Invoice ID Not Found")
    transid = req.require("transid")
    gateway = req.require("gateway")
    paid_at = moment(req, "date", "date must be in the format YYYY-MM-DD HH:MM:SS")
    if _recorded(req, gateway, transid):
        raise ApiError(NOT_UNIQUE)
    if invoice.status not in PAYABLE_STATUSES:
        raise ApiError("It is not possible to add a payment to an invoice that is "
                       + invoice_status(invoice.status))
    paid = amount(req, "amount", invoice.balance)
    try:
        apply_payment(req.session, invoice.id, paid, gateway=gateway, gateway_txn_id=transid,
                      fees=amount(req, "fees", Decimal(0)),
                      paid_at=paid_at)
    except DuplicatePayment as exc:
        raise ApiError(NOT_UNIQUE) from exc
    return {}


def _transaction_owner(req: ApiRequest) -> tuple[Client, int | None]:
    invoice = invoice_or_fail(req) if req.text("invoiceid") not in ("", "0") else None
    client = None
    if req.text("userid") not in ("", "0"):
        client = client_or_fail(req, "userid", "Client ID Not Found")
        if invoice is not None and invoice.client_id != client.id:
            raise ApiError("User ID does not own the given Invoice ID")
    elif invoice is not None:
        client = req.session.get(Client, invoice.client_id)
    if client is None:
        if not req.text("currencyid"):
            raise ApiError("A Currency ID is required for non-customer related transactions")
        raise ApiError("Transactions without a client are not supported by hostbridge; "
                       "send the userid the money belongs to")
    if req.text("currencyid") and currency_by_id(req, req.integer("currencyid") or 0) \
            != client.currency:
        raise ApiError("Currency ID does not match Client currency")
    return client, invoice.id if invoice is not None else None


def _when(req: ApiRequest) -> datetime | None:
    at = moment(req, "date", local=True)
    # a date without a time: today's transaction keeps the current time
    if at is not None and at.date() == utcnow().date() and ":" not in req.text("date"):
        return utcnow()
    return at


@action("AddTransaction", status="partial",
        notes="needs a client (userid or invoiceid); allowduplicatetransid can't be honoured "
              "(a gateway transaction id is recorded once)")
def add_transaction_action(req: ApiRequest) -> dict[str, Any]:
    """Record money in or out for a client, on an invoice or to the client's credit."""
    gateway = req.text("paymentmethod")
    if not gateway:
        raise ApiError("Payment Method is required")
    client, invoice_id = _transaction_owner(req)
    transid = req.text("transid")
    if _recorded(req, gateway, transid):
        raise ApiError(NOT_UNIQUE)
    try:
        txn = add_transaction(
            req.session, client.id, amount_in=amount(req, "amountin", Decimal(0)),
            amount_out=amount(req, "amountout", Decimal(0)), fees=amount(req, "fees", Decimal(0)),
            gateway=gateway, gateway_txn_id=transid or None,
            description=req.text("description"), invoice_id=invoice_id,
            add_to_credit=req.flag("credit"), at=_when(req))
    except DuplicatePayment as exc:
        raise ApiError(NOT_UNIQUE) from exc
    rate = amount(req, "rate")
    if rate is not None:
        update_transaction(req.session, txn.id, exchange_rate=rate)
    return {}


_FIXED = (("userid", "client_id"), ("invoiceid", "invoice_id"), ("refundid", "refund_of_id"),
          ("amountin", "amount_in"), ("amountout", "amount_out"))


@action("UpdateTransaction", status="partial",
        notes="description, transid, gateway, date, fees and rate change; amounts, client, "
              "invoice, refund link and credit can't (refund and record a new transaction)")
def update_transaction_action(req: ApiRequest) -> dict[str, Any]:
    """Correct the bookkeeping details of a recorded transaction."""
    txn_id = req.integer("transactionid", message="Transaction ID Not Found")
    txn = req.session.get(Transaction, txn_id) if txn_id else None
    if txn is None:
        raise ApiError("Transaction ID Not Found")
    for param, field in _FIXED:
        if not req.text(param):
            continue
        current = getattr(txn, field) or 0
        sent: Any = amount(req, param) if param.startswith("amount") else req.integer(param)
        if sent != current:
            raise ApiError(f"{param} of a recorded transaction can't be changed in hostbridge: "
                           "it moved money on invoices or credit; refund the transaction "
                           "and record a new one")
    if req.flag("credit"):
        raise ApiError("credit can't be changed on a recorded transaction; record a new "
                       "transaction with credit=1")
    try:
        update_transaction(
            req.session, txn.id,
            description=req.text("description") if req.has("description") else None,
            gateway=req.text("gateway") or None,
            gateway_txn_id=req.text("transid") if req.has("transid") else None,
            date=moment(req, "date", "date must be in the format YYYY-MM-DD"),
            fees=amount(req, "fees"), exchange_rate=amount(req, "rate"))
    except Conflict as exc:
        raise ApiError(NOT_UNIQUE) from exc
    return {"transactionid": str(txn.id)}


@action("GetTransactions")
def get_transactions(req: ApiRequest) -> dict[str, Any]:
    """Transactions by invoice, client and gateway transaction id (all of them unless
    ``limitnum`` asks for a page: WHMCS does not page this list)."""
    query = select(Transaction)
    invoice_id = req.integer("invoiceid")
    if invoice_id:
        query = query.where(Transaction.invoice_id == invoice_id)
    client_id = req.integer("clientid")
    if client_id:
        query = query.where(Transaction.client_id == client_id)
    if req.text("transid"):
        query = query.where(Transaction.gateway_txn_id == req.text("transid"))
    query = query.order_by(Transaction.id)
    start = 0
    if req.text("limitnum") or req.text("limitstart"):
        start, num = req.page()
        total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.offset(start).limit(num)
    rows = list(req.session.scalars(query))
    if not (req.text("limitnum") or req.text("limitstart")):
        total = len(rows)
    return listing(int(total), start, transaction_rows(req, rows), "transactions",
                   "transaction")


@action("CapturePayment", status="partial",
        notes="cvv is not passed on: gateways charge their stored token")
def capture_payment(req: ApiRequest) -> dict[str, Any]:
    """Charge the invoice balance to the client's stored pay method."""
    message = "Invoice Not Found or Not Unpaid"
    invoice = invoice_or_fail(req, message)
    if invoice.status not in PAYABLE_STATUSES or invoice.balance <= 0:
        raise ApiError(message)
    try:
        result = charge_invoice(req.session, invoice.id)
    except (ValidationFailed, ModuleError) as exc:
        raise ApiError("Payment Attempt Failed") from exc
    if result.status != PaymentStatus.PROCESSED:
        # the declined (or pending) attempt is a fact the core recorded: keep it, then fail
        req.session.commit()
        raise ApiError("Payment Attempt Failed")
    return {}

