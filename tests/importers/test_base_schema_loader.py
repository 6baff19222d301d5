"""The source-schema fixture loads every shipped schema and drops the database afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from tests.importers.conftest import SCHEMA_DIR, schema_statements


def test_schema_statements_split_and_skip_comments() -> None:
    sql = "-- a comment;\nCREATE TABLE a (x int);\n\nCREATE TABLE b (y text DEFAULT ';');\n"
    assert schema_statements(sql) == [
        "CREATE TABLE a (x int)", "CREATE TABLE b (y text DEFAULT ';')"]


@pytest.mark.parametrize("schema", sorted(p.name for p in SCHEMA_DIR.glob("*.sql")))
def test_each_schema_loads(source_db, schema: str) -> None:
    db = source_db(schema)
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        expected = sum(1 for s in schema_statements((SCHEMA_DIR / schema).read_text())
                       if s.upper().startswith("CREATE TABLE"))
        assert len(tables) == expected
        assert conn.scalar(text("SELECT @@SESSION.sql_mode")) == "NO_ENGINE_SUBSTITUTION"
