"""Invoices (``invoices``), writes: add, edit (lines, dates, notes, status incl. void), setClosed,
deleteDraft.

Wire -> core: ``lines[]{description, qty, amount, tax, service_id}`` are items
``{description, quantity, unit_amount, taxed, service_id}`` (a Blesta line is taxed only when
``tax`` is true); ``date_billed``/``date_due`` are the invoice and due dates;
``note_public``/``note_private`` are ``notes``/``admin_notes``; status ``active`` is
``unpaid`` (publishing a draft), ``void`` is :func:`cancel_invoice`. An invoice is in its
client's currency; recurring invoices, ``proforma``, delivery and autodebit dates are not
supported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bridge.errors import ValidationFailed
from bridge.models import Invoice
from bridge.models.enums import InvoiceStatus
from bridge.services.invoice_drafts import delete_draft_invoice
from bridge.services.invoices import (
    add_invoice_item,
    cancel_invoice,
    check_items,
    create_invoice,
    remove_invoice_item,
    update_invoice,
    update_invoice_item,
)

from ..registry import MethodCall, invalid, method
from .billing_shared import day, flag, items, optional_int, renamed_errors, terms_in_company
from .invoices import scoped_invoice

RECURRING = ("term", "period", "duration", "duration_time", "recur_date_billed")
CORE_NAMES = {"items": "lines", "item": "lines", "unit_amount": "amount", "quantity": "qty",
              "taxed": "tax", "due_date": "date_due", "date": "date_billed",
              "notes": "note_public", "admin_notes": "note_private"}
LINE_FIELDS = {"description": "description", "qty": "quantity", "amount": "unit_amount",
               "service_id": "service_id"}
STATUS_IN = {"active": "unpaid", "draft": "draft"}


def _plain(value: Any) -> Any:
    # JSON bodies may carry floats; the core takes amounts as text, never floats
    return str(value) if isinstance(value, float) else value


def _line_changes(raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The core item fields a wire line gives (only those present)."""
    changes: dict[str, Any] = {}
    for wire, core in LINE_FIELDS.items():
        if wire in raw and raw[wire] is not None:
            value = raw[wire]
            if wire == "service_id":
                value = optional_int(value, f"lines[{index}][service_id]")
            changes[core] = _plain(value)
    if "tax" in raw:
        changes["taxed"] = flag(raw["tax"])
    return changes


