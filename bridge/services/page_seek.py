"""Deep pages of id-ordered lists without walking the rows before them.

WHMCS pages with ``limitstart``: ``GetClients`` at ``limitstart=10000`` is ``OFFSET 10000``,
and an ``OFFSET`` walks every row it skips, in SQLite and MariaDB alike (the page at the
middle of 20,000 clients cost twice the page at the middle of 2,000). A script that pages
through every client pays that for every page: quadratic in the number of clients.

A worker remembers where pages it served began and ended: for a list (its statement shape
and filter values) the id of the row at offset *m*. A later page at offset *n* >= *m* of the
same list asks ``id >= that id ... OFFSET n - m`` (``<=`` when the list is id-descending),
which the primary key answers without walking the rows before. Paging forward through a
list therefore starts each page where the previous one ended.

The marks live in the row count cache (:mod:`bridge.services.count_cache`) and follow its
rules: they are dropped when the table's change counter moves, and a transaction uses or
adds marks only while the counter still holds the value it had when the transaction began,
so a mark is never used against a snapshot it was not read from. ``api.count_cache = false``
turns both off.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Executable, Integer, bindparam
from sqlalchemy.orm import Session

from .count_cache import CountCache, frozen

# pages that start this close to the top walk so few rows that a mark saves nothing
MIN_OFFSET = 100
MAX_MARKS = 2048  # per list; the marks start over when full


class _Marks:
    """The offsets of one list whose row ids are known, sorted, with the ids."""

    __slots__ = ("offsets", "ids")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.ids: dict[int, Any] = {}

    def nearest(self, offset: int) -> tuple[int, Any] | None:
        """The greatest marked offset <= ``offset``, with its row id."""
        at = bisect_right(self.offsets, offset)
        if at == 0:
            return None
        found = self.offsets[at - 1]
        return found, self.ids[found]

    def add(self, offset: int, ident: Any) -> None:
        if offset not in self.ids:
            if len(self.offsets) >= MAX_MARKS:
                self.offsets.clear()
                self.ids.clear()
            insort(self.offsets, offset)
        self.ids[offset] = ident


def seek_condition(id_column: Any, desc: bool) -> Any:
    """What a list's seek statement adds to its page statement: the id at or past the
    ``seek_id`` parameter in the list's order (``desc``: id-descending)."""
    mark = bindparam("seek_id", type_=Integer)
    return id_column <= mark if desc else id_column >= mark


def seek_page(session: Session, conn: Connection, table: str, shape: Hashable,
              params: Mapping[str, Any], start: int, num: int, *, page: Executable,
              seek: Executable | None, row_id: Callable[[Any], Any] = lambda row: row[0]
              ) -> Sequence[Any]:
    """Rows ``start`` .. ``start + num - 1`` of a list.

    ``page`` is the list's statement with ``params`` plus ``offset`` and ``limit``; ``seek``
    is the same statement with one more condition, the id at or past ``seek_id`` in the
    list's order (``>=`` ascending, ``<=`` descending; see :func:`seek_condition`), or None
    for a list not ordered by its table's id alone (then ``page`` is simply run). ``shape``
    names the pair (the same shape must always mean the same SQL). ``row_id`` reads a row's
    id."""
    attached = CountCache.in_session(session, table) if start >= MIN_OFFSET else None
    if seek is None or attached is None:
        return conn.execute(page, {**params, "offset": start, "limit": num}).all()
    cache, at_begin = attached
    key = ("seek", shape, frozen(params))
    marks = cache.get(table, key)
    # a mark is the state of the table when the counter had its current value; this
    # transaction may use it only if it began after the last change (same counter value)
    near = marks.nearest(start) if isinstance(marks, _Marks) \
        and cache.unchanged_since(table, at_begin) else None
    if near is None:
        rows = conn.execute(page, {**params, "offset": start, "limit": num}).all()
    else:
        rows = conn.execute(seek, {**params, "seek_id": near[1], "offset": start - near[0],
                                   "limit": num}).all()
    if rows:
        if not isinstance(marks, _Marks):
            marks = _Marks()
            cache.put(table, key, marks, at_begin)  # kept only if nothing changed
        if cache.unchanged_since(table, at_begin):
            marks.add(start, row_id(rows[0]))
            marks.add(start + len(rows) - 1, row_id(rows[-1]))
    return rows
