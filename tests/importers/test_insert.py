"""The importer's compiled bulk INSERT stores exactly what SQLAlchemy's own INSERT stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

import bridge.models  # noqa: F401
from bridge.db import Base, make_engine
from importers._insert import insert_rows
from importers._values import source_conversions
from importers._writer import core_table
from tests.conftest import mysql_url_or_skip


def _rows(first_id: int) -> list[dict[str, Any]]:
    return [
        {"id": first_id, "name": "a ✓ 😀", "assigned_ips": ["10.0.0.1"], "port": 2087,
         "config": {"k": [1, "x"]}, "secure": False},
        {"id": first_id + 1, "name": "b", "assigned_ips": [], "port": None,
         "config": {}, "secure": True},
    ]


def _stored(engine: Engine, table_name: str, ids: list[int]) -> list[dict[str, Any]]:
    table = core_table(table_name)
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
        return [{k: v for k, v in r._mapping.items() if k != "id"} for r in rows]


def _check_same_as_sqlalchemy(engine: Engine) -> None:
    servers, taxes = core_table("servers"), core_table("tax_rules")
    tax = [{"id": 1, "name": "VAT", "rate": Decimal("19.5000"), "country": "DE"},
           {"id": 2, "name": "GST", "rate": Decimal("0.0001"), "compound": True}]
    with engine.begin() as conn:
        conn.execute(servers.insert(), _rows(1))  # SQLAlchemy's path
        insert_rows(conn, servers, _rows(101))  # the compiled path
        for row in tax:  # SQLAlchemy refuses mixed shapes in one executemany
            conn.execute(taxes.insert(), [dict(row)])
        # rows of two shapes in one call: split per shape, nothing dropped
        insert_rows(conn, taxes, [dict(r, id=r["id"] + 100) for r in tax])
    assert _stored(engine, "servers", [1, 2]) == _stored(engine, "servers", [101, 102])
    assert _stored(engine, "tax_rules", [1, 2]) == _stored(engine, "tax_rules", [101, 102])
    stored = _stored(engine, "servers", [101])[0]
    assert stored["config"] == {"k": [1, "x"]} and stored["secure"] is False
    assert stored["module"] == "" and stored["active"] is True  # column defaults filled
    assert _stored(engine, "tax_rules", [102])[0]["rate"] == Decimal("0.0001")


def test_insert_rows_sqlite(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'core.db'}")
    Base.metadata.create_all(engine)
    _check_same_as_sqlalchemy(engine)


def test_insert_rows_mariadb() -> None:
    engine = make_engine(mysql_url_or_skip())
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    try:
        _check_same_as_sqlalchemy(engine)
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-02-29 23:59:58", dt.datetime(2024, 2, 29, 23, 59, 58)),
    ("2024-02-29 23:59:58.125000", dt.datetime(2024, 2, 29, 23, 59, 58, 125000)),
    ("0000-00-00 00:00:00", "0000-00-00 00:00:00"),  # zero dates stay text, as in pymysql
    ("2023-02-29 00:00:00", "2023-02-29 00:00:00"),  # impossible dates too
])
def test_source_datetime_decoder_matches_pymysql(text: str, expected: Any) -> None:
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import convert_datetime

    decode = source_conversions()[FIELD_TYPE.DATETIME]
    assert decode(text) == expected == convert_datetime(text)
    assert decode(text.encode()) == expected


@pytest.mark.parametrize("text", ["2024-02-29", "0000-00-00", "2023-02-29"])
def test_source_date_decoder_matches_pymysql(text: str) -> None:
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import convert_date

    assert source_conversions()[FIELD_TYPE.DATE](text) == convert_date(text)
