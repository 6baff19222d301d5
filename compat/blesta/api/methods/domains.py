"""Domains plugin, domains (``domains.domains_domains``).

Mapping: in Blesta a domain is a service on a registrar package, addressed by
``service_id``; hostbridge keeps domains apart from services, so ``service_id`` here is the
core domain id (the id a Blesta import keeps for a domain service). Its status is shown as a
service status (pending*, active/grace/redemption, expired -> suspended, cancelled/
transferred away/fraud -> canceled); ``package_id`` is the id of the domain's TLD (see
``domains.domains_tlds``) and ``module_id`` the registrar's module settings id. Registrar work
(renew, nameservers) goes through the registrar module; a refusal answers 400 with its
message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select

from bridge.errors import ModuleError
from bridge.models import Client, Domain, ModuleSetting, Tld
from bridge.services.domains import update_domain
from bridge.services.provisioning import ModuleOutcome
from bridge.services.registrar_ops import renew_at_registrar, save_nameservers_at_registrar
from bridge.services.registrar_queries import current_nameservers, registrar_for

from ..format import money, stamp
from ..registry import MethodCall, invalid, method
from .billing_shared import (
    company_clients,
    count_of,
    day,
    items,
    optional_int,
    ordered,
    page_of,
    paged,
    renamed_errors,
)

DOMAINS = "domains.domains_domains"
SERVICE_STATUS = {"pending": "pending", "pending_registration": "pending",
                  "pending_transfer": "pending", "active": "active", "grace": "active",
                  "redemption": "active", "expired": "suspended", "cancelled": "canceled",
                  "transferred_away": "canceled", "fraud": "canceled"}
ORDER_COLUMNS: dict[str, Any] = {"id": Domain.id, "order": Domain.id, "domain": Domain.name,
                                 "date_added": Domain.created_at,
                                 "date_renews": Domain.next_due_date,
                                 "expiration_date": Domain.expiry_date,
                                 "status": Domain.status, "client_id": Domain.client_id}
_PHP_DATE = {"Y": "%Y", "y": "%y", "m": "%m", "d": "%d", "H": "%H", "h": "%I", "i": "%M",
             "s": "%S", "M": "%b", "F": "%B", "D": "%a", "l": "%A", "A": "%p"}


def php_date(moment: datetime, fmt: str) -> str:
    """``moment`` in a PHP ``date()`` format (the common letters; ``\\`` escapes one)."""
    out: list[str] = []
    escaped = False
    for char in fmt:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _PHP_DATE:
            out.append(moment.strftime(_PHP_DATE[char]))
        elif char in "njGg":
            value = {"n": moment.month, "j": moment.day, "G": moment.hour,
                     "g": moment.hour % 12 or 12}[char]
            out.append(str(value))
        elif char == "a":
            out.append(moment.strftime("%p").lower())
        elif char == "U":
            out.append(str(int(moment.timestamp())))
        else:
            out.append(char)
    return "".join(out)


def tld_of(name: str, tlds: Sequence[Tld]) -> Tld | None:
    """The catalogue TLD of a domain name (the longest matching extension)."""
    matches = [t for t in tlds if name.endswith("." + t.extension.lstrip("."))]
    return max(matches, key=lambda t: len(t.extension.lstrip(".")), default=None)


def module_ids(call: MethodCall, kind: str = "registrar") -> dict[str, int]:
    """Module name -> its settings row id (Blesta ``module_id``)."""
    return {name: ident for ident, name in call.session.execute(
        select(ModuleSetting.id, ModuleSetting.module).where(ModuleSetting.kind == kind))}


def domain_object(domain: Domain, tld: Tld | None, modules: dict[str, int]) -> dict[str, Any]:
    """A domain as the plugin lists it (a domain service)."""
    registrar = domain.registrar or (tld.registrar if tld else "")
    return {
        "id": domain.id, "id_code": str(domain.id), "service_id": domain.id,
        "client_id": domain.client_id, "domain": domain.name, "name": domain.name,
        "tld": ("." + tld.extension.lstrip(".")) if tld else None,
        "package_id": tld.id if tld else None, "module_id": modules.get(registrar),
        "registrar": registrar or None,
        "status": SERVICE_STATUS.get(domain.status, domain.status),
        "date_added": stamp(domain.created_at), "date_renews": stamp(domain.next_due_date),
        "registration_date": stamp(domain.registration_date),
        "expiration_date": stamp(domain.expiry_date), "nameservers": list(domain.nameservers),
        "term": domain.registration_period, "period": "year",
        "price": money(domain.recurring_amount), "currency": domain.currency,
    }


def render(call: MethodCall, domains: Sequence[Domain]) -> list[dict[str, Any]]:
    """Domains with the TLD catalogue and registrar ids loaded once."""
    tlds = call.session.scalars(select(Tld)).all()
    modules = module_ids(call)
    return [domain_object(d, tld_of(d.name, tlds), modules) for d in domains]


def _query(call: MethodCall) -> Select[Any]:
    return (select(Domain).join(Client, Client.id == Domain.client_id)
            .where(company_clients(call)))


def scoped_domain(call: MethodCall, service_id: Any) -> Domain | None:
    """Domain ``service_id`` when its client is in the caller's company."""
    ident = optional_int(service_id, "service_id")
    if ident is None:
        return None
    domain: Domain | None = call.session.scalar(_query(call).where(Domain.id == ident))
    return domain


def _domain_or_400(call: MethodCall) -> Domain:
    domain = scoped_domain(call, call.arg("service_id"))
    if domain is None:
        raise invalid("service_id", "exists", "Please specify a valid domain service.")
    return domain


