"""The door's shared argument readers, PHP arrays in ``serialize`` output, and clients/create
reporting every failing field at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compat.blesta.api.args import (
    id_or_none,
    integer,
    integers,
    optional_amount,
    optional_integer,
    optional_text,
)
from compat.blesta.api.registry import BlestaError
from compat.blesta.api.render import PhpArray, php_serialize


def _rule(call, field: str) -> dict[str, str]:
    with pytest.raises(BlestaError) as caught:
        call()
    assert caught.value.status == 400
    assert list(caught.value.errors or {}) == [field]
    return caught.value.errors[field]


@pytest.mark.parametrize(("value", "expected"), [
    ("42", 42), (" -7 ", -7), (12, 12), (3.0, 3), (True, 1), ("", None), ("null", None),
    (None, None), (str(2**63 - 1), 2**63 - 1), (str(-(2**63)), -(2**63)),
])
def test_integers_within_64_bits_are_read(value, expected):
    assert optional_integer(value, "client_id") == expected


@pytest.mark.parametrize(("value", "rule"), [
    ("abc", "format"), ("1.5", "format"), (2.5, "format"), ({"0": "1"}, "format"),
    (["1"], "format"), (str(2**63), "range"), (-(2**63) - 1, "range"), ("9" * 25, "range"),
    (3.7e86, "range"), ("9" * 5000, "format"),
])
def test_malformed_or_huge_integers_are_a_400_naming_the_field(value, rule):
    assert list(_rule(lambda: optional_integer(value, "client_id"), "client_id")) == [rule]


def test_a_required_integer_must_be_there():
    assert _rule(lambda: integer("", "page"), "page") == {"empty": "page is required"}
    assert integer("5", "page") == 5


def test_integer_lists_skip_empty_entries_and_refuse_bad_ones():
    assert integers({"0": "1", "1": "", "2": 3}, "packages") == [1, 3]
    assert integers("7", "packages") == [7]
    _rule(lambda: integers({"0": "1", "1": "x"}, "packages"), "packages")


@pytest.mark.parametrize(("value", "expected"), [
    ("17", 17), (" 5 ", 5), ("abc", None), ("²", None), ("-1", None), ("9" * 20, None),
    (str(2**63), None), ({"a": 1}, None), ("", None),
])
def test_id_or_none_takes_plain_digits_only(value, expected):
    assert id_or_none(value) == expected


def test_text_arguments_refuse_arrays():
    assert optional_text("  USD ", "currency") == "USD"
    assert optional_text("", "currency") is None
    assert "format" in _rule(lambda: optional_text({"x": "1"}, "currency"), "currency")


@pytest.mark.parametrize(("value", "expected"), [
    ("10.50", Decimal("10.50")), ("1,000", Decimal("1000")), (7, Decimal(7)),
    (0.1, Decimal("0.1")), ("", None), (None, None),
])
def test_amounts_are_decimals(value, expected):
    assert optional_amount(value, "amount") == expected


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "10" + "0" * 15, "x",
                                   {"0": "1"}, True])
def test_bad_amounts_are_a_400(value):
    _rule(lambda: optional_amount(value, "amount"), "amount")


def test_php_arrays_serialize_as_arrays_and_rows_as_objects():
    body = {"response": {"row": {"id": 1}, "map": PhpArray({"7": "a", "07": "b", "x": None}),
                         "list": [1]}}
    assert php_serialize(body) == (
        'O:8:"stdClass":1:{s:8:"response";O:8:"stdClass":3:{'
        's:3:"row";O:8:"stdClass":1:{s:2:"id";i:1;}'
        's:3:"map";a:3:{i:7;s:1:"a";s:2:"07";s:1:"b";s:1:"x";N;}'
        's:4:"list";a:1:{i:0;i:1;}}}')


def test_status_maps_are_php_arrays(call):
    status, text = call("GET", "clients/getStatusTypes", fmt="php")
    assert status == 200
    assert text.startswith('O:8:"stdClass":1:{s:8:"response";a:3:{s:6:"active";')


def test_create_reports_every_failing_field(call):
    status, body = call("POST", "clients/create", **{
        "vars[first_name]": "", "vars[email]": "not-an-email", "vars[country]": "Narnia",
        "vars[client_group_id]": "abc", "vars[new_password]": "secret-1",
        "vars[confirm_password]": "secret-2"})
    assert status == 400, body
    errors = body["errors"]
    # the wire's checks and the core schema's, all at once
    assert {"first_name", "last_name", "email", "client_group_id",
            "confirm_password", "country"} <= set(errors), errors
    assert errors["first_name"] == {"empty": "Please enter a first name."}
    assert body["response"] is None
    assert call("GET", "clients/getListCount")[1]["response"] == 0  # nothing was written


def test_create_renames_core_fields_to_blesta_names(call):
    status, body = call("POST", "clients/create", **{
        "vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": "jo@example.com",
        "vars[settings][default_currency]": "XYZ"})
    assert status == 400, body
    assert list(body["errors"]) == ["settings[default_currency]"], body


@pytest.mark.parametrize(("key", "expected"), [
    ("7", "i:7;"), ("-3", "i:-3;"), (0, "i:0;"), ("0", "i:0;"), ("07", 's:2:"07";'),
    ("-0", 's:2:"-0";'), ("+7", 's:2:"+7";'), ("9" * 19, 's:19:"' + "9" * 19 + '";'),
    ("x", 's:1:"x";'),
])
def test_php_array_keys_follow_phps_integer_key_rule(key, expected):
    assert php_serialize(PhpArray({key: None})) == "a:1:{" + expected + "N;}"
