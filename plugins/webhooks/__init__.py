"""Outbound webhooks for hostbridge: signed JSON POSTs of committed events, with retries.

The module defines no module-level hook implementations: the host calls
:func:`make_plugin` with the ``[plugins.webhooks]`` settings and registers the returned
:class:`WebhooksPlugin` object. Receivers verify deliveries with :func:`verify_signature`.
"""

from __future__ import annotations

from .plugin import WebhooksPlugin, make_plugin, sender_from_settings
from .sender import Endpoint, WebhookSender
from .signing import compute_signature, encode_body, json_default, verify_signature

__version__ = "1.0.0"

__all__ = [
    "__version__",
    "Endpoint",
    "WebhookSender",
    "WebhooksPlugin",
    "compute_signature",
    "encode_body",
    "json_default",
    "make_plugin",
    "sender_from_settings",
    "verify_signature",
]
