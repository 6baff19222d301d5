"""The action table: every WHMCS action name -> handler, status and notes.

Coverage is data: this table renders ``docs/api/whmcs.md`` and a test checks it against the
catalogue. Handlers receive an :class:`ApiRequest` and return the response keys (without
``result``); they raise :class:`ApiError` for WHMCS's business errors (HTTP 200).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from .catalogue import CATALOGUE
from .params import as_bool, as_list

Handler = Callable[["ApiRequest"], dict[str, Any]]
_GROUPS = {name.lower(): (name, group, required) for name, group, required in CATALOGUE}


class ApiError(Exception):
    """A WHMCS ``result=error`` with ``message`` (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ActionSpec:
    """One registered action."""

    name: str
    group: str
    handler: Handler
    status: str = "implemented"  # implemented, partial, not_supported
    notes: str = ""


ACTIONS: dict[str, ActionSpec] = {}


def action(
    name: str, *, status: str = "implemented", notes: str = ""
) -> Callable[[Handler], Handler]:
    """Register a handler for WHMCS action ``name`` (matched case-insensitively)."""
    canonical, group, _ = _GROUPS.get(name.lower(), (name, "Custom", ()))

    def register(handler: Handler) -> Handler:
        ACTIONS[canonical.lower()] = ActionSpec(canonical, group, handler, status, notes)
        return handler

    return register


def not_supported(name: str, reason: str) -> None:
    """Register ``name`` as answering a clear "not supported" error."""

    def refuse(req: ApiRequest) -> dict[str, Any]:
        raise ApiError(f"{name} is not supported by hostbridge: {reason}")

    action(name, status="not_supported", notes=reason)(refuse)


class ApiRequest:
    """The parsed parameters of one call plus the session and caller, with typed readers."""

    def __init__(self, action_name: str, params: dict[str, Any], session: Session, *,
                 ip: str = "", admin_id: int | None = None) -> None:
        self.action = action_name
        self.params = params
        self.session = session
        self.ip = ip
        self.admin_id = admin_id

    def has(self, name: str) -> bool:
        """True when ``name`` was sent (even empty)."""
        return name in self.params

    def text(self, name: str, default: str = "") -> str:
        """A scalar parameter as text."""
        value = self.params.get(name)
        return default if value is None or isinstance(value, dict) else str(value).strip()

    def require(self, name: str, message: str | None = None) -> str:
        """A non-empty parameter, else ApiError (WHMCS-style message)."""
        value = self.text(name)
        if not value:
            raise ApiError(message or f"{name} is required")
        return value

    def integer(
        self, name: str, default: int | None = None, *, message: str | None = None
    ) -> int | None:
        """An integer parameter; ApiError when present but not a number."""
        value = self.text(name)
        if value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ApiError(message or f"{name} must be a number") from None
        if not -(2**63) <= number < 2**63:  # beyond any id or count a database can hold
            raise ApiError(message or f"{name} is out of range")
        return number

    def require_integer(self, name: str, message: str | None = None) -> int:
        """A required integer parameter."""
        value = self.integer(name, message=message)
        if value is None:
            raise ApiError(message or f"{name} is required")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """A PHP-style boolean parameter."""
        return as_bool(self.params.get(name), default)

    def amount(self, name: str, default: Decimal | None = None) -> Decimal | None:
        """A money parameter as Decimal (never float); ApiError when not a number."""
        value = self.text(name)
        if value == "":
            return default
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ApiError(f"{name} must be an amount") from None
        # NaN, Infinity and absurd magnitudes are not money (Numeric(19, 4) holds < 10**15)
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 15:
            raise ApiError(f"{name} must be an amount")
        return amount

    def date_value(self, name: str) -> date | None:
        """A ``Y-m-d`` (or ``Ymd``) date parameter; ApiError when unreadable."""
        value = self.text(name)
        if not value or value.startswith("0000-00-00"):
            return None
        for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise ApiError(f"{name} must be a date in the format YYYY-MM-DD")

    def array(self, name: str) -> list[Any]:
        """A bracket array or a comma-separated string as a list."""
        value = self.params.get(name)
        if isinstance(value, str) and "," in value:
            return [part.strip() for part in value.split(",") if part.strip()]
        return as_list(value)

    def page(self) -> tuple[int, int]:
        """``(limitstart, limitnum)`` with WHMCS's defaults (0, 25)."""
        start = max(self.integer("limitstart", 0) or 0, 0)
        num = self.integer("limitnum", 25)
        return start, 25 if num is None or num <= 0 else num


def listing(total: int, start: int, rows: list[dict[str, Any]], outer: str, inner: str,
            **extra: Any) -> dict[str, Any]:
    """The WHMCS paged list shape: totalresults, startnumber, numreturned, {outer: {inner: []}}."""
    return {"totalresults": total, "startnumber": start, "numreturned": len(rows),
            outer: {inner: rows}, **extra}
