"""Transactions (``transactions``), reads: get, getByTransactionId, getList, getListCount,
getStatusCount, getApplied, getCreditedAmount, getTotalCredit, getTypes, getType and the
name lists.

Mapping. A Blesta transaction is money in; the core's payment transactions (``kind=payment``,
``amount_in > 0``) are shown, refunds are folded into the payment they refund (status
``refunded`` once fully refunded). ``gateway_id`` is the id of the gateway's module settings
row; a transaction recorded without a gateway carries its type's name as the core gateway
(``cash``, ``check``, ``in_house_credit``: see ``TYPES``). Money a transaction brought that is
not on an invoice is client credit (Blesta: "unapplied"); ``transactions/apply`` spends that
credit on invoices and records which transaction it came from in the activity log
(``APPLIED_ACTION``), which is where ``getApplied`` reads it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import aliased

from bridge.models import ActivityLog, Client, CreditEntry, Invoice, ModuleSetting, Transaction
from bridge.money import ZERO

from ..format import money, stamp
from ..registry import MethodCall, method
from ..render import PhpArray
from .billing_shared import (
    amount,
    company_clients,
    count_of,
    day,
    optional_int,
    ordered,
    page_of,
    paged,
)

APPLIED_ACTION = "blesta.transaction_applied"
# id -> (name, real name, debit|credit): hostbridge's fixed transaction types
TYPES: dict[int, tuple[str, str, str]] = {1: ("cash", "Cash", "debit"),
                                          2: ("check", "Check", "debit"),
                                          3: ("in_house_credit", "In House Credit", "credit")}
TYPE_IDS = {name: ident for ident, (name, _, _) in TYPES.items()}
STATUS_NAMES = {"approved": "Approved", "declined": "Declined", "void": "Void",
                "error": "Error", "pending": "Pending", "refunded": "Refunded",
                "returned": "Returned"}
CORE_STATUS = {"completed": "approved", "pending": "pending", "failed": "error",
               "declined": "declined"}
ORDER_COLUMNS: dict[str, Any] = {
    "id": Transaction.id, "date_added": Transaction.date, "amount": Transaction.amount_in,
    "client_id": Transaction.client_id, "currency": Transaction.currency,
    "transaction_id": Transaction.gateway_txn_id, "status": Transaction.status,
}


@dataclass
class Ledger:
    """Per payment: credit it added, refunds, credit refunds took back, logged applications."""

    credit: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    refunded: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    taken_back: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    applications: dict[int, list[ActivityLog]] = field(default_factory=lambda: defaultdict(list))

    def logged(self, txn_id: int) -> Decimal:
        """What ``transactions/apply`` spent of this payment's credit."""
        return sum((Decimal(str(row.data.get("amount", "0")))
                    for row in self.applications[txn_id]), ZERO)

    def on_invoice(self, txn: Transaction) -> Decimal:
        """What the payment put directly on its own invoice and still is there."""
        if txn.invoice_id is None:
            return ZERO
        left = txn.amount_in - self.credit[txn.id] - (self.refunded[txn.id]
                                                      - self.taken_back[txn.id])
        return max(left, ZERO)

    def unapplied(self, txn: Transaction) -> Decimal:
        """The payment's money still sitting in client credit."""
        return max(self.credit[txn.id] - self.taken_back[txn.id] - self.logged(txn.id), ZERO)


def ledger_of(call: MethodCall, ids: Iterable[int]) -> Ledger:
    """Load the ledger facts of the payments ``ids`` (four queries, whatever the count)."""
    wanted = sorted(set(ids))
    ledger = Ledger()
    if not wanted:
        return ledger
    session = call.session
    for txn_id, value in session.execute(select(CreditEntry.transaction_id, CreditEntry.amount)
                                         .where(CreditEntry.transaction_id.in_(wanted),
                                                CreditEntry.amount > 0)):
        if txn_id is not None:
            ledger.credit[txn_id] += value
    refund_of: dict[int, int] = {}
    for refund_id, original, out in session.execute(
            select(Transaction.id, Transaction.refund_of_id, Transaction.amount_out)
            .where(Transaction.refund_of_id.in_(wanted))):
        if original is not None:
            refund_of[refund_id] = original
            ledger.refunded[original] += out
    if refund_of:
        for refund_txn, value in session.execute(
                select(CreditEntry.transaction_id, CreditEntry.amount)
                .where(CreditEntry.transaction_id.in_(refund_of), CreditEntry.amount < 0)):
            if refund_txn is not None:
                ledger.taken_back[refund_of[refund_txn]] += -value
    for row in session.scalars(select(ActivityLog).where(
            ActivityLog.action == APPLIED_ACTION, ActivityLog.subject_type == "transaction",
            ActivityLog.subject_id.in_(wanted)).order_by(ActivityLog.id)):
        if row.subject_id is not None:
            ledger.applications[row.subject_id].append(row)
    return ledger


def gateway_ids(call: MethodCall) -> dict[str, int]:
    """Gateway module name -> its settings row id (Blesta ``gateway_id``)."""
    return {name: ident for ident, name in call.session.execute(
        select(ModuleSetting.id, ModuleSetting.module).where(ModuleSetting.kind == "gateway"))}