def filtered(call: MethodCall, status: Any = None) -> Select[Any]:
    """Domains matching Blesta's ``filters`` (client_id, status, package_id, module_id)."""
    query = _query(call)
    filters = call.vars("filters")
    word = str(status or filters.get("status") or "")
    if word and word != "all":
        query = query.where(Domain.status.in_(
            [core for core, wire in SERVICE_STATUS.items() if wire == word]))
    client_id = optional_int(filters.get("client_id"), "client_id")
    if client_id is not None:
        query = query.where(Domain.client_id == client_id)
    package_id = optional_int(filters.get("package_id"), "package_id")
    if package_id is not None:
        tld = call.session.get(Tld, package_id)
        ext = "." + tld.extension.lstrip(".") if tld else "\0"
        query = query.where(Domain.name.like(f"%{ext}"))
    module_id = optional_int(filters.get("module_id"), "module_id")
    if module_id is not None:
        names = [name for name, ident in module_ids(call).items() if ident == module_id]
        query = query.where(Domain.registrar.in_(names))
    return query


@method(DOMAINS, "getList", status="partial",
        notes="filters client_id, status, package_id (TLD id) and module_id")
def get_list(call: MethodCall) -> Any:
    """One page (20) of domains."""
    query = ordered(filtered(call), call.arg("order"), ORDER_COLUMNS, Domain.id)
    return render(call, call.session.scalars(paged(query, page_of(call))).all())


@method(DOMAINS, "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many domains ``getList`` pages through."""
    return count_of(call, filtered(call))


@method(DOMAINS, "getAll", status="partial", notes="formatted_filters are ignored")
def get_all(call: MethodCall) -> Any:
    """Every matching domain."""
    query = ordered(filtered(call), call.arg("order"), ORDER_COLUMNS, Domain.id)
    return render(call, call.session.scalars(query).all())


@method(DOMAINS, "getStatusCount")
def get_status_count(call: MethodCall) -> Any:
    """How many domains have the (service) status."""
    return count_of(call, filtered(call, call.arg("status") or "active"))


def _date(call: MethodCall, attribute: str) -> Any:
    domain = scoped_domain(call, call.arg("service_id"))
    value = getattr(domain, attribute) if domain is not None else None
    if value is None:
        return False
    moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return php_date(moment, str(call.arg("format") or "Y-m-d H:i:s"))


@method(DOMAINS, "getExpirationDate")
def get_expiration_date(call: MethodCall) -> Any:
    """The expiry date in ``format`` (PHP date letters), or false."""
    return _date(call, "expiry_date")


@method(DOMAINS, "getRegistrationDate")
def get_registration_date(call: MethodCall) -> Any:
    """The registration date in ``format``, or false."""
    return _date(call, "registration_date")


@method(DOMAINS, "setExpirationDate")
def set_expiration_date(call: MethodCall) -> Any:
    """Record the expiry date."""
    domain = _domain_or_400(call)
    with renamed_errors({"expiry_date": "expiration_date"}):
        update_domain(call.session, domain.id,
                      {"expiry_date": day(call.arg("expiration_date"), "expiration_date")})
    return None


@method(DOMAINS, "setRegistrationDate")
def set_registration_date(call: MethodCall) -> Any:
    """Record the registration date."""
    domain = _domain_or_400(call)
    update_domain(call.session, domain.id, {
        "registration_date": day(call.arg("registration_date"), "registration_date")})
    return None


@method(DOMAINS, "isManagedDomain")
def is_managed_domain(call: MethodCall) -> Any:
    """Whether the domain exists here and has a registrar to manage it."""
    domain = scoped_domain(call, call.arg("service_id"))
    return domain is not None and bool(domain.registrar or registrar_for(call.session,
                                                                           domain.name))


def _outcome(outcome: ModuleOutcome, action: str) -> None:
    if not outcome.ok:
        raise invalid("registrar", action, outcome.message or f"the registrar refused to "
                      f"{action}")


@method(DOMAINS, "renewDomain", status="partial",
        notes="a registrar refusal answers 400 and is not queued for retry")
def renew_domain(call: MethodCall) -> Any:
    """Renew at the registrar for ``years``; the expiry moves on."""
    domain = _domain_or_400(call)
    years = optional_int(call.arg("years", 1), "years") or 1
    _outcome(renew_at_registrar(call.session, domain.id, years), "renew")
    return None


@method(DOMAINS, "getNameservers", status="partial",
        notes="the stored nameservers when the domain has no registrar")
def get_nameservers(call: MethodCall) -> Any:
    """The nameservers the registrar reports."""
    domain = _domain_or_400(call)
    try:
        return current_nameservers(call.session, domain.id)
    except ModuleError:
        return list(domain.nameservers)


@method(DOMAINS, "updateNameservers")
def update_nameservers(call: MethodCall) -> Any:
    """Replace the nameservers at the registrar and here."""
    domain = _domain_or_400(call)
    hosts = [str(ns) for ns in items(call.arg("nameservers")) if str(ns).strip()]
    _outcome(save_nameservers_at_registrar(call.session, domain.id, hosts), "nameservers")
    return None


@method(DOMAINS, "updateRegistrar", status="partial",
        notes="module_id is a registrar module settings id")
def update_registrar(call: MethodCall) -> Any:
    """Move the domain to another registrar module."""
    domain = _domain_or_400(call)
    module_id = optional_int(call.arg("module_id"), "module_id")
    name = call.session.scalar(select(ModuleSetting.module).where(
        ModuleSetting.id == module_id, ModuleSetting.kind == "registrar"))
    if name is None:
        raise invalid("module_id", "exists", f"registrar module {module_id} is not configured")
    update_domain(call.session, domain.id, {"registrar": name})
    return None
