"""Billing cycles as short codes, and the date arithmetic that goes with them.

A cycle is ``<n><D|W|M|Y>`` (``1M``, ``3M``, ``6M``, ``1Y``, ``2Y``, ``3Y``, ``1W``, ``45D``) or
one of ``onetime`` / ``free``. WHMCS names (Monthly, Quarterly, ...), Blesta term + period and
FOSSBilling period codes all map onto these; the dialect tables live in the facades.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

ONETIME = "onetime"
FREE = "free"
_CODE = re.compile(r"^([1-9][0-9]{0,3})([DWMY])$")


@dataclass(frozen=True)
class Cycle:
    """A parsed billing cycle: ``count`` units of ``unit`` (D, W, M, Y), or non-recurring."""

    code: str
    count: int = 0
    unit: str = ""

    @property
    def recurring(self) -> bool:
        """True for cycles that renew (everything except onetime and free)."""
        return self.count > 0

    @property
    def months(self) -> int | None:
        """Length in whole months (None for day/week cycles and non-recurring ones)."""
        if self.unit == "M":
            return self.count
        if self.unit == "Y":
            return self.count * 12
        return None

    def advance(self, start: date, anchor_day: int | None = None) -> date:
        """The date one cycle after ``start``.

        Month arithmetic clamps to the month's last day and, given ``anchor_day`` (the day of
        month the service was first billed on), climbs back to it: 31 Jan -> 28/29 Feb ->
        31 Mar, never drifting to the 28th for good.
        """
        if not self.recurring:
            raise ValueError(f"cycle {self.code!r} does not recur")
        if self.unit == "D":
            return start + timedelta(days=self.count)
        if self.unit == "W":
            return start + timedelta(weeks=self.count)
        months = self.months or 0
        return add_months(start, months, anchor_day or start.day)

    def retreat(self, end: date, anchor_day: int | None = None) -> date:
        """The date one cycle before ``end`` (start of the period that ends at ``end``)."""
        if not self.recurring:
            raise ValueError(f"cycle {self.code!r} does not recur")
        if self.unit == "D":
            return end - timedelta(days=self.count)
        if self.unit == "W":
            return end - timedelta(weeks=self.count)
        return add_months(end, -(self.months or 0), anchor_day or end.day)


def add_months(start: date, months: int, anchor_day: int) -> date:
    """Add ``months`` to ``start``, landing on ``anchor_day`` or the month's last day."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day, last))


def parse_cycle(code: str) -> Cycle:
    """Parse a cycle code; raises ValueError naming the bad code."""
    text = (code or "").strip()
    if text.lower() in (ONETIME, FREE):
        return Cycle(text.lower())
    match = _CODE.match(text.upper())
    if not match:
        raise ValueError(f"unknown billing cycle {code!r}; use e.g. 1M, 3M, 1Y, onetime, free")
    return Cycle(text.upper(), int(match.group(1)), match.group(2))


def is_cycle(code: str) -> bool:
    """True when ``code`` parses as a cycle."""
    try:
        parse_cycle(code)
    except ValueError:
        return False
    return True


STANDARD_CYCLES = ("1M", "3M", "6M", "1Y", "2Y", "3Y")