def status_of(txn: Transaction, ledger: Ledger) -> str:
    """Blesta's status word: ``refunded`` once refunds reach the amount."""
    if txn.amount_in > 0 and ledger.refunded[txn.id] >= txn.amount_in:
        return "refunded"
    return CORE_STATUS.get(txn.status, "approved")


def transaction_object(txn: Transaction, ledger: Ledger, gateways: dict[str, int]
                       ) -> dict[str, Any]:
    """A transaction as ``transactions/get`` returns it."""
    type_id = TYPE_IDS.get(txn.gateway)
    applied = ledger.on_invoice(txn) + ledger.logged(txn.id)
    return {
        "id": txn.id, "client_id": txn.client_id, "amount": money(txn.amount_in),
        "currency": txn.currency, "type": "other", "transaction_type_id": type_id,
        "account_id": None, "gateway_id": gateways.get(txn.gateway),
        "transaction_id": txn.gateway_txn_id, "parent_transaction_id": None,
        "reference_id": None, "status": status_of(txn, ledger),
        "date_added": stamp(txn.date), "message": txn.description or None,
        "type_name": TYPES[type_id][0] if type_id else None,
        "type_real_name": TYPES[type_id][1] if type_id else None,
        "type_is_lang": 1 if type_id else None, "gateway_name": txn.gateway,
        "applied_amount": money(applied), "credited_amount": money(ledger.unapplied(txn)),
    }


def render(call: MethodCall, txns: Sequence[Transaction]) -> list[dict[str, Any]]:
    """Render payments with their ledger facts loaded in bulk."""
    ledger = ledger_of(call, (txn.id for txn in txns))
    gateways = gateway_ids(call)
    return [transaction_object(txn, ledger, gateways) for txn in txns]


def payments_query(call: MethodCall) -> Select[Any]:
    """Money-in transactions of the caller's company's clients."""
    return (select(Transaction).join(Client, Client.id == Transaction.client_id)
            .where(company_clients(call), Transaction.kind == "payment",
                   Transaction.amount_in > 0))


def scoped_transaction(call: MethodCall, transaction_id: Any) -> Transaction | None:
    """Payment ``transaction_id`` when its client is in the caller's company."""
    ident = optional_int(transaction_id, "transaction_id")
    if ident is None:
        return None
    txn: Transaction | None = call.session.scalar(
        payments_query(call).where(Transaction.id == ident))
    return txn


def _status_clause(status: Any) -> ColumnElement[bool]:
    refund = aliased(Transaction)
    refunded = (select(func.coalesce(func.sum(refund.amount_out), 0))
                .where(refund.refund_of_id == Transaction.id).scalar_subquery())
    word = str(status or "approved")
    if word == "refunded":
        return refunded >= Transaction.amount_in
    statuses = [core for core, wire in CORE_STATUS.items() if wire == word]
    return and_(Transaction.status.in_(statuses), refunded < Transaction.amount_in)


def filtered(call: MethodCall) -> Select[Any]:
    """Payments matching ``client_id``, ``status`` and ``filters``."""
    query = payments_query(call).where(_status_clause(call.arg("status")))
    client_id = optional_int(call.arg("client_id"), "client_id")
    if client_id is not None:
        query = query.where(Transaction.client_id == client_id)
    filters = call.vars("filters")
    if filters.get("transaction_id"):
        query = query.where(Transaction.gateway_txn_id.like(f"%{filters['transaction_id']}%"))
    start, end = day(filters.get("start_date"), "start_date"), day(filters.get("end_date"),
                                                                    "end_date")
    if start is not None:
        query = query.where(func.date(Transaction.date) >= start.isoformat())
    if end is not None:
        query = query.where(func.date(Transaction.date) <= end.isoformat())
    if filters.get("start_amount") not in (None, ""):
        query = query.where(Transaction.amount_in >= amount(filters["start_amount"],
                                                            "start_amount"))
    if filters.get("end_amount") not in (None, ""):
        query = query.where(Transaction.amount_in <= amount(filters["end_amount"],
                                                            "end_amount"))
    return query


@method("transactions", "get")
def get(call: MethodCall) -> Any:
    """One transaction (a payment), or false."""
    txn = scoped_transaction(call, call.arg("transaction_id"))
    return False if txn is None else render(call, [txn])[0]


@method("transactions", "getByTransactionId", status="partial",
        notes="gateway_id is the gateway's module settings id")
def get_by_transaction_id(call: MethodCall) -> Any:
    """The payment with the gateway's transaction id (optionally of a client/gateway)."""
    query = payments_query(call).where(
        Transaction.gateway_txn_id == str(call.arg("transaction_id")))
    client_id = optional_int(call.arg("client_id"), "client_id")
    if client_id is not None:
        query = query.where(Transaction.client_id == client_id)
    gateway_id = optional_int(call.arg("gateway_id"), "gateway_id")
    if gateway_id is not None:
        names = [name for name, ident in gateway_ids(call).items() if ident == gateway_id]
        query = query.where(Transaction.gateway.in_(names))
    txn = call.session.scalar(query.order_by(Transaction.id).limit(1))
    return False if txn is None else render(call, [txn])[0]


