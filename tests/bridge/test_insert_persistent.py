"""``bridge.db.insert_persistent``: one Core INSERT hands back the row as a clean persistent
object, with the values a SELECT would load (RETURNING), on SQLite and MariaDB, and by a read
back where the database has no RETURNING."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.db import insert_persistent
from bridge.models import Transaction
from bridge.testing import make_client


@pytest.fixture(params=["sqlite", "mariadb"])
def session(request: pytest.FixtureRequest) -> Session:
    name = "db" if request.param == "sqlite" else "mysql_db"
    return request.getfixturevalue(name)


def _client(session: Session) -> int:
    return make_client(session).id


def _values(client_id: int, ref: str) -> dict[str, Any]:
    return {"client_id": client_id, "kind": "payment", "gateway": "offline",
            "gateway_txn_id": ref, "date": datetime(2026, 11, 2, 10, 30, tzinfo=UTC),
            "currency": "USD", "amount_in": Decimal("12.5"), "fees": Decimal("0.3")}


def _as_loaded(session: Session, txn: Transaction) -> dict[str, Any]:
    columns = [c.key for c in sa_inspect(Transaction).column_attrs]
    return {key: getattr(txn, key) for key in columns}


@pytest.mark.parametrize("returning", [True, False])
def test_the_object_is_what_a_select_would_load(session: Session, returning: bool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dialect = session.connection().dialect
    if not returning:  # as on MySQL: no INSERT ... RETURNING, read back by key
        monkeypatch.setattr(dialect, "insert_returning", False)
    client_id = _client(session)
    txn = insert_persistent(session, Transaction, _values(client_id, "ref-1"))
    state = sa_inspect(txn)
    assert state.persistent and not session.dirty and not session.new
    assert session.get(Transaction, txn.id) is txn  # in the identity map
    assert txn.amount_in == Decimal("12.5") and str(txn.amount_in) == "12.5000"  # as stored
    assert txn.status == "completed" and txn.raw == {}  # column defaults applied
    mine = _as_loaded(session, txn)
    session.expunge(txn)
    loaded = session.scalars(select(Transaction).where(Transaction.id == mine["id"])).one()
    assert _as_loaded(session, loaded) == mine
    assert {k: str(v) for k, v in _as_loaded(session, loaded).items()} == \
        {k: str(v) for k, v in mine.items()}


def test_a_duplicate_key_leaves_the_session_usable(session: Session) -> None:
    client_id = _client(session)
    insert_persistent(session, Transaction, _values(client_id, "dup"))
    with pytest.raises(IntegrityError):
        insert_persistent(session, Transaction, _values(client_id, "dup"))
    again = insert_persistent(session, Transaction, _values(client_id, "other"))
    session.flush()
    assert again.id is not None
    assert session.scalar(select(Transaction.gateway_txn_id).where(
        Transaction.id == again.id)) == "other"


def test_update_persistent_writes_now_and_leaves_nothing_to_flush(session: Session) -> None:
    from bridge.db import update_persistent
    from bridge.models import Invoice

    client_id = _client(session)
    invoice = insert_persistent(session, Invoice, {
        "client_id": client_id, "currency": "USD", "date": datetime(2026, 11, 1).date(),
        "due_date": datetime(2026, 11, 15).date(), "total": Decimal("10")})
    stamped_before = invoice.updated_at
    invoice.notes = "pending, flushed later"  # another attribute's change stays pending
    update_persistent(session, invoice, {"number": "INV-7", "amount_paid": Decimal("2.5")})
    assert (invoice.number, invoice.amount_paid) == ("INV-7", Decimal("2.5"))
    assert invoice.updated_at is not None and invoice.updated_at >= stamped_before
    state = sa_inspect(invoice)
    assert not state.attrs.number.history.has_changes()
    assert state.attrs.notes.history.has_changes()  # untouched by the helper
    row = session.execute(select(Invoice.number, Invoice.amount_paid, Invoice.notes)
                          .where(Invoice.id == invoice.id)).one()  # autoflush: notes too
    assert tuple(row) == ("INV-7", Decimal("2.5"), "pending, flushed later")
    assert not session.dirty
