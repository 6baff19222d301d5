from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.cycles import parse_cycle
from bridge.money import inclusive_tax_part, line_total, percent_of, round_money, to_decimal


@pytest.mark.parametrize(("code", "start", "expected"), [
    ("1M", date(2026, 1, 31), date(2026, 2, 28)),
    ("1M", date(2028, 1, 31), date(2028, 2, 29)),
    ("3M", date(2026, 11, 30), date(2027, 2, 28)),
    ("6M", date(2026, 8, 31), date(2027, 2, 28)),
    ("1Y", date(2028, 2, 29), date(2029, 2, 28)),
    ("2Y", date(2026, 3, 15), date(2028, 3, 15)),
    ("3Y", date(2026, 12, 31), date(2029, 12, 31)),
    ("1W", date(2026, 12, 28), date(2027, 1, 4)),
    ("45D", date(2026, 1, 1), date(2026, 2, 15)),
])
def test_advance(code, start, expected):
    assert parse_cycle(code).advance(start) == expected


def test_anchor_day_climbs_back_after_february():
    cycle = parse_cycle("1M")
    feb = cycle.advance(date(2026, 1, 31), anchor_day=31)
    assert feb == date(2026, 2, 28)
    assert cycle.advance(feb, anchor_day=31) == date(2026, 3, 31)


@pytest.mark.parametrize("bad", ["", "0M", "M", "12X", "monthly"])
def test_bad_cycles(bad):
    with pytest.raises(ValueError):
        parse_cycle(bad)


def test_non_recurring():
    assert not parse_cycle("onetime").recurring
    assert not parse_cycle("FREE").recurring
    with pytest.raises(ValueError):
        parse_cycle("onetime").advance(date(2026, 1, 1))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
       st.sampled_from(["1M", "3M", "6M", "1Y", "2Y", "3Y"]))
def test_retreat_undoes_advance_on_anchor(start, code):
    cycle = parse_cycle(code)
    end = cycle.advance(start, start.day)
    assert end > start
    back = cycle.retreat(end, start.day)
    assert back == start


def test_money_helpers():
    assert to_decimal("1,234.50") == Decimal("1234.50")
    with pytest.raises(TypeError):
        to_decimal(1.5)
    with pytest.raises(ValueError):
        to_decimal("abc")
    assert round_money(Decimal("2.345")) == Decimal("2.35")
    assert line_total(Decimal("3.333"), Decimal(3)) == Decimal("10.00")
    assert percent_of(Decimal("15.55"), Decimal("20")) == Decimal("3.11")
    assert inclusive_tax_part(Decimal("120.00"), Decimal("20")) == Decimal("20.00")
