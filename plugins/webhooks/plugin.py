"""The webhooks plugin object: settings from ``[plugins.webhooks]``, one ``bridge_event`` hook.

This plugin needs its settings before it can do anything, so it is an *instance*, not a module
of functions: the host calls :func:`make_plugin` with the plugin's settings table and
registers the returned object with pluggy (see docs/plugins/webhooks.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from hooks import hookimpl

from .sender import Endpoint, WebhookSender

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "timeout": 10.0,
    "max_attempts": 5,
    "backoff": 2.0,
    "backoff_max": 300.0,
    "log_path": None,
    "log_size": 1000,
    "shutdown_timeout": 5.0,
}
KNOWN_KEYS = frozenset({"endpoints", *DEFAULTS})


def _number(settings: Mapping[str, Any], key: str, errors: list[str], *, minimum: float,
            integer: bool = False) -> Any:
    value = settings.get(key, DEFAULTS[key])
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or (
        integer and not isinstance(value, int)
    ):
        errors.append(f"{key}: expected {kind}, got {value!r}")
        return DEFAULTS[key]
    if value < minimum:
        errors.append(f"{key}: must be at least {minimum}")
        return DEFAULTS[key]
    return value


def _endpoints(raw: Any, errors: list[str]) -> list[Endpoint]:
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        errors.append("endpoints: expected a list of tables {url, secret, events}")
        return []
    found: list[Endpoint] = []
    for index, item in enumerate(raw):
        where = f"endpoints[{index}]"
        if not isinstance(item, Mapping):
            errors.append(f"{where}: expected a table with url, secret and events")
            continue
        unknown = sorted(set(item) - {"url", "secret", "events"})
        if unknown:
            errors.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        url = item.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            errors.append(f"{where}.url: expected an http:// or https:// URL")
            continue
        secret = item.get("secret")
        if not isinstance(secret, str) or not secret:
            errors.append(f"{where}.secret: required (the key receivers verify signatures with)")
            continue
        events = item.get("events", ["*"])
        if isinstance(events, str) or not isinstance(events, Sequence) or not events or not all(
            isinstance(name, str) and name for name in events
        ):
            errors.append(f"{where}.events: expected a non-empty list of event names or [\"*\"]")
            continue
        found.append(Endpoint(url, secret, frozenset(events)))
    return found


def sender_from_settings(settings: Mapping[str, Any]) -> WebhookSender:
    """Build a :class:`WebhookSender` from the ``[plugins.webhooks]`` table.

    Raises ValueError listing every problem at once (unknown key, bad URL, missing secret,
    a number out of range) so the app refuses to start with a half-working webhook setup.
    """
    errors: list[str] = []
    for key in sorted(set(settings) - KNOWN_KEYS):
        errors.append(f"{key}: unknown setting")
    endpoints = _endpoints(settings.get("endpoints"), errors)
    timeout = _number(settings, "timeout", errors, minimum=0.001)
    max_attempts = _number(settings, "max_attempts", errors, minimum=1, integer=True)
    backoff = _number(settings, "backoff", errors, minimum=0)
    backoff_max = _number(settings, "backoff_max", errors, minimum=0)
    log_size = _number(settings, "log_size", errors, minimum=1, integer=True)
    shutdown_timeout = _number(settings, "shutdown_timeout", errors, minimum=0)
    log_path = settings.get("log_path", DEFAULTS["log_path"])
    if log_path is not None and not isinstance(log_path, str):
        errors.append("log_path: expected a file path")
        log_path = None
    if errors:
        raise ValueError("[plugins.webhooks] settings: " + "; ".join(errors))
    return WebhookSender(
        endpoints, timeout=float(timeout), max_attempts=max_attempts, backoff=float(backoff),
        backoff_max=float(backoff_max), log_path=log_path or None, log_size=log_size,
        shutdown_timeout=float(shutdown_timeout),
    )


class WebhooksPlugin:
    """Outbound webhooks: every committed event the endpoints subscribe to is POSTed, signed.

    Register an instance with the plugin manager (the host does it through
    :func:`make_plugin`). ``deliveries`` is the in-memory attempt log; :meth:`flush` and
    :meth:`close` are for tests and shutdown.
    """

    name = "webhooks"

    def __init__(self, settings: Mapping[str, Any]) -> None:
        """Validate ``settings`` (the ``[plugins.webhooks]`` table); ValueError when wrong."""
        self.sender = sender_from_settings(settings)
        if not self.sender.endpoints:
            log.info("webhooks: no endpoints configured; events will not be sent")

    @hookimpl
    def bridge_event(self, name: str, payload: dict[str, Any]) -> None:
        """Queue ``name`` with ``payload`` for every endpoint subscribed to it (non-blocking)."""
        self.sender.submit(name, payload)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every logged attempt (newest last): event, url, attempt, status_code or error,
        duration_ms, outcome (delivered, retrying, failed, abandoned)."""
        return self.sender.deliveries

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for queued deliveries and their retries; False if ``timeout`` ran out first."""
        return self.sender.flush(timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Finish what is queued (up to ``timeout`` seconds) and stop the worker thread."""
        return self.sender.close(timeout)


def make_plugin(settings: Mapping[str, Any]) -> WebhooksPlugin:
    """The host's entry point: build the plugin object from its settings table."""
    return WebhooksPlugin(settings)
