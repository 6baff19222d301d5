"""SQLite write transactions begin IMMEDIATE, so two concurrent writers both succeed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from bridge.db import Database


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    with database.engine.connect() as conn:  # outside a transaction: no BEGIN emitted yet
        conn.connection.dbapi_connection.execute("PRAGMA journal_mode=WAL")  # as production
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (1, 0)")
    return database


def _read_then_write(database: Database, write: bool, pause: threading.Barrier | float,
                     errors: list[BaseException]) -> None:
    """Read the counter, wait, then write it back plus one: the lock upgrade that fails
    in a deferred transaction once another connection has written."""
    try:
        with database.transaction(write=write) as session:
            n = session.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
            if isinstance(pause, threading.Barrier):
                pause.wait(timeout=10)
            else:
                time.sleep(pause)
            session.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
    except BaseException as exc:  # noqa: BLE001 - collected for the assertion
        errors.append(exc)


def _run(database: Database, write: bool, pause: threading.Barrier | float) -> list[BaseException]:
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_read_then_write, args=(database, write, pause, errors))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_concurrent_writers_both_commit(tmp_path: Path) -> None:
    database = _database(tmp_path)
    try:
        errors = _run(database, True, 0.2)
        assert errors == []
        with database.engine.connect() as conn:
            # serialized, not lost: each writer saw the other's committed value
            assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 2
    finally:
        database.dispose()


def test_deferred_read_then_write_is_what_fails(tmp_path: Path) -> None:
    """The failure IMMEDIATE prevents: both read (barrier), then both try to write."""
    database = _database(tmp_path)
    try:
        errors = _run(database, False, threading.Barrier(2))
        assert len(errors) == 1
        assert isinstance(errors[0], sa_exc.OperationalError)
        assert "locked" in str(errors[0])
    finally:
        database.dispose()


def test_read_transactions_do_not_take_the_write_lock(tmp_path: Path) -> None:
    database = _database(tmp_path)
    try:
        with database.transaction(write=False) as reader, \
                database.transaction(write=True) as writer:
            assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 0
            writer.execute(text("UPDATE counter SET n = 5"))
            # a second reader is not queued behind the open writer either
            with database.transaction(write=False) as other:
                assert other.execute(text("SELECT n FROM counter")).scalar_one() == 0
    finally:
        database.dispose()


@pytest.mark.parametrize("write", [True, False])
def test_begin_mode_follows_the_flag(tmp_path: Path, write: bool) -> None:
    database = _database(tmp_path)
    seen: list[str] = []
    from sqlalchemy import event

    @event.listens_for(database.engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    try:
        with database.transaction(write=write) as session:
            session.execute(text("SELECT 1"))
        assert seen[0] == ("BEGIN IMMEDIATE" if write else "BEGIN")
    finally:
        database.dispose()


def _hold_write_lock(database: Database, seconds: float, holding: threading.Event,
                     released: list[float] | None = None) -> None:
    with database.transaction(write=True) as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        holding.set()
        time.sleep(seconds)
    if released is not None:
        released.append(time.monotonic())


def test_a_waiting_writer_polls_for_the_lock_and_gets_it_after_the_holder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our wait retries BEGIN IMMEDIATE after 0.1-0.25 ms pauses (SQLite's busy handler slept
    up to 25 ms between tries, inside one statement), gets in soon after the holder commits,
    and busy_timeout is back in force after it."""
    import bridge.db as db_mod

    database = _database(tmp_path)
    pauses: list[float] = []
    real_pause = db_mod._pause

    def counted(seconds: float) -> None:
        pauses.append(seconds)
        real_pause(seconds)

    monkeypatch.setattr(db_mod, "_pause", counted)
    holding, released = threading.Event(), []
    holder = threading.Thread(target=_hold_write_lock,
                              args=(database, 0.08, holding, released))
    holder.start()
    try:
        assert holding.wait(10)
        with database.transaction(write=True) as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            got_it = time.monotonic()
            busy = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        holder.join(10)
        assert busy == 30000
        # polled in short steps (none at all would mean SQLite's handler did the waiting)
        assert len(pauses) >= 10 and max(pauses) <= db_mod._SHORT_PAUSES_S
        assert released and got_it >= released[0] - 0.005  # it did wait for the holder
        assert got_it - released[0] < 0.05  # and went in soon after the commit
        with database.transaction(write=False) as session:
            assert session.execute(text("SELECT n FROM counter")).scalar_one() == 2
    finally:
        holder.join(10)
        database.dispose()


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import bridge.db as db_mod

    monkeypatch.setattr(db_mod, "SQLITE_BUSY_TIMEOUT_MS", 150)
    database = _database(tmp_path)
    holding = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(database, 0.6, holding))
    holder.start()
    try:
        assert holding.wait(10)
        began = time.monotonic()
        with pytest.raises(sa_exc.OperationalError, match="database is locked"):
            with database.transaction(write=True) as session:
                session.execute(text("UPDATE counter SET n = n + 1"))
        assert 0.15 <= time.monotonic() - began < 0.55  # gave up at the timeout, not later
    finally:
        holder.join(10)
        database.dispose()
