"""Invoices: create, edit lines, recalculate, publish, cancel (WHMCS CreateInvoice/UpdateInvoice,
Blesta ``Invoices::add/edit``).

Rules kept here (see bridge.models.billing for the invariants):
- tax rates are snapshotted on the invoice when it is created; recalculation uses the snapshot;
- lines can change only while the invoice is a draft or unpaid and has no payments;
- the balance never goes negative: credit applied beyond a lowered total goes back to credit;
- ``paid`` is reached only through payments or credit, ``cancelled`` only through
  :func:`cancel_invoice`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, cast, func, insert, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import (
    insert_persistent,
    update_persistent,
    utcnow,
)
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Domain, Invoice, InvoiceItem, Service, ServiceAddon
from bridge.models.enums import InvoiceStatus
from bridge.money import ZERO, line_total, round_money
from bridge.schemas.billing import (
    EDITABLE_STATUSES,
    InvoiceItemSchema,
    InvoiceItemsSchema,
    InvoiceUpdateSchema,
)

from .clients import ClientTerms, client_terms
from .common import apply_fields, get_or_404, log_activity, validate
from .credit import (
    PAYABLE_STATUSES,
    add_credit,
    currency_places,
    lock_invoice,
    settle_invoice,
)
from .credit import apply_credit as apply_client_credit
from .settings import DEFAULTS, get_setting, take_counter
from .taxes import TaxResult, compute_taxes, taxes_for_client

DRAFT = InvoiceStatus.DRAFT.value
# unit prices and quantities are kept at storage precision; only line totals are rounded
_STORAGE_PLACES = 4
_LINKS = (("service_id", Service), ("service_addon_id", ServiceAddon), ("domain_id", Domain))


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice ``invoice_id``; raises NotFound."""
    return get_or_404(session, Invoice, invoice_id, "Invoice")


def _int_setting(session: Session, key: str, company_id: int | None) -> int:
    raw = get_setting(session, key, company_id)
    try:
        return int(raw)
    except ValueError:
        # a hand-edited setting must not stop invoicing; fall back to the shipped default
        return int(DEFAULTS[key])


def _check_item(session: Session, client_id: int, field: str, item: Mapping[str, Any]) -> None:
    for key in ("unit_amount", "quantity"):
        value = item.get(key)
        if value is not None and round_money(value, _STORAGE_PLACES) != value:
            raise ValidationFailed.single(f"{field}.{key}", "invalid",
                                          f"{key} {value} has more than 4 decimal places")
    for key, model in _LINKS:
        ident = item.get(key)
        if ident is None:
            continue
        row = session.get(model, ident)
        if row is None or getattr(row, "client_id", client_id) != client_id:
            raise ValidationFailed.single(f"{field}.{key}", "invalid",
                                          f"{key}={ident} is not a record of client {client_id}")


def _build_item(values: Mapping[str, Any], sort_order: int) -> InvoiceItem:
    return InvoiceItem(sort_order=sort_order, **values)


def _sequential_number(session: Session, day: date) -> str | None:
    """The next sequential number of an invoice dated ``day``; None when numbering is by id
    (setting ``invoice.sequential`` is not "1")."""
    # numbering is install-wide (global scope) so two companies never reuse a number
    if get_setting(session, "invoice.sequential") != "1":
        return None
    current = take_counter(session, "invoice.next_number")
    template = get_setting(session, "invoice.number_format") or "{NUMBER}"
    number = (template.replace("{NUMBER}", str(current))
              .replace("{YEAR}", f"{day:%Y}").replace("{MONTH}", f"{day:%m}")
              .replace("{DAY}", f"{day:%d}"))
    return number


class _Draft(SimpleNamespace):
    """A new invoice or line before its INSERT: each attribute (but ``items`` and ``id``) is
    a column value of the row to insert, and pricing reads it as it reads an Invoice.

    Not an ORM object: building an instrumented Invoice and its lines only to read their
    values back for the INSERT cost ~80 µs, inside the write lock on SQLite."""


