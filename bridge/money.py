"""Decimal helpers. The only place in the core that rounds money.

Amounts are ``Decimal`` everywhere (never float). The core keeps 4 decimal places in storage
(``Numeric(19, 4)``) and rounds to the currency's 2 places at three defined points: a line
total, a tax amount and an invoice total. Facades format for their dialect.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
CENT = Decimal("0.01")
STORAGE = Decimal("0.0001")
# quantize exponents for 0..8 places, built once: round_money runs for every amount an API
# renders (tens per listed row) and building Decimal(1).scaleb(-places) each time was half
# its cost
_QUANTUM = tuple(Decimal(1).scaleb(-places) for places in range(9))


def to_decimal(value: object) -> Decimal:
    """Convert str/int/Decimal input to Decimal; floats are refused (they lose cents)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must not be {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "") or "0"
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
    raise TypeError(f"cannot read an amount from {type(value).__name__}")


def round_money(amount: Decimal, places: int = 2) -> Decimal:
    """Round half-up to the currency's places (2 unless the currency says otherwise)."""
    quantum = _QUANTUM[places] if 0 <= places < len(_QUANTUM) else Decimal(1).scaleb(-places)
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def line_total(unit_amount: Decimal, quantity: Decimal = Decimal(1), places: int = 2) -> Decimal:
    """Total of one invoice line: unit price times quantity, rounded."""
    return round_money(unit_amount * quantity, places)


def percent_of(amount: Decimal, rate: Decimal, places: int = 2) -> Decimal:
    """``rate`` percent of ``amount`` (a tax or discount), rounded."""
    return round_money(amount * rate / Decimal(100), places)


def inclusive_tax_part(gross: Decimal, rate: Decimal, places: int = 2) -> Decimal:
    """The tax contained in a tax-inclusive ``gross`` amount at ``rate`` percent."""
    if rate == 0:
        return ZERO
    return round_money(gross - gross * Decimal(100) / (Decimal(100) + rate), places)


def format_amount(amount: Decimal, places: int) -> str:
    """Plain string with exactly ``places`` decimals (``15.95``, ``15.9500``)."""
    return f"{round_money(amount, places):.{places}f}"
