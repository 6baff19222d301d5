"""Invoices (``invoices``), reads: get with line items, getList/getListCount/getStatusCount,
getAll, getAllWithService, getLineItems, totals, amountDue, getStatuses.

Status words: core ``unpaid``/``collections``/``payment_pending``/``paid`` are Blesta
``active``, ``draft`` is ``draft``, ``cancelled``/``refunded`` are ``void``. The list filters
map onto core statuses in ``STATUS_FILTER``; Blesta's delivery and autodebit filters
(``to_print``, ``to_autodebit``, ...) and ``proforma`` match nothing here. ``paid`` is what
payments and credit put on the invoice less refunds; ``due`` is ``total - paid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, exists, false, or_, select
from sqlalchemy.orm import selectinload

from bridge.db import fixed_in, utcnow
from bridge.driver_values import date_text, datetime_text, decimal_of, driver_columns, four_places
from bridge.models import Client, Invoice, InvoiceItem
from bridge.models.billing import invoice_balance
from bridge.money import ZERO

from ..args import id_or_none
from ..format import INVOICE_STATUS, money, stamp
from ..registry import MethodCall, method
from ..render import PhpArray
from ._people import in_company
from .billing_shared import (
    PER_PAGE,
    company_clients,
    count_of,
    optional_int,
    ordered,
    page_of,
    paged,
)

OPEN = ("unpaid", "collections", "payment_pending")
STATUS_FILTER: dict[str, tuple[str, ...]] = {
    "open": OPEN, "past_due": OPEN, "pending": OPEN, "closed": ("paid",),
    "active": (*OPEN, "paid"), "draft": ("draft",), "void": ("cancelled", "refunded"),
    "all": (*OPEN, "paid", "draft", "cancelled", "refunded"),
}
STATUS_NAMES = {"active": "Active", "draft": "Draft", "void": "Void"}
ORDER_COLUMNS: dict[str, Any] = {
    "id": Invoice.id, "id_code": Invoice.id, "id_value": Invoice.id,
    "client_id": Invoice.client_id, "date_billed": Invoice.date, "date_due": Invoice.due_date,
    "date_closed": Invoice.paid_at, "status": Invoice.status, "currency": Invoice.currency,
    "subtotal": Invoice.subtotal, "total": Invoice.total, "paid": Invoice.amount_paid,
    "due": invoice_balance(Invoice),
}


def paid_of(invoice: Any) -> Decimal:
    """What payments and credit put on the invoice, less what was refunded."""
    return invoice.amount_paid + invoice.credit_applied - invoice.amount_refunded


def _tax_entries(invoice: Invoice) -> list[dict[str, Any]]:
    kind = "inclusive" if invoice.tax_inclusive else "exclusive"
    entries = []
    for level, name, rate, total in ((1, invoice.tax1_name, invoice.tax1_rate, invoice.tax1),
                                     (2, invoice.tax2_name, invoice.tax2_rate, invoice.tax2)):
        if rate:
            entries.append({"id": None, "level": level, "name": name, "amount": money(rate),
                            "type": kind, "cascade": int(level == 2 and invoice.tax2_compound),
                            "subtract": 0, "tax_total": money(total)})
    return entries


def line_object(invoice: Invoice, item: InvoiceItem) -> dict[str, Any]:
    """One ``line_items`` entry: unit ``amount``, ``qty`` and the line ``subtotal``."""
    taxes = [{k: v for k, v in tax.items() if k != "tax_total"}
             for tax in _tax_entries(invoice)] if item.taxed else []
    return {
        "id": item.id, "invoice_id": invoice.id, "service_id": item.service_id,
        "description": item.description, "qty": money(item.quantity),
        "amount": money(item.unit_amount), "order": item.sort_order,
        "subtotal": money(item.amount), "total": money(item.amount), "precision": 4,
        "taxes": taxes,
    }


def invoice_object(invoice: Any, client: Any, *, lines: bool = True) -> dict[str, Any]:
    """An invoice as ``invoices/get`` returns it (``lines=False``: as the lists do; then
    ``invoice`` and ``client`` may be plain rows of their columns)."""
    paid = paid_of(invoice)
    closed = invoice.paid_at or invoice.refunded_at or invoice.cancelled_at
    body: dict[str, Any] = {
        "id": invoice.id, "id_format": "{num}", "id_value": invoice.id,
        "id_code": invoice.number or str(invoice.id), "client_id": invoice.client_id,
        "date_billed": stamp(invoice.date), "date_due": stamp(invoice.due_date),
        "date_closed": stamp(closed) if invoice.status in ("paid", "refunded", "cancelled")
        else None,
        "date_autodebit": None, "status": INVOICE_STATUS.get(invoice.status, invoice.status),
        "previous_due": money(ZERO), "currency": invoice.currency,
        "note_public": invoice.notes, "note_private": invoice.admin_notes,
        "subtotal": money(invoice.subtotal), "total": money(invoice.total),
        "paid": money(paid), "autodebit": 1, "due": money(max(invoice.total - paid, ZERO)),
        "delivery_date_sent": None,
    }
    if client is not None:
        body.update({"client_id_code": client.id_code or str(client.id),
                     "client_first_name": client.first_name,
                     "client_last_name": client.last_name,
                     "client_company": client.company_name or None})
    if lines:
        taxed = sum((item.amount for item in invoice.items if item.taxed), ZERO)
        body.update({
            "line_items": [line_object(invoice, item) for item in invoice.items],
            "delivery": [], "meta": [], "taxes": _tax_entries(invoice),
            "tax_subtotal": money(taxed), "tax_total": money(invoice.tax1 + invoice.tax2),
        })
    return body


def scoped_invoice(call: MethodCall, invoice_id: Any) -> Invoice | None:
    """Invoice ``invoice_id`` when its client is in the caller's company."""
    ident = optional_int(invoice_id, "invoice_id")
    if ident is None:
        return None
    return call.session.scalar(select(Invoice).join(Client, Client.id == Invoice.client_id)
                               .where(Invoice.id == ident, company_clients(call))
                               .options(selectinload(Invoice.items)))


