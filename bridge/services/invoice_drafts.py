"""Removing a draft invoice (a draft was never sent, so it can go without a trace but the log)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict
from bridge.models import CreditEntry, Order, Quote, Transaction
from bridge.models.enums import InvoiceStatus

from .common import log_activity
from .credit import lock_invoice

# rows that point at an invoice and keep their meaning only with it
REFERENCES = (("transactions", Transaction), ("credit entries", CreditEntry),
              ("orders", Order), ("quotes", Quote))


def delete_draft_invoice(session: Session, invoice_id: int) -> None:
    """Delete a draft invoice and its lines.

    NotFound when it does not exist; Conflict when it is not a draft (cancel it instead) or
    when a transaction, credit entry, order or quote refers to it. Emits invoice_deleted.
    """
    invoice = lock_invoice(session, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise Conflict(f"invoice {invoice.id} is {invoice.status}, not a draft; only drafts "
                       "can be deleted (cancel it instead)")
    used = []
    for label, model in REFERENCES:
        count = session.scalar(select(func.count()).select_from(model)
                               .where(model.invoice_id == invoice.id)) or 0
        if count:
            used.append(f"{count} {label}")
    if used:
        raise Conflict(f"draft invoice {invoice.id} is referred to by {', '.join(used)}; "
                       "it cannot be deleted")
    client_id, total = invoice.client_id, invoice.total
    session.delete(invoice)  # its lines go with it (ON DELETE CASCADE, relationship cascade)
    session.flush()
    log_activity(session, "invoice.deleted", f"Draft invoice {invoice_id} deleted "
                 f"(total {total})", client_id=client_id, subject=("invoice", invoice_id))
    emit(session, "invoice_deleted", invoice_id=invoice_id, client_id=client_id)
