"""Bundled plugin ``cpanel``: provisions cPanel hosting accounts through WHM API 1.

Written like any third-party plugin: it imports only :mod:`hooks` (and ``bridge.errors`` for
ModuleError) and contributes its module class through ``register_server_modules``.
"""

from __future__ import annotations

from hooks import ServerModule, hookimpl

from .module import CpanelModule

__all__ = ["CpanelModule", "register_server_modules"]


@hookimpl
def register_server_modules() -> list[type[ServerModule]]:
    """The cPanel/WHM server module."""
    return [CpanelModule]
