"""Building a per-call ``stripe.StripeClient`` and sorting the SDK's errors.

Every call builds its own client from the gateway settings, so two gateway instances (live
and test keys, or a localstripe ``api_base``) never share state and nothing global in the
``stripe`` module is changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe

from bridge.errors import ModuleError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 1

#: Errors meaning Stripe could not be asked or refused to talk to us at all: network
#: trouble, a wrong or revoked key, a restricted key without permission, rate limiting.
UNREACHABLE: tuple[type[stripe.StripeError], ...] = (
    stripe.APIConnectionError,
    stripe.AuthenticationError,
    stripe.PermissionError,
    stripe.RateLimitError,
)


@contextmanager
def open_client(
    config: Mapping[str, str], settings: Mapping[str, Any]
) -> Iterator[stripe.StripeClient]:
    """A client for the operator's ``secret_key`` and optional ``api_base``, closed (its
    HTTP session with it) when the block ends.

    ``settings`` (the plugin's install settings) may set ``timeout`` (seconds, default 30)
    and ``max_network_retries`` (default 1; the SDK adds an idempotency key to retried
    POSTs, so a retry never repeats a charge or refund).
    """
    secret = (config.get("secret_key") or "").strip()
    if not secret:
        raise ModuleError("the Stripe gateway has no secret key; enter it in its settings")
    api_base = (config.get("api_base") or "").strip().rstrip("/")
    http = stripe.RequestsClient(timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)))
    try:
        yield stripe.StripeClient(
            secret,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=int(settings.get("max_network_retries", DEFAULT_RETRIES)),
            http_client=http,
        )
    finally:
        http.close()  # type: ignore[no-untyped-call]


@contextmanager
def reachable(action: str) -> Iterator[None]:
    """Turn "could not ask Stripe" errors into :class:`ModuleError` naming ``action``.

    Other Stripe errors (a decline, an invalid request, a 5xx) pass through: each operation
    decides what they mean for its result.
    """
    try:
        yield
    except UNREACHABLE as exc:
        raise ModuleError(f"Stripe: could not {action}: {describe(exc)}") from exc


def describe(exc: stripe.StripeError) -> str:
    """A one-line, secret-free description of a Stripe error for operators and clients."""
    message = exc.user_message or str(exc) or type(exc).__name__
    code = getattr(exc, "code", None)
    return f"{message} ({code})" if code else message


def error_body(exc: stripe.StripeError) -> dict[str, Any]:
    """The ``error`` object of Stripe's JSON answer (empty when there was none)."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}
