"""get_setting: the company's value first, then the install-wide one, then the default."""

from __future__ import annotations

import pytest

from bridge.errors import NotFound
from bridge.models import Company, Currency
from bridge.services.settings import (
    DEFAULTS,
    default_currency,
    default_currency_code,
    get_setting,
    set_setting,
)


def test_company_value_wins_then_global_then_default(db):
    first, second = Company(name="First"), Company(name="Second")
    db.add_all([first, second])
    db.flush()
    key = "automation.suspend_days"
    assert get_setting(db, key, first.id) == DEFAULTS[key] == get_setting(db, key)
    set_setting(db, key, "9")  # install-wide
    set_setting(db, key, "5", company_id=first.id)
    # read in the same transaction: the pending rows are flushed first
    assert get_setting(db, key, first.id) == "5"
    assert get_setting(db, key, second.id) == "9"
    assert get_setting(db, key) == "9"
    assert get_setting(db, "no.such.key", first.id) == ""
    db.commit()
    set_setting(db, key, "7", company_id=second.id)
    assert (get_setting(db, key, first.id), get_setting(db, key, second.id)) == ("5", "7")



def test_default_currency_code_names_what_default_currency_returns(db):
    with pytest.raises(NotFound):
        default_currency_code(db)
    usd, eur = Currency(code="USD", is_default=False), Currency(code="EUR", is_default=True)
    db.add_all([usd, eur])
    db.flush()
    assert default_currency_code(db) == default_currency(db).code == "EUR"
    eur.is_default = False
    db.flush()  # no default: the first currency, as default_currency picks
    assert default_currency_code(db) == default_currency(db).code == "USD"
