"""``bridge.db.insert_persistent``: one Core INSERT hands back the row as a clean persistent
object, with the values a SELECT would load (RETURNING), on SQLite and MariaDB, and by a read
back where the database has no RETURNING."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, literal, select
from sqlalchemy import inspect as sa_inspect
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


@pytest.mark.parametrize("same_columns", [True, False])
def test_many_rows_come_back_in_their_order(session: Session, same_columns: bool) -> None:
    """One statement when every row names the same columns, one per row otherwise (a column
    left out takes its default); either way the objects follow the rows' order."""
    from bridge.db import insert_persistent_many

    client_id = _client(session)
    rows = [_values(client_id, f"many-{n}") for n in range(4)]
    if not same_columns:
        rows[2] = {key: value for key, value in rows[2].items() if key != "fees"}
    statements: list[str] = []
    from sqlalchemy import event

    engine = session.get_bind()

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO TRANSACTIONS"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        made = insert_persistent_many(session, Transaction, rows)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [t.gateway_txn_id for t in made] == [f"many-{n}" for n in range(4)]
    assert [t.id for t in made] == sorted(t.id for t in made)
    assert made[2].fees == (Decimal("0.3") if same_columns else Decimal(0))
    # one batch; SQLAlchemy still sends it row by row where the database does not promise
    # RETURNING's order (SQLite, for a batch whose answer must follow its rows)
    dialect = session.connection().dialect.name
    assert len(statements) == (1 if same_columns and dialect != "sqlite" else 4)
    assert not session.dirty and not session.new


# a column the database works out in the INSERT (module level: the statement is kept per tuple)
_COMPUTED_NOTES = (("notes", func.upper(literal("made by the database"))),)


@pytest.mark.parametrize("returning", [True, False])
def test_computed_columns_are_worked_out_by_the_insert(session: Session, returning: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.models import Invoice

    if not returning:
        monkeypatch.setattr(session.connection().dialect, "insert_returning", False)
    client_id = _client(session)
    values = {"client_id": client_id, "currency": "USD", "date": datetime(2026, 11, 1).date(),
              "due_date": datetime(2026, 11, 15).date(), "notes": "overridden"}
    invoice = insert_persistent(session, Invoice, {k: v for k, v in values.items()
                                                   if k != "notes"},
                                computed=_COMPUTED_NOTES)
    assert invoice.notes == "MADE BY THE DATABASE"  # the object holds what the row holds
    assert session.scalar(select(Invoice.notes).where(Invoice.id == invoice.id)) == \
        "MADE BY THE DATABASE"
    plain = insert_persistent(session, Invoice, values)  # no computed columns: its own value
    assert plain.notes == "overridden"
    assert not session.dirty and not session.new
