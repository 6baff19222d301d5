"""LogicBoxes / ResellerClub registrar module for hostbridge (HTTP API, JSON)."""

from __future__ import annotations

from hooks import RegistrarModule, hookimpl

from .client import LIVE_URL, TEST_URL, LogicBoxesApi, Refused
from .module import LogicBoxesModule


@hookimpl
def register_registrar_modules() -> list[type[RegistrarModule]]:
    """Contribute the "logicboxes" registrar."""
    return [LogicBoxesModule]


__version__ = "1.0.0"

__all__ = [
    "__version__",
    "LIVE_URL",
    "TEST_URL",
    "LogicBoxesApi",
    "LogicBoxesModule",
    "Refused",
    "register_registrar_modules",
]
