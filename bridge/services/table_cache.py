"""Per-worker values kept under the shared change counter of the table they were read from.

The storage under the row count cache (:mod:`bridge.services.count_cache`) and the reference
cache (:mod:`bridge.services.reference_cache`): each table has a counter
(:func:`bridge.security.generation.watch_tables`) that every write naming it bumps; a value
is stored with the counter's value at the beginning of the transaction that read it, only if
the counter has not moved since, and is used only while the counter still holds that value.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bridge.security.generation import Generation

C = TypeVar("C", bound="TableCache")


class TableCache:
    """One worker's values of the tables in ``generations`` (at most ``max_entries`` a
    table; a full table's values start over). A subclass names the ``session.info`` key it
    is attached under (``INFO_KEY``) and the one of its counters' snapshot."""

    INFO_KEY = "bridge.table_cache"

    def __init__(self, generations: Mapping[str, Generation], max_entries: int) -> None:
        self.generations = dict(generations)
        self.max_entries = max_entries
        self._entries: dict[str, dict[Hashable, tuple[bytes, Any]]] = {
            table: {} for table in self.generations}

    def snapshot(self) -> dict[str, bytes]:
        """Every table's counter now (read when a transaction begins)."""
        return {table: gen.read() for table, gen in self.generations.items()}

    def attach(self, session: Session) -> None:
        """Make this cache the one ``session``'s transaction uses, with the counters as they
        are now (call before the transaction's first statement: the snapshot rule)."""
        session.info[self.INFO_KEY] = (self, self.snapshot())

    @classmethod
    def in_session(cls: type[C], session: Session, table: str) -> tuple[C, bytes] | None:
        """The cache attached to ``session`` and ``table``'s counter when its transaction
        began; None when there is none (cache off) or it does not watch ``table``."""
        attached = session.info.get(cls.INFO_KEY)
        if attached is None or not isinstance(attached[0], cls) or table not in attached[1]:
            return None
        return attached[0], attached[1][table]

    def unchanged_since(self, table: str, at_begin: bytes) -> bool:
        """Whether ``table``'s counter still holds ``at_begin``."""
        return self.generations[table].read() == at_begin

    def get(self, table: str, key: Hashable, missing: Any = None) -> Any:
        """The value kept for ``key``, or ``missing`` when there is none or the table
        changed since it was kept."""
        entry = self._entries[table].get(key)
        if entry is None:
            return missing
        if entry[0] != self.generations[table].read():
            self._entries[table].clear()  # the table changed: every value of it may be off
            return missing
        return entry[1]

    def put(self, table: str, key: Hashable, value: Any, at_begin: bytes) -> None:
        """Keep ``value`` if the table has not changed since the reading transaction began
        (``at_begin``: its counter then)."""
        if not self.unchanged_since(table, at_begin):
            return
        entries = self._entries[table]
        if len(entries) >= self.max_entries:
            entries.clear()
        entries[key] = (at_begin, value)

    def clear(self) -> None:
        """Forget every value."""
        for entries in self._entries.values():
            entries.clear()
