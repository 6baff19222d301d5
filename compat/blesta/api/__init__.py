"""The Blesta-compatible API door: ``/api/<model>/<method>.<format>``.

Translation only: each method binds Blesta's parameters by name, calls core services and renders
Blesta's value shapes. Loaded by the plugin host as a bundled plugin.
"""

from __future__ import annotations

from typing import Any

from hooks import hookimpl


@hookimpl
def register_blueprints() -> list[Any]:
    """Mount ``/api/...``."""
    from .views import blueprint

    return [blueprint]