def status_clause(status: Any) -> ColumnElement[bool]:
    """The condition of a Blesta invoice status filter (unknown filters match nothing)."""
    word = str(status or "open")
    statuses = STATUS_FILTER.get(word)
    if statuses is None:
        return false()
    clause = Invoice.status.in_(statuses)
    today = utcnow().date()
    if word == "past_due":
        return and_(clause, Invoice.due_date < today)
    if word == "pending":
        return and_(clause, Invoice.date > today)
    return clause


def filtered(call: MethodCall, client_id: Any, status: Any,
             filters: dict[str, Any] | None = None) -> Select[Any]:
    """Invoices of the caller's company matching Blesta's list arguments."""
    query = (select(Invoice).join(Client, Client.id == Invoice.client_id)
             .where(company_clients(call), status_clause(status)))
    client = optional_int(client_id, "client_id")
    if client is not None:
        query = query.where(Invoice.client_id == client)
    filters = filters or {}
    if filters.get("currency"):
        query = query.where(Invoice.currency == str(filters["currency"]).upper())
    if filters.get("invoice_number"):
        text = str(filters["invoice_number"]).strip()
        number_match = Invoice.number.like(f"%{text}%")
        ident = id_or_none(text)
        query = query.where(or_(number_match, Invoice.id == ident) if ident is not None
                            else number_match)
    if filters.get("invoice_line"):
        query = query.where(exists().where(
            InvoiceItem.invoice_id == Invoice.id,
            InvoiceItem.description.like(f"%{filters['invoice_line']}%")))
    return query


@cache
def _statements() -> dict[str, Any]:
    """Statements built once with bound parameters (``IN`` lists expand at execution)."""
    return {
        "clients": select(Client).where(Client.id.in_(bindparam("ids", expanding=True))),
    }


# what a getList row prints, read as the driver gives them (bridge.driver_values) and
# unpacked in this order by list_row; the client's columns come from the join the company
# scope needs anyway
LIST_COLUMNS = tuple(driver_columns((
    Invoice.id, Invoice.number, Invoice.client_id, Invoice.date, Invoice.due_date,
    Invoice.status, Invoice.paid_at, Invoice.refunded_at, Invoice.cancelled_at,
    Invoice.currency, Invoice.notes, Invoice.admin_notes, Invoice.subtotal, Invoice.total,
    Invoice.amount_paid, Invoice.credit_applied, Invoice.amount_refunded, Client.id_code,
    Client.first_name, Client.last_name, Client.company_name)))
_CLOSED = ("paid", "refunded", "cancelled")


