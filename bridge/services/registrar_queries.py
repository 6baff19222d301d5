"""Questions asked of a domain's registrar (nameservers, lock, contacts, availability) and
saving registrant contacts there.

Reads change nothing. Where the registrar cannot answer a read because its module does not
support it, the core's own record is the answer (stored lock state, stored contacts); any
other refusal raises :class:`RegistrarRefused` carrying the registrar's words.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from bridge.errors import Conflict, ModuleError, NotFound
from bridge.models import Domain
from hooks import Availability, DomainContext, RegistrarModule
from hooks.common import NOT_SUPPORTED

from . import domains
from .common import get_or_404, log_activity
from .module_context import domain_context, plugin_host
from .modules import module_settings


class RegistrarRefused(Conflict):
    """The registrar answered but refused; ``reason`` is its message as given."""

    def __init__(self, domain: str, reason: str) -> None:
        super().__init__(f"registrar refused for {domain}: {reason}")
        self.reason = reason

    @property
    def unsupported(self) -> bool:
        """True when the module does not implement the operation at all."""
        return bool(self.reason == NOT_SUPPORTED)


def registrar_for(session: Session, name: str) -> str:
    """The registrar module name serving a domain name (its catalogue TLD's), "" if none."""
    tld = domains.find_tld(session, name)
    return tld.registrar if tld is not None else ""


def _config(session: Session, registrar: str) -> dict[str, str]:
    try:
        return module_settings(session, "registrar", registrar)
    except NotFound:
        return {}


def _module(session: Session, domain: Domain) -> tuple[RegistrarModule, DomainContext]:
    name = domain.registrar or registrar_for(session, domain.name)
    if not name:
        raise ModuleError(f"domain {domain.name} has no registrar; set one on the domain or "
                          "its TLD")
    module = plugin_host(session).registrar_module(name)
    return module, domain_context(session, domain, _config(session, name))


def current_nameservers(session: Session, domain_id: int) -> list[str]:
    """The nameservers the registrar reports. Raises NotFound, ModuleError (no registrar,
    unreachable) and RegistrarRefused."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    module, ctx = _module(session, domain)
    result = module.get_nameservers(ctx)
    if not result.ok:
        raise RegistrarRefused(domain.name, result.message)
    return [str(ns) for ns in result.data.get("nameservers", []) if ns]


def lock_status(session: Session, domain_id: int) -> bool:
    """Whether the domain is locked: the registrar's report (``sync``) when it gives one,
    else the lock state recorded when it was last set through hostbridge."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    module, ctx = _module(session, domain)
    state = module.sync(ctx)
    if state is not None and state.locked is not None:
        return state.locked
    return domain.locked


def registrar_contacts(session: Session, domain_id: int) -> dict[str, dict[str, str]]:
    """Contacts by role as the registrar holds them; when the module cannot read contacts,
    the domain's stored contacts (the client's details as registrant by default)."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    module, ctx = _module(session, domain)
    result = module.get_contacts(ctx)
    if result.ok:
        found = result.data.get("contacts", {})
        return {str(role): {str(k): "" if v is None else str(v) for k, v in fields.items()}
                for role, fields in found.items()}
    if result.message != NOT_SUPPORTED:
        raise RegistrarRefused(domain.name, result.message)
    return {role: dict(fields) for role, fields in ctx.contacts.items()}


def save_contacts_at_registrar(session: Session, domain_id: int,
                               contacts: Mapping[str, Mapping[str, str]]) -> Domain:
    """Replace contacts (by role) at the registrar, then on the domain (``update_domain``).

    Raises NotFound, ModuleError, RegistrarRefused, ValidationFailed (unknown role).
    """
    domain = get_or_404(session, Domain, domain_id, "Domain")
    module, ctx = _module(session, domain)
    result = module.save_contacts(ctx, contacts)
    if not result.ok:
        raise RegistrarRefused(domain.name, result.message)
    log_activity(session, "registrar.save_contacts", f"Registrar contacts of {domain.name} "
                 "saved", client_id=domain.client_id, subject=("domain", domain.id),
                 data={"roles": sorted(contacts)})
    return domains.update_domain(session, domain.id, {
        "contacts": {role: dict(fields) for role, fields in contacts.items()}})


def check_availability(session: Session, name: str) -> Availability:
    """Ask the registrar of the name's TLD whether it can be registered.

    Raises ValidationFailed for a malformed name, NotFound when no catalogue TLD with a
    registrar serves it, ModuleError when the registrar cannot be reached.
    """
    clean = domains.normalize_domain_name(name)
    registrar = registrar_for(session, clean)
    if not registrar:
        raise NotFound("Registrar for TLD", clean.partition(".")[2], field="extension")
    module = plugin_host(session).registrar_module(registrar)
    answers = module.check_availability([clean], _config(session, registrar))
    for answer in answers:
        if answer.name.lower().rstrip(".") == clean:
            return answer
    return Availability(clean, "unsupported")