@method("transactions", "getList", status="partial",
        notes="filters payment_type, reference_id and applied_status are ignored; refunds "
              "show as the refunded payment")
def get_list(call: MethodCall) -> Any:
    """One page (20) of payments, newest first by default."""
    query = ordered(filtered(call), call.arg("order_by"), ORDER_COLUMNS, Transaction.id)
    return render(call, call.session.scalars(paged(query, page_of(call))).all())


@method("transactions", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many payments ``getList`` pages through."""
    return count_of(call, filtered(call))


@method("transactions", "getStatusCount")
def get_status_count(call: MethodCall) -> Any:
    """How many payments have the status (same rules as ``getListCount``)."""
    return count_of(call, filtered(call))


def _applied_row(txn: Transaction, invoice: Invoice | None, value: Decimal, at: Any
                 ) -> dict[str, Any]:
    return {"transaction_id": txn.id, "invoice_id": invoice.id if invoice else None,
            "invoice_id_code": (invoice.number or str(invoice.id)) if invoice else None,
            "client_id": txn.client_id, "currency": txn.currency,
            "applied_amount": money(value), "amount": money(value),
            "applied_date": stamp(at), "date": stamp(at),
            "transaction_number": txn.gateway_txn_id, "status": "approved"}


@method("transactions", "getApplied", status="partial",
        notes="what a payment paid on its own invoice and what transactions/apply spent")
def get_applied(call: MethodCall) -> Any:
    """Amounts applied to invoices, by transaction and/or invoice."""
    query = payments_query(call)
    txn_id = optional_int(call.arg("transaction_id"), "transaction_id")
    invoice_id = optional_int(call.arg("invoice_id"), "invoice_id")
    if txn_id is not None:
        query = query.where(Transaction.id == txn_id)
    txns = call.session.scalars(query.order_by(Transaction.id)).all()
    ledger = ledger_of(call, (txn.id for txn in txns))
    wanted: list[tuple[Transaction, int, Decimal, Any]] = []
    for txn in txns:
        direct = ledger.on_invoice(txn)
        if direct > 0 and txn.invoice_id is not None:
            wanted.append((txn, txn.invoice_id, direct, txn.date))
        for row in ledger.applications[txn.id]:
            wanted.append((txn, int(row.data["invoice_id"]), Decimal(str(row.data["amount"])),
                           row.created_at))
    if invoice_id is not None:
        wanted = [entry for entry in wanted if entry[1] == invoice_id]
    invoices = {inv.id: inv for inv in call.session.scalars(
        select(Invoice).where(Invoice.id.in_({entry[1] for entry in wanted})))}
    return [_applied_row(txn, invoices.get(inv_id), value, at)
            for txn, inv_id, value, at in wanted]


@method("transactions", "getCreditedAmount", status="partial", notes="a 4-decimal string")
def get_credited_amount(call: MethodCall) -> Any:
    """What of the payment is still unapplied (client credit)."""
    txn = scoped_transaction(call, call.arg("transaction_id"))
    if txn is None:
        return money(ZERO)
    return money(ledger_of(call, [txn.id]).unapplied(txn))


@method("transactions", "getTotalCredit", status="partial",
        notes="the client's credit balance (kept in the client's currency)")
def get_total_credit(call: MethodCall) -> Any:
    """The client's available credit in ``currency`` (a 4-decimal string)."""
    client_id = optional_int(call.arg("client_id"), "client_id")
    client = call.session.scalar(select(Client).where(Client.id == client_id,
                                                      company_clients(call)))
    if client is None or str(call.arg("currency") or "").upper() != client.currency:
        return money(ZERO)
    return money(client.credit_balance)


def _type_row(ident: int) -> dict[str, Any]:
    name, real_name, kind = TYPES[ident]
    return {"id": ident, "name": name, "type": kind, "is_lang": 1, "real_name": real_name}


@method("transactions", "getTypes", status="partial",
        notes="a fixed list: cash, check, in_house_credit")
def get_types(call: MethodCall) -> Any:
    """The transaction types (for payments recorded without a gateway)."""
    return [_type_row(ident) for ident in sorted(TYPES)]


@method("transactions", "getType", status="partial", notes="a fixed list")
def get_type(call: MethodCall) -> Any:
    """One transaction type, or false."""
    ident = optional_int(call.arg("type_id"), "type_id")
    return _type_row(ident) if ident in TYPES else False


@method("transactions", "transactionStatusNames")
def transaction_status_names(call: MethodCall) -> Any:
    """Status words and their names."""
    return PhpArray(STATUS_NAMES)


@method("transactions", "transactionTypeNames")
def transaction_type_names(call: MethodCall) -> Any:
    """Payment types and their names."""
    return PhpArray({"cc": "Credit Card", "ach": "ACH", "other": "Other"})


__all__ = ["APPLIED_ACTION", "TYPES", "TYPE_IDS", "Ledger", "gateway_ids", "ledger_of",
           "render", "scoped_transaction"]
