"""The plugin contract of hostbridge: hookspecs, module base classes, contexts and results.

Plugin authors import from here (``from hooks import hookimpl, ServerModule, ...``). This
package imports nothing from ``bridge`` at runtime.
"""

from __future__ import annotations

from .automation import JobSpec
from .common import ActionResult, ClientInfo
from .config import ConfigField, validate_config
from .events import BEFORE_HOOKS, TYPED_EVENTS, Abort
from .gateway import (
    CallbackRequest,
    CallbackResult,
    GatewayModule,
    PaymentContext,
    PaymentLink,
    PaymentResult,
    PaymentStatus,
    StoredMethod,
)
from .markers import PROJECT, hookimpl, hookspec
from .registrar import Availability, DomainContext, DomainState, RegistrarModule
from .server import AccountContext, ServerInfo, ServerModule, UsageReport

SPEC_MODULES = (
    "hooks.server", "hooks.registrar", "hooks.gateway", "hooks.events", "hooks.web",
    "hooks.automation",
)

__all__ = [
    "BEFORE_HOOKS",
    "PROJECT",
    "SPEC_MODULES",
    "TYPED_EVENTS",
    "Abort",
    "AccountContext",
    "ActionResult",
    "Availability",
    "CallbackRequest",
    "CallbackResult",
    "ClientInfo",
    "ConfigField",
    "DomainContext",
    "DomainState",
    "GatewayModule",
    "JobSpec",
    "PaymentContext",
    "PaymentLink",
    "PaymentResult",
    "PaymentStatus",
    "RegistrarModule",
    "ServerInfo",
    "ServerModule",
    "StoredMethod",
    "UsageReport",
    "hookimpl",
    "hookspec",
    "validate_config",
]
