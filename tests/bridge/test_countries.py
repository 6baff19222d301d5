"""Country reference data shared by the doors (bridge.countries)."""

from __future__ import annotations

import pytest

from bridge.countries import COUNTRIES, calling_code, country_name, formatted_phone


def test_every_entry_is_an_iso_code_with_a_name_and_a_calling_code():
    assert len(COUNTRIES) > 240
    for code, (name, dial) in COUNTRIES.items():
        assert len(code) == 2 and code.isupper() and code.isalpha(), code
        assert name and dial.isdigit(), (code, name, dial)


def test_names_and_codes_by_iso_code_in_any_letter_case():
    assert country_name("gb") == "United Kingdom"
    assert calling_code("DE") == "49"
    assert country_name("ZZ") == "ZZ" and calling_code("ZZ") == ""


@pytest.mark.parametrize(("phone", "country", "expected"), [
    ("01234 567890", "GB", "+44.1234567890"),
    ("+44.1234 567890", "US", "+44.1234567890"),
    ("+4912345", "DE", "+49.12345"),
    ("+999123", "DE", "+999123"),
    ("555-0100", "ZZ", "5550100"),
    ("  ", "GB", ""),
])
def test_phones_in_the_plus_cc_dot_number_form(phone, country, expected):
    assert formatted_phone(phone, country) == expected
