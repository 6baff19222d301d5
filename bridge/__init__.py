"""hostbridge core: the only package plugin authors import from."""

from __future__ import annotations

__version__ = "0.1.0"

from bridge.app import BridgeState, bridge_state, create_app  # noqa: E402
from bridge.context import Actor, emit, get_actor, set_actor  # noqa: E402
from bridge.errors import (  # noqa: E402
    BridgeError,
    ConfigError,
    Conflict,
    ModuleError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

__all__ = [
    "Actor",
    "BridgeError",
    "BridgeState",
    "ConfigError",
    "Conflict",
    "ModuleError",
    "NotFound",
    "PermissionDenied",
    "ValidationFailed",
    "__version__",
    "bridge_state",
    "create_app",
    "emit",
    "get_actor",
    "set_actor",
]
