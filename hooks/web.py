"""Web routes contributed by plugins (API doors such as the WHMCS and Blesta facades)."""

from __future__ import annotations

from typing import Any

from .markers import hookspec


@hookspec
def register_blueprints() -> list[Any]:  # type: ignore[empty-body]
    """Return Flask blueprints to mount on the app (e.g. ``/includes/api.php``).

    Called once by ``create_app`` after plugins are loaded. Route handlers should open their
    database work with ``bridge.bridge_state().transaction(actor)`` so events fire after commit.
    """
