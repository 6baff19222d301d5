"""Domain operations through registrar modules.

As with servers: the registrar is asked first and the domain changes only when it said yes.
A refusal or an unreachable registrar is recorded on the domain, logged, and (for register,
transfer and renew) queued for automation to retry. A result carrying ``data["todo"]`` (the
manual registrar) becomes a staff to-do item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, ModuleError, NotFound
from bridge.models import Domain, TodoItem
from hooks import ActionResult, DomainContext, RegistrarModule

from . import domains
from .common import get_or_404, log_activity
from .module_context import domain_context, plugin_host
from .modules import module_settings
from .provisioning import ModuleOutcome, enqueue_retry

Call = Callable[[RegistrarModule, DomainContext], ActionResult]


def register_at_registrar(session: Session, domain_id: int) -> ModuleOutcome:
    """Register a pending domain at its registrar, then mark it registered (with the expiry
    the registrar reports). ``before_register_domain`` may veto (Conflict)."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    _veto(session, domain)
    return _run(session, domain, "register", lambda m, c: m.register(c),
                lambda r: domains.register_domain(session, domain.id,
                                                  expiry_date=_expiry(r)))


def transfer_at_registrar(session: Session, domain_id: int) -> ModuleOutcome:
    """Start a transfer in at the registrar, then mark the domain pending transfer."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    _veto(session, domain)
    return _run(session, domain, "transfer", lambda m, c: m.transfer(c),
                lambda r: domains.transfer_domain(session, domain.id)
                if domain.status != "pending_transfer" else None)


def renew_at_registrar(session: Session, domain_id: int, years: int = 1) -> ModuleOutcome:
    """Renew at the registrar for ``years``, then move the expiry on."""
    domain = get_or_404(session, Domain, domain_id, "Domain")

    def call(module: RegistrarModule, ctx: DomainContext) -> ActionResult:
        return module.renew(DomainContext(**{**ctx.__dict__, "years": years}))

    return _run(session, domain, "renew", call,
                lambda r: domains.renew_domain(session, domain.id, years), args={"years": years})


def save_nameservers_at_registrar(session: Session, domain_id: int,
                                  nameservers: Sequence[str]) -> ModuleOutcome:
    """Replace the nameservers at the registrar, then on the domain."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    clean = domains.validate_nameservers(nameservers)
    return _run(session, domain, "save_nameservers", lambda m, c: m.save_nameservers(c, clean),
                lambda r: domains.set_nameservers(session, domain.id, clean), queue=False)


def set_lock_at_registrar(session: Session, domain_id: int, locked: bool) -> ModuleOutcome:
    """Lock or unlock the domain at the registrar, then record it."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    return _run(session, domain, "set_lock", lambda m, c: m.set_lock(c, locked),
                lambda r: domains.set_lock(session, domain.id, locked), queue=False)


def set_id_protection_at_registrar(session: Session, domain_id: int,
                                   enabled: bool) -> ModuleOutcome:
    """Turn ID protection on or off at the registrar, then record it."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    return _run(session, domain, "set_id_protection",
                lambda m, c: m.set_id_protection(c, enabled),
                lambda r: domains.set_id_protection(session, domain.id, enabled), queue=False)


def fetch_epp_code(session: Session, domain_id: int) -> str:
    """Ask the registrar for the transfer code (stored encrypted); Conflict when it refuses.

    An empty string means the registrar emailed it to the registrant instead.
    """
    domain = get_or_404(session, Domain, domain_id, "Domain")
    code: list[str] = []

    def keep(result: ActionResult) -> None:
        value = str(result.data.get("epp_code", ""))
        if value:
            domains.set_epp_code(session, domain.id, value)
        code.append(value)

    outcome = _run(session, domain, "get_epp_code", lambda m, c: m.get_epp_code(c), keep,
                   queue=False)
    if not outcome.ok:
        raise Conflict(f"registrar refused the EPP code of {domain.name}: {outcome.message}")
    return code[0] if code else ""


def sync_domain(session: Session, domain_id: int) -> bool:
    """Update expiry and status from the registrar; True when it reported anything."""
    domain = get_or_404(session, Domain, domain_id, "Domain")
    module, ctx = _prepare(session, domain)
    state = (module.transfer_sync(ctx) if domain.status == "pending_transfer"
             else module.sync(ctx))
    if state is None:
        return False
    if state.status == "active" and domain.status == "pending_transfer" and state.expiry_date:
        domains.complete_transfer(session, domain.id, expiry_date=state.expiry_date)
    elif state.expiry_date and state.expiry_date != domain.expiry_date:
        domain.expiry_date = state.expiry_date
    ended = ("expired", "cancelled", "transferred_away")
    if state.status in ended and domain.status != state.status:
        domains.set_domain_status(session, domain.id, state.status)
    if state.status == "transfer_failed":
        domain.registrar_error = f"transfer failed: {state.message}"
    domain.synced_at = utcnow()
    return True


# -- shared machinery ---------------------------------------------------------------------------


def _veto(session: Session, domain: Domain) -> None:
    message = plugin_host(session).veto("before_register_domain", domain_id=domain.id,
                                        client_id=domain.client_id, domain=domain.name)
    if message:
        raise Conflict(f"registration of {domain.name} vetoed: {message}")


def _expiry(result: ActionResult) -> date | None:
    value = result.data.get("expiry_date")
    return value if isinstance(value, date) else None


def _registrar_name(session: Session, domain: Domain) -> str:
    if domain.registrar:
        return domain.registrar
    tld = domains.find_tld(session, domain.name)
    if tld is not None and tld.registrar:
        return tld.registrar
    raise ModuleError(f"domain {domain.name} has no registrar; set one on the domain or its TLD")


def _prepare(session: Session, domain: Domain) -> tuple[RegistrarModule, DomainContext]:
    name = _registrar_name(session, domain)
    module = plugin_host(session).registrar_module(name)
    try:
        config = module_settings(session, "registrar", name)
    except NotFound:
        config = {}
    return module, domain_context(session, domain, config)


def _run(session: Session, domain: Domain, action: str, call: Call,
         on_success: Callable[[ActionResult], object], *, queue: bool = True,
         args: dict[str, Any] | None = None) -> ModuleOutcome:
    try:
        module, ctx = _prepare(session, domain)
        result = call(module, ctx)
    except ModuleError as exc:
        return _failed(session, domain, action, exc.message, queue, args)
    if not result.ok:
        return _failed(session, domain, action, result.message, queue, args)
    on_success(result)
    domain.registrar_error = ""
    todo = result.data.get("todo")
    if todo:
        session.add(TodoItem(title=f"{action.replace('_', ' ')} {domain.name}",
                             description=str(todo), subject_type="domain", subject_id=domain.id))
    log_activity(session, f"registrar.{action}", f"Registrar {action} of {domain.name} done",
                 client_id=domain.client_id, subject=("domain", domain.id))
    return ModuleOutcome(True, result.message)


def _failed(session: Session, domain: Domain, action: str, message: str, queue: bool,
            args: dict[str, Any] | None) -> ModuleOutcome:
    domain.registrar_error = f"{action}: {message}"
    log_activity(session, f"registrar.{action}_failed",
                 f"Registrar {action} of {domain.name} failed: {message}",
                 client_id=domain.client_id, subject=("domain", domain.id))
    if queue:
        enqueue_retry(session, "domain", domain.id, domain.registrar or "", action, message,
                      args or {})
    emit(session, "registrar_action_failed", domain_id=domain.id, client_id=domain.client_id,
         action=action, message=message)
    return ModuleOutcome(False, message, queued=queue)