def _price(session: Session, invoice: Invoice | _Draft) -> TaxResult:
    """Line totals of ``invoice`` (set on its lines) and its taxes, subtotal and total (the
    invoice's snapshotted rates; returned); ValidationFailed when the total would be
    negative."""
    places = currency_places(session, invoice.currency)
    for item in invoice.items:
        item.amount = line_total(item.unit_amount, item.quantity, places)
    result = compute_taxes([(item.amount, item.taxed) for item in invoice.items],
                           invoice.tax1_rate, invoice.tax2_rate, compound=invoice.tax2_compound,
                           inclusive=invoice.tax_inclusive, places=places)
    if result.total < 0:
        which = f"invoice {invoice.id}" if invoice.id is not None else "the invoice"
        raise ValidationFailed.single(
            "items", "range", f"{which} total would be {result.total}; "
            "discount lines may not exceed the charges")
    return result


def _set_totals(invoice: Invoice | _Draft, result: TaxResult) -> None:
    invoice.subtotal, invoice.tax1, invoice.tax2, invoice.total = (
        result.subtotal, result.tax1, result.tax2, result.total)


def _row(draft: _Draft) -> dict[str, Any]:
    # the column values a draft sets (columns it leaves out take their defaults)
    return {key: value for key, value in vars(draft).items() if key not in ("items", "id")}


# On SQLite a new row's id is one above the table's largest (its tables have no
# AUTOINCREMENT: SQLite's own rule for a row inserted without an id), so the INSERT can name
# that id itself and write the number by id with it, in the same statement. Elsewhere the id
# comes from a counter of the database's own (MariaDB's AUTO_INCREMENT, which never reuses
# one), known only after the INSERT: the number is written by a second statement.
_NEXT_INVOICE_ID = select(func.coalesce(func.max(Invoice.id), 0) + 1).scalar_subquery()
_NUMBERED_BY_NEXT_ID = (("id", _NEXT_INVOICE_ID), ("number", cast(_NEXT_INVOICE_ID, String)))


# built once: the lines of a new invoice go in with one plain INSERT (see _insert_invoice)
_INSERT_ITEMS = insert(InvoiceItem)


def _insert_invoice(session: Session, draft: _Draft, *, number_by_id: bool) -> Invoice:
    """INSERT the priced invoice ``draft`` and its lines, and hand back the persistent
    invoice; ``number_by_id``: its number is its id.

    The invoice is one statement (RETURNING: the object is the row as stored) and its lines
    one more, where adding the draft and flushing made the unit of work sort, insert and
    post-fetch the objects: most of a new invoice's time inside the write lock. The lines
    are not made objects: ``invoice.items`` loads them on first use, like any relationship
    of a loaded invoice. Making persistent objects of them from a RETURNING answer cost
    ~45 µs inside the write lock, and neither API door reads them back."""
    in_insert = number_by_id and session.get_bind().dialect.name == "sqlite"
    invoice: Invoice = insert_persistent(session, Invoice, _row(draft),
                                         computed=_NUMBERED_BY_NEXT_ID if in_insert else ())
    if number_by_id and not in_insert:
        update_persistent(session, invoice, {"number": str(invoice.id)})
    if draft.items:
        session.connection().execute(_INSERT_ITEMS, [
            {**_row(item), "invoice_id": invoice.id} for item in draft.items])
    return invoice


@dataclass(frozen=True)
class CheckedItems:
    """The lines of a new invoice as :func:`check_items` validated them."""

    values: tuple[dict[str, Any], ...]


def check_items(items: Sequence[Mapping[str, Any]]) -> CheckedItems:
    """Validate the lines of a new invoice (their own fields; what they link to is checked by
    :func:`create_invoice`). ValidationFailed names ``items.<index>.<field>``.

    Reads nothing: a caller that checks the lines before its transaction's first statement
    and hands the result to :func:`create_invoice` keeps the validation (a good part of a
    new invoice's Python time) out of SQLite's write lock, which that statement takes."""
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationFailed.single(f"items.{index}", "invalid", "an item is a mapping")
    loaded = validate(InvoiceItemsSchema, {"items": [dict(item) for item in items]})["items"]
    return CheckedItems(tuple(loaded))


