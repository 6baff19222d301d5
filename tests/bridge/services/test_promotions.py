"""Promotion codes: definition checks, every eligibility rule, discounts, use counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Promotion
from bridge.services import promotions

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _reason(info: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return info.value.errors["promocode"]["invalid"]


@pytest.fixture
def product(factories):
    return factories.product(prices={"1M": "10.00", "1Y": "100.00"})


def _check(db, code, *, client_id=None, product_id=None, cycle="1M", currency="USD", at=NOW):
    return promotions.check_promotion(db, code, client_id=client_id, product_id=product_id,
                                      cycle=cycle, currency=currency, at=at)


def test_add_promotion_keeps_case_and_refuses_duplicates_in_any_case(db, product):
    promo = promotions.add_promotion(db, {"code": "Spring10", "type": "percent", "value": "10",
                                          "cycles": ["1m", "1y"]})
    assert promo.code == "Spring10"
    assert promo.cycles == ["1M", "1Y"]
    with pytest.raises(Conflict):
        promotions.add_promotion(db, {"code": "SPRING10"})
    assert _check(db, "spring10") is promo


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "P", "type": "percent", "value": "150"}, "value"),
    ({"code": "P", "type": "fixed", "value": "5", "currency": "XYZ"}, "currency"),
    ({"code": "P", "cycles": ["monthly"]}, "cycles"),
    ({"code": "P", "product_ids": [4242]}, "product_ids"),
    ({"code": "P", "new_signups_only": True, "existing_clients_only": True},
     "existing_clients_only"),
    ({"code": "P", "starts_at": NOW, "expires_at": NOW - timedelta(days=1)}, "expires_at"),
    ({"code": "P", "type": "half_off"}, "type"),
])
def test_add_promotion_validation(db, product, data, field):
    with pytest.raises(ValidationFailed) as info:
        promotions.add_promotion(db, data)
    assert field in info.value.errors


def test_unknown_and_inactive_codes(db, product):
    with pytest.raises(ValidationFailed) as unknown:
        _check(db, "NOPE")
    assert "no such promotion" in _reason(unknown)
    promotions.add_promotion(db, {"code": "OFF", "active": False})
    with pytest.raises(ValidationFailed) as inactive:
        _check(db, "OFF")
    assert "not active" in _reason(inactive)


def test_start_and_expiry(db, product):
    promotions.add_promotion(db, {"code": "LATER", "starts_at": NOW + timedelta(days=1)})
    promotions.add_promotion(db, {"code": "GONE", "expires_at": NOW - timedelta(seconds=1)})
    promotions.add_promotion(db, {"code": "WINDOW", "starts_at": NOW - timedelta(days=1),
                                  "expires_at": NOW + timedelta(days=1)})
    with pytest.raises(ValidationFailed) as later:
        _check(db, "LATER")
    assert "starts" in _reason(later)
    with pytest.raises(ValidationFailed) as gone:
        _check(db, "GONE")
    assert "expired" in _reason(gone)
    assert _check(db, "WINDOW").code == "WINDOW"


def test_max_uses(db, product):
    promo = promotions.add_promotion(db, {"code": "TWICE", "max_uses": 2})
    promotions.record_promotion_use(db, promo)
    assert _check(db, "TWICE") is promo
    promotions.record_promotion_use(db, promo)
    assert promo.uses == 2
    with pytest.raises(ValidationFailed) as used_up:
        _check(db, "TWICE")
    assert "maximum" in _reason(used_up)
    with pytest.raises(Conflict):
        promotions.record_promotion_use(db, promo)
    assert db.get(Promotion, promo.id).uses == 2


def test_unlimited_promotion_counts_uses(db, product):
    promo = promotions.add_promotion(db, {"code": "MANY"})
    for _ in range(3):
        promotions.record_promotion_use(db, promo)
    assert promo.uses == 3


def test_product_and_cycle_coverage(db, factories, product):
    other = factories.product()
    promotions.add_promotion(db, {"code": "ONLY", "product_ids": [product.id],
                                  "cycles": ["1Y"]})
    assert _check(db, "ONLY", product_id=product.id, cycle="1y").code == "ONLY"
    with pytest.raises(ValidationFailed) as wrong_product:
        _check(db, "ONLY", product_id=other.id, cycle="1Y")
    assert f"product {other.id}" in _reason(wrong_product)
    with pytest.raises(ValidationFailed) as wrong_cycle:
        _check(db, "ONLY", product_id=product.id, cycle="1M")
    assert "billing cycle 1M" in _reason(wrong_cycle)


def test_new_signups_only(db, factories, product):
    promotions.add_promotion(db, {"code": "NEW", "new_signups_only": True})
    fresh = factories.client()
    veteran = factories.client()
    factories.service(client=veteran, product=product, status="cancelled")
    assert _check(db, "NEW").code == "NEW"
    assert _check(db, "NEW", client_id=fresh.id).code == "NEW"
    with pytest.raises(ValidationFailed) as info:
        _check(db, "NEW", client_id=veteran.id)
    assert "new signups" in _reason(info)


def test_existing_clients_only(db, factories, product):
    promotions.add_promotion(db, {"code": "LOYAL", "existing_clients_only": True})
    loyal = factories.client()
    factories.service(client=loyal, product=product, status="active")
    lapsed = factories.client()
    factories.service(client=lapsed, product=product, status="terminated")
    assert _check(db, "LOYAL", client_id=loyal.id).code == "LOYAL"
    for client_id in (None, lapsed.id):
        with pytest.raises(ValidationFailed) as info:
            _check(db, "LOYAL", client_id=client_id)
        assert "existing clients" in _reason(info)


def test_once_per_client(db, factories, product):
    promo = promotions.add_promotion(db, {"code": "ONCE", "once_per_client": True})
    client = factories.client()
    other = factories.client()
    assert _check(db, "ONCE", client_id=client.id) is promo
    factories.service(client=client, product=product, promotion_id=promo.id)
    with pytest.raises(ValidationFailed) as info:
        _check(db, "ONCE", client_id=client.id)
    assert "once per client" in _reason(info)
    assert _check(db, "ONCE", client_id=other.id) is promo


def _promo(**kw):
    values = {"code": "X", "type": "percent", "value": Decimal(0), "currency": None}
    values.update(kw)
    return Promotion(**values)


def test_percent_discount_covers_price_and_setup_rounded():
    promo = _promo(type="percent", value=Decimal("10"))
    assert promotions.promotion_discount(promo, Decimal("15.95"), Decimal("5.00"), "USD") == (
        Decimal("1.60"), Decimal("0.50"))


def test_fixed_discount_never_exceeds_the_amount():
    promo = _promo(type="fixed", value=Decimal("5.00"))
    assert promotions.promotion_discount(promo, Decimal("12"), Decimal("3"), "USD") == (
        Decimal("5.00"), Decimal(0))
    assert promotions.promotion_discount(promo, Decimal("3.00"), Decimal("3"), "USD") == (
        Decimal("3.00"), Decimal(0))


def test_price_override_discount_is_never_negative():
    promo = _promo(type="price_override", value=Decimal("4.00"))
    assert promotions.promotion_discount(promo, Decimal("10.00"), Decimal("2"), "USD") == (
        Decimal("6.00"), Decimal(0))
    assert promotions.promotion_discount(promo, Decimal("3.00"), Decimal("2"), "USD") == (
        Decimal(0), Decimal(0))


def test_free_setup_discounts_only_the_setup_fee():
    promo = _promo(type="free_setup")
    assert promotions.promotion_discount(promo, Decimal("10"), Decimal("7.50"), "USD") == (
        Decimal(0), Decimal("7.50"))


def test_fixed_and_override_in_another_currency_give_nothing():
    fixed = _promo(type="fixed", value=Decimal("5"), currency="EUR")
    override = _promo(type="price_override", value=Decimal("1"), currency="EUR")
    percent = _promo(type="percent", value=Decimal("50"), currency="EUR")
    for promo in (fixed, override):
        assert promotions.promotion_discount(promo, Decimal(10), Decimal(0), "usd") == (
            Decimal(0), Decimal(0))
    assert promotions.promotion_discount(fixed, Decimal(10), Decimal(0), "eur")[0] == Decimal(5)
    assert promotions.promotion_discount(percent, Decimal(10), Decimal(0), "USD")[0] == Decimal(5)
