"""Domains group, registrar operations: DomainRegister, DomainTransfer, DomainRenew,
DomainGetNameservers, DomainUpdateNameservers, DomainGetLockingStatus,
DomainUpdateLockingStatus, DomainRequestEPP, DomainToggleIdProtect, DomainGetWhoisInfo,
DomainUpdateWhoisInfo, DomainRelease, DomainWhois.

A registrar that refuses (or cannot be reached) answers ``result=error`` with its message, as
WHMCS does; the failed attempt stays recorded on the domain (and register/transfer/renew are
queued for automation to retry), so those answers are returned, not raised.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from sqlalchemy import select

from bridge.errors import ModuleError, NotFound, ValidationFailed
from bridge.models import Domain
from bridge.services import domains as domain_service
from bridge.services.provisioning import ModuleOutcome
from bridge.services.registrar_ops import (
    fetch_epp_code,
    register_at_registrar,
    renew_at_registrar,
    save_nameservers_at_registrar,
    set_id_protection_at_registrar,
    set_lock_at_registrar,
    transfer_at_registrar,
)
from bridge.services.registrar_queries import (
    RegistrarRefused,
    check_availability,
    current_nameservers,
    lock_status,
    registrar_contacts,
    save_contacts_at_registrar,
)

from ..registry import ApiError, ApiRequest, action

NOT_SUPPORTED = "Registrar Function Not Supported"
# core contact field <-> WHMCS WHOIS label (as DomainGetWhoisInfo prints them)
WHOIS_LABELS = (("first_name", "First_Name"), ("last_name", "Last_Name"),
                ("company_name", "Organisation_Name"), ("email", "Email"),
                ("address1", "Address_1"), ("address2", "Address_2"), ("city", "City"),
                ("state", "State"), ("postcode", "Postcode"), ("country", "Country"),
                ("phone", "Phone"))
ROLES = (("registrant", "Registrant"), ("admin", "Admin"), ("tech", "Tech"),
         ("billing", "Billing"))
_LABEL_IN = {re.sub(r"[^a-z0-9]", "", label.lower()): core for core, label in WHOIS_LABELS}
_LABEL_IN.update({"companyname": "company_name", "emailaddress": "email",
                  "phonenumber": "phone", "zipcode": "postcode", "firstname": "first_name",
                  "lastname": "last_name", "address1": "address1", "address2": "address2"})


def module_failure(outcome: ModuleOutcome) -> dict[str, Any]:
    """A registrar refusal as WHMCS's error envelope, keeping the recorded attempt."""
    return {"result": "error", "message": outcome.message}


def domain_by_id(req: ApiRequest) -> Domain:
    """The domain ``domainid`` names; ``Domain ID Not Found`` otherwise."""
    ident = req.integer("domainid", message="Domain ID Not Found")
    domain = req.session.get(Domain, ident) if ident is not None else None
    if domain is None:
        raise ApiError("Domain ID Not Found")
    return domain


def domain_by_id_or_name(req: ApiRequest, message: str = "Domain Not Found") -> Domain:
    """The domain named by ``domainid`` (preferred) or ``domain`` (the newest such row)."""
    if req.text("domainid"):
        ident = req.integer("domainid", message=message)
        domain = req.session.get(Domain, ident)
    else:
        try:
            name = domain_service.normalize_domain_name(req.text("domain"))
        except ValidationFailed:
            raise ApiError(message) from None
        domain = req.session.scalar(select(Domain).where(Domain.name == name)
                                    .order_by(Domain.id.desc()).limit(1))
    if domain is None:
        raise ApiError(message)
    return domain


def _allowed(domain: Domain, allowed: frozenset[str], verb: str) -> None:
    if domain.status not in allowed:
        raise ApiError(f"Domain {domain.name} is {domain.status.replace('_', ' ')}; it cannot "
                       f"be {verb} (allowed from: {', '.join(sorted(allowed))})")


