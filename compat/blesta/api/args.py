"""The argument readers of the Blesta door: every id, page, count, quantity and amount
passes here.

A caller may send anything where Blesta expects an integer: text, a PHP bracket array (a dict
here), a JSON float, a number past 64 bits. PHP would cast or refuse; hostbridge refuses with a
400 naming the field, and never lets a value reach the database that no column can hold
(SQLite and MariaDB both raise OverflowError past 64 bits, which would be a 500).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bridge.money import to_decimal
from compat.whmcs.api.params import as_list

from .registry import MethodCall, invalid

EMPTY = ("", "null", "none")
LIMIT = 2**63  # beyond any id, page or count a database can hold
MONEY_LIMIT = Decimal(10) ** 15  # Numeric(19, 4): 15 digits before the point


def optional_integer(value: Any, field: str) -> int | None:
    """An integer argument, None when absent or empty ('', 'null'); a 400 naming ``field``
    when it is not a whole number or does not fit in 64 bits (signed)."""
    if value is None:
        return None
    if isinstance(value, bool):  # JSON true/false: PHP's (int) cast
        return int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise invalid(field, "format", f"{field} must be a whole number")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower() in EMPTY:
            return None
        try:
            number = int(text)
        except ValueError:  # also text past Python's digit limit
            raise invalid(field, "format", f"{field} must be a whole number") from None
    else:  # a bracket array or JSON object/list where a number belongs
        raise invalid(field, "format", f"{field} must be a whole number, not an array")
    if not -LIMIT <= number < LIMIT:
        raise invalid(field, "range", f"{field} is out of range")
    return number


def integer(value: Any, field: str) -> int:
    """A required integer argument: a 400 on ``field`` when missing, empty or malformed."""
    number = optional_integer(value, field)
    if number is None:
        raise invalid(field, "empty", f"{field} is required")
    return number


def id_or_none(value: Any) -> int | None:
    """``value`` as an id when it is plain digits that fit in 64 bits, else None (for
    arguments that take an id or a name: the caller then looks the text up by name)."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not text.isdecimal() or len(text) > 19:  # isdecimal: int() reads every such text
        return None
    number = int(text)
    return number if number < LIMIT else None


def arg_integer(call: MethodCall, field: str, default: int | None = None) -> int | None:
    """The integer argument ``field`` of ``call`` (``default`` when absent or empty)."""
    number = optional_integer(call.arg(field), field)
    return default if number is None else number


def integers(values: Any, field: str) -> list[int]:
    """A list of integers (``packages[0]=1&packages[1]=2`` or a JSON list); empty entries
    are skipped, malformed ones are a 400 on ``field``."""
    out = []
    for value in as_list(values):
        number = optional_integer(value, field)
        if number is not None:
            out.append(number)
    return out


def optional_text(value: Any, field: str) -> str | None:
    """A scalar text argument, stripped (None when absent or empty); a 400 naming ``field``
    when an array was sent where Blesta expects text."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise invalid(field, "format", f"{field} must be text, not an array")
    text = str(value).strip()
    return text or None


def optional_amount(value: Any, field: str) -> Decimal | None:
    """A money argument as Decimal (None when absent or empty); a 400 naming ``field`` when it
    is not a finite number or does not fit the money columns (Numeric(19, 4))."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dict | list | bool):
        raise invalid(field, "format", f"{field} must be an amount such as 10.00")
    try:  # a JSON float arrives as float: read its shortest text, never its binary value
        result = to_decimal(str(value) if isinstance(value, float) else value)
    except (TypeError, ValueError):
        raise invalid(field, "format", f"{field} must be an amount such as 10.00") from None
    if not result.is_finite():
        raise invalid(field, "format", f"{field} must be an amount such as 10.00")
    if abs(result) >= MONEY_LIMIT:
        raise invalid(field, "range", f"{field} is out of range")
    return result


def page(call: MethodCall) -> int:
    """The 1-based ``page`` argument (pages below 1 read as 1)."""
    return max(arg_integer(call, "page", 1) or 1, 1)


__all__ = ["arg_integer", "id_or_none", "integer", "integers", "optional_amount",
           "optional_integer", "optional_text", "page"]
