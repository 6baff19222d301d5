"""bridge.driver_values: driver values print exactly as the typed values of the same stored
data print (the doors' money, rate and date helpers are the reference)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Date, DateTime, Numeric, select, update
from sqlalchemy.dialects import sqlite

from bridge.db import naive_utc
from bridge.driver_values import (
    cents,
    date_text,
    datetime_text,
    decimal_of,
    driver_columns,
    four_places,
    three_places,
)
from bridge.models import Invoice
from bridge.services.invoices import create_invoice
from bridge.testing import make_client
from compat.blesta.api.format import money as blesta_money
from compat.blesta.api.format import stamp
from compat.whmcs.api.actions.billing import rate3
from compat.whmcs.api.format import money as whmcs_money
from compat.whmcs.api.format import ymd, ymd_his

_SQLITE = sqlite.dialect()


def _reading(kind):
    return kind.dialect_impl(_SQLITE).result_processor(_SQLITE, None)


READ_MONEY = _reading(Numeric(19, 4, asdecimal=True))
READ_RATE = _reading(Numeric(19, 6, asdecimal=True))
READ_DATETIME = _reading(DateTime())
READ_DATE = _reading(Date())
STORE_DATETIME = DateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)


def _amounts() -> list[Decimal]:
    """4-place amounts: ties at every rounding position, signs, zeros, large values."""
    rng = random.Random(20261122)
    fixed = ["0", "0.0000", "-0.0000", "0.005", "0.0050", "0.015", "2.675", "1.005", "-0.005",
             "-0.0030", "-2.675", "0.0049", "0.0051", "-0.0049", "9.995", "99.9950", "12.5",
             "1234567.8950", "-1234567.8949", "999999999.9999", "123456789012345.67",
             "57", "-57", "0.0001", "-0.0001"]
    drawn = [Decimal(rng.randrange(-10**9, 10**9)).scaleb(-4) for _ in range(20000)]
    ties = [Decimal(rng.randrange(-10**7, 10**7) * 100 + 50).scaleb(-4) for _ in range(5000)]
    return [Decimal(text) for text in fixed] + drawn + ties


@pytest.mark.parametrize("stored_as", ["float", "int-when-whole"])
def test_amounts_print_as_the_typed_value_prints(stored_as):
    for amount in _amounts():
        # what a SQLite NUMERIC column hands back: a REAL, or an INTEGER for whole values
        raw: float | int = float(amount)
        if stored_as == "int-when-whole" and amount == amount.to_integral_value():
            raw = int(amount)
        typed = READ_MONEY(raw)
        assert cents(raw) == whmcs_money(typed), (amount, raw)
        assert four_places(raw) == blesta_money(typed), (amount, raw)
        assert decimal_of(raw) == typed and str(decimal_of(raw)) == str(typed)
        # a MySQL driver hands back the Decimal itself
        assert cents(typed) == whmcs_money(typed) and four_places(typed) == blesta_money(typed)
    # printed twice (the second time from the memo): the same text
    assert [cents(float(a)) for a in _amounts()[:50]] == [cents(float(a))
                                                           for a in _amounts()[:50]]


def test_none_prints_as_zero_and_reads_as_zero():
    assert cents(None) == whmcs_money(None) == "0.00"
    assert four_places(None) == blesta_money(None) == "0.0000"
    assert three_places(None) == rate3(None) == "0.000"
    assert decimal_of(None) == Decimal("0.0000") and str(decimal_of(None)) == "0.0000"


def test_negative_zero_is_never_confused_with_zero():
    # 0.0 == -0.0 as dictionary keys: the memo must not hand one's text to the other
    assert cents(0.0) == whmcs_money(READ_MONEY(0.0)) == "0.00"
    assert cents(-0.0030) == whmcs_money(READ_MONEY(-0.0030)) == "-0.00"
    assert cents(-0.003) == "-0.00" and cents(-0.0) == "0.00" == cents(0.0)
    # a zero Decimal prints unsigned at both doors, however it is signed
    assert cents(-0.0) == whmcs_money(Decimal("-0.0000")) == cents(Decimal("-0.0000"))
    assert four_places(-0.0) == blesta_money(Decimal("-0")) == four_places(Decimal("-0"))


def test_rates_print_as_the_typed_rate_prints():
    rng = random.Random(7)
    rates = [Decimal(rng.randrange(-10**8, 10**8)).scaleb(-6) for _ in range(20000)]
    rates += [Decimal(text) for text in ("0", "10", "7.5", "0.0005", "19.6245", "-0.0005",
                                         "8.875", "0.000500", "12.345500")]
    for rate in rates:
        for raw in (float(rate), int(rate) if rate == rate.to_integral_value() else None):
            if raw is not None:
                assert three_places(raw) == rate3(READ_RATE(raw)), (rate, raw)
        assert three_places(rate) == rate3(rate)


def test_datetimes_print_as_the_typed_datetime_prints():
    rng = random.Random(11)
    moments = [datetime(2026, 11, 22, 17, 30, 5, 123456), datetime(2026, 1, 2, 3, 4, 5),
               datetime(1999, 12, 31, 23, 59, 59, 999999), datetime(999, 5, 6, 7, 8, 9),
               datetime(1, 1, 1)]
    moments += [datetime(rng.randrange(1970, 2100), rng.randrange(1, 13), rng.randrange(1, 29),
                         rng.randrange(24), rng.randrange(60), rng.randrange(60),
                         rng.choice((0, rng.randrange(10**6)))) for _ in range(5000)]
    for moment in moments:
        stored = STORE_DATETIME(moment)  # the text SQLAlchemy writes into SQLite
        assert datetime_text(stored) == ymd_his(READ_DATETIME(stored)) == stamp(moment)
        if moment.year >= 1000:  # an independent reference (glibc pads no shorter year)
            assert datetime_text(stored) == moment.strftime("%Y-%m-%d %H:%M:%S")
        assert datetime_text(moment) == ymd_his(moment)  # a MySQL driver's datetime
        # text written by someone else, without microseconds or without a time
        assert datetime_text(stored[:19]) == ymd_his(READ_DATETIME(stored[:19]))
        assert datetime_text(stored[:10]) == ymd_his(READ_DATETIME(stored[:10]))
    assert datetime_text(None) is None and ymd_his(None) == "0000-00-00 00:00:00"


def test_dates_print_as_the_typed_date_prints():
    for day in (date(2026, 11, 22), date(1, 1, 1), date(999, 12, 31), date(2000, 2, 29)):
        stored = day.isoformat()
        assert date_text(stored) == ymd(READ_DATE(stored)) == ymd(day) == date_text(day)
    assert date_text(None) is None


def _invoices_with_awkward_amounts(db):
    """Invoices whose stored amounts sit on rounding ties (as an import may store them: the
    core itself rounds lines to the currency's places)."""
    client = make_client(db)
    amounts = ["2.675", "0.005", "1.0049", "-0.0050", "57", "1234567.8950", "0"]
    for amount in amounts:
        invoice = create_invoice(db, client.id, [{"description": "line", "unit_amount": "1"}])
        db.flush()
        db.execute(update(Invoice).where(Invoice.id == invoice.id).values(
            total=Decimal(amount), subtotal=Decimal(amount), credit_applied=Decimal("0.0050"),
            tax1_rate=Decimal("8.8755"),
            paid_at=datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)))
    db.commit()
    return len(amounts)


