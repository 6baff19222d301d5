"""The email-taken check finds its candidates by index (NOCASE on SQLite, the column's
case-insensitive collation on MariaDB) and keeps the exact rule: equal after lower-casing,
so another letter case is taken, another accent is not; a case-sensitive MariaDB column falls
back to ``lower()``."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bridge.errors import Conflict
from bridge.services import clients
from bridge.testing import ensure_currency


def _add(session: Session, email: str) -> Any:
    return clients.add_client(session, {"first_name": "Ada", "last_name": "Lovelace",
                                        "email": email})


def _check(session: Session) -> None:
    ensure_currency(session)
    first = _add(session, "Jose@Example.com")
    with pytest.raises(Conflict) as info:
        _add(session, "jose@EXAMPLE.com")  # another letter case: the same address
    assert str(first.id) in info.value.message
    other = _add(session, "josé@example.com")  # another letter: not the same address
    assert other.id != first.id
    # an update may change the letter case of its own address, not take another's
    clients.update_client(session, first.id, {"email": "JOSE@example.com"})
    with pytest.raises(Conflict):
        clients.update_client(session, other.id, {"email": "jose@example.COM"})


def test_sqlite(db: Session) -> None:
    assert db.get_bind().dialect.name == "sqlite"
    _check(db)


def test_mariadb(mysql_db: Session) -> None:
    clients._CASE_INSENSITIVE.clear()
    _check(mysql_db)
    assert clients._CASE_INSENSITIVE == {str(mysql_db.get_bind().engine.url): True}


def test_mariadb_case_sensitive_column_falls_back_to_lower(mysql_db: Session) -> None:
    mysql_db.execute(text("ALTER TABLE clients MODIFY email VARCHAR(255) "
                          "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL"))
    clients._CASE_INSENSITIVE.clear()
    try:
        ensure_currency(mysql_db)
        _add(mysql_db, "Case@Example.com")
        with pytest.raises(Conflict):  # `email = ?` alone would miss it under _bin
            _add(mysql_db, "case@example.com")
        assert clients._CASE_INSENSITIVE == {str(mysql_db.get_bind().engine.url): False}
    finally:
        clients._CASE_INSENSITIVE.clear()
