"""Render-only rows read as the database driver hands them, printed without the typed round
trip.

A page of 25 invoices carries 175 amounts and 150 dates. Read through the mapped types, each
SQLite REAL becomes a ``Decimal`` (SQLAlchemy prints it to 4 places and parses that)
and each datetime text a ``datetime``; the printer then turns both back into text. On SQLite
that round trip cost as much as running the page's statement. :func:`driver_columns` selects
columns without result processing, and the printers here take either form:

- MySQL drivers: ``Decimal``, ``date`` and naive ``datetime`` (the column types' own values);
- SQLite: ``int``/``float`` for numerics, ``'YYYY-MM-DD'`` and
  ``'YYYY-MM-DD HH:MM:SS.ffffff'`` text for dates and datetimes (as SQLAlchemy stores them).

Each printer gives exactly the text the typed path gives for the same stored value
(tests/bridge/test_driver_values.py compares them value by value): a float is first printed
to the column's scale exactly as SQLAlchemy does before making its ``Decimal``, so that text
*is* the typed value's digits, and rounding it half up to fewer places needs only its next
digit. Anything not in the expected shape (text a third party wrote into a datetime column)
goes through SQLAlchemy's own reading, so nothing prints differently.

Only for rows that are printed and nothing else: arithmetic on the values needs
:func:`decimal_of` first (floats must never meet money).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, type_coerce
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import Date, NullType

from bridge.money import CENT, STORAGE, ZERO

_MILLI = Decimal("0.001")


def _sqlite_reading(kind: Any) -> Callable[[Any], Any]:
    # SQLAlchemy's own reading of a SQLite value, for anything outside the fast shapes
    dialect = sqlite.dialect()
    read = kind.dialect_impl(dialect).result_processor(dialect, None)
    assert read is not None
    return read  # type: ignore[no-any-return]


_READ_DATETIME = _sqlite_reading(DateTime())
_READ_DATE = _sqlite_reading(Date())


def driver_columns(columns: Any) -> list[Any]:
    """``columns`` read without result processing (same names): each value comes as the
    driver returns it. Print them only with the functions of this module."""
    return [type_coerce(column, NullType()).label(column.key) for column in columns]


def decimal_of(value: Any, places: int = 4) -> Decimal:
    """The ``Decimal`` the mapped ``Numeric(.., places)`` column would read (None: 0), for
    arithmetic on a driver value."""
    if value.__class__ is Decimal:
        return value
    if value is None:
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    return Decimal(f"{value:.{places}f}")


def _half_up(text: str, dropped: int, quantum: Decimal) -> str:
    """``text`` (a float printed to its column's scale: the typed value's digits) without its
    last ``dropped`` digits, rounded half up: below 5 the kept digits stand as they are
    ("-0.0030" -> "-0.00", as the Decimal prints it); from 5 on, away from zero."""
    if text[-dropped] < "5":
        return text[:-dropped]
    return str(Decimal(text).quantize(quantum, rounding=ROUND_HALF_UP))


# the memo stops growing at this many entries (then it only reads)
_MEMO_LIMIT = 4096


def _memoized(print_float: Callable[[float], str], zero: str) -> Callable[[float], str]:
    """``print_float`` remembered per value: a host's invoices repeat a few dozen prices,
    and printing a float costs several times a lookup. Any zero prints ``zero`` (as the
    doors print a zero Decimal, -0.0 too) and is never a key: ``0.0 == -0.0``."""
    memo: dict[float, str] = {}

    def printed(value: float) -> str:
        text = memo.get(value)
        if text is None:
            if not value:
                return zero
            text = print_float(value)
            if len(memo) < _MEMO_LIMIT:
                memo[value] = text
        return text
    return printed


# the typed value's own digits (a Numeric(19, 4) has no more)
_four_of_float = _memoized(lambda value: f"{value:.4f}", "0.0000")
_cents_of_float = _memoized(lambda value: _half_up(f"{value:.4f}", 2, CENT), "0.00")


def four_places(value: Any) -> str:
    """An amount to 4 places (``10.0000``; None: ``0.0000``), half up."""
    kind = value.__class__
    if kind is float:
        return _four_of_float(value)
    if kind is int:
        return f"{value}.0000"
    return str((value or ZERO).quantize(STORAGE, rounding=ROUND_HALF_UP))


def cents(value: Any) -> str:
    """An amount to 2 places (``15.95``; None: ``0.00``), half up from its 4 stored places."""
    kind = value.__class__
    if kind is float:
        return _cents_of_float(value)
    if kind is int:
        return f"{value}.00"
    return str((value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP))


def three_places(value: Any) -> str:
    """A rate (6 stored places) to 3 places (``10.000``; None: ``0.000``), half up."""
    kind = value.__class__
    if kind is int:
        return f"{value}.000"
    if kind is not float:  # a Decimal or None
        return str((value or ZERO).quantize(_MILLI, rounding=ROUND_HALF_UP))
    if not value:
        return "0.000"
    return _half_up(f"{value:.6f}", 3, _MILLI)  # a Numeric(19, 6) rate's digits


def date_text(value: Any) -> str | None:
    """``Y-m-d`` of a date column's value (None stays None)."""
    if value is None:
        return None
    if value.__class__ is str:
        if len(value) == 10:
            return value
        value = _READ_DATE(value)
    return value.isoformat()  # type: ignore[no-any-return]


def datetime_text(value: Any) -> str | None:
    """``Y-m-d H:i:s`` of a datetime column's value, as text from SQLite or a (naive or UTC)
    ``datetime``; a ``date`` prints at midnight. None stays None."""
    if value is None:
        return None
    if value.__class__ is str:
        # SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff"; a value without microseconds has
        # the same first 19 characters (years before 1000 print unpadded: parsed below)
        if (len(value) == 26 or len(value) == 19) and value[10] == " " and value[0] != "0":
            return value[:19]
        value = _READ_DATETIME(value)
    return _print_datetime(value)


def _print_datetime(value: datetime | date) -> str:
    # the doors' printer of typed values too (WHMCS ymd_his, Blesta stamp)
    if not isinstance(value, datetime):
        return f"{value.isoformat()} 00:00:00"
    # isoformat is twice as fast as strftime; they agree for 4-digit years (strftime does
    # not pad years before 1000 on glibc)
    if value.year >= 1000:
        return value.isoformat(" ", "seconds")[:19]
    return value.strftime("%Y-%m-%d %H:%M:%S")

