"""The wire format of a webhook delivery: JSON body, HMAC signature, and its verification.

A delivery body is ``{"id", "event", "occurred_at", "payload"}`` encoded compactly. The
signature is ``sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`` where ``timestamp`` is
the ``X-Hostbridge-Timestamp`` header (unix seconds) and ``body`` the exact bytes received.
Receivers call :func:`verify_signature`; it needs only the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE = 300


def json_default(value: Any) -> Any:
    """Make the values events carry JSON-safe.

    Decimal becomes its exact string (money never travels as a float), datetimes and dates
    ISO-8601 (aware datetimes in UTC), UUIDs and enums their text, sets and tuples lists.
    Anything else falls back to ``str(value)`` so one odd value never loses an event.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | dtime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def encode_body(delivery_id: str, event: str, occurred_at: str, payload: Any) -> str:
    """The JSON text of one delivery (compact, UTF-8 safe, JSON-safe payload)."""
    document = {"id": delivery_id, "event": event, "occurred_at": occurred_at, "payload": payload}
    return json.dumps(document, default=json_default, separators=(",", ":"), ensure_ascii=False)


def _as_bytes(body: str | bytes) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def compute_signature(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 keyed with ``secret`` over ``f"{timestamp}.{body}"``."""
    message = f"{timestamp}.".encode() + _as_bytes(body)
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: str | bytes,
    header: str,
    tolerance: float | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` is the signature of ``body`` sent at ``timestamp`` with ``secret``.

    ``timestamp`` is the ``X-Hostbridge-Timestamp`` header, ``body`` the raw request body
    (bytes, or the text exactly as received) and ``header`` the ``X-Hostbridge-Signature``
    value. A timestamp further than ``tolerance`` seconds from ``now`` (default: the clock)
    is refused, which stops replays of old deliveries; ``tolerance=None`` skips that check.
    The comparison is constant-time. Never raises on malformed input: it returns False.
    """
    if not secret or not isinstance(header, str) or not header.startswith(SIGNATURE_PREFIX):
        return False
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    if tolerance is not None:
        current = time.time() if now is None else now
        if abs(current - sent_at) > tolerance:
            return False
    expected = compute_signature(secret, sent_at, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))
