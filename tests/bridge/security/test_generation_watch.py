"""The write watchers behind the credential, count and reference caches: every write naming
a watched table bumps its counter, every time, however often the same statement runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from bridge.security import generation as generation_mod
from bridge.security.generation import Generation, watch_engine, watch_tables


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        for table in ("clients", "user_clients", "api_credentials"):
            conn.exec_driver_sql(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, "
                                 "last_used_at TEXT, name TEXT)")
    return engine


def test_the_same_write_bumps_every_time_and_reads_never(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    clients = Generation(tmp_path / "clients-gen")
    watch_tables(engine, {"clients": clients})
    for round_ in range(3):
        before = clients.read()
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO clients (name) VALUES (?)", (f"c{round_}",))
        assert clients.read() != before, round_
    before = clients.read()
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT * FROM clients").fetchall()
        conn.exec_driver_sql("INSERT INTO user_clients (name) VALUES ('x')")  # not "clients"
    assert clients.read() == before
    engine.dispose()


def test_the_credential_watch_tells_a_usage_stamp_from_a_change(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    access = Generation(tmp_path / "access-gen")
    watch_engine(engine, access)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO api_credentials (name) VALUES ('k')")
    for _ in range(2):
        before = access.read()
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE api_credentials SET last_used_at = ? WHERE id = 1",
                                 ("now",))
        assert access.read() == before
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE api_credentials SET name = ? WHERE id = 1", ("k2",))
        assert access.read() != before
    engine.dispose()


def test_the_remembered_statements_are_bounded(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(generation_mod, "_KNOWN_STATEMENTS", 2)
    engine = _engine(tmp_path)
    clients = Generation(tmp_path / "clients-gen")
    watch_tables(engine, {"clients": clients})
    for n in range(5):  # literal texts, each new: the memo starts again, answers stay right
        before = clients.read()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO clients (name) VALUES ('literal {n}')")
        assert clients.read() != before
    engine.dispose()


def test_several_watchers_of_one_engine_share_one_listener(tmp_path: Path) -> None:
    """Each watcher bumps its own counters; the engine calls one listener per event however
    many watch it, and a watcher added after a statement ran is asked about it again."""
    from sqlalchemy import event

    engine = _engine(tmp_path)
    clients = Generation(tmp_path / "clients-gen")
    access = Generation(tmp_path / "access-gen")
    watch_tables(engine, {"clients": clients})
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO api_credentials (name) VALUES ('k')")
    watch_engine(engine, access)  # after that statement was worked out once
    calls: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: calls.append(a[2]))
    listeners = len(engine.dispatch.before_cursor_execute)
    assert listeners == 2  # the watchers' one, and this test's
    before = (clients.read(), access.read())
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO api_credentials (name) VALUES ('k')")
    assert clients.read() == before[0] and access.read() != before[1]
    before = (clients.read(), access.read())
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO clients (name) VALUES ('c')")
    assert clients.read() != before[0] and access.read() == before[1]
    assert len(calls) == 2
    engine.dispose()
