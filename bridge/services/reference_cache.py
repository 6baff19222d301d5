"""Settings, currencies and tax rules cached per worker, dropped when their table changes.

Writes read these rows inside their write transaction (on SQLite, while holding the database's
one write lock): a payment reads its currency's places, a new client the default currency and
a setting, a new invoice three settings, the tax rules and the places. They rarely change. A
worker keeps each value it read, keyed by what was asked, under the value of its table's
shared change counter (:func:`bridge.security.generation.watch_tables`: every write naming
the table bumps it, at the statement and again after its transaction ends); an entry is used
only while the counter still holds that value.

Two rules keep it exact:
- The snapshot rule of :mod:`bridge.services.count_cache`: the counters are read when a
  request's transaction begins, and a value is kept only when its table's counter has not
  moved since then, so a value read from an older snapshot is never stored under a newer one.
- A transaction sees its own uncommitted writes: a session whose connection has written the
  table in the open transaction, or that holds unflushed changes of its rows, reads the
  database (and keeps nothing).

Writes behind hostbridge's back (SQL typed into a console, another host) are not seen:
``api.reference_cache = false`` turns the cache off.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bridge.models import Currency, Setting, TaxRule
from bridge.security.generation import PENDING_KEY, Generation

from .table_cache import TableCache

REFERENCE_TABLES = ("settings", "currencies", "tax_rules")
_MODELS: dict[str, type[Any]] = {"settings": Setting, "currencies": Currency,
                                  "tax_rules": TaxRule}
MAX_ENTRIES = 1024  # per table; emptied when full
_ABSENT = object()
T = TypeVar("T")


class ReferenceCache(TableCache):
    """One worker's cached reads of the tables in ``generations``."""

    INFO_KEY = "bridge.reference_cache"

    def __init__(self, generations: Mapping[str, Generation]) -> None:
        super().__init__(generations, MAX_ENTRIES)


def _own_writes(session: Session, cache: ReferenceCache, table: str) -> bool:
    """Whether ``session``'s open transaction changed ``table`` (or is about to: unflushed
    changes of its rows), so only the database has the value this transaction must see."""
    model = _MODELS[table]
    if any(isinstance(obj, model) for obj in chain(session.new, session.dirty,
                                                   session.deleted)):
        return True
    if session.get_transaction() is None:
        return False
    pending = session.connection().info.get(PENDING_KEY)
    return isinstance(pending, set) and cache.generations[table] in pending


def cached_read(session: Session, table: str, key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` (a read of ``table`` only, answering the question ``key`` names), answered
    from the worker's cache while ``table`` is unchanged and this transaction has not
    written it. ``key`` must always mean the same question (it is the cache key)."""
    attached = ReferenceCache.in_session(session, table)
    if attached is None or _own_writes(session, attached[0], table):
        return load()
    cache, at_begin = attached
    found = cache.get(table, key, _ABSENT)
    if found is not _ABSENT:
        value: T = found
        return value
    value = load()
    if not _own_writes(session, cache, table):
        cache.put(table, key, value, at_begin)
    return value
