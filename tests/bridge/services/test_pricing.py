"""Price points: upsert, validation, disabled cycles, free and one-time products."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.errors import NotFound, ValidationFailed
from bridge.models import Price, Tld
from bridge.services import pricing


def test_set_prices_creates_then_updates_the_same_rows(db, factories):
    product = factories.product(prices={})
    first = pricing.set_prices(db, "product", product.id, "usd", {
        "1m": {"amount": "10.00", "setup_fee": "5"},
        "1Y": {"amount": Decimal("100")},
    })
    assert [p.cycle for p in first] == ["1M", "1Y"]
    assert first[0].currency == "USD"
    assert first[1].setup_fee == Decimal(0)

    again = pricing.set_prices(db, "product", product.id, "USD", {"1M": {"amount": "12.50"}})
    assert again[0].id == first[0].id
    assert pricing.price_for(db, "product", product.id, "USD", "1M") == (
        Decimal("12.50"), Decimal(0))
    # cycles not mentioned are kept
    assert pricing.get_price(db, "product", product.id, "USD", "1Y") is not None
    count = db.scalar(select(func.count(Price.id)).where(Price.owner_id == product.id,
                                                         Price.owner_type == "product"))
    assert count == 2


def test_disabled_cycle_is_not_offered(db, factories):
    product = factories.product(prices={})
    pricing.set_prices(db, "product", product.id, "USD", {
        "1M": {"amount": "10"}, "3M": {"amount": "27", "enabled": False}, "6M": {"enabled": "0"},
    })
    assert pricing.get_price(db, "product", product.id, "USD", "3M") is None
    assert pricing.offered_cycles(db, "product", product.id, "USD") == ["1M"]
    with pytest.raises(ValidationFailed) as info:
        pricing.price_for(db, "product", product.id, "USD", "3M")
    assert "not offered" in info.value.errors["billingcycle"]["invalid"]


def test_price_in_another_currency_is_not_offered(db, factories):
    factories.currency("EUR", "0.9")
    product = factories.product(prices={"1M": "10.00"})
    with pytest.raises(ValidationFailed):
        pricing.price_for(db, "product", product.id, "EUR", "1M")
    pricing.set_prices(db, "product", product.id, "EUR", {"1M": {"amount": "9.00"}})
    assert pricing.price_for(db, "product", product.id, "EUR", "1M")[0] == Decimal("9.00")


@pytest.mark.parametrize(("spec", "rule"), [
    ({"amount": "-1.00"}, "range"),
    ({"amount": 9.99}, "invalid"),  # floats lose cents
    ({"amount": "abc"}, "invalid"),
    ({"amount": "1", "setup_fee": "-2"}, "range"),
    ({"setup_fee": "1"}, "required"),
    ({"amount": "1", "colour": "red"}, "unknown"),
])
def test_set_prices_rejects_bad_amounts(db, factories, spec, rule):
    product = factories.product(prices={})
    with pytest.raises(ValidationFailed) as info:
        pricing.set_prices(db, "product", product.id, "USD", {"1M": spec})
    assert any(rule in rules for rules in info.value.errors.values())


def test_set_prices_rejects_bad_cycle_currency_and_owner(db, factories):
    product = factories.product(prices={})
    with pytest.raises(ValidationFailed):
        pricing.set_prices(db, "product", product.id, "USD", {"monthly": {"amount": "1"}})
    with pytest.raises(ValidationFailed) as info:
        pricing.set_prices(db, "product", product.id, "XYZ", {"1M": {"amount": "1"}})
    assert "currency" in info.value.errors
    with pytest.raises(NotFound):
        pricing.set_prices(db, "product", 9999, "USD", {"1M": {"amount": "1"}})
    with pytest.raises(ValidationFailed):
        pricing.set_prices(db, "gadget", product.id, "USD", {"1M": {"amount": "1"}})


def test_tld_prices_are_per_year(db, factories):
    factories.currency()
    tld = Tld(extension=".com")
    db.add(tld)
    db.flush()
    pricing.set_prices(db, "tld_register", tld.id, "USD", {"2Y": {"amount": "20"}})
    assert pricing.price_for(db, "tld_register", tld.id, "USD", "2Y")[0] == Decimal(20)
    with pytest.raises(ValidationFailed):
        pricing.set_prices(db, "tld_register", tld.id, "USD", {"1M": {"amount": "2"}})


def test_free_product_costs_nothing_for_any_cycle(db, factories):
    product = factories.product(prices={}, pay_type="free")
    assert pricing.price_for(db, "product", product.id, "USD", "1Y") == (Decimal(0), Decimal(0))
    assert pricing.offered_cycles(db, "product", product.id, "USD") == ["free"]


def test_onetime_product_uses_its_onetime_price(db, factories):
    product = factories.product(prices={"onetime": "49.00", "1M": "5.00"}, pay_type="onetime")
    assert pricing.price_for(db, "product", product.id, "USD", "1M")[0] == Decimal("49.00")
    assert pricing.offered_cycles(db, "product", product.id, "USD") == ["onetime"]


def test_offered_cycles_are_sorted_shortest_first(db, factories):
    product = factories.product(prices={"1Y": "100", "1M": "10", "3M": "28", "1W": "3",
                                        "onetime": "500"})
    assert pricing.offered_cycles(db, "product", product.id, "USD") == [
        "1W", "1M", "3M", "1Y", "onetime"]


def test_bad_cycle_code_in_lookup_is_a_validation_error(db, factories):
    product = factories.product()
    with pytest.raises(ValidationFailed) as info:
        pricing.get_price(db, "product", product.id, "USD", "fortnightly")
    assert "billingcycle" in info.value.errors
