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


def test_naive_utc_reads_the_same_wall_time_without_a_zone(db, factories):
    from bridge.db import naive_utc

    client = factories.client()
    db.commit()
    aware = db.connection().execute(select(Client.id, Client.created_at)).one()
    naive = db.connection().execute(select(*naive_utc((Client.id, Client.created_at)))).one()
    assert naive.created_at.tzinfo is None and aware.created_at.tzinfo is not None
    assert naive.created_at == aware.created_at.replace(tzinfo=None)
    assert naive.id == client.id


def test_fixed_in_binds_each_value_and_finds_the_same_rows(db, factories):
    from bridge.db import fixed_in

    for status in ("active", "inactive", "closed"):
        factories.client(status=status)
    db.commit()
    statement = select(Client.status).where(fixed_in(Client.status, ("inactive", "closed")))
    assert "POSTCOMPILE" not in str(statement)  # nothing rendered again per execution
    expanding = select(Client.status).where(Client.status.in_(("inactive", "closed")))
    assert "POSTCOMPILE" in str(expanding)
    assert sorted(db.scalars(statement)) == sorted(db.scalars(expanding)) == ["closed",
                                                                             "inactive"]
