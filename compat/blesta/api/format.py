"""Blesta's value shapes: 4-decimal money strings, ``Y-m-d H:i:s`` UTC datetimes, lowercase
statuses, ``id_code``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bridge.driver_values import datetime_text, four_places

CLIENT_STATUS = {"active": "active", "inactive": "inactive", "closed": "inactive",
                 "fraud": "fraud"}
SERVICE_STATUS = {"pending": "pending", "active": "active", "suspended": "suspended",
                  "terminated": "canceled", "cancelled": "canceled", "fraud": "canceled",
                  "completed": "canceled"}
INVOICE_STATUS = {"draft": "draft", "unpaid": "active", "paid": "active",
                  "cancelled": "void", "refunded": "void", "collections": "active",
                  "payment_pending": "active"}
TICKET_STATUS = {"open": "open", "answered": "awaiting_reply", "customer_reply": "open",
                 "on_hold": "on_hold", "in_progress": "in_progress", "closed": "closed"}
# Blesta term/period <-> core cycle code
PERIOD_UNIT = {"day": "D", "week": "W", "month": "M", "year": "Y"}
UNIT_PERIOD = {v: k for k, v in PERIOD_UNIT.items()}


def money(value: Decimal | None) -> str:
    """``10.0000``: Blesta prints DECIMAL(19,4) columns with 4 places."""
    return four_places(value)


def stamp(value: datetime | date | None) -> str | None:
    """``Y-m-d H:i:s`` in UTC (dates at midnight); None stays null."""
    return datetime_text(value)


def term_period(cycle: str) -> tuple[int, str]:
    """Core cycle code -> Blesta ``(term, period)``; one-time and free are ``(0, onetime)``."""
    if cycle in ("onetime", "free"):
        return 0, "onetime"
    return int(cycle[:-1]), UNIT_PERIOD.get(cycle[-1], "month")


def cycle_of(term: int | str, period: str) -> str:
    """Blesta ``(term, period)`` -> core cycle code."""
    if period == "onetime":
        return "onetime"
    return f"{int(term)}{PERIOD_UNIT.get(period, 'M')}"
