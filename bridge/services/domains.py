"""Domains: add, register, transfer, renew, nameservers, lock, EPP code, admin edits.

Bookkeeping only: the registrar module runs in front of these calls (plugin host) and they
record what the registrar answered. Names are stored lowercase in their Unicode form and must
encode with the stdlib ``idna`` codec; EPP codes are encrypted with the install key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Domain, DomainField, DomainStatus, Order, Tld
from bridge.schemas.domains import DomainUpdateSchema
from bridge.security.secrets import SecretError

from .common import (
    apply_fields,
    get_or_404,
    log_activity,
    non_negative_amount,
    secret_box,
    validate,
)

D = DomainStatus
KINDS = ("register", "transfer")
MAX_YEARS = 10
# A domain in one of these is held (or about to be) by us: a second live row would double-bill.
LIVE = frozenset({D.PENDING, D.PENDING_REGISTRATION, D.PENDING_TRANSFER, D.ACTIVE, D.GRACE,
                  D.REDEMPTION})
REGISTRABLE = frozenset({D.PENDING, D.PENDING_REGISTRATION})
TRANSFERABLE = frozenset({D.PENDING, D.PENDING_REGISTRATION, D.PENDING_TRANSFER, D.CANCELLED,
                          D.TRANSFERRED_AWAY})
RENEWABLE = frozenset({D.ACTIVE, D.GRACE, D.REDEMPTION, D.EXPIRED})
HELD = frozenset({D.ACTIVE, D.GRACE, D.REDEMPTION, D.EXPIRED})
# set_domain_status target -> the statuses it may be reached from
STATUS_FROM: dict[str, frozenset[str]] = {
    D.EXPIRED: HELD,
    D.GRACE: HELD,
    D.REDEMPTION: HELD,
    D.TRANSFERRED_AWAY: HELD,
    D.CANCELLED: frozenset(D) - {D.CANCELLED},
    D.FRAUD: frozenset({D.PENDING, D.PENDING_REGISTRATION, D.PENDING_TRANSFER, D.ACTIVE}),
}
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def normalize_domain_name(name: str, field: str = "domain") -> str:
    """``name`` stripped, without a trailing dot, lowercase (Unicode form kept).

    Raises ValidationFailed on ``field`` unless it has a dot, encodes with the ``idna`` codec
    and every encoded label is 1-63 letters, digits or inner hyphens (253 chars at most).
    """
    text = unicodedata.normalize("NFC", (name or "").strip()).rstrip(".").lower()
    if "." not in text:
        raise ValidationFailed.single(field, "invalid",
                                      f"{name!r} is not a domain name: it needs a dot")
    try:
        encoded = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationFailed.single(field, "invalid",
                                      f"{name!r} is not a valid domain name ({exc})") from exc
    if len(encoded) > 253:
        raise ValidationFailed.single(field, "length", f"{name!r} is longer than 253 characters")
    for label in encoded.split("."):
        if not _LABEL.match(label):
            raise ValidationFailed.single(
                field, "invalid", f"{name!r}: label {label!r} must be 1-63 letters, digits or "
                "hyphens and must not start or end with a hyphen")
    return text


def add_years(start: date, years: int) -> date:
    """``start`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def find_tld(session: Session, name: str) -> Tld | None:
    """The catalogue TLD with the longest extension ``name`` ends with (``.co.uk`` > ``.uk``)."""
    labels = name.split(".")
    suffixes = [".".join(labels[i:]) for i in range(1, len(labels))]
    candidates = [f".{s}" for s in suffixes] + suffixes
    tlds = session.scalars(select(Tld).where(Tld.extension.in_(candidates))).all()
    return max(tlds, key=lambda t: len(t.extension.lstrip(".")), default=None)


def _domain(session: Session, domain_id: int) -> Domain:
    return get_or_404(session, Domain, domain_id, "Domain")


def _years(years: int, field: str = "years") -> int:
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        raise ValidationFailed.single(field, "range", f"{field} must be 1 to {MAX_YEARS}")
    return years




def _status(value: str, field: str = "status") -> str:
    if value not in {s.value for s in D}:
        raise ValidationFailed.single(field, "one_of", f"unknown domain status {value!r}; use "
                                      + ", ".join(s.value for s in D))
    return value


def _require(domain: Domain, allowed: frozenset[str], action: str) -> str:
    if domain.status not in allowed:
        raise Conflict(f"domain {domain.id} ({domain.name}) is {domain.status}; cannot {action} "
                       f"(allowed from: {', '.join(sorted(allowed))})")
    return domain.status


def _record(session: Session, domain: Domain, action: str, event: str, text: str,
            **extra: Any) -> None:
    ids = {"domain_id": domain.id, "client_id": domain.client_id}
    log_activity(session, action, f"Domain {domain.name} (#{domain.id}) {text}",
                 client_id=domain.client_id, subject=("domain", domain.id),
                 data={**ids, "domain": domain.name, **extra})
    emit(session, event, **ids, domain=domain.name, **extra)


def validate_nameservers(nameservers: Sequence[str]) -> list[str]:
    """2 to 5 distinct hostnames, normalised; ValidationFailed on ``nameservers`` otherwise."""
    if isinstance(nameservers, str):
        raise ValidationFailed.single("nameservers", "invalid", "give a list of hostnames")
    hosts = [normalize_domain_name(ns, "nameservers") for ns in nameservers if ns and ns.strip()]
    if not 2 <= len(hosts) <= 5:
        raise ValidationFailed.single("nameservers", "length", "give 2 to 5 nameservers")
    if len(set(hosts)) != len(hosts):
        raise ValidationFailed.single("nameservers", "unique", "nameservers must be distinct")
    return hosts


def add_domain(session: Session, client_id: int, name: str, *, kind: str = "register",
               years: int = 1, registrar: str = "", recurring_amount: Decimal = Decimal(0),
               first_payment_amount: Decimal | None = None, order_id: int | None = None,
               payment_method: str = "", nameservers: Sequence[str] = (),
               epp_code: str | None = None, status: str | None = None) -> Domain:
    """Add a domain for a client, pending registration (or transfer) unless ``status`` says.

    The currency is the client's; the first payment defaults to the recurring amount; the
    registrar defaults to the catalogue TLD's; the EPP code is stored encrypted. Emits
    ``domain_added``. Raises NotFound (client, order), ValidationFailed (name, kind, years,
    amounts, nameservers, status) and Conflict when another live row holds the name.
    """
    client = get_or_404(session, Client, client_id, "Client")
    domain_name = normalize_domain_name(name)
    if kind not in KINDS:
        raise ValidationFailed.single("kind", "one_of", "kind must be register or transfer")
    _years(years)
    recurring = non_negative_amount(recurring_amount, "recurring_amount")
    first = recurring if first_payment_amount is None else non_negative_amount(first_payment_amount,
                                                                    "first_payment_amount")
    default = D.PENDING_REGISTRATION if kind == "register" else D.PENDING_TRANSFER
    wanted = default.value if status is None else _status(status)
    hosts = validate_nameservers(nameservers) if nameservers else []
    if order_id is not None:
        get_or_404(session, Order, order_id, "Order")
    held = session.scalar(select(Domain.id).where(Domain.name == domain_name,
                                                  Domain.status.in_(LIVE)))
    if held is not None:
        raise Conflict(f"domain {domain_name} is already on record as domain #{held}; "
                       "cancel that one first or edit it")
    if not registrar:
        tld = find_tld(session, domain_name)
        registrar = tld.registrar if tld else ""
    domain = Domain(
        client_id=client.id, order_id=order_id, name=domain_name, kind=kind, status=wanted,
        registrar=registrar, registration_period=years, currency=client.currency,
        first_payment_amount=first, recurring_amount=recurring, payment_method=payment_method,
        nameservers=hosts, epp_code_enc=secret_box(session).encrypt(epp_code or ""),
    )
    session.add(domain)
    session.flush()
    _record(session, domain, "domain.added", "domain_added", f"added ({kind})", kind=kind,
            order_id=order_id)
    return domain


def register_domain(session: Session, domain_id: int, *, registration_date: date | None = None,
                    expiry_date: date | None = None) -> Domain:
    """Record a registration: active, registered today (UTC) unless given, expiring after
    the registration period (29 Feb -> 28 Feb), next due and next invoice on the expiry.

    Emits ``domain_registered``. Raises Conflict unless the domain is pending (registration),
    ValidationFailed when the expiry is not after the registration date.
    """
    domain = _domain(session, domain_id)
    _require(domain, REGISTRABLE, "register it")
    registered = registration_date or utcnow().date()
    expires = expiry_date or add_years(registered, domain.registration_period)
    if expires <= registered:
        raise ValidationFailed.single("expiry_date", "range",
                                      "the expiry date must be after the registration date")
    domain.status = D.ACTIVE.value
    domain.registration_date = registered
    domain.expiry_date = domain.next_due_date = domain.next_invoice_date = expires
    domain.registrar_error = ""
    _record(session, domain, "domain.registered", "domain_registered", "registered",
            expiry_date=expires.isoformat())
    return domain


def transfer_domain(session: Session, domain_id: int) -> Domain:
    """Record that a transfer-in was requested: kind transfer, status pending_transfer.

    Emits ``domain_transfer_requested``. Raises Conflict when the domain is already held
    (active, grace, redemption, expired) or fraud.
    """
    domain = _domain(session, domain_id)
    old = _require(domain, TRANSFERABLE, "transfer it in")
    domain.kind = "transfer"
    domain.status = D.PENDING_TRANSFER.value
    _record(session, domain, "domain.transfer_requested", "domain_transfer_requested",
            "transfer requested", old_status=old)
    return domain


def complete_transfer(session: Session, domain_id: int, *, expiry_date: date) -> Domain:
    """Record a completed transfer-in: active with the registry's ``expiry_date``, next due
    and next invoice on it, registration date today (UTC) when empty.

    Emits ``domain_transferred``. Raises Conflict unless the domain is pending_transfer.
    """
    domain = _domain(session, domain_id)
    _require(domain, frozenset({D.PENDING_TRANSFER}), "complete a transfer")
    domain.status = D.ACTIVE.value
    if domain.registration_date is None:
        domain.registration_date = utcnow().date()
    domain.expiry_date = domain.next_due_date = domain.next_invoice_date = expiry_date
    domain.registrar_error = ""
    _record(session, domain, "domain.transferred", "domain_transferred", "transferred in",
            expiry_date=expiry_date.isoformat())
    return domain


def renew_domain(session: Session, domain_id: int, years: int = 1) -> Domain:
    """Record a renewal: the expiry moves ``years`` on from the current expiry (not from
    today); next due and next invoice follow it; grace/redemption/expired become active.

    Emits ``domain_renewed``. Raises ValidationFailed for years outside 1-10, Conflict when
    the domain is not held or has no expiry date.
    """
    _years(years)
    domain = _domain(session, domain_id)
    old = _require(domain, RENEWABLE, "renew it")
    if domain.expiry_date is None:
        raise Conflict(f"domain {domain.id} ({domain.name}) has no expiry date; set it with "
                       "update_domain before renewing")
    expires = add_years(domain.expiry_date, years)
    domain.expiry_date = domain.next_due_date = domain.next_invoice_date = expires
    domain.status = D.ACTIVE.value
    _record(session, domain, "domain.renewed", "domain_renewed", f"renewed for {years} year(s)",
            years=years, old_status=old, expiry_date=expires.isoformat())
    return domain


def set_nameservers(session: Session, domain_id: int, nameservers: Sequence[str]) -> Domain:
    """Store 2-5 validated nameserver hostnames; emits ``domain_nameservers_updated``."""
    hosts = validate_nameservers(nameservers)
    domain = _domain(session, domain_id)
    domain.nameservers = hosts
    _record(session, domain, "domain.nameservers_updated", "domain_nameservers_updated",
            "nameservers set to " + ", ".join(hosts), nameservers=hosts)
    return domain


def set_lock(session: Session, domain_id: int, locked: bool) -> Domain:
    """Record the registrar lock state; emits ``domain_lock_changed``."""
    domain = _domain(session, domain_id)
    domain.locked = bool(locked)
    _record(session, domain, "domain.lock_changed", "domain_lock_changed",
            "locked" if locked else "unlocked", locked=bool(locked))
    return domain


def set_id_protection(session: Session, domain_id: int, enabled: bool) -> Domain:
    """Record ID protection on or off; emits ``domain_id_protection_changed``."""
    domain = _domain(session, domain_id)
    domain.id_protection = bool(enabled)
    _record(session, domain, "domain.id_protection_changed", "domain_id_protection_changed",
            "ID protection " + ("enabled" if enabled else "disabled"), enabled=bool(enabled))
    return domain


def set_epp_code(session: Session, domain_id: int, code: str) -> Domain:
    """Store the EPP (auth) code encrypted; emits ``domain_epp_code_set`` (without the code)."""
    domain = _domain(session, domain_id)
    domain.epp_code_enc = secret_box(session).encrypt(code.strip())
    _record(session, domain, "domain.epp_code_set", "domain_epp_code_set", "EPP code stored")
    return domain


def get_epp_code(session: Session, domain_id: int) -> str:
    """The stored EPP code in plain text ("" when none); the read is logged.

    Raises Conflict when the stored value cannot be decrypted with the install key.
    """
    domain = _domain(session, domain_id)
    try:
        code = secret_box(session).decrypt(domain.epp_code_enc)
    except SecretError as exc:
        raise Conflict(f"domain {domain.id}: stored EPP code cannot be decrypted ({exc}); "
                       "check BRIDGE_SECRET_KEY or store the code again") from exc
    log_activity(session, "domain.epp_code_viewed", f"EPP code of {domain.name} read",
                 client_id=domain.client_id, subject=("domain", domain.id))
    return code


def update_domain(session: Session, domain_id: int, data: Mapping[str, Any]) -> Domain:
    """Apply an admin's edits (see ``DomainUpdateSchema``); any known status is accepted.

    Emits ``domain_updated`` with the changed field names when anything changed. Raises
    ValidationFailed for bad input.
    """
    values = validate(DomainUpdateSchema, data)
    domain = _domain(session, domain_id)
    if "contacts" in values:
        values["contacts"] = {**domain.contacts, **values["contacts"]}
    changed = apply_fields(domain, values)
    if changed:
        _record(session, domain, "domain.updated", "domain_updated",
                "updated: " + ", ".join(changed), changed=changed)
    return domain


def set_domain_status(session: Session, domain_id: int, status: str) -> Domain:
    """Move a domain to expired, grace, redemption, cancelled, transferred_away or fraud.

    Emits ``domain_status_changed``. Raises ValidationFailed for another status, Conflict
    when the current status does not lead there (see ``STATUS_FROM``).
    """
    if status not in STATUS_FROM:
        raise ValidationFailed.single("status", "one_of", "status must be one of "
                                      + ", ".join(STATUS_FROM))
    domain = _domain(session, domain_id)
    old = _require(domain, STATUS_FROM[status], f"make it {status}")
    domain.status = status
    _record(session, domain, "domain.status_changed", "domain_status_changed",
            f"status {old} -> {status}", old_status=old, status=status)
    return domain


def set_domain_fields(session: Session, domain_id: int, fields: Mapping[str, str]) -> Domain:
    """Create or update TLD-specific registrant fields by name (others are kept).

    Emits ``domain_fields_updated`` with the field names. Raises ValidationFailed for an
    empty name or a non-string value.
    """
    domain = _domain(session, domain_id)
    current = {f.name: f for f in domain.fields}
    for field_name, value in fields.items():
        if not isinstance(field_name, str) or not field_name.strip():
            raise ValidationFailed.single("fields", "invalid", "field names must not be empty")
        if not isinstance(value, str):
            raise ValidationFailed.single(f"fields.{field_name}", "invalid",
                                          "field values must be strings")
        row = current.get(field_name)
        if row is None:
            domain.fields.append(DomainField(name=field_name, value=value))
        else:
            row.value = value
    _record(session, domain, "domain.fields_updated", "domain_fields_updated",
            "additional fields updated", fields=sorted(fields))
    return domain
