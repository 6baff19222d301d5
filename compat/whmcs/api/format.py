"""WHMCS's value vocabulary: money and dates as it prints them, status and cycle names."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bridge.driver_values import cents, datetime_text

ZERO_DATE = "0000-00-00"
ZERO_DATETIME = "0000-00-00 00:00:00"

CLIENT_STATUS = {"active": "Active", "inactive": "Inactive", "closed": "Closed",
                 "fraud": "Inactive"}
SERVICE_STATUS = {"pending": "Pending", "active": "Active", "suspended": "Suspended",
                  "terminated": "Terminated", "cancelled": "Cancelled", "fraud": "Fraud",
                  "completed": "Completed"}
DOMAIN_STATUS = {"pending": "Pending", "pending_registration": "Pending Registration",
                 "pending_transfer": "Pending Transfer", "active": "Active", "grace": "Grace",
                 "redemption": "Redemption", "expired": "Expired", "cancelled": "Cancelled",
                 "fraud": "Fraud", "transferred_away": "Transferred Away"}
INVOICE_STATUS = {"draft": "Draft", "unpaid": "Unpaid", "paid": "Paid",
                  "cancelled": "Cancelled", "refunded": "Refunded",
                  "collections": "Collections", "payment_pending": "Payment Pending"}
ORDER_STATUS = {"pending": "Pending", "active": "Active", "cancelled": "Cancelled",
                "fraud": "Fraud"}
PRIORITY = {"low": "Low", "medium": "Medium", "high": "High", "critical": "High",
            "emergency": "High"}
CYCLE_OUT = {"1M": "Monthly", "3M": "Quarterly", "6M": "Semi-Annually", "1Y": "Annually",
             "12M": "Annually", "2Y": "Biennially", "24M": "Biennially", "3Y": "Triennially",
             "36M": "Triennially", "onetime": "One Time", "free": "Free Account"}
CYCLE_IN = {"monthly": "1M", "quarterly": "3M", "semiannually": "6M", "semi-annually": "6M",
            "annually": "1Y", "biennially": "2Y", "triennially": "3Y", "onetime": "onetime",
            "one time": "onetime", "free": "free", "free account": "free"}
PRICE_COLUMNS = (("1M", "monthly", "msetupfee"), ("3M", "quarterly", "qsetupfee"),
                 ("6M", "semiannually", "ssetupfee"), ("1Y", "annually", "asetupfee"),
                 ("2Y", "biennially", "bsetupfee"), ("3Y", "triennially", "tsetupfee"))


def reverse(table: dict[str, str]) -> dict[str, str]:
    """WHMCS word (any case) -> core value, first core value winning for shared words."""
    out: dict[str, str] = {}
    for core, word in table.items():
        out.setdefault(word.lower(), core)
    return out


def money(value: Decimal | None) -> str:
    """``15.95`` (2 decimals, as WHMCS prints amounts)."""
    return cents(value)


def ymd(value: date | None) -> str:
    """``Y-m-d`` or WHMCS's zero date."""
    return value.isoformat() if value is not None else ZERO_DATE


def ymd_his(value: datetime | None) -> str:
    """``Y-m-d H:i:s`` (UTC) or WHMCS's zero datetime."""
    return datetime_text(value) or ZERO_DATETIME


def cycle_out(code: str) -> str:
    """Core cycle code -> WHMCS display name (``Monthly``); unknown codes pass through."""
    return CYCLE_OUT.get(code, code)


def cycle_in(word: str) -> str:
    """WHMCS cycle name (``monthly``, ``Semi-Annually``) -> core code; unknown words pass."""
    return CYCLE_IN.get(word.strip().lower(), word)
