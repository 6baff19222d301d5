"""The framework's ceiling: a minimal Flask app that runs the same SQL as the real app for a
call and answers the same bytes, served by gunicorn exactly like ``bridge serve``.

    python -m bench.api.baseline_app --url URL --captures FILE --port 8091 --workers 2

The request names its call in the ``X-Bench-Call`` header (the real app ignores it). For
each request the app replays that call's captured statements (see :mod:`bench.api.capture`)
on a pooled connection, in the same transactions (a captured COMMIT ends one), fetching every
row, and returns the captured response. No ORM, no routing of API actions, no rendering: what
is left is Flask, gunicorn, the driver and the database.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication
from sqlalchemy import Connection, RootTransaction

from bridge.db import SQLITE_BEGIN, make_engine

from .capture import BEGIN_IMMEDIATE, COMMIT, MARKER, UNPAID, Capture, load, returned_id


def _swap(value: Any, unique: str) -> Any:
    if isinstance(value, str):
        return value.replace(MARKER, unique) if MARKER in value else value
    if isinstance(value, tuple | list):
        return type(value)(_swap(v, unique) for v in value)
    if isinstance(value, dict):
        return {k: _swap(v, unique) for k, v in value.items()}
    return value


def _fill(params: Any, slots: dict[Any, Any], unpaid: int | None, ids: dict[int, int]) -> Any:
    filled = dict(params) if isinstance(params, dict) else list(params)
    for key, (source, as_text) in slots.items():
        value = unpaid if source == UNPAID else ids.get(source)
        if value is not None:  # None: the request named none; the captured one stays
            filled[key] = str(value) if as_text else value
    return filled if isinstance(params, dict) else type(params)(filled)


def replay(conn: Connection, capture: Capture, unique: str, unpaid: int | None = None) -> None:
    """Run ``capture``'s statements on ``conn`` with the same transaction boundaries (and,
    on SQLite, the same BEGIN IMMEDIATE for the app's write transactions).

    Per-request ids go where the app put its own (:func:`bench.api.capture.mark_slots`):
    ``unpaid`` (the request's unpaid invoice) and the ids this replay's INSERTs made."""
    trans: RootTransaction | None = None
    mode = ""
    ids: dict[int, int] = {}
    for index, (statement, params, many) in enumerate(capture.statements):
        if statement == BEGIN_IMMEDIATE:
            mode = "IMMEDIATE"
            continue
        if trans is None:
            conn.execution_options(**{SQLITE_BEGIN: mode})
            trans = conn.begin()
        if statement == COMMIT:
            trans.commit()
            trans, mode = None, ""
            continue
        params = _swap(params, unique)
        slots = capture.slots.get(index)
        if slots:
            params = _fill(params, slots, unpaid, ids)
        if many:
            conn.exec_driver_sql(statement, list(params))
            continue
        result = conn.exec_driver_sql(statement, params)
        rows = result.fetchall() if result.returns_rows else []
        if index in capture.inserted:  # lastrowid, or the id an INSERT ... RETURNING answered
            ids[index] = result.lastrowid or returned_id(list(result.keys()), rows) or 0
    if trans is not None:
        trans.commit()


def create_baseline(url: str, captures_file: str) -> Flask:
    """The baseline app over the database at ``url`` and the captures in ``captures_file``."""
    captures = load(Path(captures_file))
    engine = make_engine(url)
    patterns = {name: re.compile(c.unpaid_pattern, re.S)
                for name, c in captures.items() if c.unpaid_pattern}
    counter = itertools.count()
    app = Flask("baseline")

    @app.route("/<path:_rest>", methods=["GET", "POST"])
    def any_call(_rest: str) -> Response:
        name = request.headers["X-Bench-Call"]
        capture = captures[name]
        body = request.get_data(as_text=True)  # read the body, as the real app parses it
        unpaid = _unpaid(patterns.get(name), body)
        with engine.connect() as conn:
            replay(conn, capture, f"b{os.getpid()}x{next(counter)}", unpaid)
        return Response(capture.body, status=capture.status, content_type=capture.content_type)

    return app


def _unpaid(pattern: re.Pattern[str] | None, body: str) -> int | None:
    """The unpaid invoice id the load generator put in this request (None: the call has
    none, and the captured one is replayed)."""
    if pattern is None:
        return None
    query = request.query_string.decode()
    found = pattern.match(f"{request.path}{'?' + query if query else ''}\n{body}")
    return int(found.group(1)) if found else None


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Same options as :func:`bridge.serve.run_gunicorn` so both servers pay the same."""

    def __init__(self, url: str, captures: str, options: dict[str, Any]) -> None:
        self.url, self.captures, self.options = url, captures, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_baseline(self.url, self.captures)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="baseline server for the API benchmark")
    parser.add_argument("--url", required=True)
    parser.add_argument("--captures", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    _Gunicorn(args.url, args.captures, {
        "bind": f"{args.host}:{args.port}", "workers": args.workers, "accesslog": "-",
        "errorlog": "-", "timeout": 60,
    }).run()


if __name__ == "__main__":
    main()
