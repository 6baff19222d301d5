"""A cross-process generation counter that says "some API credential, role or IP ban changed".

Each worker process may cache verified API credentials (see
:mod:`bridge.services.credential_cache`). The cache is only safe if a change made anywhere
(another gunicorn worker, the CLI, a scheduler run, a test's session) reaches every worker
before its next call. The signal is an 8-byte value in a small file mapped into memory
(``mmap``) by every process using the same database from the same instance folder: reading it
costs about a microsecond, so it is read on every request; a change writes a new random value
(no lock needed: a reader that sees any value other than the one its cache was filled under
drops the cache, so even a torn read only costs a refill).

Every engine of a :class:`~bridge.db.Database` is watched: a statement that writes to
``api_credentials`` (other than the usage stamp), ``api_roles``, ``api_credential_roles`` or
``banned_ips`` bumps the value at once (before the commit) and again after the commit (when
the connection starts its next transaction or goes back to the pool). The second bump is the
one that matters: a reader that filled its cache between the first bump and the commit read
the old rows and must drop them again. Changes made behind the app's back (SQL typed into a
database console, another host) are not seen: use ``api.credential_cache = false`` there.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

SIZE = 8
# tables whose rows decide whether an API credential is accepted
_WATCHED = ("api_credential", "api_role", "banned_ip")
# the usage stamp is written by the credential check itself once a minute per IP; it does
# not change who may call, so it must not empty every worker's cache
_STAMP_ONLY = re.compile(
    r"^\s*update\s+[`\"]?api_credentials[`\"]?\s+set\s+"
    r"((?:[`\"]?last_used_(?:at|ip)[`\"]?\s*=\s*(?:\?|%\(\w+\)s|%s|:\w+)\s*,?\s*)+)where\s",
    re.IGNORECASE)


def generation_path(instance_path: str | Path, database_url: str,
                    name: str = "api-credential") -> Path:
    """The counter file ``name`` of ``database_url`` in the instance folder (one per database,
    so apps of one instance on different databases never share a counter)."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        database = os.path.realpath(database)
    key = f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{database}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return Path(instance_path) / f"{name}-generation-{digest}"


class Generation:
    """The mapped counter file; :meth:`read` is cheap enough for every request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: never map a file a symlink planted in the instance folder points to
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            if os.fstat(fd).st_size < SIZE:
                os.ftruncate(fd, SIZE)  # zero-filled; a racing process truncates to the same
            self._map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)

    def read(self) -> bytes:
        """The current value (compare with ``==``; the value itself means nothing)."""
        return self._map[:SIZE]

    def bump(self) -> None:
        """Announce a change to every process mapping the same file."""
        self._map[:SIZE] = os.urandom(SIZE)

    def close(self) -> None:
        """Unmap the file."""
        self._map.close()


def writes_access_rows(statement: str) -> bool:
    """Whether ``statement`` may change who can call the API (see the module docstring)."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" or head == "PRAGMA":
        return False
    lowered = statement.lower()
    if not any(name in lowered for name in _WATCHED):
        return False
    return _STAMP_ONLY.match(statement) is None


# how many statement texts watch_writes remembers before starting again
_KNOWN_STATEMENTS = 4096

# connection.info key: the Generation objects bumped by writes of the connection's open
# transaction, bumped again when it ends (one set per connection, shared by every watcher of
# the engine; bridge.services.reference_cache reads it to see what a transaction wrote)
PENDING_KEY = "bridge.generations_pending"


class _WriteWatchers:
    """Every write watcher of one engine, behind one listener per event.

    Three caches watch the same engine (credentials, counts, reference tables); each with
    listeners of its own, every statement paid three event calls and every transaction six
    more. Here the engine calls one listener, which bumps what any watcher names."""

    def __init__(self, engine: Engine) -> None:
        self.watchers: list[Callable[[str], Iterable[Generation]]] = []
        # what each statement text touches, worked out once: the same few statements run on
        # every request, and matching every watched table's pattern against each one cost
        # more than a dict lookup (the text alone decides the answer)
        self.known: dict[str, tuple[Generation, ...]] = {}
        event.listen(engine, "before_cursor_execute", self.before_cursor_execute)
        event.listen(engine, "begin", self.on_begin)
        event.listen(engine.pool, "checkin", self.checkin)

    def add(self, touched: Callable[[str], Iterable[Generation]]) -> None:
        self.watchers.append(touched)
        self.known.clear()  # answers worked out without the new watcher

    def touched(self, statement: str) -> tuple[Generation, ...]:
        found = self.known.get(statement)
        if found is None:
            if statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
                found = ()
            else:
                found = tuple(dict.fromkeys(generation for watcher in self.watchers
                                            for generation in watcher(statement)))
            if len(self.known) >= _KNOWN_STATEMENTS:  # texts with literals inlined never repeat
                self.known.clear()
            self.known[statement] = found
        return found

    def before_cursor_execute(self, conn: Any, _cursor: Any, statement: str, _params: Any,
                              _context: Any, _many: bool) -> None:
        found = self.touched(statement)
        if found:
            pending = conn.info.setdefault(PENDING_KEY, set())
            for generation in found:
                generation.bump()
                pending.add(generation)

    @staticmethod
    def settle(info: Any) -> None:
        for generation in info.pop(PENDING_KEY, ()):
            generation.bump()

    def on_begin(self, conn: Any) -> None:
        self.settle(conn.info)

    def checkin(self, _dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            self.settle(record.info)


# one _WriteWatchers per engine (kept as long as the engine lives)
_ENGINE_WATCHERS: weakref.WeakKeyDictionary[Engine, _WriteWatchers] = \
    weakref.WeakKeyDictionary()


def watch_writes(engine: Engine, touched: Callable[[str], Iterable[Generation]]) -> None:
    """Bump the generations ``touched(statement)`` names for every write statement run on
    ``engine``: at once (before the commit: readers from now on refill after it) and again
    when that connection's transaction has ended (its next ``BEGIN`` or its return to the
    pool, i.e. right after the commit). The second bump is the one that matters: a reader that
    filled its cache between the first bump and the commit read the old rows."""
    watchers = _ENGINE_WATCHERS.get(engine)
    if watchers is None:
        watchers = _ENGINE_WATCHERS[engine] = _WriteWatchers(engine)
    watchers.add(touched)


def watch_engine(engine: Engine, generation: Generation) -> None:
    """Bump ``generation`` around every committed write to the access tables on ``engine``."""
    watch_writes(engine, lambda statement: (generation,) if writes_access_rows(statement)
                 else ())


def _table_pattern(name: str) -> re.Pattern[str]:
    # the table as a whole word: "clients" but not "user_clients" or "clients_x"
    return re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])", re.IGNORECASE)


def watch_tables(engine: Engine, generations: dict[str, Generation]) -> None:
    """Bump ``generations[table]`` around every committed write naming ``table`` on
    ``engine`` (the same two bumps as :func:`watch_engine`)."""
    patterns = [(_table_pattern(table), generation) for table, generation in generations.items()]
    watch_writes(engine, lambda statement: [generation for pattern, generation in patterns
                                            if pattern.search(statement)])
