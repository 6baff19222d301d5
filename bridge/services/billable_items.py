"""Billable items: one-off or recurring charges that wait to be invoiced (WHMCS
AddBillableItem, ``tblbillableitems``; the billable-item part of GenInvoices and the cron).

Rules kept here:
- an item is ``quantity x unit_amount`` in the client's currency; it is invoiced according to
  ``invoice_action``: ``none`` (kept for a manual invoice), ``next_cron`` (the next invoicing
  run), ``next_invoice`` (added to the client's next invoice), ``due_date`` (invoiced on its
  due date) or ``recur`` (invoiced on its due date, then every ``recur_cycle``, ``recur_for``
  times);
- :func:`invoice_due_billable_items` is idempotent: an item is marked invoiced (or moved to its
  next due date) in the same transaction as its invoice, so a second run finds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.cycles import parse_cycle
from bridge.db import utcnow
from bridge.errors import ValidationFailed
from bridge.models import BillableItem, Client, Invoice
from bridge.models.enums import InvoiceItemType
from bridge.money import round_money

from .common import get_or_404, log_activity, non_negative_amount
from .invoices import create_invoice

INVOICE_ACTIONS = ("none", "next_cron", "next_invoice", "due_date", "recur")
_DATED = ("due_date", "recur")
_STORAGE_PLACES = 4


def add_billable_item(
    session: Session,
    client_id: int,
    *,
    description: str,
    unit_amount: Decimal | str | int,
    quantity: Decimal | str | int = Decimal(1),
    invoice_action: str = "none",
    due_date: date | None = None,
    recur_cycle: str = "",
    recur_for: int = 0,
) -> BillableItem:
    """Record a charge for ``client_id`` to be invoiced later (see the module rules).

    ``due_date`` is required for ``due_date`` and ``recur``; ``recur`` also needs a recurring
    ``recur_cycle`` code (``1M``, ``2W``, ``10D``, ``1Y``) and ``recur_for`` > 0. Raises NotFound
    for the client, ValidationFailed for bad input. Emits billable_item_added.
    """
    client = get_or_404(session, Client, client_id, "Client")
    text = description.strip()
    if not text:
        raise ValidationFailed.single("description", "required", "a billable item needs a "
                                      "description (it is the invoice line's text)")
    amount = non_negative_amount(unit_amount, "unit_amount")
    qty = non_negative_amount(quantity, "quantity")
    for field, value in (("unit_amount", amount), ("quantity", qty)):
        if round_money(value, _STORAGE_PLACES) != value:
            raise ValidationFailed.single(field, "invalid",
                                          f"{field} {value} has more than 4 decimal places")
    if qty == 0:
        raise ValidationFailed.single("quantity", "range", "quantity must be greater than 0")
    if invoice_action not in INVOICE_ACTIONS:
        raise ValidationFailed.single("invoice_action", "one_of",
                                      f"invoice_action is one of {', '.join(INVOICE_ACTIONS)}")
    if invoice_action in _DATED and due_date is None:
        raise ValidationFailed.single("due_date", "required",
                                      f"invoice_action {invoice_action} needs a due date")
    if invoice_action == "recur":
        try:
            cycle = parse_cycle(recur_cycle)
        except ValueError as exc:
            raise ValidationFailed.single("recur_cycle", "invalid", str(exc)) from exc
        if not cycle.recurring or recur_for <= 0:
            raise ValidationFailed.single(
                "recur_cycle", "invalid", "a recurring item needs a recurring cycle (e.g. 1M) "
                "and how many times to invoice it (recur_for > 0)")
        recur_cycle = cycle.code
    else:
        recur_cycle, recur_for = "", 0
    item = BillableItem(client_id=client.id, description=text, quantity=qty, unit_amount=amount,
                        currency=client.currency, invoice_action=invoice_action,
                        due_date=due_date, recur_cycle=recur_cycle, recur_for=recur_for)
    session.add(item)
    session.flush()
    log_activity(session, "billable_item.added", f"Billable item {item.id} added ({qty} x "
                 f"{amount} {client.currency}, {invoice_action})", client_id=client.id,
                 subject=("billable_item", item.id))
    emit(session, "billable_item_added", billable_item_id=item.id, client_id=client.id)
    return item


def _due_items(session: Session, today: date, client_id: int | None) -> list[BillableItem]:
    query = select(BillableItem).where(
        BillableItem.invoiced.is_(False),
        or_(BillableItem.invoice_action == "next_cron",
            BillableItem.invoice_action.in_(_DATED) & (BillableItem.due_date <= today)))
    if client_id is not None:
        query = query.where(BillableItem.client_id == client_id)
    return list(session.scalars(query.order_by(BillableItem.id).with_for_update()))


def _mark_invoiced(item: BillableItem) -> None:
    item.invoice_count += 1
    if item.invoice_action == "recur" and item.due_date is not None \
            and item.invoice_count < item.recur_for:
        item.due_date = parse_cycle(item.recur_cycle).advance(item.due_date)
        return
    item.invoiced = True


def invoice_due_billable_items(
    session: Session, *, client_id: int | None = None, today: date | None = None
) -> list[Invoice]:
    """Invoice every billable item that is due (``next_cron`` items, and ``due_date`` /
    ``recur`` items whose due date has come), one invoice per client and due date.

    Items with a due date are invoiced on that date and fall due on it; recurring items move
    to their next due date until they were invoiced ``recur_for`` times. Returns the invoices
    created (empty when nothing is due). Raises NotFound for an unknown ``client_id``.
    """
    if client_id is not None:
        get_or_404(session, Client, client_id, "Client")
    day = today or utcnow().date()
    groups: dict[tuple[int, date | None], list[BillableItem]] = defaultdict(list)
    for item in _due_items(session, day, client_id):
        dated = item.due_date if item.invoice_action in _DATED else None
        groups[(item.client_id, dated)].append(item)
    invoices = []
    for (owner, dated), items in groups.items():
        lines = [{"type": InvoiceItemType.ITEM.value, "rel_id": item.id,
                  "description": item.description, "quantity": item.quantity,
                  "unit_amount": item.unit_amount} for item in items]
        invoice = create_invoice(session, owner, lines, invoice_date=dated, due_date=dated)
        for item in items:
            _mark_invoiced(item)
        log_activity(session, "billable_item.invoiced", f"Billable items "
                     f"{', '.join(str(i.id) for i in items)} invoiced on invoice {invoice.id}",
                     client_id=owner, subject=("invoice", invoice.id),
                     data={"billable_item_ids": [i.id for i in items]})
        invoices.append(invoice)
    return invoices
