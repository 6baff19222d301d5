"""The counting pass: run each call once in-process and record the SQL it executes.

The app's engine gets a ``before_cursor_execute`` listener (statement, DBAPI parameters,
executemany flag) and a ``commit`` listener (transaction boundaries); the Flask test client
sends the call exactly as the load generator will. The statements, the commits and the
response bytes are what :mod:`bench.api.baseline_app` replays, and the statement count is the
"SQL per request" column of the report.
"""

from __future__ import annotations

import pickle
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


@dataclass
class Capture:
    """One call's recorded work: statements (COMMIT entries mark commits) and the answer."""

    name: str
    statements: list[tuple[str, Any, bool]] = field(default_factory=list)
    status: int = 0
    body: bytes = b""
    content_type: str = ""

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

    def on_commit(_conn: Any) -> None:
        result.statements.append((COMMIT, None, False))

    path, body = call.render(MARKER + tag, unpaid_invoice(k, clients))
    web = app.test_client()
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        response = web.open(path, method=call.method, data=body or None,
                            headers=call.headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    result.status = response.status_code
    result.body = response.get_data()
    result.content_type = response.content_type or "application/json"
    return result


def save(captures: dict[str, Capture], path: Path) -> None:
    """Write captures for the baseline server (pickle keeps DBAPI parameter types exact)."""
    path.write_bytes(pickle.dumps(captures))


def load(path: Path) -> dict[str, Capture]:
    """Read captures written by :func:`save` (a file this benchmark wrote itself)."""
    data = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, never user input
    assert isinstance(data, dict)
    return data
