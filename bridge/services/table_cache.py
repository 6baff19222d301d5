"""Per-worker values kept under the shared change counter of the table they were read from.

The storage under the row count cache (:mod:`bridge.services.count_cache`) and the reference
cache (:mod:`bridge.services.reference_cache`): each table has a counter
(:func:`bridge.security.generation.watch_tables`) that every write naming it bumps; a value
is stored with the counter's value at the beginning of the transaction that read it, only if
the counter has not moved since, and is used only while the counter still holds that value.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from bridge.security.generation import Generation


class TableCache:
    """One worker's values of the tables in ``generations`` (at most ``max_entries`` a
    table; a full table's values start over)."""

    def __init__(self, generations: Mapping[str, Generation], max_entries: int) -> None:
        self.generations = dict(generations)
        self.max_entries = max_entries
        self._entries: dict[str, dict[Hashable, tuple[bytes, Any]]] = {
            table: {} for table in self.generations}

    def snapshot(self) -> dict[str, bytes]:
        """Every table's counter now (read when a transaction begins)."""
        return {table: gen.read() for table, gen in self.generations.items()}

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
        if at_begin != self.generations[table].read():
            return
        entries = self._entries[table]
        if len(entries) >= self.max_entries:
            entries.clear()
        entries[key] = (at_begin, value)

    def clear(self) -> None:
        """Forget every value."""
        for entries in self._entries.values():
            entries.clear()
