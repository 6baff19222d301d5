"""bridge.db.plain_rows: rows as named tuples with the same names and processed values."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bridge.db import plain_rows
from bridge.models import Client, Invoice
from bridge.services.invoices import create_invoice


def test_plain_rows_read_like_the_rows_they_copy(db, factories):
    client = factories.client()
    create_invoice(db, client.id, [{"description": "Hosting", "unit_amount": "5.00"}])
    db.commit()
    query = select(Invoice.id, Invoice.total, Invoice.created_at, Client.first_name).join(
        Client, Client.id == Invoice.client_id)
    rows = db.connection().execute(query).all()
    plain = plain_rows(db.connection().execute(query))
    assert len(plain) == len(rows) == 1
    assert tuple(plain[0]) == tuple(rows[0])
    assert plain[0].first_name == rows[0].first_name == client.first_name
    assert isinstance(plain[0].total, Decimal) and plain[0].created_at.tzinfo is not None
    assert plain_rows(db.connection().execute(query.where(Invoice.id < 0))) == []
    # one class per column list, reused
    assert type(plain[0]) is type(plain_rows(db.connection().execute(query))[0])
