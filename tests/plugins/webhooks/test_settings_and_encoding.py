"""Settings validation of ``[plugins.webhooks]`` and the JSON-safety of payloads."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest

from plugins.webhooks import (
    compute_signature,
    encode_body,
    json_default,
    make_plugin,
    verify_signature,
)


def test_defaults():
    settings = {"endpoints": [{"url": "https://example.test/h", "secret": "TOPSECRET"}]}
    sender = make_plugin(settings).sender
    assert (sender.timeout, sender.max_attempts, sender.backoff, sender.backoff_max) == (
        10.0, 5, 2.0, 300.0)
    assert sender.log_path is None
    [ep] = sender.endpoints
    assert ep.events == frozenset({"*"}) and ep.wants("anything")
    assert "TOPSECRET" not in repr(ep)


@pytest.mark.parametrize(("settings", "message"), [
    ({"endpoint": []}, "endpoint: unknown setting"),
    ({"endpoints": "https://x.test"}, "endpoints: expected a list"),
    ({"endpoints": [{"url": "ftp://x.test", "secret": "s"}]}, "endpoints[0].url"),
    ({"endpoints": [{"url": "https://x.test"}]}, "endpoints[0].secret: required"),
    ({"endpoints": [{"url": "https://x.test", "secret": "s", "events": "invoice_paid"}]},
     "endpoints[0].events"),
    ({"endpoints": [{"url": "https://x.test", "secret": "s", "events": []}]},
     "endpoints[0].events"),
    ({"endpoints": [{"url": "https://x.test", "secret": "s", "hdrs": {}}]},
     "endpoints[0]: unknown key(s) hdrs"),
    ({"timeout": 0}, "timeout: must be at least"),
    ({"timeout": "10"}, "timeout: expected a number"),
    ({"max_attempts": 2.5}, "max_attempts: expected a whole number"),
    ({"max_attempts": 0}, "max_attempts: must be at least 1"),
    ({"backoff": -1}, "backoff: must be at least 0"),
    ({"log_path": 5}, "log_path: expected a file path"),
])
def test_bad_settings_are_refused_with_the_reason(settings, message):
    with pytest.raises(ValueError) as caught:
        make_plugin(settings)
    assert message in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValueError) as caught:
        make_plugin({"timeout": -1, "max_attempts": 0, "endpoints": [{"url": "x"}]})
    text = str(caught.value)
    assert "timeout" in text and "max_attempts" in text and "endpoints[0].url" in text


class Colour(Enum):
    RED = "red"


def test_json_default_makes_event_values_safe():
    berlin = timezone(timedelta(hours=1))
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert json_default(Decimal("0.10")) == "0.10"
    assert json_default(datetime(2024, 3, 1, 10, 0, tzinfo=berlin)) == "2024-03-01T09:00:00+00:00"
    assert json_default(datetime(2024, 3, 1, 10, 0)) == "2024-03-01T10:00:00"
    assert json_default(date(2024, 2, 29)) == "2024-02-29"
    assert json_default(time(8, 15)) == "08:15:00"
    assert json_default(ident) == str(ident)
    assert json_default(Colour.RED) == "red"
    assert json_default({"b", "a"}) == ["a", "b"]
    assert json_default(b"raw") == "raw"
    assert json_default(object()).startswith("<object object")


def test_body_encodes_nested_money_exactly():
    body = encode_body("d-1", "invoice_created", "2024-01-01T00:00:00.000Z", {
        "items": [{"amount": Decimal("19.99"), "tax": Decimal("3.7981")}],
        "ids": (1, 2),
    })
    doc = json.loads(body)
    assert doc == {
        "id": "d-1",
        "event": "invoice_created",
        "occurred_at": "2024-01-01T00:00:00.000Z",
        "payload": {"items": [{"amount": "19.99", "tax": "3.7981"}], "ids": [1, 2]},
    }


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert compute_signature("k", 1700000000, "{}") == "sha256=" + expected
    assert verify_signature("k", "1700000000", b"{}", "sha256=" + expected, now=1700000000)
    assert not verify_signature("", "1700000000", b"{}", "sha256=" + expected, now=1700000000)
