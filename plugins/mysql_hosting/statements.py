"""Multi-statement routines the module runs on an admin cursor."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

import pymysql
from pymysql.cursors import Cursor

from hooks import UsageReport

from .connection import ER_NO_SUCH_THREAD, error_code, error_text
from .names import quote_database, unescape_grant

_MEBIBYTE = Decimal(1024 * 1024)


def kill_sessions(cur: Cursor, username: str) -> str:
    """Close ``username``'s open connections and say how that went.

    A lock or a dropped account does not end sessions that are already open, hence this.
    Never raises for a failed KILL: closing sessions is done "if possible".
    """
    cur.execute(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s AND ID <> CONNECTION_ID()",
        (username,),
    )
    closed = 0
    for (thread_id,) in cur.fetchall():
        try:
            cur.execute("KILL CONNECTION %s", (int(thread_id),))
            closed += 1
        except pymysql.MySQLError as exc:
            if error_code(exc) != ER_NO_SUCH_THREAD:  # already gone is fine
                return f"closed {closed} connection(s), could not close more: {error_text(exc)}"
    return f"closed {closed} open connection(s)"


def undo_create(cur: Cursor, database: str, username: str | None) -> None:
    """Best-effort removal of what a failed create made, so a retry starts clean."""
    statements: list[tuple[str, Any]] = []
    if username:
        statements.append(("DROP USER IF EXISTS %s@'%%'", (username,)))
    statements.append((f"DROP DATABASE IF EXISTS {quote_database(database)}", None))
    for sql, args in statements:
        try:
            cur.execute(sql, args)
        except pymysql.MySQLError:
            pass  # the original error is what the operator needs to see


def database_usage(cur: Cursor) -> list[UsageReport]:
    """Disk used by each ``user@'%'``'s databases, from ``information_schema.TABLES``.

    Databases are found through the users' grants (``mysql.db``), so the report does not depend
    on a product's prefix. Sizes (data + index bytes, as Decimal) are summed per user and rounded
    up to whole MB; a database without tables counts 0; grants on databases that no longer
    exist are ignored. There is no quota, so the limit is None.
    """
    cur.execute("SELECT User, Db FROM mysql.db WHERE Host = '%'")
    grants = [(_text(user), unescape_grant(_text(db))) for user, db in cur.fetchall()]
    names = sorted({db for _, db in grants})
    if not names:
        return []
    marks = ", ".join(["%s"] * len(names))
    cur.execute(
        f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ({marks})",
        names,
    )
    existing = {_text(row[0]) for row in cur.fetchall()}
    cur.execute(
        "SELECT TABLE_SCHEMA, COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) "
        f"FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({marks}) GROUP BY TABLE_SCHEMA",
        names,
    )
    sizes = {_text(schema): Decimal(str(size)) for schema, size in cur.fetchall()}
    totals: dict[str, Decimal] = {}
    for user, db in grants:
        if db in existing:
            totals[user] = totals.get(user, Decimal(0)) + sizes.get(db, Decimal(0))
    return [
        UsageReport(
            username=user,
            disk_usage_mb=int((size / _MEBIBYTE).to_integral_value(rounding=ROUND_CEILING)),
        )
        for user, size in sorted(totals.items())
    ]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)