def create_invoice(
    session: Session,
    client_id: int,
    items: Sequence[Mapping[str, Any]] | CheckedItems,
    *,
    invoice_date: date | None = None,
    due_date: date | None = None,
    status: str = "unpaid",
    payment_method: str = "",
    notes: str = "",
    apply_credit: bool = False,
    terms: ClientTerms | None = None,
) -> Invoice:
    """Create an invoice for ``client_id`` in the client's currency from ``items``.

    Taxes come from the client's tax rules and are snapshotted on the invoice. The due date
    defaults to the invoice date plus setting ``invoice.due_days``; the number is sequential
    when ``invoice.sequential`` is "1", else the id. A non-draft invoice with total 0 is
    created paid; ``apply_credit`` pays it from the client's credit as far as it goes. Emits
    invoice_created (not for drafts: see publish_invoice). Raises NotFound for the client and
    ValidationFailed for a bad item (``items.<index>.<field>``), status or dates.

    ``items``: line mappings, or :func:`check_items`' answer for them (not checked again).
    ``terms``: the client's :func:`~bridge.services.clients.client_terms`, when the caller
    has just read them in this transaction (they are not read again).
    """
    if terms is not None and terms.id != client_id:
        raise ValueError(f"terms of client {terms.id} given for client {client_id}")
    client = terms or client_terms(session, client_id)
    loaded = (items if isinstance(items, CheckedItems) else check_items(items)).values
    if status not in EDITABLE_STATUSES:
        raise ValidationFailed.single(
            "status", "one_of", f"a new invoice is one of {', '.join(EDITABLE_STATUSES)}")
    if status == DRAFT and apply_credit:
        raise ValidationFailed.single("apply_credit", "invalid",
                                      "credit can't be applied to a draft; publish it first")
    for index, values in enumerate(loaded):
        _check_item(session, client.id, f"items.{index}", values)
    day = invoice_date or utcnow().date()
    due = due_date or day + timedelta(
        days=_int_setting(session, "invoice.due_days", client.company_id))
    if due < day:
        raise ValidationFailed.single("due_date", "invalid", "due date is before invoice date")
    rule1, rule2 = taxes_for_client(session, client)
    compound = rule2 is not None and (
        rule2.compound or get_setting(session, "tax.level2_compound", client.company_id) == "1")
    draft = _Draft(
        id=None, client_id=client.id, status=status, currency=client.currency, date=day,
        due_date=due, payment_method=payment_method or client.default_gateway, notes=notes,
        tax_inclusive=get_setting(session, "tax.inclusive", client.company_id) == "1",
        tax1_name=rule1.name if rule1 else "", tax1_rate=rule1.rate if rule1 else ZERO,
        tax2_name=rule2.name if rule2 else "", tax2_rate=rule2.rate if rule2 else ZERO,
        tax2_compound=compound,
        items=[_Draft(sort_order=index, **values) for index, values in enumerate(loaded)],
    )
    # priced and numbered before the INSERT, so the rows go in complete: no UPDATE of the
    # new invoice and its lines afterwards (a number by id still needs the id first)
    _set_totals(draft, _price(session, draft))
    number = _sequential_number(session, day)
    if number is not None:
        draft.number = number
    invoice = _insert_invoice(session, draft, number_by_id=number is None)
    log_activity(session, "invoice.created", f"Invoice {invoice.id} created ({invoice.total} "
                 f"{invoice.currency}, {status})", client_id=client.id,
                 subject=("invoice", invoice.id))
    if status != DRAFT:
        emit(session, "invoice_created", invoice_id=invoice.id, client_id=client.id)
        if invoice.total == 0:
            settle_invoice(session, invoice)
        elif apply_credit and invoice.status in PAYABLE_STATUSES:
            apply_client_credit(session, invoice.id)
    return invoice


