"""Server (provisioning) modules: the contract between hostbridge and a control panel.

A plugin contributes module classes through :func:`register_server_modules`. The core builds a
:class:`AccountContext` for a service, calls one method, and persists what the result says
(status, username, password, error). Modules never touch the database and never commit.

Return :class:`~hooks.common.ActionResult` for anything the panel answered, including a
refusal. Raise ``bridge.errors.ModuleError`` only when the panel could not even be asked
(connection refused, timeout, bad credentials to the panel itself): the core then leaves the
service unchanged and queues a retry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .common import NOT_SUPPORTED, ActionResult, ClientInfo
from .config import ConfigField
from .markers import hookspec


@dataclass(frozen=True)
class ServerInfo:
    """The panel a service lives on (a ``servers`` row, password decrypted)."""

    id: int
    name: str = ""
    hostname: str = ""
    ip_address: str = ""
    port: int | None = None
    secure: bool = True
    username: str = ""
    password: str = ""
    access_hash: str = ""
    nameservers: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``http(s)://host[:port]`` built from hostname (or IP), secure flag and port."""
        scheme = "https" if self.secure else "http"
        host = self.hostname or self.ip_address
        return f"{scheme}://{host}" + (f":{self.port}" if self.port else "")


@dataclass(frozen=True)
class AccountContext:
    """Everything a server module needs about one service.

    ``product_config`` holds the product's module settings (declared by ``config_fields``, the
    WHMCS configoption1..24); ``config_options`` the client's configurable option choices by
    option name; ``custom_fields`` the service's custom fields by field name; ``settings`` the
    plugin's own settings from the install config.
    """

    service_id: int
    client: ClientInfo
    product_id: int
    product_name: str
    product_type: str = "other"  # hosting, reseller, server, other
    domain: str = ""
    username: str = ""
    password: str = ""
    status: str = "pending"
    billing_cycle: str = "1M"
    product_config: Mapping[str, str] = field(default_factory=dict)
    config_options: Mapping[str, str] = field(default_factory=dict)
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    server: ServerInfo | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    addon_id: int | None = None


@dataclass(frozen=True)
class UsageReport:
    """Disk and bandwidth figures of one account, in MB (None when unknown)."""

    username: str
    disk_usage_mb: int | None = None
    disk_limit_mb: int | None = None
    bandwidth_usage_mb: int | None = None
    bandwidth_limit_mb: int | None = None


class ServerModule(ABC):
    """Base class of provisioning modules. Subclass it and list it in
    ``register_server_modules``.

    Class attributes: ``name`` (unique, lowercase, used in ``products.module``), ``label``
    (shown to staff), ``version``, ``config_fields`` (per-product settings), ``requires_server``
    (whether a ``servers`` row must be chosen), ``custom_actions`` (action name -> label for
    admin/client buttons).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    config_fields: ClassVar[Sequence[ConfigField]] = ()
    requires_server: ClassVar[bool] = True
    custom_actions: ClassVar[Mapping[str, str]] = {}

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """``settings`` are the plugin's own install settings (``[plugins.<name>]``)."""
        self.settings: Mapping[str, Any] = settings or {}

    def test_connection(self, server: ServerInfo) -> ActionResult:
        """Check that ``server`` answers with the stored credentials."""
        return ActionResult.failure(NOT_SUPPORTED)

    @abstractmethod
    def create(self, ctx: AccountContext) -> ActionResult:
        """Create the account. ``data`` may return ``username``, ``password``, ``domain``
        or ``dedicated_ip`` when the panel chose them; the core stores them."""

    @abstractmethod
    def suspend(self, ctx: AccountContext, reason: str = "") -> ActionResult:
        """Suspend the account, with the reason staff or automation gave."""

    @abstractmethod
    def unsuspend(self, ctx: AccountContext) -> ActionResult:
        """Lift a suspension."""

    @abstractmethod
    def terminate(self, ctx: AccountContext) -> ActionResult:
        """Remove the account for good."""

    def change_package(self, ctx: AccountContext) -> ActionResult:
        """Apply the (new) product and options in ``ctx`` to the existing account."""
        return ActionResult.failure(NOT_SUPPORTED)

    def change_password(self, ctx: AccountContext, new_password: str) -> ActionResult:
        """Set the account password; the core stores ``new_password`` (encrypted) on success."""
        return ActionResult.failure(NOT_SUPPORTED)

    def renew(self, ctx: AccountContext) -> ActionResult:
        """Called when a renewal invoice of the service is paid (licences, certificates)."""
        return ActionResult.success()

    def usage(self, server: ServerInfo) -> list[UsageReport]:
        """Disk and bandwidth of every account on ``server`` (run daily by automation)."""
        return []

    def sso_url(self, ctx: AccountContext, *, admin: bool = False) -> ActionResult:
        """A single sign-on link to the panel in ``data["url"]``."""
        return ActionResult.failure(NOT_SUPPORTED)

    def custom_action(self, ctx: AccountContext, action: str) -> ActionResult:
        """Run one of ``custom_actions`` (reboot, reset quota, ...)."""
        return ActionResult.failure(f"unknown action {action!r}")

    def choose_server(self, ctx: AccountContext, candidates: Sequence[ServerInfo]) -> int | None:
        """Pick the server for a new account from ``candidates`` (None: least used wins)."""
        return None


@hookspec
def register_server_modules() -> list[type[ServerModule]]:  # type: ignore[empty-body]
    """Return the :class:`ServerModule` subclasses this plugin provides.

    Called once when the app starts. Each class needs a unique ``name``; the host refuses
    duplicates and classes that are not ServerModule subclasses, naming the plugin.

    Example::

        @hookimpl
        def register_server_modules():
            return [MyPanel]
    """
