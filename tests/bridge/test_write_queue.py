"""The SQLite writers' queue: a writer in another process waits in the kernel and gets in the
moment the holder lets go; a thread may nest write transactions without deadlocking on it;
the wait is bounded (then the writer goes on and SQLite's busy handler waits, as before);
writers that do not use it still commit; it is SQLite only and off unless switched on."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bridge import create_app
from bridge.db import Database
from bridge.write_queue import WriteQueue

# a separate process that takes the queue, says so, holds it for a moment, says when it lets
# go and lets go
HOLDER = """
import sys, time
from pathlib import Path
from bridge.write_queue import WriteQueue
queue = WriteQueue(Path(sys.argv[1]), 5)
assert queue.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
print(time.monotonic(), flush=True)
queue.release()
time.sleep(0.5)
"""


def _holder(path: Path, hold: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(hold)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_writer_waits_for_another_process_and_gets_in_when_it_lets_go(
        tmp_path: Path) -> None:
    path = tmp_path / "queue"
    proc = _holder(path, 0.4)
    queue = WriteQueue(path, 5)
    try:
        began = time.monotonic()
        assert queue.acquire()
        got = time.monotonic()
        assert proc.stdout is not None
        released = float(proc.stdout.readline())
        assert got - began >= 0.3  # it did wait for the other process
        assert got >= released  # and got in only after the holder let go
        assert got - released < 0.2  # woken by the release, not by a poll interval
        assert queue.held()
        queue.release()
        assert not queue.held()
    finally:
        proc.wait(timeout=10)


def test_reentrant_in_a_thread_exclusive_across_threads(tmp_path: Path) -> None:
    queue = WriteQueue(tmp_path / "queue", 0.3)
    assert queue.acquire()
    assert queue.acquire()  # the same thread again: no deadlock
    results: list[bool] = []
    other = threading.Thread(target=lambda: results.append(queue.acquire()))
    other.start()
    other.join(timeout=5)
    assert results == [False]  # another thread (its own open file) had to wait: timed out
    queue.release()
    assert queue.held()  # the outer hold remains
    queue.release()
    assert not queue.held()
    again = threading.Thread(target=lambda: results.append(queue.acquire()))
    again.start()
    again.join(timeout=5)
    assert results == [False, True]


def test_the_wait_is_bounded_and_an_abandoned_wait_lets_the_next_one_in(
        tmp_path: Path) -> None:
    path = tmp_path / "queue"
    proc = _holder(path, 0.8)
    queue = WriteQueue(path, 0.2)
    try:
        began = time.monotonic()
        assert queue.acquire() is False  # gave up: the caller goes on unqueued
        assert 0.15 <= time.monotonic() - began < 0.6
        assert not queue.held()
    finally:
        proc.wait(timeout=10)
    # the helper that kept waiting took the lock after the holder and let it go again
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if queue.acquire():
            break
    assert queue.held()
    queue.release()


def _counter_db(path: Path, queue: WriteQueue | None) -> Database:
    database = Database(f"sqlite:///{path}", write_queue=queue)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, "
                             "n INTEGER)")
        conn.exec_driver_sql("INSERT OR IGNORE INTO counter VALUES (1, 0)")
    return database


def test_nested_write_transactions_and_writers_without_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "writers.db"
    queued = _counter_db(path, WriteQueue(tmp_path / "queue", 5))
    plain = _counter_db(path, None)  # a process that does not use the queue (a console, CLI)
    bump = text("UPDATE counter SET n = n + 1 WHERE id = 1")
    errors: list[BaseException] = []

    def writer(database: Database) -> None:
        try:
            for _ in range(10):
                with database.transaction() as session:
                    session.execute(bump)
                    time.sleep(0.005)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    try:
        # a write transaction opened inside another one's block in the same thread (before
        # the outer one ran a statement) passes the queue it already holds
        with queued.transaction() as outer:
            assert queued.write_queue is not None and queued.write_queue.held()
            with queued.transaction() as inner:
                inner.execute(bump)
            outer.execute(bump)
        assert not queued.write_queue.held()
        threads = [threading.Thread(target=writer, args=(db,))
                   for db in (queued, queued, plain)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with plain.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 32
    finally:
        queued.dispose()
        plain.dispose()


def test_sqlite_only_and_the_switch_turns_it_on(app_config: dict[str, Any],
                                                tmp_path: Path) -> None:
    on = create_app({**app_config, "api": {"sqlite_write_queue": True}})
    off = create_app(app_config)  # off by default
    try:
        assert isinstance(on.extensions["bridge"].db.write_queue, WriteQueue)
        assert off.extensions["bridge"].db.write_queue is None
    finally:
        on.extensions["bridge"].db.dispose()
        off.extensions["bridge"].db.dispose()
    mariadb = Database("mysql+pymysql://user:pw@127.0.0.1:1/none",
                       write_queue=WriteQueue(tmp_path / "queue", 1))
    assert mariadb.write_queue is None  # no engine connection is made to find that out
