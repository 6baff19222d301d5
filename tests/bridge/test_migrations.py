"""The Alembic migrations: idempotent, in step with the models, and the same on every backend.

- upgrading twice is a no-op that ends at head;
- autogenerate finds nothing to do against ``Base.metadata`` (a model changed without a
  migration fails here);
- SQLite and MariaDB get the same schema from the same migrations (reflected and compared).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
    inspect,
)
from sqlalchemy import types as sat
from sqlalchemy.dialects import mysql as mysql_types

import bridge.models  # noqa: F401  (registers every table)
from bridge.db import Base, make_engine
from bridge.migrations import alembic_config, current_revision, upgrade


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    """Drop every table of the (test) database, including ``alembic_version``.

    ``Base.metadata.drop_all`` alone is not enough: it drops named constraints first and fails
    when a migration left one out, which is exactly what these tests are there to report.
    """
    try:
        Base.metadata.drop_all(engine)
    except Exception:  # noqa: BLE001 - fall back to dropping whatever is there
        pass
    with engine.begin() as conn:
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        for table in inspect(conn).get_table_names():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{table}`")
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")


@pytest.fixture
def mariadb_engine(mysql_url: str) -> Iterator[Engine]:
    engine = make_engine(mysql_url)
    _wipe(engine)
    yield engine
    _wipe(engine)
    engine.dispose()


def _describe(item: Any) -> str:
    """One autogenerate difference as text (the default reprs hide table and column names)."""
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return "; ".join(_describe(x) for x in item)
    if isinstance(item, tuple):
        return " ".join(_describe(x) for x in item)
    if isinstance(item, ForeignKeyConstraint):
        cols = ", ".join(c.name for c in item.columns)
        refs = ", ".join(e.target_fullname for e in item.elements)
        return f"FK {item.name} {item.table.name}({cols}) -> {refs}"
    if isinstance(item, Index | UniqueConstraint):
        cols = ", ".join(c.name for c in item.columns)
        return f"{type(item).__name__} {item.name} on {item.table.name}({cols})"
    if isinstance(item, Column):
        return f"column {item.table.name}.{item.name} {item.type}"
    if isinstance(item, Table):
        return f"table {item.name}"
    return repr(item)


def _autogenerate_diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


# --- (a) idempotent upgrade -------------------------------------------------------------------


def test_upgrade_twice_reaches_head_and_changes_nothing(sqlite_engine):
    assert current_revision(sqlite_engine) is None
    upgrade(sqlite_engine)
    first = _snapshot(sqlite_engine)
    assert current_revision(sqlite_engine) == _head()
    upgrade(sqlite_engine)
    assert current_revision(sqlite_engine) == _head()
    assert _snapshot(sqlite_engine) == first
    assert set(first) == set(Base.metadata.tables)
    assert "alembic_version" in inspect(sqlite_engine).get_table_names()


# --- (b) models and migrations agree ------------------------------------------------------------


def test_models_match_migrations_sqlite(sqlite_engine):
    upgrade(sqlite_engine)
    diff = _autogenerate_diff(sqlite_engine)
    assert not diff, ("the models differ from the migrated schema; write a migration:\n"
                      + "\n".join(_describe(d) for d in diff))


@pytest.mark.mysql
def test_models_match_migrations_mariadb(mariadb_engine):
    upgrade(mariadb_engine)
    upgrade(mariadb_engine)
    assert current_revision(mariadb_engine) == _head()
    diff = _autogenerate_diff(mariadb_engine)
    assert not diff, ("on MariaDB the models differ from the migrated schema:\n"
                      + "\n".join(_describe(d) for d in diff))


# --- (c) the same schema on SQLite and MariaDB --------------------------------------------------


def _model_is_json(table: str, column: str) -> bool:
    model_table = Base.metadata.tables.get(table)
    if model_table is None or column not in model_table.c:
        return False
    kind = model_table.c[column].type
    impl = getattr(kind, "impl", kind)
    return isinstance(kind, JSON) or isinstance(impl, JSON)


# MySQL's TINY/MEDIUM/LONGTEXT derive from String, not Text
_TEXT_TYPES = (sat.Text, mysql_types.TINYTEXT, mysql_types.MEDIUMTEXT, mysql_types.LONGTEXT)


def type_family(kind: Any, *, model_json: bool = False) -> tuple[Any, ...]:
    """A backend-neutral description of a reflected column type."""
    if isinstance(kind, sat.Boolean):
        return ("boolean",)
    if isinstance(kind, mysql_types.TINYINT) and getattr(kind, "display_width", None) == 1:
        return ("boolean",)
    if isinstance(kind, sat.BigInteger):
        return ("biginteger",)
    if isinstance(kind, sat.Integer):
        return ("integer",)
    if isinstance(kind, sat.Float):
        return ("float",)
    if isinstance(kind, sat.Numeric):
        return ("numeric", kind.precision, kind.scale)
    if isinstance(kind, sat.DateTime):
        return ("datetime",)
    if isinstance(kind, sat.Date):
        return ("date",)
    if isinstance(kind, sat.Time):
        return ("time",)
    if isinstance(kind, sat.JSON):
        return ("json",)
    if isinstance(kind, _TEXT_TYPES):
        # MariaDB's JSON is an alias of LONGTEXT; only a JSON model column may reflect as text
        return ("json",) if model_json else ("text",)
    if isinstance(kind, sat.String):
        return ("string", kind.length)
    if isinstance(kind, sat.LargeBinary):
        return ("binary",)
    return ("other", type(kind).__name__)


def _ondelete(options: dict[str, Any]) -> str | None:
    value = (options.get("ondelete") or "").upper()
    return None if value in ("", "NO ACTION", "RESTRICT") else value


def _snapshot(engine: Engine) -> dict[str, dict[str, Any]]:
    """Per table: columns (type family, nullable), pk, fks, unique and plain index column sets."""
    insp = inspect(engine)
    schema: dict[str, dict[str, Any]] = {}
    for table in sorted(insp.get_table_names()):
        if table == "alembic_version":
            continue
        columns = {
            col["name"]: (type_family(col["type"], model_json=_model_is_json(table, col["name"])),
                          "NULL" if col["nullable"] else "NOT NULL")
            for col in insp.get_columns(table)
        }
        fks = insp.get_foreign_keys(table)
        fk_names = {fk["name"] for fk in fks if fk.get("name")}
        uniques = {tuple(uc["column_names"]) for uc in insp.get_unique_constraints(table)}
        indexes = set()
        for ix in insp.get_indexes(table):
            cols = tuple(ix["column_names"])
            if ix.get("unique"):
                uniques.add(cols)
            elif ix["name"] not in fk_names:  # MariaDB indexes every FK on its own
                indexes.add(cols)
        schema[table] = {
            "columns": columns,
            "primary_key": tuple(insp.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"],
                 tuple(fk["referred_columns"]), _ondelete(fk.get("options") or {}))
                for fk in fks
            ),
            "unique": sorted(uniques),
            "indexes": sorted(indexes),
        }
    return schema


def schema_diff(left: dict[str, Any], right: dict[str, Any],
                names: tuple[str, str] = ("sqlite", "mariadb")) -> list[str]:
    """Readable lines for every difference between two :func:`_snapshot` results."""
    a, b = names
    lines = []
    for table in sorted(set(left) | set(right)):
        if table not in left or table not in right:
            lines.append(f"{table}: only on {a if table in left else b}")
            continue
        lt, rt = left[table], right[table]
        for col in sorted(set(lt["columns"]) | set(rt["columns"])):
            lc, rc = lt["columns"].get(col), rt["columns"].get(col)
            if lc != rc:
                lines.append(f"{table}.{col}: {a}={lc} {b}={rc}")
        for key in ("primary_key", "foreign_keys", "unique", "indexes"):
            if lt[key] != rt[key]:
                missing_right = [x for x in lt[key] if x not in rt[key]] if key != "primary_key" \
                    else lt[key]
                missing_left = [x for x in rt[key] if x not in lt[key]] if key != "primary_key" \
                    else rt[key]
                lines.append(f"{table} {key}: only {a}={missing_right} only {b}={missing_left}")
    return lines


def test_schema_diff_reports_differences():
    left = {"t": {"columns": {"a": (("boolean",), "NULL")}, "primary_key": ("id",),
                  "foreign_keys": [(("c_id",), "c", ("id",), None)], "unique": [], "indexes": []}}
    right = {"t": {"columns": {"a": (("integer",), "NULL")}, "primary_key": ("id",),
                   "foreign_keys": [], "unique": [("a",)], "indexes": []},
             "u": {}}
    lines = schema_diff(left, right)
    assert "t.a: sqlite=(('boolean',), 'NULL') mariadb=(('integer',), 'NULL')" in lines
    assert any(line.startswith("t foreign_keys: only sqlite=[(('c_id',), 'c'") for line in lines)
    assert "t unique: only sqlite=[] only mariadb=[('a',)]" in lines
    assert "u: only on mariadb" in lines


def test_type_family_treats_backend_spellings_alike():
    assert type_family(sat.BOOLEAN()) == type_family(mysql_types.TINYINT(display_width=1))
    assert type_family(mysql_types.TINYINT()) == ("integer",)
    assert type_family(sat.NUMERIC(19, 4)) == type_family(mysql_types.DECIMAL(19, 4))
    assert type_family(mysql_types.LONGTEXT(), model_json=True) == type_family(sat.JSON())
    assert type_family(mysql_types.LONGTEXT()) == ("text",) != type_family(sat.JSON())
    assert type_family(sat.VARCHAR(32)) != type_family(sat.VARCHAR(64))


@pytest.mark.mysql
def test_same_schema_on_sqlite_and_mariadb(sqlite_engine, mariadb_engine):
    upgrade(sqlite_engine)
    upgrade(mariadb_engine)
    lite, maria = _snapshot(sqlite_engine), _snapshot(mariadb_engine)
    assert set(lite) == set(Base.metadata.tables)
    diff = schema_diff(lite, maria)
    assert not diff, "the migrations build different schemas:\n" + "\n".join(diff)
