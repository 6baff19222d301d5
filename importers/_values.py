"""Value conversion shared by every source importer: source time -> aware UTC, zero dates ->
None, money parsed exactly (DECIMAL, DOUBLE and VARCHAR all go through ``str``), text decoded.

Every function raises :class:`MappingError` for a value it cannot convert; the pipeline turns
that into a quarantined row with the message as its reason.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_ZERO_PREFIXES = ("0000-00-00", "0000-00-00 00:00:00")


class MappingError(ValueError):
    """A source value cannot be mapped; the message becomes the quarantine reason."""


def zone(name: str) -> dt.tzinfo:
    """The tz database zone called ``name`` (``UTC``, ``Europe/Berlin``...), or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name such as Europe/Berlin"
        ) from exc


def is_zero_date(value: Any) -> bool:
    """True for MySQL's "no date" values (``0000-00-00``...), empty strings and None."""
    if value is None:
        return True
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        text = value.strip()
        return text == "" or text.startswith(_ZERO_PREFIXES)
    return False


def to_utc(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """A source DATETIME/TIMESTAMP/DATE (object or text) in zone ``tz`` as aware UTC, or None.

    A naive value is wall-clock time in the source's zone (MySQL DATETIME has no zone); an
    aware one is converted as it is.  Zero dates become None.
    """
    if is_zero_date(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii")
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError as exc:
            raise MappingError(f"not a date/time: {value!r}") from exc
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise MappingError(f"not a date/time: {value!r}")
    moment: dt.datetime = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)


def to_date(value: Any) -> dt.date | None:
    """A calendar date (no zone conversion: a due date is a day, not an instant), or None."""
    if is_zero_date(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise MappingError(f"not a date: {value!r}") from exc
    raise MappingError(f"not a date: {value!r}")


def to_money(value: Any, *, field: str = "amount") -> Decimal:
    """An exact Decimal from DECIMAL, DOUBLE (via its shortest ``str``), int or VARCHAR.

    None and "" are zero (empty money columns are common in old installs); anything else that
    is not a finite plain decimal number (a decimal comma or thousands separator included)
    raises :class:`MappingError` naming ``field``.
    """
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise MappingError(f"{field}: boolean is not money")
    elif isinstance(value, (int, float, str, bytes, bytearray)):
        raw = value.decode("ascii", "replace") if isinstance(value, (bytes, bytearray)) else value
        text = str(raw)
        text = text.strip()
        if text == "":
            return Decimal(0)
        if "," in text:
            # "12,50" is 12.50 in half the world and "1,250" 1250 in the other: never guess
            raise MappingError(f"{field}: not a plain decimal number: {value!r}")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise MappingError(f"{field}: not a number: {value!r}") from exc
    else:
        raise MappingError(f"{field}: not a number: {value!r}")
    if not result.is_finite():
        raise MappingError(f"{field}: not a finite number: {value!r}")
    return result


def to_text(value: Any, *, unescape: bool = False) -> str:
    """Text from a source column: None -> "", bytes decoded as UTF-8, optionally HTML-unescaped.

    Bytes that are not UTF-8 raise :class:`MappingError` rather than being replaced silently.
    """
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MappingError(f"text is not UTF-8: {bytes(value)[:40]!r}") from exc
    text = value if isinstance(value, str) else str(value)
    return html.unescape(text) if unescape else text


def to_int(value: Any, *, field: str = "id") -> int:
    """An integer (None and "" are 0); anything else raises :class:`MappingError`."""
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise MappingError(f"{field}: not an integer: {value!r}") from exc


def to_flag(value: Any) -> bool:
    """A WHMCS-style boolean: 1/"1"/"on"/"yes"/"true"/"Y" are True, everything else False."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        return value.strip().lower() in {"1", "on", "yes", "true", "y"}
    return bool(value)


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """A source row as JSON-safe values (for the quarantine): exact text for money and dates."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or isinstance(value, (bool, int, str)):
            out[key] = value
        elif isinstance(value, float):
            out[key] = repr(value)
        elif isinstance(value, (bytes, bytearray)):
            out[key] = bytes(value).decode("utf-8", "backslashreplace")
        else:
            out[key] = str(value)
    return out


def _iso_decoder(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    # MySQL prints DATE as "YYYY-MM-DD" and DATETIME/TIMESTAMP as "YYYY-MM-DD
    # hh:mm:ss[.ffffff]", which the C fromisoformat reads; zero and impossible dates stay
    # text, as pymysql's own converters leave them (is_zero_date and to_utc read both)
    def decode(value: Any) -> Any:
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("ascii")
        try:
            return parse(value)
        except ValueError:
            return value

    return decode


def source_conversions() -> dict[Any, Any]:
    """pymysql decoders for reading a source: pymysql's own, with DATE/DATETIME/TIMESTAMP read
    by ``fromisoformat`` (its regex converters were a tenth of a whole import's time)."""
    from pymysql.constants import FIELD_TYPE
    from pymysql.converters import conversions

    conv = dict(conversions)
    conv[FIELD_TYPE.DATETIME] = conv[FIELD_TYPE.TIMESTAMP] = _iso_decoder(
        dt.datetime.fromisoformat)
    conv[FIELD_TYPE.DATE] = _iso_decoder(dt.date.fromisoformat)
    return conv
