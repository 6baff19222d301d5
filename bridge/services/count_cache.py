"""Row counts of the API list calls cached per worker, dropped when their table changes.

WHMCS's ``GetClients`` and ``GetInvoices`` answer ``totalresults``: a ``count(*)`` over the
filtered table on every call, the one cost of those calls that grows with the data (20,000 ->
200,000 invoices halved their throughput while every other call stayed within 20%). A worker
keeps each count keyed by its statement and parameters; an entry is used only while the
table's shared generation counter (:func:`bridge.security.generation.watch_tables`: bumped
by every write naming the table, at the statement and after its transaction) still holds
the value the entry was stored under. A count is stored only when the counter has not moved
since the reading transaction began, so a count read from an older snapshot is never kept
under a newer value. Writes behind hostbridge's back (SQL typed into a console, another
host) are not seen: ``api.count_cache = false`` turns the cache off.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.orm import Session

from bridge.security.generation import Generation

# session.info keys set by BridgeState.transaction
COUNT_CACHE_KEY = "bridge.count_cache"
COUNT_GENERATIONS_AT_BEGIN = "bridge.count_generations"
COUNTED_TABLES = ("clients", "invoices")
MAX_ENTRIES = 4096  # per table; emptied when full


class CountCache:
    """One worker's cached row counts of the tables in ``generations``."""

    def __init__(self, generations: Mapping[str, Generation]) -> None:
        self.generations = dict(generations)
        self._entries: dict[str, dict[Any, tuple[bytes, Any]]] = {
            table: {} for table in self.generations}

    def snapshot(self) -> dict[str, bytes]:
        """Every table's generation now (read when a transaction begins)."""
        return {table: gen.read() for table, gen in self.generations.items()}

    def get(self, table: str, key: Any) -> Any:
        """The cached value (a count, or page marks of :mod:`bridge.services.page_seek`), or
        None when absent or the table changed since it was stored."""
        entry = self._entries[table].get(key)
        if entry is None:
            return None
        if entry[0] != self.generations[table].read():
            self._entries[table].clear()  # the table changed: every count of it may be off
            return None
        return entry[1]

    def put(self, table: str, key: Any, value: Any, at_begin: bytes) -> None:
        """Keep ``value`` if the table has not changed since the reading transaction began."""
        if at_begin != self.generations[table].read():
            return
        entries = self._entries[table]
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[key] = (at_begin, value)

    def clear(self) -> None:
        """Forget every count."""
        for entries in self._entries.values():
            entries.clear()


def frozen(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Statement parameters as a hashable key (lists as tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def cached_count(session: Session, conn: Connection, table: str, shape: Hashable,
                 statement: Executable, params: Mapping[str, Any]) -> int:
    """``statement`` (a ``count(*)`` over ``table`` only) run with ``params``, answered from
    the worker's cache while ``table`` is unchanged. ``shape`` names the statement (the same
    shape must always mean the same SQL: it is the cache key with the parameters)."""
    cache = session.info.get(COUNT_CACHE_KEY)
    at_begin = session.info.get(COUNT_GENERATIONS_AT_BEGIN)
    if not isinstance(cache, CountCache) or not isinstance(at_begin, dict) \
            or table not in at_begin:
        return int(conn.execute(statement, dict(params)).scalar() or 0)
    key = (shape, frozen(params))
    found = cache.get(table, key)
    if found is not None:
        return int(found)
    count = int(conn.execute(statement, dict(params)).scalar() or 0)
    cache.put(table, key, count, at_begin[table])
    return count
