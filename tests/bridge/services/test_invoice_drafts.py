"""Deleting draft invoices (bridge.services.invoice_drafts)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound
from bridge.models import ActivityLog, Invoice, InvoiceItem, Order
from bridge.services.invoice_drafts import delete_draft_invoice
from bridge.services.invoices import create_invoice


@pytest.fixture
def client(factories):
    factories.currency("USD")
    return factories.client()


def _draft(db, client, status="draft"):
    return create_invoice(db, client.id, [{"description": "Work", "unit_amount": "10"}],
                          invoice_date=date(2026, 3, 1), due_date=date(2026, 3, 15),
                          status=status)


def test_a_draft_goes_with_its_lines(db, client):
    keep = _draft(db, client)
    gone = _draft(db, client)
    delete_draft_invoice(db, gone.id)
    assert list(db.scalars(select(Invoice.id))) == [keep.id]
    assert list(db.scalars(select(InvoiceItem.invoice_id))) == [keep.id]
    assert ("invoice_deleted", {"invoice_id": gone.id, "client_id": client.id}) in \
        pending_events(db)
    assert db.scalar(select(ActivityLog.action).where(
        ActivityLog.action == "invoice.deleted")) == "invoice.deleted"


def test_only_unreferenced_drafts_can_go(db, client):
    unpaid = _draft(db, client, status="unpaid")
    with pytest.raises(Conflict, match="not a draft"):
        delete_draft_invoice(db, unpaid.id)
    draft = _draft(db, client)
    db.add(Order(client_id=client.id, currency="USD", invoice_id=draft.id))
    db.flush()
    with pytest.raises(Conflict, match="1 orders"):
        delete_draft_invoice(db, draft.id)
    assert db.get(Invoice, draft.id) is not None
    with pytest.raises(NotFound):
        delete_draft_invoice(db, 999)
