"""Reading LogicBoxes order details (``domains/details-by-name.json``) into core values.

Documented fields used: ``orderid`` (some KB versions list ``entityid``), ``currentstatus``
(InActive, Active, Suspended, Pending Delete Restorable, Deleted, Archived), ``orderstatus``
(registry locks: resellersuspend, resellerlock, transferlock), ``endtime`` (expiry at the
registry, unix seconds), ``ns1``..``nsN`` (NsDetails) and ``domsecret`` (OrderDetails).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from hooks import DomainState

_NS_KEY = re.compile(r"ns(\d+)")


def order_id(details: Mapping[str, Any]) -> str:
    """The order id of a domain's details ("" when absent)."""
    return str(details.get("orderid") or details.get("entityid") or "")


def expiry_of(details: Mapping[str, Any]) -> date | None:
    """The registry expiry date from ``endtime`` (unix seconds, UTC), or None."""
    raw = details.get("endtime")
    try:
        seconds = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC).date() if seconds > 0 else None


def nameservers_of(details: Mapping[str, Any]) -> tuple[str, ...]:
    """``ns1``, ``ns2``, ... in numeric order, blanks skipped."""
    found = []
    for key, value in details.items():
        match = _NS_KEY.fullmatch(str(key))
        if match and str(value or "").strip():
            found.append((int(match.group(1)), str(value).strip()))
    return tuple(ns for _, ns in sorted(found))


def _flags(value: Any) -> set[str]:
    if isinstance(value, list | tuple | set):
        return {str(v).strip().lower() for v in value}
    return {part.strip().lower() for part in str(value or "").split(",") if part.strip()}


def locked_of(details: Mapping[str, Any]) -> bool | None:
    """True when the theft protection lock (``transferlock``) is on; None if not reported."""
    if "orderstatus" not in details:
        return None
    return "transferlock" in _flags(details["orderstatus"])


def domain_state(details: Mapping[str, Any], *, today: date | None = None) -> DomainState | None:
    """The sync answer for a registration order (None: not registered yet, cannot tell).

    Active is active until its expiry has passed (then expired); Suspended is still
    registered (active, with a message); Pending Delete Restorable is expired; Deleted and
    Archived are cancelled (LogicBoxes does not say whether a deleted order was transferred
    away). InActive means the order has not reached the registry.
    """
    status = str(details.get("currentstatus", "")).strip().lower()
    expiry = expiry_of(details)
    common: dict[str, Any] = {
        "expiry_date": expiry,
        "nameservers": nameservers_of(details),
        "locked": locked_of(details),
    }
    today = today or datetime.now(UTC).date()
    if status == "active":
        expired = expiry is not None and expiry < today
        return DomainState("expired" if expired else "active", **common)
    if status == "suspended":
        return DomainState("active", message="suspended at LogicBoxes", **common)
    if status == "pending delete restorable":
        return DomainState("expired", message="pending delete (restorable)", **common)
    if status in ("deleted", "archived"):
        return DomainState("cancelled", message=f"order {status} at LogicBoxes", **common)
    return None


def transfer_state(details: Mapping[str, Any]) -> DomainState | None:
    """The transfer-sync answer: Active = completed, InActive = still pending,
    Deleted/Archived = failed; anything else cannot be told."""
    status = str(details.get("currentstatus", "")).strip().lower()
    if status == "active":
        return DomainState("active", expiry_of(details), nameservers_of(details),
                           locked_of(details))
    if status == "inactive":
        return DomainState("pending_transfer")
    if status in ("deleted", "archived"):
        return DomainState("transfer_failed",
                           message=f"transfer order {order_id(details)} was {status} at LogicBoxes")
    return None
