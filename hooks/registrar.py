"""Registrar modules: the contract between hostbridge and a domain registrar.

A plugin contributes classes through :func:`register_registrar_modules`. Methods receive a
:class:`DomainContext` and return results the core persists (expiry, status, nameservers).
A refused registration is a result (``ok=False``); ``bridge.errors.ModuleError`` means the
registrar could not be reached at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from .common import NOT_SUPPORTED, ActionResult, ClientInfo
from .config import ConfigField
from .markers import hookspec

CONTACT_ROLES = ("registrant", "admin", "tech", "billing")


@dataclass(frozen=True)
class DomainContext:
    """One domain and what the registrar needs to act on it.

    ``sld`` is the label before the TLD, ``tld`` the extension without the leading dot
    (``co.uk``). ``contacts`` maps a role in :data:`CONTACT_ROLES` to a dict of contact fields
    (first_name, last_name, company_name, email, address1, address2, city, state, postcode,
    country, phone). ``config`` holds the registrar's settings (API keys, test mode).
    """

    domain_id: int
    name: str
    sld: str
    tld: str
    client: ClientInfo
    years: int = 1
    nameservers: tuple[str, ...] = ()
    contacts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    epp_code: str = ""
    id_protection: bool = False
    dns_management: bool = False
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Availability:
    """Whether a name can be registered: ``status`` available, registered, reserved or
    unsupported; premium names carry their prices."""

    name: str
    status: str
    premium: bool = False
    register_price: str = ""
    renew_price: str = ""
    currency: str = ""


@dataclass(frozen=True)
class DomainState:
    """What the registrar reports about a domain (sync and transfer sync).

    ``status`` is one of active, expired, cancelled, transferred_away, pending_transfer,
    transfer_failed; ``message`` explains a failed transfer.
    """

    status: str
    expiry_date: date | None = None
    nameservers: tuple[str, ...] = ()
    locked: bool | None = None
    message: str = ""


class RegistrarModule(ABC):
    """Base class of registrar modules; list subclasses in ``register_registrar_modules``.

    ``name`` is what ``tlds.registrar`` / ``domains.registrar`` store; ``config_fields`` are the
    registrar settings an operator fills in (secrets stored encrypted).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    config_fields: ClassVar[Sequence[ConfigField]] = ()

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        """``settings`` are the plugin's install settings (``[plugins.<name>]``)."""
        self.settings: Mapping[str, Any] = settings or {}

    def check_availability(
        self, names: Sequence[str], config: Mapping[str, str]
    ) -> list[Availability]:
        """Availability of each fully qualified name."""
        return [Availability(name, "unsupported") for name in names]

    @abstractmethod
    def register(self, ctx: DomainContext) -> ActionResult:
        """Register ``ctx.name`` for ``ctx.years``; ``data["expiry_date"]`` (a date) if known."""

    @abstractmethod
    def transfer(self, ctx: DomainContext) -> ActionResult:
        """Start a transfer in with ``ctx.epp_code``."""

    @abstractmethod
    def renew(self, ctx: DomainContext) -> ActionResult:
        """Renew for ``ctx.years``; ``data["expiry_date"]`` (a date) if known."""

    def get_nameservers(self, ctx: DomainContext) -> ActionResult:
        """Current nameservers in ``data["nameservers"]`` (a list)."""
        return ActionResult.failure(NOT_SUPPORTED)

    def save_nameservers(self, ctx: DomainContext, nameservers: Sequence[str]) -> ActionResult:
        """Replace the nameservers."""
        return ActionResult.failure(NOT_SUPPORTED)

    def get_contacts(self, ctx: DomainContext) -> ActionResult:
        """Contacts by role in ``data["contacts"]``."""
        return ActionResult.failure(NOT_SUPPORTED)

    def save_contacts(
        self, ctx: DomainContext, contacts: Mapping[str, Mapping[str, str]]
    ) -> ActionResult:
        """Replace the contacts of the given roles."""
        return ActionResult.failure(NOT_SUPPORTED)

    def get_epp_code(self, ctx: DomainContext) -> ActionResult:
        """The transfer code in ``data["epp_code"]`` (or a message that it was emailed)."""
        return ActionResult.failure(NOT_SUPPORTED)

    def set_lock(self, ctx: DomainContext, locked: bool) -> ActionResult:
        """Lock or unlock against transfers."""
        return ActionResult.failure(NOT_SUPPORTED)

    def set_id_protection(self, ctx: DomainContext, enabled: bool) -> ActionResult:
        """Turn WHOIS privacy on or off."""
        return ActionResult.failure(NOT_SUPPORTED)

    def sync(self, ctx: DomainContext) -> DomainState | None:
        """Expiry and status as the registrar sees them (None: cannot tell)."""
        return None

    def transfer_sync(self, ctx: DomainContext) -> DomainState | None:
        """Progress of a pending transfer (None: cannot tell)."""
        return None


@hookspec
def register_registrar_modules() -> list[type[RegistrarModule]]:  # type: ignore[empty-body]
    """Return the :class:`RegistrarModule` subclasses this plugin provides.

    Called once at start; names must be unique across plugins.
    """