def recalculate_invoice(session: Session, invoice: Invoice) -> None:
    """Recompute line totals, taxes (the invoice's snapshotted rates), subtotal and total.

    Meant for open invoices (the line editors call it). Credit applied beyond the new total
    goes back to the client's credit so the balance never goes negative. Raises
    ValidationFailed when the total would be negative and Conflict when payments alone exceed
    the new total (refund them first).
    """
    result = _price(session, invoice)
    if invoice.amount_paid > result.total:
        raise Conflict(f"invoice {invoice.id} has {invoice.amount_paid} paid, more than the new "
                       f"total {result.total}; refund the payments first")
    _set_totals(invoice, result)
    excess = invoice.credit_applied + invoice.amount_paid - invoice.total
    if excess > 0:
        invoice.credit_applied = invoice.credit_applied - excess
        add_credit(session, invoice.client_id, excess,
                   f"Credit returned from invoice #{invoice.number or invoice.id} (total lowered)",
                   invoice_id=invoice.id)


def _editable(session: Session, invoice_id: int) -> Invoice:
    invoice = lock_invoice(session, invoice_id)
    if invoice.status not in (DRAFT, InvoiceStatus.UNPAID.value) or invoice.amount_paid > 0:
        raise Conflict(f"invoice {invoice.id} is {invoice.status} with {invoice.amount_paid} "
                       "paid; only draft or unpaid invoices without payments can be edited")
    return invoice


def _after_edit(session: Session, invoice: Invoice, action: str, item_id: int) -> None:
    recalculate_invoice(session, invoice)
    log_activity(session, f"invoice.item_{action}", f"Invoice {invoice.id} line {item_id} "
                 f"{action}; total {invoice.total}", client_id=invoice.client_id,
                 subject=("invoice", invoice.id), data={"item_id": item_id})
    emit(session, "invoice_updated", invoice_id=invoice.id, client_id=invoice.client_id,
         item_id=item_id, change=f"item_{action}")
    # credit already applied may now cover the whole (lowered) total
    if invoice.status != DRAFT and invoice.total > 0 and invoice.balance == 0:
        settle_invoice(session, invoice)


def add_invoice_item(session: Session, invoice_id: int, item: Mapping[str, Any]) -> InvoiceItem:
    """Add a line to a draft/unpaid invoice without payments and recalculate it.

    Raises NotFound, Conflict when the invoice can't be edited, ValidationFailed for bad input.
    """
    invoice = _editable(session, invoice_id)
    values = validate(InvoiceItemSchema, item)
    _check_item(session, invoice.client_id, "item", values)
    row = _build_item(values, max((i.sort_order for i in invoice.items), default=-1) + 1)
    invoice.items.append(row)
    session.flush()
    _after_edit(session, invoice, "added", row.id)
    return row


def update_invoice_item(session: Session, item_id: int, data: Mapping[str, Any]) -> InvoiceItem:
    """Change fields of one line (same rules as add_invoice_item) and recalculate."""
    item = get_or_404(session, InvoiceItem, item_id, "Invoice item")
    invoice = _editable(session, item.invoice_id)
    values = validate(InvoiceItemSchema, data, partial=True)
    _check_item(session, invoice.client_id, "item", values)
    start = values.get("period_start", item.period_start)
    end = values.get("period_end", item.period_end)
    if start is not None and end is not None and end < start:
        raise ValidationFailed.single("period_end", "invalid", "period_end is before period_start")
    apply_fields(item, values)
    session.flush()
    _after_edit(session, invoice, "updated", item.id)
    return item


def remove_invoice_item(session: Session, item_id: int) -> None:
    """Delete one line of a draft/unpaid invoice without payments and recalculate."""
    item = get_or_404(session, InvoiceItem, item_id, "Invoice item")
    invoice = _editable(session, item.invoice_id)
    invoice.items.remove(item)
    session.flush()
    _after_edit(session, invoice, "removed", item_id)


