"""Batched writes of mapped rows into core tables: bulk INSERT keeping ids, UPDATE of changed
rows, id allocation through the persistent id map, and schema checks that turn a row the core
would refuse (too long, NULL where required) into a quarantine reason instead of a failed batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, Table, and_, bindparam, func, select

import bridge.models  # noqa: F401  (registers every core table on Base.metadata)
from bridge.db import Base, utcnow
from importers._insert import insert_rows
from importers.base import Emit, Row


@dataclass
class WriteCounts:
    """How many core rows a batch inserted, updated or found unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def core_table(name: str) -> Table:
    """The core table called ``name`` (a KeyError names it when it does not exist)."""
    try:
        return Base.metadata.tables[name]
    except KeyError:
        raise KeyError(f"no core table {name!r}") from None


_NONE: frozenset[str] = frozenset()


class SchemaCheck:
    """Per-table column limits, computed once: max text length, NOT NULL without default."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[dict[str, int], set[str], set[str], set[str]]] = {}

    def _limits(self, name: str) -> tuple[dict[str, int], set[str], set[str], set[str]]:
        if name not in self._cache:
            table = core_table(name)
            lengths: dict[str, int] = {}
            not_null: set[str] = set()
            required: set[str] = set()
            for col in table.columns:
                if isinstance(col.type, String) and col.type.length:
                    lengths[col.name] = col.type.length
                if not col.nullable:
                    not_null.add(col.name)
                    if col.default is None and col.server_default is None and not col.primary_key:
                        required.add(col.name)
            self._cache[name] = (lengths, not_null, required, set(table.columns.keys()))
        return self._cache[name]

    def problem(self, name: str, row: Row, resolved: Iterable[str] = ()) -> str | None:
        """Why the core would refuse ``row`` for table ``name``, or None when it fits.

        ``resolved`` columns are filled later by :meth:`BatchWriter.allocate` (an emit's
        ``resolve``): they count as present here and are checked by :meth:`unresolved`."""
        lengths, not_null, required, known = self._limits(name)
        later = set(resolved) if resolved else _NONE
        keys = row.keys()
        # this runs once per emitted row: the set operations on key views run in C, the
        # per-column loops only over the few columns that can fail
        if not keys <= known or not later <= known:
            unknown = (set(keys) | later) - known
            raise KeyError(f"{name}: mapper produced unknown columns {sorted(unknown)}")
        if not required <= keys:
            for column in sorted(required - keys - later):
                return f"{name}.{column} is required but missing"
        if None in row.values():
            for column, value in row.items():  # in row order: the reason is stable
                if value is None and column in not_null and column != "id" \
                        and column not in later:
                    return f"{name}.{column} may not be empty (NULL)"
        for column, limit in lengths.items():  # only the length-limited columns
            value = row.get(column)
            if isinstance(value, str) and len(value) > limit and column not in later:
                return f"{name}.{column} is {len(value)} characters, the core allows {limit}"
        return None

    def unresolved(self, emit: Emit) -> str | None:
        """After allocation: why a required ``resolve`` column of ``emit`` is still empty."""
        not_null = self._limits(emit.table)[1]
        for column, ref in emit.resolve.items():
            if emit.row.get(column) is None and column in not_null:
                return (f"{emit.table}.{column}: {ref[0]} {ref[1]} was not imported "
                        "(quarantined or missing in the source)")
        return None


class BatchWriter:
    """Writes one batch of emitted rows through one connection (the caller commits)."""

    def __init__(self, conn: Connection, source: str,
                 decrypt: Callable[[str], str] | None = None) -> None:
        self.conn = conn
        self.source = source
        # ``*_enc`` columns hold tokens with a fresh nonce each time: compare them decrypted
        self.decrypt = decrypt
        self.id_map = core_table("id_map")

    def allocate(self, emits: list[Emit]) -> None:
        """Give every keyed emit its core id (from the id map, or a new one recorded there)
        and fill ``resolve`` columns; mutates the emitted rows."""
        keyed = [e for e in emits if e.key is not None]
        allocated: dict[tuple[str, str], int] = {}
        by_table: dict[str, set[str]] = defaultdict(set)
        for emit in keyed:
            assert emit.key is not None
            by_table[emit.key[0]].add(emit.key[1])
        for emit in emits:
            for ref in emit.resolve.values():
                by_table[ref[0]].add(ref[1])
        for source_table, source_ids in by_table.items():
            allocated.update(self._known(source_table, sorted(source_ids)))
        next_ids: dict[str, int] = {}
        new_rows: list[dict[str, Any]] = []
        for emit in keyed:
            assert emit.key is not None
            if emit.key not in allocated:
                if emit.table not in next_ids:
                    table = core_table(emit.table)
                    next_ids[emit.table] = (
                        self.conn.scalar(select(func.max(table.c.id))) or 0
                    ) + 1
                allocated[emit.key] = next_ids[emit.table]
                next_ids[emit.table] += 1
                new_rows.append({
                    "source": self.source, "source_table": emit.key[0],
                    "source_id": emit.key[1], "target_table": emit.table,
                    "target_id": allocated[emit.key], "checksum": "", "imported_at": utcnow(),
                })
            emit.row["id"] = allocated[emit.key]
        if new_rows:
            self.conn.execute(self.id_map.insert(), new_rows)
        for emit in emits:
            for column, ref in emit.resolve.items():
                emit.row[column] = allocated.get(ref)

    def _known(self, source_table: str, source_ids: list[str]) -> dict[tuple[str, str], int]:
        m = self.id_map
        found: dict[tuple[str, str], int] = {}
        for start in range(0, len(source_ids), 500):
            chunk = source_ids[start : start + 500]
            rows = self.conn.execute(
                select(m.c.source_id, m.c.target_id).where(
                    and_(m.c.source == self.source, m.c.source_table == source_table,
                         m.c.source_id.in_(chunk))
                )
            )
            for source_id, target_id in rows:
                found[(source_table, source_id)] = target_id
        return found

    def write(self, emits: list[Emit]) -> dict[int, str]:
        """INSERT new rows and UPDATE changed ones, table by table in first-emitted order.

        Returns ``id(row) -> "inserted" | "updated" | "unchanged"`` for every emitted row.
        """
        status: dict[int, str] = {}
        grouped: dict[str, list[Row]] = {}
        for emit in emits:
            grouped.setdefault(emit.table, []).append(emit.row)
        for name, rows in grouped.items():
            table = core_table(name)
            if "id" in table.c:
                self._write_table(table, rows, status)
            else:
                self._write_links(table, rows, status)
        return status

    def _write_links(self, table: Table, rows: list[Row], status: dict[int, str]) -> None:
        """A link table keyed by its primary-key columns (no ``id``): INSERT the pairs not yet
        there, count the others unchanged (a link has nothing else to update).  A pair whose
        referenced row does not exist (a stale id in the source's list, or a quarantined
        parent) is marked ``"skipped"`` rather than failing the batch on the foreign key."""
        keys = [c.name for c in table.primary_key.columns]
        missing = self._dangling(table, rows)
        existing: set[tuple[Any, ...]] = set()
        first = table.c[keys[0]]
        firsts = sorted({row[keys[0]] for row in rows})
        for start in range(0, len(firsts), 500):
            chunk = firsts[start : start + 500]
            stmt = select(*(table.c[k] for k in keys)).where(first.in_(chunk))
            existing.update(tuple(found) for found in self.conn.execute(stmt))
        fresh: list[Row] = []
        for row in rows:
            pair = tuple(row[k] for k in keys)
            if id(row) in missing:
                status[id(row)] = "skipped"
            elif pair in existing:
                status[id(row)] = "unchanged"
            else:
                existing.add(pair)  # the same pair twice in one batch is inserted once
                fresh.append(row)
                status[id(row)] = "inserted"
        if fresh:
            insert_rows(self.conn, table, fresh)

    def _dangling(self, table: Table, rows: list[Row]) -> set[int]:
        """``id(row)`` of rows whose foreign keys point at no existing core row."""
        bad: set[int] = set()
        for fk in table.foreign_keys:
            column, target = fk.parent.name, fk.column
            wanted = sorted({row[column] for row in rows if row.get(column) is not None})
            known: set[Any] = set()
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                known.update(self.conn.scalars(select(target).where(target.in_(chunk))))
            bad.update(id(row) for row in rows
                       if row.get(column) is not None and row[column] not in known)
        return bad

    def _write_table(self, table: Table, rows: list[Row], status: dict[int, str]) -> None:
        columns = sorted({c for row in rows for c in row})
        ids = [row["id"] for row in rows]
        existing: dict[int, Any] = {}
        wanted = [table.c[c] for c in columns]
        # a first import appends above every id already there: one MAX() instead of IN lists
        top = self.conn.scalar(select(func.max(table.c.id)))
        for start in range(0, len(ids) if top is not None and top >= min(ids) else 0, 500):
            chunk = ids[start : start + 500]
            for found in self.conn.execute(select(*wanted).where(table.c.id.in_(chunk))):
                existing[found.id] = found._mapping
        inserts: list[Row] = []  # insert_rows sends each set of keys in its own executemany
        updates: dict[tuple[str, ...], list[Row]] = defaultdict(list)
        for row in rows:
            current = existing.get(row["id"])
            if current is None:
                inserts.append(row)
                status[id(row)] = "inserted"
                continue
            changed = {k: v for k, v in row.items()
                       if k != "id" and not self._same(k, current[k], v)}
            if not changed:
                status[id(row)] = "unchanged"
                continue
            changed["b_id"] = row["id"]
            updates[tuple(sorted(changed))].append(changed)
            status[id(row)] = "updated"
        insert_rows(self.conn, table, inserts)
        for keys, batch in updates.items():
            values: dict[str, Any] = {k: bindparam(k) for k in keys if k != "b_id"}
            stmt = table.update().where(table.c.id == bindparam("b_id")).values(values)
            self.conn.execute(stmt, batch)


    def _same(self, column: str, stored: Any, mapped: Any) -> bool:
        # sealed values also live in plain text columns (settings.value, custom field values,
        # password options): a "v1:" token on both sides is compared decrypted as well
        sealed = column.endswith("_enc") or (
            isinstance(stored, str) and isinstance(mapped, str)
            and stored.startswith("v1:") and mapped.startswith("v1:"))
        if sealed and self.decrypt is not None and stored and mapped:
            try:
                return self.decrypt(stored) == self.decrypt(mapped)
            except ValueError:  # undecryptable stored value (other key): rewrite it
                return False
        return _same(stored, mapped)


def _same(stored: Any, mapped: Any) -> bool:
    """Whether a stored value equals a freshly mapped one (Decimal scale and bool/int aside)."""
    if stored is None or mapped is None:
        return stored is None and mapped is None
    try:
        return bool(stored == mapped)
    except TypeError:
        return False