def _new_line(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise invalid(f"lines[{index}]", "format", "each line is an array of description, qty, "
                      "amount and tax")
    item = _line_changes(raw, index)
    item.setdefault("taxed", False)
    item.setdefault("description", "")
    return item


@contextmanager
def _line_errors(index: int) -> Iterator[None]:
    """Name a core line error ``lines[<index>][<wire field>]``."""
    try:
        yield
    except ValidationFailed as exc:
        errors = {f"lines[{index}][{CORE_NAMES.get(f.split('.')[-1], f.split('.')[-1])}]": rules
                  for f, rules in exc.errors.items()}
        raise ValidationFailed(errors, exc.message) from exc


def _refuse_recurring(vars_: Mapping[str, Any]) -> None:
    for key in RECURRING:
        if vars_.get(key) not in (None, ""):
            raise invalid(key, "unsupported", "recurring invoices are not supported by "
                          "hostbridge; create each invoice with invoices/add")


def _status_word(value: Any) -> str:
    word = str(value).strip().lower()
    if word not in (*STATUS_IN, "void"):
        raise invalid("status", "format", "status must be active, draft or void (proforma "
                      "invoices are not supported by hostbridge)")
    return word


@method("invoices", "add", status="partial",
        notes="in the client's currency only; no recurring invoices, proforma, delivery, "
              "date_closed or date_autodebit")
def add(call: MethodCall) -> Any:
    """Create an invoice with its lines; returns the new id as a string."""
    vars_ = call.vars()
    _refuse_recurring(vars_)
    client_id = optional_int(vars_.get("client_id"), "client_id")
    # the lines are checked before the first statement, which takes SQLite's write lock
    # (so a request with bad lines and a bad client is told about the lines)
    with renamed_errors(CORE_NAMES):
        lines = check_items([_new_line(raw, index)
                             for index, raw in enumerate(items(vars_.get("lines")))])
    client = terms_in_company(call, client_id)
    if client is None:
        raise invalid("client_id", "exists", "Please specify a valid client.")
    currency = str(vars_.get("currency") or client.currency).upper()
    if currency != client.currency:
        raise invalid("currency", "valid", f"client {client.id} is billed in "
                      f"{client.currency}; hostbridge invoices a client in its own currency")
    word = _status_word(vars_.get("status") or "active")
    if word == "void":
        raise invalid("status", "format", "a new invoice can't be void")
    with renamed_errors(CORE_NAMES):
        invoice = create_invoice(
            call.session, client.id, lines, invoice_date=day(vars_.get("date_billed"),
                                                             "date_billed"),
            due_date=day(vars_.get("date_due"), "date_due"), status=STATUS_IN[word],
            notes=str(vars_.get("note_public") or ""), terms=client)
        if vars_.get("note_private"):
            update_invoice(call.session, invoice.id, {"admin_notes": str(vars_["note_private"])})
    return str(invoice.id)


def _edit_line(call: MethodCall, invoice: Invoice, raw: Any, index: int) -> None:
    if not isinstance(raw, Mapping):
        raise invalid(f"lines[{index}]", "format", "each line is an array")
    line_id = optional_int(raw.get("id"), f"lines[{index}][id]")
    with _line_errors(index):
        if line_id is None:
            add_invoice_item(call.session, invoice.id, _new_line(raw, index))
            return
        if line_id not in {item.id for item in invoice.items}:
            raise invalid(f"lines[{index}][id]", "exists",
                          f"line {line_id} is not on invoice {invoice.id}")
        # only an explicit blanking deletes: a partial update ({id, qty}) must not
        if "description" in raw and "amount" in raw and \
                not str(raw["description"] or "").strip() and \
                str(raw["amount"] or "").strip() in ("", "0"):
            remove_invoice_item(call.session, line_id)
            return
        changes = _line_changes(raw, index)
        if changes:
            update_invoice_item(call.session, line_id, changes)


def _set_status(call: MethodCall, invoice: Invoice, word: str) -> None:
    current = invoice.status
    if word == "void":
        if current not in ("cancelled", "refunded"):
            cancel_invoice(call.session, invoice.id, "voided through the Blesta API")
    elif word == "draft" and current != "draft":
        update_invoice(call.session, invoice.id, {"status": "draft"})
    elif word == "active" and current in ("draft", "cancelled", "refunded"):
        if current != "draft":
            raise invalid("status", "format", f"invoice {invoice.id} is void; it can't be "
                          "made active again")
        update_invoice(call.session, invoice.id, {"status": "unpaid"})


@method("invoices", "edit", status="partial",
        notes="lines without an id are added, with an id updated, ones sent with empty "
              "description and amount deleted; "
              "client_id and currency can't change; no recurring, proforma or delivery")
def edit(call: MethodCall) -> Any:
    """Change dates, notes, lines and status (``void`` cancels); returns the invoice id."""
    invoice = scoped_invoice(call, call.arg("invoice_id"))
    if invoice is None:
        raise invalid("invoice_id", "exists", "Please specify a valid invoice.")
    vars_ = call.vars()
    _refuse_recurring(vars_)
    if optional_int(vars_.get("client_id"), "client_id") not in (None, invoice.client_id):
        raise invalid("client_id", "valid", "an invoice can't move to another client")
    if vars_.get("currency") and str(vars_["currency"]).upper() != invoice.currency:
        raise invalid("currency", "valid", "an invoice's currency can't change")
    word = _status_word(vars_["status"]) if vars_.get("status") else None
    for index, raw in enumerate(items(vars_.get("lines"))):
        _edit_line(call, invoice, raw, index)
    values: dict[str, Any] = {}
    for wire, core in (("date_billed", "date"), ("date_due", "due_date")):
        if vars_.get(wire):
            values[core] = day(vars_[wire], wire)
    for wire, core in (("note_public", "notes"), ("note_private", "admin_notes")):
        if wire in vars_ and vars_[wire] is not None:
            values[core] = str(vars_[wire])
    with renamed_errors(CORE_NAMES):
        if values:
            update_invoice(call.session, invoice.id, values)
        if word is not None:
            _set_status(call, invoice, word)
    return str(invoice.id)


@method("invoices", "setClosed", status="partial",
        notes="a no-op: hostbridge closes an invoice itself when it is paid in full")
def set_closed(call: MethodCall) -> Any:
    """Nothing to do: an invoice is closed (paid) as soon as payments and credit cover it."""
    if scoped_invoice(call, call.arg("invoice_id")) is None:
        raise invalid("invoice_id", "exists", "Please specify a valid invoice.")
    return None


@method("invoices", "deleteDraft")
def delete_draft(call: MethodCall) -> Any:
    """Delete a draft invoice (a 400 on ``invoice_id`` for any other status)."""
    invoice = scoped_invoice(call, call.arg("invoice_id"))
    if invoice is None:
        raise invalid("invoice_id", "exists", "Please specify a valid invoice.")
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise invalid("invoice_id", "draft", "Only draft invoices may be deleted.")
    delete_draft_invoice(call.session, invoice.id)
    return None
