"""bridge.wire_json: the fast encoder writes what json.dumps(default=str) wrote, compactly."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bridge import wire_json


def _reference(body: Any, *, ascii_only: bool = False) -> bytes:
    """What the doors wrote before (json.dumps with default=str), compact."""
    return json.dumps(body, default=str, ensure_ascii=ascii_only,
                      separators=(",", ":")).encode()


class Amount(float):
    """A float subclass whose str() differs from its number (like WHMCS's WireNumber)."""

    def __str__(self) -> str:
        return f"{float(self):.2f}"


class Label(str):
    """A str subclass whose str() is not its data (json.dumps writes the data)."""

    def __str__(self) -> str:
        return "not the data"


class Word(StrEnum):
    PAID = "paid"


@dataclasses.dataclass
class Point:
    x: int


def test_values_the_doors_send_print_like_json_dumps() -> None:
    body = {"result": "success", "id": 7, "money": Decimal("15.9500"), "none": None,
            "flag": True, "when": datetime(2026, 11, 22, 17, 0, tzinfo=UTC),
            "day": date(2026, 1, 2), "word": Word.PAID, "list": [1, "a", (2, 3)],
            "nested": {"k": {"deeper": [Decimal("0.10")]}}, "point": Point(1),
            1: "int key", "label": Label("the data"), "text": "caf\u00e9 / \u2603 \"quoted\" \\ \n"}
    assert wire_json.dumps(body) == _reference(body)
    assert wire_json.dumps(body, ascii_only=True) == _reference(body, ascii_only=True)
    assert wire_json.dumps(body, ascii_only=True).isascii()


def test_float_subclass_stays_a_number() -> None:
    body = {"amountin": Amount(45.9), "fees": Amount(0)}
    assert wire_json.dumps(body) == b'{"amountin":45.9,"fees":0.0}'
    assert json.loads(wire_json.dumps(body)) == {"amountin": 45.9, "fees": 0.0}


def test_what_orjson_refuses_goes_through_json() -> None:
    body = {"big": 10 ** 30, "small": -(10 ** 30)}  # beyond 64 bits
    assert wire_json.dumps(body) == b'{"big":1' + b"0" * 30 + b',"small":-1' + b"0" * 30 + b"}"


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.text()
    | st.decimals(allow_nan=False, places=4, min_value=-10 ** 12, max_value=10 ** 12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20))
def test_any_answer_matches_the_reference(body: Any) -> None:
    assert wire_json.dumps(body) == _reference(body)
    assert wire_json.dumps(body, ascii_only=True) == _reference(body, ascii_only=True)