@action("DomainRegister", notes="idnlanguage is accepted and ignored")
def domain_register(req: ApiRequest) -> dict[str, Any]:
    """Ask the registrar to register a pending domain."""
    domain = domain_by_id_or_name(req)
    _allowed(domain, domain_service.REGISTRABLE, "registered")
    outcome = register_at_registrar(req.session, domain.id)
    return {} if outcome.ok else module_failure(outcome)


@action("DomainTransfer")
def domain_transfer(req: ApiRequest) -> dict[str, Any]:
    """Ask the registrar to start a transfer in (storing a new ``eppcode`` first)."""
    domain = domain_by_id_or_name(req)
    _allowed(domain, domain_service.TRANSFERABLE, "transferred in")
    if req.text("eppcode"):
        domain_service.set_epp_code(req.session, domain.id, req.text("eppcode"))
    outcome = transfer_at_registrar(req.session, domain.id)
    return {} if outcome.ok else module_failure(outcome)


@action("DomainRenew")
def domain_renew(req: ApiRequest) -> dict[str, Any]:
    """Ask the registrar to renew for ``regperiod`` years (default: the stored period)."""
    domain = domain_by_id_or_name(req)
    _allowed(domain, domain_service.RENEWABLE, "renewed")
    years = req.integer("regperiod") or domain.registration_period
    if not 1 <= years <= domain_service.MAX_YEARS:  # checked before the registrar is asked
        raise ApiError(f"regperiod must be 1 to {domain_service.MAX_YEARS} years")
    outcome = renew_at_registrar(req.session, domain.id, years)
    return {} if outcome.ok else module_failure(outcome)


@action("DomainGetNameservers")
def domain_get_nameservers(req: ApiRequest) -> dict[str, Any]:
    """The nameservers the registrar reports, as ns1..ns5."""
    domain = domain_by_id(req)
    try:
        hosts = current_nameservers(req.session, domain.id)
    except RegistrarRefused as exc:
        raise ApiError(NOT_SUPPORTED if exc.unsupported else exc.reason) from exc
    return {f"ns{i}": hosts[i - 1] if i <= len(hosts) else "" for i in range(1, 6)}


@action("DomainUpdateNameservers")
def domain_update_nameservers(req: ApiRequest) -> dict[str, Any]:
    """Replace the nameservers at the registrar (2 to 5)."""
    domain = domain_by_id_or_name(req, "Domain ID Not Found")
    if not req.text("ns1") or not req.text("ns2"):
        raise ApiError("ns1 and ns2 required")
    hosts = [req.text(f"ns{i}") for i in range(1, 6) if req.text(f"ns{i}")]
    outcome = save_nameservers_at_registrar(req.session, domain.id, hosts)
    return {} if outcome.ok else module_failure(outcome)


@action("DomainGetLockingStatus",
        notes="the registrar's sync report when it gives one, else the recorded lock state")
def domain_get_locking_status(req: ApiRequest) -> dict[str, Any]:
    """``locked`` or ``unlocked``."""
    domain = domain_by_id(req)
    return {"lockstatus": "locked" if lock_status(req.session, domain.id) else "unlocked"}


@action("DomainUpdateLockingStatus")
def domain_update_locking_status(req: ApiRequest) -> dict[str, Any]:
    """Lock (``lockstatus`` true) or unlock the domain at the registrar."""
    domain = domain_by_id(req)
    outcome = set_lock_at_registrar(req.session, domain.id, req.flag("lockstatus"))
    return {} if outcome.ok else module_failure(outcome)


@action("DomainRequestEPP")
def domain_request_epp(req: ApiRequest) -> dict[str, Any]:
    """The transfer code, or nothing when the registrar emailed it to the registrant."""
    domain = domain_by_id(req)
    code = fetch_epp_code(req.session, domain.id)
    return {"eppcode": code} if code else {}


