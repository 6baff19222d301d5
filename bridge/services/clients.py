"""Client use-cases: add, update, close and delete billing accounts; groups and staff notes.

A client is the billing account (WHMCS tblclients, Blesta clients + primary contact). Logins
are users (:mod:`bridge.services.access`) linked to it, one of them as owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import insert_persistent, utcnow
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import (
    Admin,
    BillableItem,
    CancellationRequest,
    Client,
    ClientGroup,
    ClientNote,
    Company,
    CreditEntry,
    Currency,
    CustomField,
    CustomFieldValue,
    Domain,
    DomainField,
    Invoice,
    InvoiceItem,
    Order,
    PayMethod,
    Service,
    ServiceAddon,
    ServiceConfigOption,
    Ticket,
    Transaction,
    User,
    UserClient,
)
from bridge.models.enums import ClientStatus, DomainStatus, InvoiceStatus, ServiceStatus
from bridge.schemas.clients import ClientGroupSchema, ClientSchema, ClientUpdateSchema

from .access import add_user, find_user_by_email, link_user
from .common import apply_fields, check_reference, get_or_404, log_activity, validate
from .settings import default_currency_code, get_setting

ALLOW_DUPLICATE_EMAIL = "client.allow_duplicate_email"
_LIVE_SERVICE = (ServiceStatus.PENDING.value, ServiceStatus.ACTIVE.value,
                 ServiceStatus.SUSPENDED.value)
_PENDING_DOMAIN = (DomainStatus.PENDING.value, DomainStatus.PENDING_REGISTRATION.value,
                   DomainStatus.PENDING_TRANSFER.value)
_ENDED_DOMAIN = (DomainStatus.CANCELLED.value, DomainStatus.FRAUD.value,
                 DomainStatus.TRANSFERRED_AWAY.value)
# invoices nobody paid anything on; partly paid ones need a refund first and stay open
_CANCELLABLE_INVOICE = (InvoiceStatus.DRAFT.value, InvoiceStatus.UNPAID.value)


def get_client(session: Session, client_id: int) -> Client:
    """The client ``client_id``, or NotFound."""
    return get_or_404(session, Client, client_id, "Client")


class ClientTerms(NamedTuple):
    """What invoicing reads of a client: its company, currency, gateway and the place and
    exemption its taxes follow. A plain row, not the ORM object."""

    id: int
    company_id: int | None
    currency: str
    default_gateway: str
    tax_exempt: bool
    country: str
    state: str


# built once (see ClientTerms): reading the few columns through Core costs about half of
# loading the 38-column Client object, and invoice creation needs nothing else of it
_TERMS = select(*(getattr(Client, name) for name in ClientTerms._fields)).where(
    Client.id == bindparam("client_id"))


def client_terms(session: Session, client_id: int) -> ClientTerms:
    """The invoicing terms of client ``client_id`` as the session's transaction sees them
    (pending ORM changes are flushed first); NotFound when there is no such client."""
    session.flush()  # as an ORM query autoflushes (a Core read does not); free when clean
    row = session.connection().execute(_TERMS, {"client_id": client_id}).first()
    if row is None:
        raise NotFound("Client", client_id)
    return ClientTerms(*row)


def find_client_by_email(session: Session, email: str) -> Client | None:
    """The client with ``email`` (any letter case; the oldest when duplicates are allowed)."""
    return session.scalar(select(Client).where(func.lower(Client.email) == email.strip().lower())
                          .order_by(Client.id).limit(1))


def _normalise(values: dict[str, Any]) -> None:
    for key in ("email", "first_name", "last_name", "company_name"):
        if key in values:
            values[key] = values[key].strip()
    if "country" in values:
        values["country"] = values["country"].upper()
    if "currency" in values:
        values["currency"] = values["currency"].upper()


def _check_refs(session: Session, values: Mapping[str, Any]) -> None:
    code = values.get("currency")
    exists = select(Currency.id).where(Currency.code == code)
    if code is not None and session.scalar(exists) is None:
        raise ValidationFailed.single("currency", "invalid",
                                      f"currency {code} does not exist; add it first")
    check_reference(session, ClientGroup, values.get("group_id"), "group_id", "client group")
    check_reference(session, Company, values.get("company_id"), "company_id", "company")


# The email-taken check. ``lower(email) = ?`` cannot use an index: it walked every client
# inside the write transaction (SQLite 0.19 ms at 2,000 clients, MariaDB 5.5 ms at 20,000).
# An index finds every letter case of the address when the comparison is case-insensitive:
# NOCASE on SQLite (0004 builds the email index NOCASE), the column's own collation on
# MariaDB when it is a ``_ci`` one (every utf8mb4 default is); the exact rule (equal after
# lower-casing) is then applied to the few candidates.
_EMAIL_TAKEN = select(Client.id).where(func.lower(Client.email) == bindparam("email")).limit(1)
_EMAIL_CANDIDATES = {
    "sqlite": select(Client.id, Client.email).where(
        Client.email.collate("NOCASE") == bindparam("email")).order_by(Client.id),
    "mysql": select(Client.id, Client.email).where(
        Client.email == bindparam("email")).order_by(Client.id),
}
_COLUMN_COLLATION = text(
    "SELECT collation_name FROM information_schema.columns WHERE table_schema = DATABASE() "
    "AND table_name = 'clients' AND column_name = 'email'")
# per database URL: whether its clients.email collation is case-insensitive (MariaDB/MySQL)
_CASE_INSENSITIVE: dict[str, bool] = {}


def _candidates_by_index(session: Session) -> Any:
    """The indexed candidates statement for this database, or None (use ``lower()``)."""
    bind = session.get_bind()
    name = "mysql" if bind.dialect.name in ("mysql", "mariadb") else bind.dialect.name
    statement = _EMAIL_CANDIDATES.get(name)
    if statement is None or name == "sqlite":
        return statement
    key = str(bind.engine.url)
    known = _CASE_INSENSITIVE.get(key)
    if known is None:
        collation = session.scalar(_COLUMN_COLLATION)
        known = _CASE_INSENSITIVE[key] = str(collation or "").lower().endswith("_ci")
    return statement if known else None


def _email_owner(session: Session, email: str, exclude_id: int | None) -> int | None:
    """The id of a client (other than ``exclude_id``) whose email equals ``email`` after
    lower-casing, or None."""
    target = email.lower()
    candidates = _candidates_by_index(session)
    if candidates is not None:
        for client_id, address in session.execute(candidates, {"email": target}):
            if client_id != exclude_id and address.lower() == target:
                return int(client_id)
        return None
    if exclude_id is None:  # a new client: the statement built once
        return session.scalar(_EMAIL_TAKEN, {"email": target})
    return session.scalar(select(Client.id).where(
        func.lower(Client.email) == target, Client.id != exclude_id).limit(1))


def _check_email_free(
    session: Session, email: str, company_id: int | None, exclude_id: int | None = None
) -> None:
    if get_setting(session, ALLOW_DUPLICATE_EMAIL, company_id) == "1":
        return
    other = _email_owner(session, email, exclude_id)
    if other is not None:
        raise Conflict(f"email {email} is already used by client {other}; use another email "
                       f"or set {ALLOW_DUPLICATE_EMAIL}=1")


def add_client(session: Session, data: Mapping[str, Any]) -> Client:
    """Create a client.

    ``currency`` defaults to the default currency and must exist, as must ``group_id`` and
    ``company_id``. A ``password`` creates a login user with the client's email (or links the
    existing user with that email, leaving its password alone) as the owner;
    ``owner_user_id`` names an existing user as owner instead. Raises ValidationFailed for bad
    input, Conflict for an email another client uses (unless setting
    ``client.allow_duplicate_email`` is "1"). Emits client_added.
    """
    values = validate(ClientSchema, data)
    password = values.pop("password", None)
    owner_user_id = values.pop("owner_user_id", None)
    if password is not None and owner_user_id is not None:
        raise ValidationFailed.single("owner_user_id", "invalid",
                                      "give either a password or owner_user_id, not both")
    _normalise(values)
    _check_refs(session, values)
    if owner_user_id is not None and session.get(User, owner_user_id) is None:
        raise ValidationFailed.single("owner_user_id", "invalid",
                                      f"user {owner_user_id} does not exist")
    if "currency" not in values:
        values["currency"] = default_currency_code(session)
    _check_email_free(session, values["email"], values.get("company_id"))
    if values.get("status") == ClientStatus.CLOSED.value:
        values["closed_at"] = utcnow()
    # one INSERT ... RETURNING of the validated columns (a column left out takes its
    # default) instead of adding the client and flushing the unit of work
    client: Client = insert_persistent(session, Client, values)
    if password is not None:
        user = find_user_by_email(session, client.email) or add_user(
            session, client.email, password, first_name=client.first_name,
            last_name=client.last_name)
        owner_user_id = user.id
    if owner_user_id is not None:
        link_user(session, owner_user_id, client.id, owner=True)
    log_activity(session, "client.added", f"Client {client.email} added", client_id=client.id,
                 subject=("client", client.id))
    emit(session, "client_added", client_id=client.id, owner_user_id=owner_user_id)
    return client


def update_client(session: Session, client_id: int, data: Mapping[str, Any]) -> Client:
    """Change fields of a client (only those given; email preferences merge).

    Raises Conflict for an email another client uses and for a currency change once the
    client has invoices; ValidationFailed for bad input or references. Emits client_updated
    with the ``changed`` field names (nothing when nothing changed). A status of ``closed``
    only marks the client (and stamps ``closed_at``); :func:`close_client` also stops its
    services, domains and invoices.
    """
    client = get_client(session, client_id)
    values = validate(ClientUpdateSchema, data, partial=True)
    _normalise(values)
    _check_refs(session, values)
    if "email" in values and values["email"].lower() != client.email.lower():
        _check_email_free(session, values["email"], client.company_id, exclude_id=client.id)
    if values.get("currency", client.currency) != client.currency:
        invoices = session.scalar(select(func.count(Invoice.id))
                                  .where(Invoice.client_id == client.id)) or 0
        if invoices:
            raise Conflict(f"client {client.id} has {invoices} invoices in {client.currency}; "
                           "its currency cannot change")
    if "email_preferences" in values:
        values["email_preferences"] = {**client.email_preferences,
                                       **values["email_preferences"]}
    old_status = client.status
    changed = apply_fields(client, values)
    if "status" in changed:
        closed = client.status == ClientStatus.CLOSED.value
        client.closed_at = utcnow() if closed else None
    if changed:
        log_activity(session, "client.updated", f"Client {client.id} updated: "
                     f"{', '.join(changed)}", client_id=client.id, subject=("client", client.id),
                     data={"changed": changed, "old_status": old_status})
        emit(session, "client_updated", client_id=client.id, changed=changed)
    return client


def close_client(session: Session, client_id: int, reason: str = "") -> Client:
    """Close a client account and stop everything that would bill it again.

    Live services (pending, active, suspended) and live addons become cancelled (bookkeeping
    only, no module call); pending domains are cancelled and held domains marked do-not-renew;
    unpaid and draft invoices nobody paid on are cancelled (partly paid ones stay open and are
    reported). Safe to run again. Emits client_closed with the ids touched.
    """
    from .domains import set_domain_status
    from .invoices import cancel_invoice
    from .lifecycle import cancel_addon, cancel_service

    client = get_client(session, client_id)
    why = f"client closed: {reason}" if reason else "client closed"
    services = list(session.scalars(select(Service).where(
        Service.client_id == client.id, Service.status.in_(_LIVE_SERVICE))))
    for service in services:
        cancel_service(session, service.id, reason=why)
    addons = list(session.scalars(select(ServiceAddon).where(
        ServiceAddon.client_id == client.id, ServiceAddon.status.in_(_LIVE_SERVICE))))
    for addon in addons:
        cancel_addon(session, addon.id, reason=why)
    cancelled_domains, held_domains = [], []
    for domain in session.scalars(select(Domain).where(Domain.client_id == client.id)):
        if domain.status in _PENDING_DOMAIN:
            set_domain_status(session, domain.id, DomainStatus.CANCELLED.value)
            cancelled_domains.append(domain.id)
        elif domain.status not in _ENDED_DOMAIN and not domain.do_not_renew:
            domain.do_not_renew = True
            held_domains.append(domain.id)
    cancelled_invoices, open_invoices = [], []
    for invoice in session.scalars(select(Invoice).where(
            Invoice.client_id == client.id, Invoice.status.in_(_CANCELLABLE_INVOICE))):
        if invoice.amount_paid > 0:
            open_invoices.append(invoice.id)
            continue
        cancel_invoice(session, invoice.id, reason=why)
        cancelled_invoices.append(invoice.id)
    was = client.status
    client.status = ClientStatus.CLOSED.value
    if was != ClientStatus.CLOSED.value or client.closed_at is None:
        client.closed_at = utcnow()
    touched = {
        "service_ids": [s.id for s in services], "addon_ids": [a.id for a in addons],
        "cancelled_domain_ids": cancelled_domains, "do_not_renew_domain_ids": held_domains,
        "cancelled_invoice_ids": cancelled_invoices, "open_invoice_ids": open_invoices,
    }
    log_activity(session, "client.closed", f"Client {client.id} closed"
                 + (f": {reason}" if reason else ""), client_id=client.id,
                 subject=("client", client.id), data={"reason": reason, **touched})
    emit(session, "client_closed", client_id=client.id, reason=reason, **touched)
    return client


def _count(session: Session, model: Any, *conds: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conds)) or 0


def delete_client(session: Session, client_id: int, *, force: bool = False) -> None:
    """Delete a client that holds nothing, or with ``force`` everything it holds.

    Refuses (Conflict) without ``force`` while the client has invoices, services, domains,
    orders or tickets: close it instead, nothing is lost. Refuses even with ``force`` when
    money moved (transactions) or credit is left. Deletes contacts, notes, custom field values
    and user links (the users stay); with ``force`` also invoices, services, domains, orders
    and stored pay methods, while tickets are kept as guest tickets. Emits client_deleted.
    """
    client = get_client(session, client_id)
    invoice_ids = select(Invoice.id).where(Invoice.client_id == client.id)
    txns = _count(session, Transaction, or_(Transaction.client_id == client.id,
                                            Transaction.invoice_id.in_(invoice_ids)))
    if txns:
        raise Conflict(f"client {client.id} has {txns} transactions: money moved, so it cannot "
                       "be deleted; close it instead")
    if client.credit_balance != 0:
        raise Conflict(f"client {client.id} holds {client.credit_balance} {client.currency} "
                       "credit; remove or refund it before deleting")
    held = {
        "invoices": _count(session, Invoice, Invoice.client_id == client.id),
        "services": _count(session, Service, Service.client_id == client.id),
        "domains": _count(session, Domain, Domain.client_id == client.id),
        "orders": _count(session, Order, Order.client_id == client.id),
        "tickets": _count(session, Ticket, Ticket.client_id == client.id),
    }
    held = {k: v for k, v in held.items() if v}
    if held and not force:
        listed = ", ".join(f"{n} {k}" for k, n in held.items())
        raise Conflict(f"client {client.id} still has {listed}; close the client instead, or "
                       "delete with force to remove them too")
    if held:
        _delete_holdings(session, client)
    _delete_profile(session, client)
    email = client.email
    session.delete(client)
    session.flush()
    log_activity(session, "client.deleted", f"Client {client_id} ({email}) deleted",
                 client_id=client_id, subject=("client", client_id),
                 data={"forced": force, "removed": held})
    emit(session, "client_deleted", client_id=client_id, email=email, forced=force)


def _delete_holdings(session: Session, client: Client) -> None:
    """Remove what a force delete takes, children before parents (FKs hold on every backend)."""
    cid = client.id
    for ticket in session.scalars(select(Ticket).where(Ticket.client_id == cid)):
        ticket.client_id, ticket.service_id, ticket.domain_id = None, None, None
        ticket.name = ticket.name or client.full_name
        ticket.email = ticket.email or client.email
    invoice_ids = select(Invoice.id).where(Invoice.client_id == cid).scalar_subquery()
    service_ids = select(Service.id).where(Service.client_id == cid).scalar_subquery()
    addon_ids = select(ServiceAddon.id).where(ServiceAddon.client_id == cid).scalar_subquery()
    domain_ids = select(Domain.id).where(Domain.client_id == cid).scalar_subquery()
    session.flush()
    session.execute(update(Order).where(Order.client_id == cid).values(invoice_id=None)
                    .execution_options(synchronize_session="fetch"))
    session.execute(delete(CreditEntry).where(CreditEntry.client_id == cid))
    session.execute(delete(InvoiceItem).where(InvoiceItem.invoice_id.in_(invoice_ids)))
    session.execute(delete(Invoice).where(Invoice.client_id == cid))
    session.execute(delete(BillableItem).where(BillableItem.client_id == cid))
    entity_fields = (("product", service_ids), ("addon", addon_ids))
    for owner_type, ids in entity_fields:
        field_ids = select(CustomField.id).where(CustomField.owner_type == owner_type)
        session.execute(delete(CustomFieldValue).where(
            CustomFieldValue.field_id.in_(field_ids), CustomFieldValue.entity_id.in_(ids)))
    session.execute(delete(ServiceConfigOption).where(ServiceConfigOption.service_id.in_(
        service_ids)))
    session.execute(delete(CancellationRequest).where(CancellationRequest.service_id.in_(
        service_ids)))
    session.execute(delete(ServiceAddon).where(ServiceAddon.client_id == cid))
    session.execute(delete(Service).where(Service.client_id == cid))
    session.execute(delete(DomainField).where(DomainField.domain_id.in_(domain_ids)))
    session.execute(delete(Domain).where(Domain.client_id == cid))
    session.execute(delete(Order).where(Order.client_id == cid))
    session.execute(delete(PayMethod).where(PayMethod.client_id == cid))


def _delete_profile(session: Session, client: Client) -> None:
    """Remove what belongs to the client record itself: contacts, notes, values, links."""
    cid = client.id
    client_fields = select(CustomField.id).where(CustomField.owner_type == "client")
    session.execute(delete(CustomFieldValue).where(
        CustomFieldValue.field_id.in_(client_fields), CustomFieldValue.entity_id == cid))
    session.execute(delete(ClientNote).where(ClientNote.client_id == cid))
    for link in session.scalars(select(UserClient).where(UserClient.client_id == cid)):
        session.delete(link)  # through the ORM so loaded User.links stay consistent
    session.execute(delete(PayMethod).where(PayMethod.client_id == cid))
    session.execute(delete(CreditEntry).where(CreditEntry.client_id == cid))
    session.execute(delete(BillableItem).where(BillableItem.client_id == cid))
    # contacts go with the client through the relationship's delete cascade
    session.flush()


def add_client_group(session: Session, data: Mapping[str, Any]) -> ClientGroup:
    """Create a client group (discount percent 0-100, exemptions). Emits client_group_added."""
    values = validate(ClientGroupSchema, data)
    _check_refs(session, values)
    group = ClientGroup(**values)
    session.add(group)
    session.flush()
    log_activity(session, "client_group.added", f"Client group {group.name} added",
                 subject=("client_group", group.id))
    emit(session, "client_group_added", client_group_id=group.id)
    return group


def update_client_group(session: Session, group_id: int, data: Mapping[str, Any]) -> ClientGroup:
    """Change fields of a client group. NotFound when it does not exist."""
    group = get_or_404(session, ClientGroup, group_id, "ClientGroup")
    values = validate(ClientGroupSchema, data, partial=True)
    _check_refs(session, values)
    changed = apply_fields(group, values)
    if changed:
        log_activity(session, "client_group.updated", f"Client group {group.name} updated",
                     subject=("client_group", group.id), data={"changed": changed})
        emit(session, "client_group_updated", client_group_id=group.id, changed=changed)
    return group


def add_client_note(
    session: Session,
    client_id: int,
    body: str,
    *,
    title: str = "",
    admin_id: int | None = None,
    sticky: bool = False,
) -> ClientNote:
    """Add a staff note to a client. ValidationFailed for an empty body or unknown admin."""
    client = get_client(session, client_id)
    if not body.strip():
        raise ValidationFailed.single("body", "required", "the note is empty")
    if admin_id is not None and session.get(Admin, admin_id) is None:
        raise ValidationFailed.single("admin_id", "invalid", f"admin {admin_id} does not exist")
    note = ClientNote(client_id=client.id, body=body, title=title, admin_id=admin_id,
                      sticky=sticky)
    session.add(note)
    session.flush()
    log_activity(session, "client.note_added", f"Note added to client {client.id}",
                 client_id=client.id, subject=("client_note", note.id))
    emit(session, "client_note_added", client_id=client.id, note_id=note.id)
    return note