def _publish(session: Session, invoice: Invoice, status: str) -> None:
    invoice.status = status
    log_activity(session, "invoice.published", f"Invoice {invoice.id} published",
                 client_id=invoice.client_id, subject=("invoice", invoice.id))
    emit(session, "invoice_created", invoice_id=invoice.id, client_id=invoice.client_id)
    if invoice.total == 0:
        settle_invoice(session, invoice)


def publish_invoice(session: Session, invoice_id: int) -> Invoice:
    """Turn a draft into an unpaid invoice and emit invoice_created (a zero total becomes paid).

    An invoice that is no longer a draft is returned unchanged, so a retried call is harmless.
    Raises NotFound.
    """
    invoice = lock_invoice(session, invoice_id)
    if invoice.status == DRAFT:
        _publish(session, invoice, InvoiceStatus.UNPAID.value)
    return invoice


def update_invoice(session: Session, invoice_id: int, data: Mapping[str, Any]) -> Invoice:
    """Change dates, notes, payment method or status (draft/unpaid/collections/payment_pending).

    Status can change only on an open invoice; it becomes a draft again only without payments
    or credit; leaving draft publishes it (invoice_created). Paid comes from payments and
    cancelled from cancel_invoice. Raises NotFound, ValidationFailed, Conflict.
    """
    invoice = lock_invoice(session, invoice_id)
    values = validate(InvoiceUpdateSchema, data)
    status = values.pop("status", None)
    if values.get("due_date", invoice.due_date) < values.get("date", invoice.date):
        raise ValidationFailed.single("due_date", "invalid", "due date is before invoice date")
    if status is not None and status != invoice.status:
        if invoice.status not in EDITABLE_STATUSES:
            raise Conflict(f"invoice {invoice.id} is {invoice.status}; its status can't be "
                           "changed (payments, refunds and cancel_invoice do that)")
        if status == DRAFT and (invoice.amount_paid > 0 or invoice.credit_applied > 0):
            raise Conflict(f"invoice {invoice.id} has payments or credit; it can't be a draft")
    changed = apply_fields(invoice, values)
    if status is not None and status != invoice.status:
        changed.append("status")
        if invoice.status == DRAFT:
            _publish(session, invoice, status)
        else:
            invoice.status = status
    if changed:
        log_activity(session, "invoice.updated", f"Invoice {invoice.id} updated: "
                     f"{', '.join(changed)}", client_id=invoice.client_id,
                     subject=("invoice", invoice.id), data={"fields": changed})
        emit(session, "invoice_updated", invoice_id=invoice.id, client_id=invoice.client_id,
             fields=changed)
    return invoice


def cancel_invoice(session: Session, invoice_id: int, reason: str = "") -> Invoice:
    """Cancel an open invoice; credit applied to it goes back to the client's credit.

    Raises NotFound, Conflict when the invoice is paid/cancelled/refunded or has payments
    (refund the payments first). Emits invoice_cancelled.
    """
    invoice = lock_invoice(session, invoice_id)
    if invoice.status not in EDITABLE_STATUSES:
        raise Conflict(f"invoice {invoice.id} is {invoice.status}; only draft, unpaid, "
                       "collections or payment pending invoices can be cancelled")
    if invoice.amount_paid > 0:
        raise Conflict(f"invoice {invoice.id} has {invoice.amount_paid} paid; "
                       "refund the payments first")
    returned = invoice.credit_applied
    if returned > 0:
        invoice.credit_applied = invoice.credit_applied - returned
        add_credit(session, invoice.client_id, returned,
                   f"Credit returned from cancelled invoice #{invoice.number or invoice.id}",
                   invoice_id=invoice.id)
    invoice.status = InvoiceStatus.CANCELLED.value
    invoice.cancelled_at = utcnow()
    log_activity(session, "invoice.cancelled", f"Invoice {invoice.id} cancelled"
                 + (f": {reason}" if reason else ""), client_id=invoice.client_id,
                 subject=("invoice", invoice.id),
                 data={"reason": reason, "credit_returned": str(returned)})
    emit(session, "invoice_cancelled", invoice_id=invoice.id, client_id=invoice.client_id,
         reason=reason, credit_returned=returned)
    return invoice
