"""Fixtures for importer tests: a real source schema loaded into a scratch MariaDB database.

``source_db("whmcs-8.4.sql")`` creates a fresh database (named ``<prefix><random>``) through
``BRIDGE_TEST_MYSQL_ADMIN_URL``, loads the schema file from ``SCHEMA_DIR`` into it and returns a
:class:`SourceDB` (``name``, ``url``, ``engine``); the database is dropped after the test.  The
engine's sessions run with a permissive ``sql_mode`` like old WHMCS/Blesta installs, so test
data may contain ``0000-00-00`` dates.  Without a reachable MariaDB the test is skipped.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

SCHEMA_DIR = Path(os.environ.get("BRIDGE_SCHEMA_DIR", "/work/shared/fixtures/schemas"))
# old installs ran without strict mode: zero dates and over-long values are part of real data
LEGACY_SQL_MODE = "NO_ENGINE_SUBSTITUTION"


@dataclass
class SourceDB:
    """A scratch MariaDB database holding a source system's schema."""

    name: str
    url: str
    engine: Engine

    def execute(self, sql: str, params: Any = None) -> None:
        """Run one statement (or an executemany with a list of dicts) and commit."""
        with self.engine.begin() as conn:
            conn.execute(text(sql), params or {})


def admin_url_or_skip() -> str:
    """``BRIDGE_TEST_MYSQL_ADMIN_URL`` when it reaches a server, else skip with the reason."""
    url = os.environ.get("BRIDGE_TEST_MYSQL_ADMIN_URL", "")
    if not url:
        pytest.skip("BRIDGE_TEST_MYSQL_ADMIN_URL is not set (CI sets it; see .ci/run)")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"MariaDB at BRIDGE_TEST_MYSQL_ADMIN_URL is not reachable: {exc}")
    finally:
        engine.dispose()
    return url


def schema_statements(sql: str) -> list[str]:
    """The statements of a schema dump: ``--`` comment lines dropped, split at ``;`` line ends."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def _legacy_mode(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"SET SESSION sql_mode = '{LEGACY_SQL_MODE}'")
    cursor.close()


def create_source_db(admin_url: str, schema_file: str, prefix: str) -> SourceDB:
    """Create ``<prefix><random>``, load ``schema_file`` (a name in SCHEMA_DIR or a path)."""
    path = Path(schema_file)
    if not path.is_absolute():
        path = SCHEMA_DIR / schema_file
    name = f"{prefix}{secrets.token_hex(4)}"
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    admin.dispose()
    url = make_url(admin_url).set(database=name, query={"charset": "utf8mb4"})
    engine = create_engine(url)
    event.listen(engine, "connect", _legacy_mode)
    with engine.begin() as conn:
        for statement in schema_statements(path.read_text(encoding="utf-8")):
            conn.exec_driver_sql(statement)
    return SourceDB(name=name, url=url.render_as_string(hide_password=False), engine=engine)


def drop_source_db(admin_url: str, db: SourceDB) -> None:
    """Drop a database made by :func:`create_source_db`."""
    db.engine.dispose()
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{db.name}`"))
    admin.dispose()


@pytest.fixture
def source_db() -> Iterator[Callable[..., SourceDB]]:
    """Factory: ``source_db("whmcs-8.4.sql", prefix="timp1_")`` -> a loaded scratch database."""
    admin_url = admin_url_or_skip()
    made: list[SourceDB] = []

    def make(schema_file: str, prefix: str = "timp1_") -> SourceDB:
        db = create_source_db(admin_url, schema_file, prefix)
        made.append(db)
        return db

    yield make
    for db in made:
        drop_source_db(admin_url, db)
