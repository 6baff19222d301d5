"""Bulk INSERT of mapped rows with the statement compiled once per table and column set.

``conn.execute(table.insert(), rows)`` rebuilds the parameters of every row inside SQLAlchemy
(``construct_params``: a dict per row, defaults, type processing through several layers); on a
million-row import that bookkeeping costs about as much as the database's own work. Here the
INSERT is compiled once per (dialect, table, columns); the column defaults SQLAlchemy would
fill in Python are evaluated once per batch, each value goes through the bind processor
SQLAlchemy would apply (dates, decimals, JSON, booleans, per dialect), and the tuples go to
the driver's ``executemany`` in one call. Statement shapes this does not handle (named
paramstyles, defaults computed by the database) fall back to SQLAlchemy's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

Row = dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    get: Callable[[Row], Any]  # the values in the statement's parameter order
    single: bool  # one parameter: itemgetter returns the value, not a tuple
    defaults: tuple[tuple[str, Any, bool], ...]  # (column, value or callable, is_callable)
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan | None] = {}


def _plan(conn: Connection, table: Table, columns: tuple[str, ...]) -> _Plan | None:
    key = (conn.dialect.name, table.name, columns)
    if key not in _plans:
        _plans[key] = _compile(conn, table, columns)
    return _plans[key]


def _compile(conn: Connection, table: Table, columns: tuple[str, ...]) -> _Plan | None:
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
    if not compiled.positional or not compiled.positiontup:
        return None
    defaults: list[tuple[str, Any, bool]] = []
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not (default.is_scalar or default.is_callable):
            return None  # a SQL expression or sequence: the database computes it
        defaults.append((column.key, default.arg, bool(default.is_callable)))  # type: ignore[attr-defined]
    names = list(compiled.positiontup)
    if set(names) != set(columns) | {name for name, _, _ in defaults}:
        return None
    # the processors SQLAlchemy itself would apply (a sequence only for tuple types, which
    # core tables do not have)
    procs: dict[str, Any] = dict(compiled._bind_processors)  # noqa: SLF001
    return _Plan(
        sql=compiled.string,
        get=itemgetter(*names),
        single=len(names) == 1,
        defaults=tuple(defaults),
        processors=tuple((i, procs[n]) for i, n in enumerate(names) if n in procs),
    )


def insert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """INSERT ``rows`` into ``table``: one driver executemany per set of keys."""
    if not rows:
        return
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):  # rows of other shapes: one call per shape
        shapes: dict[tuple[str, ...], list[Row]] = {}
        for row in rows:
            shapes.setdefault(tuple(sorted(row)), []).append(row)
        for same in shapes.values():
            insert_rows(conn, table, same)
        return
    plan = _plan(conn, table, tuple(rows[0]))
    if plan is None:
        conn.execute(table.insert(), list(rows))
        return
    # callable defaults (utcnow, list, dict) once per batch, as the values they give are the
    # same for every row of it (a timestamp, an empty container serialized per row)
    fill = {name: (arg(None) if is_callable else arg) for name, arg, is_callable in plan.defaults}
    get, processors = plan.get, plan.processors
    params: list[Any] = []
    for row in rows:
        values = get({**row, **fill} if fill else row)
        if plan.single:
            values = (values,)
        if processors:
            values = list(values)
            for i, process in processors:
                values[i] = process(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(plan.sql, params)


__all__ = ["insert_rows"]
