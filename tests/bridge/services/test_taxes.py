"""Tax rule matching and the tax arithmetic (numbers worked out by hand in the comments)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bridge.models import TaxRule
from bridge.services.settings import set_setting
from bridge.services.taxes import TaxResult, compute_taxes, taxes_for_client


@pytest.mark.parametrize(
    ("lines", "rate1", "rate2", "compound", "expected"),
    [
        # 10.00 + 5.55 = 15.55 taxed; 20% of 15.55 = 3.110 -> 3.11; total 18.66
        ([(D("10.00"), True), (D("5.55"), True)], D(20), D(0), False,
         TaxResult(D("15.55"), D("3.11"), D("0.00"), D("18.66"))),
        # level 2 compound 5% on 15.55 + 3.11 = 18.66 -> 0.933 -> 0.93; total 19.59
        ([(D("10.00"), True), (D("5.55"), True)], D(20), D(5), True,
         TaxResult(D("15.55"), D("3.11"), D("0.93"), D("19.59"))),
        # level 2 plain 5% on 15.55 = 0.7775 -> 0.78; total 15.55 + 3.11 + 0.78 = 19.44
        ([(D("10.00"), True), (D("5.55"), True)], D(20), D(5), False,
         TaxResult(D("15.55"), D("3.11"), D("0.78"), D("19.44"))),
        # only the taxed line is taxed: 20% of 10.00 = 2.00; subtotal 15.00; total 17.00
        ([(D("10.00"), True), (D("5.00"), False)], D(20), D(0), False,
         TaxResult(D("15.00"), D("2.00"), D("0.00"), D("17.00"))),
        # tax rounded once on the sum, half up: 10% of (0.12 + 0.13) = 0.025 -> 0.03
        # (per line it would be 0.012 -> 0.01 and 0.013 -> 0.01, i.e. 0.02)
        ([(D("0.12"), True), (D("0.13"), True)], D(10), D(0), False,
         TaxResult(D("0.25"), D("0.03"), D("0.00"), D("0.28"))),
        # no lines: everything 0
        ([], D(20), D(5), True, TaxResult(D(0), D(0), D(0), D(0))),
    ],
)
def test_exclusive_taxes(lines, rate1, rate2, compound, expected) -> None:
    result = compute_taxes(lines, rate1, rate2, compound=compound, inclusive=False)
    assert result == expected
    assert result.total == result.subtotal + result.tax1 + result.tax2


@pytest.mark.parametrize(
    ("lines", "rate1", "rate2", "compound", "expected"),
    [
        # 12.00 contains 20%: net 12.00 / 1.2 = 10.00, tax 2.00
        ([(D("12.00"), True)], D(20), D(0), False,
         TaxResult(D("10.00"), D("2.00"), D("0.00"), D("12.00"))),
        # 10.00 / 1.2 = 8.3333..; tax 1.6666.. -> 1.67; subtotal = 10.00 - 1.67 = 8.33
        ([(D("10.00"), True)], D(20), D(0), False,
         TaxResult(D("8.33"), D("1.67"), D("0.00"), D("10.00"))),
        # 20% + 5% side by side: net 12.50 / 1.25 = 10.00; taxes 2.00 and 0.50
        ([(D("12.50"), True)], D(20), D(5), False,
         TaxResult(D("10.00"), D("2.00"), D("0.50"), D("12.50"))),
        # compound: net 12.60 / 1.2 / 1.05 = 10.00; tax1 2.00; tax2 5% of 12.00 = 0.60
        ([(D("12.60"), True)], D(20), D(5), True,
         TaxResult(D("10.00"), D("2.00"), D("0.60"), D("12.60"))),
        # untaxed 3.00 passes through: total 15.00, tax 2.00 from the 12.00 line, net 13.00
        ([(D("12.00"), True), (D("3.00"), False)], D(20), D(0), False,
         TaxResult(D("13.00"), D("2.00"), D("0.00"), D("15.00"))),
    ],
)
def test_inclusive_taxes(lines, rate1, rate2, compound, expected) -> None:
    result = compute_taxes(lines, rate1, rate2, compound=compound, inclusive=True)
    assert result == expected
    assert result.total == sum((amount for amount, _ in lines), D(0))


def test_zero_decimal_currency_rounds_to_its_places() -> None:
    # 10% of 1005 = 100.5 -> 101 (half up) in a currency without decimals
    result = compute_taxes([(D("1005"), True)], D(10), D(0), compound=False, inclusive=False,
                           places=0)
    assert (result.tax1, result.total) == (D("101"), D("1106"))


@pytest.fixture
def rules(db):
    made = {
        "everywhere": TaxRule(level=1, name="Global", rate=D("10")),
        "us": TaxRule(level=1, name="US", country="US", rate=D("7")),
        "us_ca": TaxRule(level=1, name="CA Sales", country="US", state="CA", rate=D("8.25")),
        "inactive": TaxRule(level=1, name="Old", country="US", state="NY", rate=D("9"),
                            active=False),
        "gb_l2": TaxRule(level=2, name="GB extra", country="GB", rate=D("2"), compound=True),
        "l2_us": TaxRule(level=2, name="US level 2", country="US", rate=D("1")),
    }
    db.add_all(made.values())
    db.flush()
    return made


def _ids(pair):
    # taxes_for_client answers with immutable views of the rule rows
    return tuple(None if rule is None else rule.id for rule in pair)


def _rule(rules, name):
    return rules[name].id


def test_most_specific_rule_wins(db, factories, rules) -> None:
    assert _ids(taxes_for_client(db, factories.client(country="US", state="CA"))) == (
        _rule(rules, "us_ca"), _rule(rules, "l2_us"))
    # state matching ignores case and spaces around it
    assert _ids(taxes_for_client(db, factories.client(country="US", state=" ca ")))[0] \
        == _rule(rules, "us_ca")
    # NY has only an inactive state rule, so the country rule applies
    assert _ids(taxes_for_client(db, factories.client(country="US", state="NY"))) == (
        _rule(rules, "us"), _rule(rules, "l2_us"))
    assert _ids(taxes_for_client(db, factories.client(country="DE", state=""))) == (
        _rule(rules, "everywhere"), None)
    assert _ids(taxes_for_client(db, factories.client(country="GB", state=""))) == (
        _rule(rules, "everywhere"), _rule(rules, "gb_l2"))
    view = taxes_for_client(db, factories.client(country="GB", state=""))[1]
    assert (view.name, view.rate, view.compound) == ("GB extra", D("2"), True)


def test_exempt_client_and_disabled_taxes_get_no_rules(db, factories, rules) -> None:
    assert taxes_for_client(db, factories.client(country="US", tax_exempt=True)) == (None, None)
    client = factories.client(country="US", state="CA")
    set_setting(db, "tax.enabled", "0")
    assert taxes_for_client(db, client) == (None, None)
    set_setting(db, "tax.enabled", "1")
    assert _ids(taxes_for_client(db, client))[0] == _rule(rules, "us_ca")
