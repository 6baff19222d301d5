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

from .table_cache import TableCache

COUNTED_TABLES = ("clients", "invoices")
MAX_ENTRIES = 4096  # per table; emptied when full


class CountCache(TableCache):
    """One worker's cached row counts (and page marks) of the tables in ``generations``."""

    INFO_KEY = "bridge.count_cache"

    def __init__(self, generations: Mapping[str, Generation]) -> None:
        super().__init__(generations, MAX_ENTRIES)


def frozen(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Statement parameters as a hashable key (lists as tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def cached_count(session: Session, conn: Connection, table: str, shape: Hashable,
                 statement: Executable, params: Mapping[str, Any]) -> int:
    """``statement`` (a ``count(*)`` over ``table`` only) run with ``params``, answered from
    the worker's cache while ``table`` is unchanged. ``shape`` names the statement (the same
    shape must always mean the same SQL: it is the cache key with the parameters)."""
    attached = CountCache.in_session(session, table)
    if attached is None:
        return int(conn.execute(statement, dict(params)).scalar() or 0)
    cache, at_begin = attached
    key = (shape, frozen(params))
    found = cache.get(table, key)
    if found is not None:
        return int(found)
    count = int(conn.execute(statement, dict(params)).scalar() or 0)
    cache.put(table, key, count, at_begin)
    return count