@action("DomainToggleIdProtect")
def domain_toggle_id_protect(req: ApiRequest) -> dict[str, Any]:
    """Turn ID protection on (``idprotect`` true) or off at the registrar."""
    domain = domain_by_id(req)
    outcome = set_id_protection_at_registrar(req.session, domain.id, req.flag("idprotect"))
    return {} if outcome.ok else module_failure(outcome)


@action("DomainGetWhoisInfo",
        notes="contacts the registrar reports; the stored contacts when its module cannot "
              "read them")
def domain_get_whois_info(req: ApiRequest) -> dict[str, Any]:
    """Contacts by role (Registrant, Admin, Tech, Billing) with WHMCS's labels."""
    domain = domain_by_id(req)
    try:
        contacts = registrar_contacts(req.session, domain.id)
    except RegistrarRefused as exc:
        raise ApiError(exc.reason) from exc
    labels = dict(WHOIS_LABELS)
    out: dict[str, Any] = {}
    for role, title in ROLES:
        if role in contacts:
            out[title] = {labels.get(k, k.replace("_", " ").title().replace(" ", "_")): v
                          for k, v in contacts[role].items()}
    return out


def parse_whois_xml(text: str) -> dict[str, dict[str, str]]:
    """The ``xml`` of DomainUpdateWhoisInfo (role elements holding label elements, as
    DomainGetWhoisInfo prints them) -> core contacts by role."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ApiError(f"Invalid XML: {exc}") from exc
    roles = {title.lower(): role for role, title in ROLES}
    blocks = [root] if root.tag.lower() in roles else list(root)
    contacts: dict[str, dict[str, str]] = {}
    for block in blocks:
        role = roles.get(block.tag.lower())
        if role is None:
            continue
        fields = {}
        for item in block:
            key = re.sub(r"[^a-z0-9]", "", item.tag.lower())
            fields[_LABEL_IN.get(key, item.tag.lower())] = (item.text or "").strip()
        contacts[role] = fields
    if not contacts:
        raise ApiError("XML Required")
    return contacts


@action("DomainUpdateWhoisInfo")
def domain_update_whois_info(req: ApiRequest) -> dict[str, Any]:
    """Save contacts at the registrar, then on the domain."""
    domain = domain_by_id(req)
    text = str(req.params.get("xml") or "").strip()
    if not text:
        raise ApiError("XML Required")
    try:
        save_contacts_at_registrar(req.session, domain.id, parse_whois_xml(text))
    except RegistrarRefused as exc:
        raise ApiError(NOT_SUPPORTED if exc.unsupported else exc.reason) from exc
    return {}


@action("DomainRelease", status="partial",
        notes="the registrar contract has no release (UK tag change) operation: answers "
              "Registrar Function Not Supported")
def domain_release(req: ApiRequest) -> dict[str, Any]:
    """Release a domain to another tag: not offered by hostbridge registrar modules."""
    req.require("newtag", "newtag is required")
    domain_by_id_or_name(req)
    raise ApiError(NOT_SUPPORTED)


@action("DomainWhois", status="partial",
        notes="hostbridge runs no WHOIS queries: the TLD's registrar module is asked for "
              "availability and whois holds a one-line summary")
def domain_whois(req: ApiRequest) -> dict[str, Any]:
    """Whether a name is available, as the registrar of its TLD answers."""
    try:
        name = domain_service.normalize_domain_name(req.require("domain", "Domain not valid"))
    except ValidationFailed:
        raise ApiError("Domain not valid") from None
    try:
        answer = check_availability(req.session, name)
    except NotFound:
        raise ApiError("The given TLD is not supported for WHOIS lookups") from None
    except ModuleError as exc:
        raise ApiError(exc.message) from exc
    if answer.status == "unsupported":
        raise ApiError("The given TLD is not supported for WHOIS lookups")
    status = "available" if answer.status == "available" else "unavailable"
    summary = f"{name}: {answer.status} (registrar availability check)"
    if answer.premium:
        summary += f"; premium, register {answer.register_price} {answer.currency}".rstrip()
    return {"status": status, "whois": summary}
