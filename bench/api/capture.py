"""The counting pass: run each call once in-process and record the SQL it executes.

The app's engine gets a ``before_cursor_execute`` listener (statement, DBAPI parameters,
executemany flag) and a ``commit`` listener (transaction boundaries); the Flask test client
sends the call exactly as the load generator will. The statements, the commits and the
response bytes are what :mod:`bench.api.baseline_app` replays, and the statement count is the
"SQL per request" column of the report.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from .calls import Call, unpaid_invoice

COMMIT = "COMMIT"
BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"
# stands in for the per-request unique value in captured parameters; the baseline puts its
# own unique value there so replayed INSERTs do not hit unique keys
MARKER = "BENCHMARKER"
# the source of a parameter slot the baseline fills with the request's unpaid invoice id (the
# other source is an int: the index of the INSERT, earlier in the same call, whose new row id
# the parameter holds)
UNPAID = "unpaid"


@dataclass
class Capture:
    """One call's recorded work: statements (COMMIT entries mark commits) and the answer."""

    name: str
    statements: list[tuple[str, Any, bool]] = field(default_factory=list)
    status: int = 0
    body: bytes = b""
    content_type: str = ""
    unpaid: int = 0  # the unpaid invoice id this capture's request named
    inserted: dict[int, int] = field(default_factory=dict)  # INSERT's index -> new row id
    # per-request parameters found by mark_slots: statement index -> {param key:
    # (source, as_text)}
    slots: dict[int, dict[Any, Any]] = field(default_factory=dict)
    # matches "path\nbody" of a request of this call; group 1 is its unpaid invoice id
    unpaid_pattern: str = ""

    @property
    def sql_count(self) -> int:
        return sum(1 for stmt, _p, _m in self.statements
                   if stmt not in (COMMIT, BEGIN_IMMEDIATE))


def capture(app: Flask, call: Call, clients: int, k: int = 0, tag: str = "") -> Capture:
    """Send ``call`` once through ``app`` (in-process) and record what it ran and answered.

    ``tag`` follows the marker in the unique value, so captures on one database never repeat
    a unique key (a second AddInvoicePayment with the same transid is refused)."""
    engine = app.extensions["bridge"].db.engine
    result = Capture(call.name)

    def on_execute(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
                   executemany: bool) -> None:
        if statement == "BEGIN":  # SQLite's explicit BEGIN (bridge.db): part of begin()
            return
        if statement == "BEGIN IMMEDIATE":  # a write transaction: the baseline begins alike
            result.statements.append((BEGIN_IMMEDIATE, None, False))
            return
        result.statements.append((statement, parameters, executemany))

    def on_executed(_conn: Any, cursor: Any, statement: str, _params: Any, _ctx: Any,
                    executemany: bool) -> None:
        if not executemany and statement.lstrip()[:6].upper() == "INSERT":
            new_id = cursor.lastrowid or _returned_id(cursor)
            if new_id:
                result.inserted[len(result.statements) - 1] = new_id

    def on_commit(_conn: Any) -> None:
        result.statements.append((COMMIT, None, False))

    result.unpaid = unpaid_invoice(k, clients)
    result.unpaid_pattern = unpaid_pattern(call)
    path, body = call.render(MARKER + tag, result.unpaid)
    web = app.test_client()
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "after_cursor_execute", on_executed)
    event.listen(engine, "commit", on_commit)
    try:
        response = web.open(path, method=call.method, data=body or None,
                            headers=call.headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "after_cursor_execute", on_executed)
        event.remove(engine, "commit", on_commit)
    result.status = response.status_code
    result.body = response.get_data()
    result.content_type = response.content_type or "application/json"
    return result


def _returned_id(cursor: Any) -> int | None:
    """The ``id`` an ``INSERT ... RETURNING`` answered, where the driver has no lastrowid for
    it (pymysql: the answer is a result set). pymysql buffers that set at execute, so it is
    read here without being consumed; other drivers' cursors are left alone."""
    names = [column[0] for column in cursor.description or ()]
    return returned_id(names, getattr(cursor, "_rows", None) or [])


def returned_id(names: list[str], rows: Any) -> int | None:
    """The new row's ``id`` in the answer (column ``names``, ``rows``) of a one-row ``INSERT
    ... RETURNING``, or None."""
    if len(rows) != 1 or "id" not in names:
        return None
    value = rows[0][names.index("id")]
    return value if isinstance(value, int) else None


def unpaid_pattern(call: Call) -> str:
    """A regular expression over ``path + "\\n" + body`` of a request of ``call`` whose
    group 1 is the unpaid invoice id the load generator filled in ("" without one)."""
    template = f"{call.path}\n{call.body}"
    if "{unpaid}" not in template:
        return ""
    escaped = re.escape(template)
    return "^" + escaped.replace(re.escape("{unpaid}"), r"(\d+)", 1).replace(
        re.escape("{n}"), ".*?").replace(re.escape("{unpaid}"), r"\d+") + "$"


def mark_slots(first: Capture, second: Capture) -> bool:
    """Find the parameters of ``first`` that carry a per-request id, by comparing it with
    ``second``: a capture of the same call naming another unpaid invoice.

    A parameter is the request's unpaid invoice when it holds each capture's own unpaid id,
    and an earlier INSERT's new row when it holds each capture's id of that INSERT (the
    lines of a new invoice, the log row naming a new payment). The baseline
    fills those per request, as the app does: replaying the captured ids would send every
    request to the same rows (on MariaDB, one row lock for all and deadlocks). False, and no
    slots, when the two ran different statements."""
    first.slots.clear()
    if [s for s, _p, _m in first.statements] != [s for s, _p, _m in second.statements]:
        return False
    pairs = zip(first.statements, second.statements, strict=True)
    for i, ((_stmt, mine, many), (_same, theirs, _many)) in enumerate(pairs):
        if many or mine is None or type(mine) is not type(theirs):
            continue
        found: dict[Any, Any] = {}
        for key in (mine.keys() if isinstance(mine, dict) else range(len(mine))):
            slot = _slot_of(first, second, i, mine[key], theirs[key])
            if slot is not None:
                found[key] = slot
        if found:
            first.slots[i] = found
    return True


def _slot_of(first: Capture, second: Capture, index: int, mine: Any, theirs: Any
             ) -> tuple[Any, bool] | None:
    """(source, as_text) of a per-request parameter: source is UNPAID or the index of the
    INSERT whose new id it holds; as_text when it is that id written as a string (an
    invoice number by id)."""
    as_text = isinstance(mine, str) and mine.isdigit() and isinstance(theirs, str) \
        and theirs.isdigit()
    if as_text:
        mine, theirs = int(mine), int(theirs)
    if not isinstance(mine, int) or isinstance(mine, bool) or mine == theirs:
        return None
    if first.unpaid != second.unpaid and (mine, theirs) == (first.unpaid, second.unpaid):
        return UNPAID, as_text
    for insert, new_id in first.inserted.items():
        if insert < index and (mine, theirs) == (new_id, second.inserted.get(insert)):
            return insert, as_text
    return None


def save(captures: dict[str, Capture], path: Path) -> None:
    """Write captures for the baseline server (pickle keeps DBAPI parameter types exact)."""
    path.write_bytes(pickle.dumps(captures))


def load(path: Path) -> dict[str, Capture]:
    """Read captures written by :func:`save` (a file this benchmark wrote itself)."""
    data = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, never user input
    assert isinstance(data, dict)
    return data
