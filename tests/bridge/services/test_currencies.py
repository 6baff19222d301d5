"""Currencies: update and delete (bridge.services.currencies)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import ActivityLog, Currency
from bridge.services.currencies import currency_uses, delete_currency, update_currency
from bridge.services.settings import add_currency


@pytest.fixture
def eur(factories):
    factories.currency("USD")
    return add_currency(factories.db, "EUR", rate=Decimal("0.9"), suffix=" EUR")


def test_update_changes_only_what_is_given_and_stamps_a_new_rate(db, eur):
    update_currency(db, "eur", places=3, format=2)
    assert (eur.places, eur.format, eur.suffix, eur.rate_updated_at) == (3, 2, " EUR", None)
    update_currency(db, "EUR", rate=Decimal("0.95"))
    assert eur.rate == Decimal("0.95") and eur.rate_updated_at is not None
    logged = list(db.scalars(select(ActivityLog.data).where(
        ActivityLog.action == "currency.updated")))
    assert [entry["changed"] for entry in logged] == [["places", "format"], ["rate"]]


def test_update_refuses_bad_values_all_at_once(db, eur):
    with pytest.raises(ValidationFailed) as caught:
        update_currency(db, "EUR", rate=Decimal(0), places=7, format=9)
    assert set(caught.value.errors) == {"rate", "places", "format"}
    assert eur.places == 2
    with pytest.raises(NotFound):
        update_currency(db, "XXX", places=2)


def test_delete_refuses_the_default_and_a_currency_in_use(db, factories, eur):
    with pytest.raises(Conflict, match="default"):
        delete_currency(db, "USD")
    client = factories.client(currency="EUR")
    assert currency_uses(db, "EUR") == {"clients": 1}
    with pytest.raises(Conflict, match="1 clients"):
        delete_currency(db, "EUR")
    client.currency = "USD"
    db.flush()
    delete_currency(db, "EUR")
    assert list(db.scalars(select(Currency.code))) == ["USD"]
    with pytest.raises(NotFound):
        delete_currency(db, "EUR")
