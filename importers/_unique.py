"""Values a core unique constraint would refuse (a promotion code used twice, a second value of
one custom field for the same entity, a ticket number already taken): found before the INSERT so
the offending source row is quarantined with a reason instead of failing its whole batch.

The unique column sets come from the SQLAlchemy metadata (``UniqueConstraint`` and unique
indexes), so a constraint added to the core is checked without touching the importers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Table, UniqueConstraint, select, tuple_

from importers._writer import core_table
from importers.base import Emit, Row

Key = tuple[Any, ...]


class UniqueCheck:
    """Per batch: which source rows (by index) map to values a unique constraint refuses."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # MariaDB's default collations compare text case-insensitively and ignore trailing
        # spaces, so "SAVE10" and "save10 " collide there (not on SQLite): compare as it does
        self.fold = conn.dialect.name in ("mysql", "mariadb")
        self._sets: dict[str, list[tuple[str, ...]]] = {}

    def unique_sets(self, name: str) -> list[tuple[str, ...]]:
        """The unique column sets of core table ``name`` besides its ``id`` primary key."""
        if name not in self._sets:
            table = core_table(name)
            found: list[tuple[str, ...]] = []
            if "id" in table.c:  # link tables are matched on their primary key by the writer
                for constraint in table.constraints:
                    if isinstance(constraint, UniqueConstraint):
                        found.append(tuple(c.name for c in constraint.columns))
                for index in table.indexes:
                    if index.unique:
                        found.append(tuple(c.name for c in index.columns))
            self._sets[name] = list(dict.fromkeys(found))
        return self._sets[name]

    def conflicts(self, groups: list[list[Emit]]) -> dict[int, str]:
        """``index in groups -> reason`` for every group (the emits of one source row) holding
        a value that is already used by another core row, or by an earlier row of this batch
        (the first one keeps it).  Rows whose ids are not allocated yet cannot be checked:
        call this after :meth:`BatchWriter.allocate`."""
        by_table: dict[str, list[tuple[int, Row]]] = defaultdict(list)
        for index, emits in enumerate(groups):
            for emit in emits:
                by_table[emit.table].append((index, emit.row))
        bad: dict[int, str] = {}
        for name, items in by_table.items():
            for columns in self.unique_sets(name):
                keyed = []
                for index, row in items:
                    if index in bad or any(c not in row for c in columns):
                        continue
                    key = tuple(row[c] for c in columns)
                    if None not in key:  # NULLs never collide in a unique constraint
                        keyed.append((index, row, key))
                if not keyed:
                    continue
                taken = self._taken(core_table(name), columns, [k for _, _, k in keyed])
                for index, row, key in keyed:
                    norm = self._norm(key)
                    holder = taken.get(norm)
                    if holder is not None and holder != row.get("id"):
                        shown = key[0] if len(key) == 1 else key
                        bad[index] = (f"{name}.{'+'.join(columns)} {shown!r} is already used by "
                                      f"{name} id {holder} (the core allows it once)")
                        continue
                    taken[norm] = row.get("id")
        return bad

    def _norm(self, key: Key) -> Key:
        if not self.fold:
            return key
        return tuple(v.rstrip(" ").casefold() if isinstance(v, str) else v for v in key)

    def _taken(self, table: Table, columns: tuple[str, ...], keys: list[Key]) -> dict[Key, Any]:
        """Existing core rows holding any of ``keys``: normalised key -> their id."""
        cols = [table.c[c] for c in columns]
        wanted = list(dict.fromkeys(keys))
        taken: dict[Key, Any] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            where = (cols[0].in_([k[0] for k in chunk]) if len(cols) == 1
                     else tuple_(*cols).in_(chunk))
            for found in self.conn.execute(select(table.c.id, *cols).where(where)):
                taken[self._norm(tuple(found)[1:])] = found.id
        return taken
