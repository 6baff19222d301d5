"""Value conversion and the writer's change detection, without a source database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine

from bridge.security import SecretBox
from importers._values import MappingError, to_money
from importers._writer import BatchWriter


@pytest.mark.parametrize("text", ["12,50", "1,250.00", " 3,0 ", b"7,5"])
def test_money_with_a_comma_is_refused_not_guessed(text: Any) -> None:
    with pytest.raises(MappingError, match="amount: not a plain decimal number"):
        to_money(text)


@pytest.mark.parametrize(("raw", "expected"), [
    ("12.50", Decimal("12.50")), (" -0.10 ", Decimal("-0.10")), (1.1, Decimal("1.1")),
    ("", Decimal(0)), (None, Decimal(0)), (b"4.2", Decimal("4.2"))])
def test_plain_money_still_reads_exactly(raw: Any, expected: Decimal) -> None:
    assert to_money(raw) == expected


def test_sealed_text_columns_compare_decrypted() -> None:
    box = SecretBox("test-install-key")
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        writer = BatchWriter(conn, "whmcs", decrypt=box.decrypt)
        first, second = box.encrypt("pa55"), box.encrypt("pa55")
        assert first != second  # a fresh nonce each time
        assert writer._same("value", first, second)
        assert writer._same("text_value", first, second)
        assert not writer._same("value", first, box.encrypt("other"))
        assert writer._same("password_enc", first, second)
        assert not writer._same("value", "v1:garbage", second)  # unreadable: rewrite it
        assert not writer._same("value", "plain", "other")