COLUMNS = (Invoice.id, Invoice.total, Invoice.subtotal, Invoice.credit_applied,
           Invoice.tax1_rate, Invoice.date, Invoice.due_date, Invoice.paid_at,
           Invoice.refunded_at, Invoice.created_at)


def _compare_with_typed(db, count):
    typed = db.connection().execute(select(*naive_utc(COLUMNS)).order_by(Invoice.id)).all()
    raw = db.connection().execute(select(*driver_columns(COLUMNS)).order_by(Invoice.id)).all()
    assert len(raw) == len(typed) == count
    assert list(raw[0]._fields) == [column.key for column in COLUMNS]
    for mine, reference in zip(raw, typed, strict=True):
        assert mine.id == reference.id
        for name in ("total", "subtotal", "credit_applied"):
            assert cents(getattr(mine, name)) == whmcs_money(getattr(reference, name))
            assert four_places(getattr(mine, name)) == blesta_money(getattr(reference, name))
            assert decimal_of(getattr(mine, name)) == getattr(reference, name)
        assert three_places(mine.tax1_rate) == rate3(reference.tax1_rate)
        for name in ("date", "due_date"):
            assert date_text(getattr(mine, name)) == ymd(getattr(reference, name))
        for name in ("paid_at", "refunded_at", "created_at"):
            assert (datetime_text(getattr(mine, name)) or "0000-00-00 00:00:00") \
                == ymd_his(getattr(reference, name))
    # the awkward ones really are stored awkwardly, and print rounded half up
    printed = [cents(row.total) for row in raw]
    assert printed[:4] == ["2.68", "0.01", "1.00", "-0.01"]
    assert datetime_text(raw[0].paid_at) == "2026-03-04 05:06:07"


def test_sqlite_rows_print_as_their_typed_rows(db):
    count = _invoices_with_awkward_amounts(db)
    raw_total = db.connection().execute(select(*driver_columns([Invoice.total]))).scalar()
    assert isinstance(raw_total, float)  # the point: SQLite hands back the REAL
    _compare_with_typed(db, count)


@pytest.mark.mysql
def test_mariadb_rows_print_as_their_typed_rows(mysql_db):
    count = _invoices_with_awkward_amounts(mysql_db)
    raw_total = mysql_db.connection().execute(select(*driver_columns([Invoice.total]))).scalar()
    assert isinstance(raw_total, Decimal)
    _compare_with_typed(mysql_db, count)
