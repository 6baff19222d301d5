"""Billing group, invoices: CreateInvoice, GetInvoice, GetInvoices, UpdateInvoice.

How the core's invoice amounts become WHMCS's (``tblinvoices``, reference §3.4):

============  ======================================  =============================
WHMCS key     WHMCS meaning                           from the core invoice
============  ======================================  =============================
``subtotal``  sum of the lines                        ``subtotal``
``tax``       level-1 tax                             ``tax1``
``tax2``      level-2 tax                             ``tax2``
``credit``    client credit applied to the invoice    ``credit_applied``
``total``     subtotal + tax + tax2 - credit          ``total - credit_applied``
``balance``   total - payments (what is still owed)   ``balance`` (= ``total -
                                                      credit_applied - amount_paid``)
============  ======================================  =============================

The core's ``total`` is gross (before credit) and credit is kept apart; WHMCS takes credit off
its ``total``, so credit is subtracted once on the way out. ``balance`` is the core's amount
still owed: money beyond the balance went to client credit, and refunds of a settled invoice
do not reopen it (the core counts them in ``amount_refunded``), so it is never negative.
``invoicenum`` is the sequential number when one was given (``""`` when the number is the id).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select

from bridge.db import model_columns, plain_rows, utcnow
from bridge.driver_values import (
    cents,
    date_text,
    datetime_text,
    decimal_of,
    driver_columns,
    three_places,
)
from bridge.errors import NotFound, ValidationFailed
from bridge.models import Client, Currency, Invoice, InvoiceItem, Transaction
from bridge.models.billing import invoice_balance
from bridge.models.enums import InvoiceItemType, InvoiceStatus
from bridge.schemas.billing import EDITABLE_STATUSES
from bridge.services.clients import client_terms
from bridge.services.count_cache import cached_count
from bridge.services.credit import apply_credit
from bridge.services.invoices import (
    add_invoice_item,
    cancel_invoice,
    create_invoice,
    publish_invoice,
    remove_invoice_item,
    update_invoice,
    update_invoice_item,
)
from bridge.services.module_context import plugin_host
from bridge.services.page_seek import seek_condition, seek_page

from ..format import INVOICE_STATUS, ZERO_DATE, ZERO_DATETIME, money, reverse, ymd, ymd_his
from ..params import as_bool
from ..registry import ApiError, ApiRequest, action, listing
from .billing import amount, invoice_or_fail, invoice_status, parse_amount_text, rate3
from .billing_payments import transaction_rows

STATUS_IN = reverse(INVOICE_STATUS)
ITEM_TYPES = {"service": "Hosting", "addon": "Addon", "domain_register": "DomainRegister",
              "domain_transfer": "DomainTransfer", "domain_renew": "Domain", "setup": "Setup",
              "late_fee": "LateFee", "add_funds": "AddFunds", "upgrade": "Upgrade",
              "item": "Item", "invoice": "Invoice", "custom": ""}
ORDER_BY = {"id": Invoice.id, "invoicenumber": Invoice.number, "invoicenum": Invoice.number,
            "date": Invoice.date, "duedate": Invoice.due_date, "total": Invoice.total,
            "status": Invoice.status}
_NUMBERED = re.compile(r"^itemdescription(\d+)$")
MISSING_ITEM_VARIABLES = ("Missing Variables: itemdescription, itemamount and itemtaxed are "
                          "required for each item being changed")


def whmcs_total(invoice: Invoice) -> Decimal:
    """WHMCS's ``total``: the core's gross total less the credit applied."""
    return invoice.total - invoice.credit_applied


def invoice_number(invoice: Invoice) -> str:
    """``invoicenum``: the sequential number, or "" when the number is just the id."""
    return "" if invoice.number in ("", str(invoice.id)) else invoice.number


def item_type(item: InvoiceItem) -> str:
    """The WHMCS ``tblinvoiceitems.type`` of a core line."""
    if item.type == InvoiceItemType.PROMO.value:
        return "PromoDomain" if item.domain_id else "PromoHosting"
    return ITEM_TYPES.get(item.type, "")


def item_row(item: InvoiceItem) -> dict[str, Any]:
    """One ``items.item`` entry."""
    relid = item.service_id or item.service_addon_id or item.domain_id or item.rel_id or 0
    return {"id": item.id, "type": item_type(item), "relid": relid,
            "description": item.description, "amount": money(item.amount),
            "taxed": int(item.taxed)}


def _card_gateway(req: ApiRequest, name: str) -> bool:
    cls = plugin_host(req.session).modules.get("gateway", {}).get(name)
    return cls is not None and getattr(cls, "kind", "") in ("merchant", "hybrid")


def _status_in(word: str) -> str:
    status = STATUS_IN.get(word.strip().lower())
    if status is None:
        raise ApiError(f"Invalid status {word}")
    return status


def _check_rates(req: ApiRequest, invoice: Invoice) -> None:
    # the core snapshots the rates of the client's tax rules; an override can't be honoured
    for name, current in (("taxrate", invoice.tax1_rate), ("taxrate2", invoice.tax2_rate)):
        wanted = amount(req, name)
        if wanted is not None and wanted != current:
            raise ApiError(f"{name} {wanted} can't be set: hostbridge takes tax rates from the "
                           f"tax rules (this invoice's rate is {rate3(current)}); change the "
                           "rules or send no rate")


def _numbered_items(req: ApiRequest) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for key in req.params:
        match = _NUMBERED.match(key)
        if match:
            found[int(match.group(1))] = {"n": match.group(1)}
    lines = []
    for index in sorted(found):
        n = found[index]["n"]
        lines.append({"type": InvoiceItemType.CUSTOM.value,
                      "description": req.text(f"itemdescription{n}"),
                      "unit_amount": amount(req, f"itemamount{n}", Decimal(0)),
                      "quantity": 1, "taxed": req.flag(f"itemtaxed{n}")})
    return lines


@action("CreateInvoice", status="partial",
        notes="sendinvoice: no mail is sent by the core (invoice_created subscribers do); "
              "taxrate/taxrate2 are accepted only when they equal the tax-rule rates")
def create_invoice_action(req: ApiRequest) -> dict[str, Any]:
    """Create an invoice from numbered ``itemdescriptionN``/``itemamountN``/``itemtaxedN``."""
    client_id = req.integer("userid", message="Client ID Not Found")
    try:
        terms = client_terms(req.session, client_id) if client_id else None
    except NotFound:
        terms = None
    if terms is None:
        raise ApiError("Client ID Not Found")
    draft = req.flag("draft")
    if draft and req.flag("sendinvoice"):
        raise ApiError("Cannot create and send a draft invoice in a single API request. "
                       "Please create and send separately.")
    status = InvoiceStatus.DRAFT.value if draft else _status_in(req.text("status", "Unpaid"))
    if status not in EDITABLE_STATUSES:
        raise ApiError(f"An invoice can't be created as {invoice_status(status)}: create it "
                       "unpaid and record the payment (AddInvoicePayment) or cancel it")
    invoice = create_invoice(
        req.session, client_id, _numbered_items(req), invoice_date=req.date_value("date"),
        due_date=req.date_value("duedate"), status=status,
        payment_method=req.text("paymentmethod"), notes=req.text("notes"),
        apply_credit=req.flag("autoapplycredit") and not draft, terms=terms)
    _check_rates(req, invoice)
    return {"invoiceid": str(invoice.id), "status": invoice_status(invoice.status)}


@cache
def _invoice_statements() -> tuple[Any, Any, Any]:
    """GetInvoice's invoice, lines (in the relationship's order) and transactions, built
    once with bound parameters."""
    ident = bindparam("invoice_id")
    return (select(*model_columns(Invoice)).where(Invoice.id == ident),
            select(*model_columns(InvoiceItem)).where(InvoiceItem.invoice_id == ident)
            .order_by(InvoiceItem.sort_order),
            select(*model_columns(Transaction)).where(Transaction.invoice_id == ident)
            .order_by(Transaction.id))


@action("GetInvoice")
def get_invoice(req: ApiRequest) -> dict[str, Any]:
    """One invoice with its lines and transactions."""
    # plain rows on the session's connection (a Get* call has nothing to autoflush): the
    # invoice, its lines and transactions are only rendered, and building their ORM objects
    # (the lines by a lazy load) cost more than the rest of the call
    message = "Invoice ID Not Found"
    invoice_id = req.integer("invoiceid", message=message)
    if not invoice_id:
        raise ApiError(message)
    conn = req.session.connection()
    invoice_q, items_q, txns_q = _invoice_statements()
    found = plain_rows(conn.execute(invoice_q, {"invoice_id": invoice_id}))
    if not found:
        raise ApiError(message)
    invoice = found[0]
    items = plain_rows(conn.execute(items_q, {"invoice_id": invoice_id}))
    txns = plain_rows(conn.execute(txns_q, {"invoice_id": invoice_id}))
    return {
        "invoiceid": invoice.id, "invoicenum": invoice_number(invoice),
        "userid": invoice.client_id, "date": ymd(invoice.date), "duedate": ymd(invoice.due_date),
        "datepaid": ymd_his(invoice.paid_at),
        "lastcaptureattempt": ymd_his(invoice.last_capture_attempt),
        "subtotal": money(invoice.subtotal), "credit": money(invoice.credit_applied),
        "tax": money(invoice.tax1), "tax2": money(invoice.tax2),
        "total": money(whmcs_total(invoice)), "balance": money(invoice_balance(invoice)),
        "taxrate": rate3(invoice.tax1_rate), "taxrate2": rate3(invoice.tax2_rate),
        "status": invoice_status(invoice.status), "paymentmethod": invoice.payment_method,
        "notes": invoice.notes, "ccgateway": _card_gateway(req, invoice.payment_method),
        "items": {"item": [item_row(item) for item in items]},
        # WHMCS answers "" when there are no transactions (reference §1.6)
        "transactions": {"transaction": transaction_rows(req, txns)} if txns else "",
    }


# the columns a GetInvoices row prints, read as the driver gives them and printed by
# bridge.driver_values (a page that is only rendered; no ORM objects, no typed round trip);
# the order is the unpacking order of _invoice_list_row
LIST_COLUMNS = tuple(driver_columns((
    Invoice.id, Invoice.client_id, Invoice.number, Invoice.date, Invoice.due_date,
    Invoice.paid_at, Invoice.last_capture_attempt, Invoice.refunded_at, Invoice.cancelled_at,
    Invoice.subtotal, Invoice.credit_applied, Invoice.tax1, Invoice.tax2, Invoice.total,
    Invoice.tax1_rate, Invoice.tax2_rate, Invoice.status, Invoice.payment_method,
    Invoice.pay_method_id, Invoice.notes, Invoice.created_at, Invoice.updated_at,
    Invoice.currency, Client.first_name, Client.last_name, Client.company_name,
    Currency.prefix, Currency.suffix)))


def _invoice_list_row(row: Any) -> dict[str, Any]:
    # unpacked once (a page is 25 rows of 28 columns: attribute reads and per-field helper
    # calls were most of GetInvoices' time); the rules are invoice_number's and whmcs_total's
    (ident, client_id, number, billed, due, paid_at, captured_at, refunded_at, cancelled_at,
     subtotal, credit, tax1, tax2, total, tax1_rate, tax2_rate, status, method, pay_method_id,
     notes, created_at, updated_at, currency, first_name, last_name, company_name, prefix,
     suffix) = row
    return {
        "id": ident, "userid": client_id, "firstname": first_name, "lastname": last_name,
        "companyname": company_name,
        "invoicenum": "" if number == "" or number == str(ident) else number,
        "date": date_text(billed) or ZERO_DATE, "duedate": date_text(due) or ZERO_DATE,
        "datepaid": datetime_text(paid_at) or ZERO_DATETIME,
        "last_capture_attempt": datetime_text(captured_at) or ZERO_DATETIME,
        "date_refunded": datetime_text(refunded_at) or ZERO_DATETIME,
        "date_cancelled": datetime_text(cancelled_at) or ZERO_DATETIME,
        "subtotal": cents(subtotal), "credit": cents(credit), "tax": cents(tax1),
        "tax2": cents(tax2),
        # the one sum, in Decimal (a SQLite row's amounts are floats); most have no credit
        "total": cents(decimal_of(total) - decimal_of(credit)) if credit else cents(total),
        "taxrate": three_places(tax1_rate), "taxrate2": three_places(tax2_rate),
        "status": invoice_status(status), "paymentmethod": method,
        "paymethodid": pay_method_id, "notes": notes,
        "created_at": datetime_text(created_at) or ZERO_DATETIME,
        "updated_at": datetime_text(updated_at) or ZERO_DATETIME,
        "currencycode": currency,
        # no currency row (outer join): empty, as before
        "currencyprefix": "" if prefix is None else prefix,
        "currencysuffix": "" if suffix is None else suffix,
    }


@lru_cache(maxsize=128)
def _list_statements(by_client: bool, status: str, order: str, desc: bool
                     ) -> tuple[Any, Any, Any]:
    """The count, page and (ordered by id only) seek statements of one GetInvoices shape
    (``status``: "", "overdue" or "one"), built once with bound parameters (building and
    cache-keying them per call cost more than running them); see
    :func:`bridge.services.page_seek.seek_page`."""
    conditions: list[Any] = []
    if by_client:
        conditions.append(Invoice.client_id == bindparam("client_id"))
    if status == "overdue":
        conditions += [Invoice.status == InvoiceStatus.UNPAID.value,
                       Invoice.due_date < bindparam("today")]
    elif status:
        conditions.append(Invoice.status == bindparam("status"))
    # count(*) over the table, not a subquery of every column (MariaDB materializes it)
    count = select(func.count()).select_from(Invoice).where(*conditions)
    column = ORDER_BY.get(order, Invoice.id)

    def paged(*more: Any) -> Any:
        # MariaDB: invoices first, whatever the statistics say (a fresh import's made it
        # scan every client, then sort their invoices: 14 ms for a 25-row page, not 1 ms)
        return (select(*LIST_COLUMNS).prefix_with("STRAIGHT_JOIN", dialect="mysql")
                .join(Client, Client.id == Invoice.client_id)
                .outerjoin(Currency, Currency.code == Invoice.currency)
                .where(*conditions, *more)
                .order_by(column.desc() if desc else column.asc(), Invoice.id)
                .offset(bindparam("offset", type_=Integer))
                .limit(bindparam("limit", type_=Integer)))
    # only an id-ordered list can start at a remembered id (bridge.services.page_seek)
    seek = paged(seek_condition(Invoice.id, desc)) if column is Invoice.id else None
    return count, paged(), seek


@action("GetInvoices")
def get_invoices(req: ApiRequest) -> dict[str, Any]:
    """Page through invoices by client and status (``Overdue`` = unpaid past its due date)."""
    start, num = req.page()
    filters: dict[str, Any] = {}  # the count's parameters; the page adds offset and limit
    client_id = req.integer("userid")
    if client_id:
        filters["client_id"] = client_id
    status = req.text("status")
    shape = ""
    if status.lower() == "overdue":
        shape, filters["today"] = "overdue", utcnow().date()
    elif status:
        shape, filters["status"] = "one", STATUS_IN.get(status.lower(), status.lower())
    statement_shape = (bool(client_id), shape, req.text("orderby").lower(),
                       req.text("order").lower() == "desc")
    count, page, seek = _list_statements(*statement_shape)
    # plain rows on the session's connection: nothing to autoflush in a Get* call and no
    # ORM result processing for rows that are only rendered
    conn = req.session.connection()
    total = cached_count(req.session, conn, "invoices", ("GetInvoices", bool(client_id), shape),
                         count, filters)
    # a deep limitstart starts where an earlier page ended
    found = seek_page(req.session, conn, "invoices", ("GetInvoices", *statement_shape),
                      filters, start, num, page=page, seek=seek)
    rows = [_invoice_list_row(row) for row in found]
    return listing(int(total), start, rows, "invoices", "invoice")


def _own_line(invoice: Invoice, raw: Any) -> int:
    try:
        line_id = int(str(raw))
    except ValueError:
        raise ApiError(f"Invalid line item id {raw}") from None
    if line_id not in {item.id for item in invoice.items}:
        raise ApiError(f"Line item {line_id} is not on invoice {invoice.id}")
    return line_id


def _edit_lines(req: ApiRequest, invoice: Invoice) -> None:
    for raw in req.array("deletelineids"):
        remove_invoice_item(req.session, _own_line(invoice, raw))
    descriptions = req.params.get("itemdescription")
    if isinstance(descriptions, dict):
        amounts, taxed = req.params.get("itemamount"), req.params.get("itemtaxed")
        for key, text in descriptions.items():
            if not isinstance(amounts, dict) or not isinstance(taxed, dict) \
                    or key not in amounts or key not in taxed:
                raise ApiError(MISSING_ITEM_VARIABLES)
            update_invoice_item(req.session, _own_line(invoice, key), {
                "description": str(text), "quantity": 1, "taxed": as_bool(taxed[key]),
                "unit_amount": parse_amount_text(amounts[key], "itemamount")})
    new_amounts, new_taxed = req.array("newitemamount"), req.array("newitemtaxed")
    for index, text in enumerate(req.array("newitemdescription")):
        add_invoice_item(req.session, invoice.id, {
            "type": InvoiceItemType.CUSTOM.value, "description": str(text), "quantity": 1,
            "unit_amount": parse_amount_text(
                new_amounts[index] if index < len(new_amounts) else "0", "newitemamount"),
            "taxed": as_bool(new_taxed[index]) if index < len(new_taxed) else False})


def _apply_credit_change(req: ApiRequest, invoice: Invoice) -> None:
    wanted = amount(req, "credit")
    if wanted is None or wanted == invoice.credit_applied:
        return
    if wanted < invoice.credit_applied:
        raise ApiError("Credit applied to an invoice can't be lowered in hostbridge; cancel "
                       "the invoice (the credit returns to the client) or leave credit as is")
    apply_credit(req.session, invoice.id, wanted - invoice.credit_applied)


@action("UpdateInvoice", status="partial",
        notes="datepaid, lowering credit and taxrate overrides are refused; Paid/Refunded "
              "come from payments; publishandsendemail sends no mail itself")
def update_invoice_action(req: ApiRequest) -> dict[str, Any]:
    """Edit lines (by line id), add and delete lines, change fields, status and publish."""
    invoice = invoice_or_fail(req)
    if req.text("datepaid"):
        raise ApiError("datepaid can't be set: an invoice becomes paid by recording its "
                       "payment (AddInvoicePayment)")
    publish = req.flag("publish") or req.flag("publishandsendemail")
    if publish and invoice.status != InvoiceStatus.DRAFT.value:
        raise ApiError("Invoice must be in Draft status to be published")
    status = _status_in(req.text("status")) if req.text("status") else None
    _check_rates(req, invoice)
    _edit_lines(req, invoice)
    data: dict[str, Any] = {}
    for param, field in (("paymentmethod", "payment_method"), ("notes", "notes")):
        if req.has(param):
            data[field] = req.text(param)
    for param, field in (("date", "date"), ("duedate", "due_date")):
        if req.text(param):
            data[field] = req.date_value(param)
    if status == InvoiceStatus.CANCELLED.value:
        update_invoice(req.session, invoice.id, data)
        cancel_invoice(req.session, invoice.id)
    else:
        if status is not None:
            data["status"] = status
        try:
            update_invoice(req.session, invoice.id, data)
        except ValidationFailed as exc:
            if "status" in exc.errors:
                raise ApiError(f"Invalid status {req.text('status')}: paid and refunded come "
                               "from payments and refunds") from exc
            raise
    _apply_credit_change(req, invoice)
    if publish:
        publish_invoice(req.session, invoice.id)
    return {"invoiceid": str(invoice.id)}