def list_row(row: Any) -> dict[str, Any]:
    """A :data:`LIST_COLUMNS` row as the lists print it: the same text as
    ``invoice_object(invoice, client, lines=False)`` (tests/compat/blesta_api compare them)."""
    (ident, number, client_id, billed, due_date, status, paid_at, refunded_at, cancelled_at,
     currency, notes, admin_notes, subtotal, total, amount_paid, credit, refunded, id_code,
     first_name, last_name, company_name) = row
    # paid_of and max(total - paid, 0) in Decimal (a SQLite row's amounts are floats), and
    # without any arithmetic in the common cases (nothing credited or refunded; unpaid)
    paid: Any = amount_paid
    if credit or refunded:
        paid = decimal_of(amount_paid) + decimal_of(credit) - decimal_of(refunded)
    if not paid:
        due = four_places(total) if total > 0 else "0.0000"
    else:
        balance = decimal_of(total) - decimal_of(paid)
        due = four_places(balance) if balance > 0 else "0.0000"
    billed_text, due_text = date_text(billed), date_text(due_date)
    return {
        "id": ident, "id_format": "{num}", "id_value": ident,
        "id_code": number or str(ident), "client_id": client_id,
        "date_billed": None if billed_text is None else f"{billed_text} 00:00:00",
        "date_due": None if due_text is None else f"{due_text} 00:00:00",
        "date_closed": datetime_text(paid_at or refunded_at or cancelled_at)
        if status in _CLOSED else None,
        "date_autodebit": None, "status": INVOICE_STATUS.get(status, status),
        "previous_due": "0.0000", "currency": currency, "note_public": notes,
        "note_private": admin_notes, "subtotal": four_places(subtotal),
        "total": four_places(total), "paid": four_places(paid), "autodebit": 1, "due": due,
        "delivery_date_sent": None,
        "client_id_code": id_code or str(client_id), "client_first_name": first_name,
        "client_last_name": last_name, "client_company": company_name or None,
    }


@lru_cache(maxsize=64)
def _page_statement(word: str, by_client: bool, due_first: bool) -> Select[Any]:
    """One page of ``getList``'s common shape (a plain status word, no filters, the default
    or id order): the printed columns of the invoice and its client (:func:`list_row`) in
    ONE statement, built once per shape. The status list is the word's own (bound values,
    no IN list to expand per call)."""
    # MariaDB: invoices first, whatever the statistics say (see GetInvoices' page)
    query = (select(*LIST_COLUMNS).prefix_with("STRAIGHT_JOIN", dialect="mysql")
             .join(Client, Client.id == Invoice.client_id)
             .where(in_company(Client.company_id, bindparam("company_id")),
                    fixed_in(Invoice.status, STATUS_FILTER[word])))
    if by_client:
        query = query.where(Invoice.client_id == bindparam("client_id"))
    # the default order_by of getList is ['date_due' => 'ASC'] (then id, as ordered() does)
    order = (Invoice.due_date.asc(), Invoice.id) if due_first else (Invoice.id,)
    return (query.order_by(*order).offset(bindparam("offset", type_=Integer))
            .limit(bindparam("limit", type_=Integer)))


# the order_by default Blesta's signature gives getList
DEFAULT_ORDER = {"date_due": "ASC"}


