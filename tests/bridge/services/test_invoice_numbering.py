"""Sequential invoice numbers: one counter row, locked, so concurrent invoices never share one."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bridge.context import Actor, bind_dispatcher, set_actor
from bridge.models import Invoice, Setting
from bridge.plugins import PluginHost
from bridge.security import SecretBox
from bridge.services.invoices import create_invoice
from bridge.services.settings import seed_counters, set_setting
from bridge.testing import ensure_currency, make_client

ITEM = [{"description": "Hosting", "unit_amount": Decimal("5.00")}]


def _sequential(session: Session, start: int) -> None:
    set_setting(session, "invoice.sequential", "1")
    set_setting(session, "invoice.next_number", str(start))
    set_setting(session, "invoice.number_format", "INV-{NUMBER}")


def test_numbers_follow_the_counter(db):
    ensure_currency(db)
    client = make_client(db)
    _sequential(db, 41)
    numbers = [create_invoice(db, client.id, ITEM).number for _ in range(3)]
    assert numbers == ["INV-41", "INV-42", "INV-43"]
    counter = db.scalar(select(Setting.value).where(Setting.key == "invoice.next_number"))
    assert counter == "44"


def test_seed_counters_is_idempotent(db):
    first = seed_counters(db)
    db.flush()
    assert seed_counters(db) == 0
    rows = db.scalars(select(Setting).where(Setting.key == "invoice.next_number")).all()
    assert len(rows) == 1 and first in (0, 1)


def _session(engine) -> Session:
    session = Session(engine, expire_on_commit=False)
    session.info["bridge.secrets"] = SecretBox("numbering-test-secret-0123456789abcdef")
    host = PluginHost(bundled=(), entry_points=False)
    session.info["bridge.plugins"] = host
    bind_dispatcher(session, host.dispatch)
    set_actor(session, Actor(kind="admin", id=None, name="test", source="test"))
    return session


@pytest.mark.mysql
def test_concurrent_invoices_get_distinct_numbers_on_mariadb(mysql_db):
    ensure_currency(mysql_db)
    client_id = make_client(mysql_db).id
    _sequential(mysql_db, 1000)
    mysql_db.commit()
    engine = mysql_db.get_bind()
    workers, per_worker = 4, 5
    barrier, errors = threading.Barrier(workers), []

    def work() -> None:
        with _session(engine) as session:
            barrier.wait()
            try:
                for _ in range(per_worker):
                    create_invoice(session, client_id, ITEM)
                    session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    mysql_db.expire_all()
    numbers = mysql_db.scalars(select(Invoice.number)).all()
    expected = {f"INV-{n}" for n in range(1000, 1000 + workers * per_worker)}
    assert len(numbers) == workers * per_worker and set(numbers) == expected


def _invoice_writes(session: Session) -> tuple[list[str], object]:
    """Statements that write the invoices table, and the listener collecting them."""
    seen: list[str] = []

    def collect(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        head = statement.lstrip().upper()
        if head.startswith(("INSERT INTO INVOICES ", "UPDATE INVOICES ")):
            seen.append(head.split(" (")[0])
    return seen, collect


def _created_numbered_by_id(session: Session) -> tuple[Invoice, list[str]]:
    ensure_currency(session)
    client = make_client(session)
    seen, collect = _invoice_writes(session)
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", collect)
    try:
        invoice = create_invoice(session, client.id, ITEM)
    finally:
        event.remove(engine, "before_cursor_execute", collect)
    return invoice, seen


def test_a_number_by_id_goes_in_with_the_insert_on_sqlite(db):
    """SQLite names the next id in the INSERT, so the number by id needs no UPDATE; the id is
    the one SQLite would have given (one above the largest, even after the largest went)."""
    ensure_currency(db)
    client = make_client(db)
    first = create_invoice(db, client.id, ITEM)
    gone = create_invoice(db, client.id, ITEM, status="draft")
    db.delete(gone)
    db.flush()
    invoice, seen = _created_numbered_by_id(db)
    assert seen == ["INSERT INTO INVOICES"]
    assert invoice.id == first.id + 1 and invoice.number == str(invoice.id)
    assert db.scalar(select(Invoice.number).where(Invoice.id == invoice.id)) == str(invoice.id)
    assert not db.dirty and not db.new


@pytest.mark.mysql
def test_a_number_by_id_is_written_after_the_insert_on_mariadb(mysql_db):
    invoice, seen = _created_numbered_by_id(mysql_db)
    assert len(seen) == 2 and seen[0] == "INSERT INTO INVOICES"
    assert seen[1].startswith("UPDATE INVOICES SET NUMBER")
    assert invoice.number == str(invoice.id)
    assert mysql_db.scalar(select(Invoice.number).where(Invoice.id == invoice.id)) == \
        str(invoice.id)
