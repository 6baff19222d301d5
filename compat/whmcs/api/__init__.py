"""The WHMCS-compatible API door: ``POST /includes/api.php``.

Translation only: each action parses WHMCS parameters into core names, calls one service and
renders the result the way WHMCS does. Loaded by the plugin host as a bundled plugin.
"""

from __future__ import annotations

from typing import Any

from hooks import hookimpl


@hookimpl
def register_blueprints() -> list[Any]:
    """Mount ``/includes/api.php``."""
    from .views import blueprint

    return [blueprint]