def rows(call: MethodCall, query: Select[Any], *, lines: bool = False,
         params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Render invoices with their clients loaded in one query (``params``: the values of
    ``query``'s bound parameters)."""
    if lines:
        query = query.options(selectinload(Invoice.items))
    invoices: Sequence[Invoice] = call.session.scalars(query, params).all()
    ids = list({invoice.client_id for invoice in invoices})
    clients = {c.id: c for c in call.session.scalars(_statements()["clients"], {"ids": ids})}
    return [invoice_object(invoice, clients.get(invoice.client_id), lines=lines)
            for invoice in invoices]


@method("invoices", "get")
def get(call: MethodCall) -> Any:
    """One invoice with its line items, or false."""
    invoice = scoped_invoice(call, call.arg("invoice_id"))
    if invoice is None:
        return False
    return invoice_object(invoice, call.session.get(Client, invoice.client_id))


@method("invoices", "getLineItems")
def get_line_items(call: MethodCall) -> Any:
    """The line items of an invoice ([] when it does not exist)."""
    invoice = scoped_invoice(call, call.arg("invoice_id"))
    return [] if invoice is None else [line_object(invoice, item) for item in invoice.items]


@method("invoices", "getList",
        notes="statuses to_autodebit, pending_autodebit, to_print, printed, to_deliver and "
              "proforma match nothing")
def get_list(call: MethodCall) -> Any:
    """One page (20) of invoices, by default the open ones due first."""
    word = str(call.arg("status") or "open")
    order_by = call.arg("order_by")
    if word in STATUS_FILTER and word not in ("past_due", "pending") \
            and not call.vars("filters") and (not order_by or order_by == DEFAULT_ORDER):
        # the common page (a plain status, no filters, the default or id order): statements
        # built once
        client = optional_int(call.arg("client_id"), "client_id")
        page = page_of(call)
        params: dict[str, Any] = {"company_id": call.company_id,
                                  "offset": (page - 1) * PER_PAGE, "limit": PER_PAGE}
        if client is not None:
            params["client_id"] = client
        # driver rows on the connection: a GET has nothing to autoflush
        found = call.session.connection().execute(
            _page_statement(word, client is not None, bool(order_by)), params).all()
        return [list_row(row) for row in found]
    query = filtered(call, call.arg("client_id"), call.arg("status"), call.vars("filters"))
    query = ordered(query, call.arg("order_by"), ORDER_COLUMNS, Invoice.id)
    return rows(call, paged(query, page_of(call)))


@method("invoices", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many invoices ``getList`` pages through."""
    return count_of(call, filtered(call, call.arg("client_id"), call.arg("status"),
                                   call.vars("filters")))


@method("invoices", "getStatusCount")
def get_status_count(call: MethodCall) -> Any:
    """How many invoices have the status filter (same rules as ``getListCount``)."""
    return get_list_count(call)


@method("invoices", "getAll")
def get_all(call: MethodCall) -> Any:
    """Every matching invoice (not paged), optionally of one currency."""
    filters = {"currency": call.arg("currency")} if call.arg("currency") else {}
    query = filtered(call, call.arg("client_id"), call.arg("status"), filters)
    return rows(call, ordered(query, call.arg("order_by"), ORDER_COLUMNS, Invoice.id))


@method("invoices", "getAllWithService")
def get_all_with_service(call: MethodCall) -> Any:
    """Every matching invoice that has a line for ``service_id``."""
    service_id = optional_int(call.arg("service_id"), "service_id")
    query = filtered(call, call.arg("client_id"), call.arg("status")).where(exists().where(
        InvoiceItem.invoice_id == Invoice.id, InvoiceItem.service_id == service_id))
    return rows(call, ordered(query, call.arg("order_by"), ORDER_COLUMNS, Invoice.id))


def _amount_of(call: MethodCall, attribute: str) -> Any:
    invoice = scoped_invoice(call, call.arg("invoice_id"))
    if invoice is None:
        return False
    values = {"total": invoice.total, "subtotal": invoice.subtotal, "paid": paid_of(invoice)}
    return money(values[attribute])


@method("invoices", "getTotal", status="partial", notes="a 4-decimal string")
def get_total(call: MethodCall) -> Any:
    """The invoice total (taxes included)."""
    return _amount_of(call, "total")


@method("invoices", "getSubtotal", status="partial", notes="a 4-decimal string")
def get_subtotal(call: MethodCall) -> Any:
    """The invoice subtotal (before taxes)."""
    return _amount_of(call, "subtotal")


@method("invoices", "getPaid", status="partial", notes="a 4-decimal string")
def get_paid(call: MethodCall) -> Any:
    """What has been paid on the invoice (payments and credit, less refunds)."""
    return _amount_of(call, "paid")


@method("invoices", "amountDue", status="partial", notes="a 4-decimal string")
def amount_due(call: MethodCall) -> Any:
    """What the client owes in ``currency`` on the invoices of the status filter."""
    currency = str(call.arg("currency") or "").upper()
    query = filtered(call, call.arg("client_id"), call.arg("status"), {"currency": currency})
    total = sum((max(invoice.total - paid_of(invoice), ZERO)
                 for invoice in call.session.scalars(query)), ZERO)
    return money(total)


@method("invoices", "getStatuses", status="partial", notes="proforma is not offered")
def get_statuses(call: MethodCall) -> Any:
    """The invoice statuses hostbridge has, with their names."""
    return PhpArray(STATUS_NAMES)


__all__ = ["invoice_object", "line_object", "paid_of", "scoped_invoice"]
