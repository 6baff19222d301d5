"""Decimal <-> Stripe minor-unit conversion.

Stripe takes amounts as integers in the currency's minor unit: cents for two-decimal
currencies, whole units for zero-decimal ones (JPY 500 is ``500``), thousandths for the
three-decimal ones. Source: https://docs.stripe.com/currencies ("Minor units in API amounts",
"Zero-decimal currencies", "Three-decimal currencies"). Stripe's further rules (the last
digit of a three-decimal amount must be 0; ISK amounts must be whole krónur, i.e. a multiple
of 100) are left to Stripe, which refuses such an amount with a clear message.
"""

from __future__ import annotations

from decimal import Decimal

ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


def exponent(currency: str) -> int:
    """Number of decimals Stripe's minor unit has for ``currency`` (0, 2 or 3)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in minor units; ValueError when it has more decimals than the currency.

    The core rounds invoice totals, so an amount that does not fit (``1000.50`` JPY) means a
    mismatch between the invoice currency and its rounding: it is refused, never rounded here.
    """
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"{amount} {currency.upper()} has more decimals than Stripe accepts for "
            f"{currency.upper()} ({exponent(currency)})"
        )
    return int(scaled)


def from_minor(value: int | str, currency: str) -> Decimal:
    """A Stripe minor-unit integer (``1234``) as a Decimal (``12.34``); exact, no float."""
    return Decimal(int(value)).scaleb(-exponent(currency))
