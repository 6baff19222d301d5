"""Support tickets: open, reply, close, reopen, edit, notes, merge, delete, statuses.

Statuses are keys of ``ticket_statuses`` rows; the six defaults (open, answered,
customer_reply, on_hold, in_progress, closed) are always known, even before
``seed_ticket_statuses`` wrote them. A staff reply sets ``answered``, anyone else's
``customer_reply``; a reply to a closed ticket reopens it.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import (
    Admin,
    AuthorType,
    Client,
    Contact,
    Domain,
    Service,
    Ticket,
    TicketAttachment,
    TicketDepartment,
    TicketMessage,
    TicketNote,
    TicketStatus,
)
from bridge.models.support import DEFAULT_TICKET_STATUSES
from bridge.schemas.tickets import AttachmentListSchema, TicketOpenSchema, TicketUpdateSchema

from .common import apply_fields, get_or_404, log_activity, validate
from .settings import DEFAULTS, get_setting

OPEN, ANSWERED, CUSTOMER_REPLY, CLOSED = "open", "answered", "customer_reply", "closed"
MASK_ATTEMPTS = 50
NUMBER_MAX = 32  # Ticket.number column width
ACCESS_KEY_CHARS = string.ascii_letters + string.digits


# --- statuses and numbers -------------------------------------------------------------------

def default_statuses() -> tuple[tuple[str, str, str, bool, bool, bool], ...]:
    """The six default statuses (key, title, color, is_open, awaiting_reply, auto_close)."""
    return DEFAULT_TICKET_STATUSES


def seed_ticket_statuses(session: Session) -> int:
    """Insert the default ticket statuses that are missing; return how many were added."""
    existing = set(session.scalars(select(TicketStatus.key)))
    added = 0
    for order, (key, title, color, is_open, awaiting, auto) in enumerate(default_statuses()):
        if key not in existing:
            session.add(TicketStatus(key=key, title=title, color=color, is_open=is_open,
                                     awaiting_reply=awaiting, auto_close=auto, sort_order=order))
            added += 1
    if added:
        session.flush()
        log_activity(session, "ticket_status.seeded", f"{added} default ticket status(es) added")
    return added


def known_statuses(session: Session) -> set[str]:
    """Status keys a ticket may have: the table's rows plus the six defaults."""
    return set(session.scalars(select(TicketStatus.key))) | {row[0] for row in default_statuses()}


def _check_status(session: Session, status: str) -> str:
    known = known_statuses(session)
    if status not in known:
        raise ValidationFailed.single("status", "one_of", f"unknown ticket status {status!r}; "
                                      "use one of " + ", ".join(sorted(known)))
    return status


def fill_mask(mask: str) -> str:
    """One candidate number: ``%A`` a random uppercase letter, ``%n`` a random digit."""
    out: list[str] = []
    i = 0
    while i < len(mask):
        token = mask[i:i + 2]
        if token == "%A":
            out.append(secrets.choice(string.ascii_uppercase))
        elif token == "%n":
            out.append(secrets.choice(string.digits))
        else:
            out.append(mask[i])
            i += 1
            continue
        i += 2
    return "".join(out)


def generate_ticket_number(session: Session) -> str:
    """A number from setting ``ticket.mask`` no ticket has yet (tried ``MASK_ATTEMPTS`` times).

    Raises Conflict when the mask yields numbers that are too long or never unique.
    """
    mask = get_setting(session, "ticket.mask") or DEFAULTS["ticket.mask"]
    for _ in range(MASK_ATTEMPTS):
        number = fill_mask(mask)
        if len(number) > NUMBER_MAX or not number:
            raise Conflict(f"setting ticket.mask {mask!r} gives numbers of {len(number)} "
                           f"characters; use 1 to {NUMBER_MAX}")
        if session.scalar(select(Ticket.id).where(Ticket.number == number)) is None:
            return number
    raise Conflict(f"unable to generate a unique ticket number from ticket.mask {mask!r}; "
                   "add %A or %n placeholders to the setting")


# --- helpers --------------------------------------------------------------------------------

def _ticket(session: Session, ticket_id: int) -> Ticket:
    return get_or_404(session, Ticket, ticket_id, "Ticket")


def _exists(session: Session, model: type[Any], ident: int | None, field: str,
            label: str) -> Any:
    obj = session.get(model, ident) if ident is not None else None
    if obj is None:
        raise ValidationFailed.single(field, "exists", f"{label} {ident} does not exist")
    return obj


def _not_merged(ticket: Ticket) -> None:
    if ticket.merged_into_id is not None:
        raise Conflict(f"ticket {ticket.id} was merged into ticket {ticket.merged_into_id}; "
                       "work on that ticket instead")


def _record(session: Session, ticket: Ticket, action: str, event: str, text: str,
            **extra: Any) -> None:
    ids = {"ticket_id": ticket.id, "client_id": ticket.client_id, "number": ticket.number}
    log_activity(session, action, f"Ticket #{ticket.number} {text}", client_id=ticket.client_id,
                 subject=("ticket", ticket.id), data={**ids, **extra})
    emit(session, event, **ids, **extra)


def _attachment_rows(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = validate(AttachmentListSchema, {"attachments": list(items)})["attachments"]
    assert isinstance(rows, list)
    return rows


def _attach(session: Session, ticket: Ticket, rows: list[dict[str, Any]], *,
            message_id: int | None = None, note_id: int | None = None) -> None:
    for row in rows:
        session.add(TicketAttachment(ticket_id=ticket.id, message_id=message_id,
                                     note_id=note_id, **row))


def _set_status(ticket: Ticket, status: str) -> None:
    """Change the status, keeping ``closed_at`` in step with it."""
    if status == CLOSED and ticket.status != CLOSED:
        ticket.closed_at = utcnow()
    elif status != CLOSED:
        ticket.closed_at = None
    ticket.status = status


def _check_related(session: Session, values: Mapping[str, Any], client: Client | None) -> None:
    """A ticket may concern one service or one domain, and only its own client's."""
    if values["service_id"] is not None and values["domain_id"] is not None:
        raise ValidationFailed.single("service_id", "invalid",
                                      "a ticket concerns a service or a domain, not both")
    for field, model, label in (("service_id", Service, "service"),
                                ("domain_id", Domain, "domain")):
        if values[field] is None:
            continue
        obj = _exists(session, model, values[field], field, label)
        if client is None or obj.client_id != client.id:
            raise ValidationFailed.single(field, "owner", f"{label} {obj.id} does not belong "
                                          "to the ticket's client")


# --- use-cases ------------------------------------------------------------------------------

def open_ticket(session: Session, data: Mapping[str, Any]) -> Ticket:
    """Open a ticket for a client (optionally as one of its contacts) or a guest.

    See ``TicketOpenSchema``. The number comes from setting ``ticket.mask``; an 8-character
    access key serves guest links; the opening message is the first TicketMessage, written by
    the admin when ``admin_id`` is given. Emits ``ticket_opened``. Raises ValidationFailed
    (unknown department/client/contact/admin, guest without name and email, service or domain
    of someone else), PermissionDenied for a guest in a clients-only department.
    """
    values = validate(TicketOpenSchema, data)
    department = _exists(session, TicketDepartment, values["department_id"], "department_id",
                         "department")
    admin_id = values["admin_id"]
    if admin_id is not None:
        _exists(session, Admin, admin_id, "admin_id", "admin")
    client: Client | None = None
    if values["client_id"] is not None:
        client = _exists(session, Client, values["client_id"], "client_id", "client")
    if values["contact_id"] is not None:
        contact = _exists(session, Contact, values["contact_id"], "contact_id", "contact")
        if client is None or contact.client_id != client.id:
            raise ValidationFailed.single("contact_id", "owner",
                                          "the contact must belong to the given client_id")
    if client is None:
        if not values["name"].strip() or not values["email"]:
            raise ValidationFailed.single(
                "email", "required", "name and email address are required if not a client")
        if department.clients_only and admin_id is None:
            raise PermissionDenied(f"department {department.id} only takes tickets from clients")
    _check_related(session, values, client)
    now = utcnow()
    ticket = Ticket(
        number=generate_ticket_number(session), department_id=department.id,
        client_id=values["client_id"], contact_id=values["contact_id"],
        name=values["name"].strip(), email=values["email"].strip(),
        cc=[address.strip().lower() for address in values["cc"]],
        subject=values["subject"].strip(), status=OPEN, priority=values["priority"],
        service_id=values["service_id"], domain_id=values["domain_id"],
        access_key="".join(secrets.choice(ACCESS_KEY_CHARS) for _ in range(8)),
        opened_by_admin_id=admin_id, ip_address=values["ip_address"], last_reply_at=now,
    )
    if admin_id is not None:
        author = AuthorType.ADMIN
    elif values["contact_id"] is not None:
        author = AuthorType.CONTACT
    else:
        author = AuthorType.CLIENT if client is not None else AuthorType.GUEST
    message = TicketMessage(
        author_type=author.value, client_id=values["client_id"] if author != "admin" else None,
        contact_id=values["contact_id"] if author == "contact" else None, admin_id=admin_id,
        name=ticket.name if author == "guest" else "",
        email=ticket.email if author == "guest" else "",
        body=values["message"], ip_address=values["ip_address"],
    )
    ticket.messages.append(message)
    session.add(ticket)
    session.flush()
    _attach(session, ticket, values["attachments"], message_id=message.id)
    _record(session, ticket, "ticket.opened", "ticket_opened",
            f"opened: {ticket.subject}", department_id=department.id, message_id=message.id,
            author_type=author.value)
    return ticket


def reply_ticket(session: Session, ticket_id: int, message: str, *, author: str = "client",
                 admin_id: int | None = None, contact_id: int | None = None, name: str = "",
                 email: str = "", status: str | None = None,
                 attachments: Sequence[Mapping[str, Any]] = (),
                 ip_address: str = "") -> TicketMessage:
    """Add a reply by ``author`` (client, contact, admin, guest or system).

    The status becomes ``status`` if given, else ``answered`` after staff and
    ``customer_reply`` after anyone else (a system message keeps it); a closed ticket is
    reopened. Emits ``ticket_replied``. Raises ValidationFailed (blank message, unknown
    author/admin/contact/status, client reply on a guest ticket), Conflict on a merged ticket.
    """
    ticket = _ticket(session, ticket_id)
    _not_merged(ticket)
    if not message or not message.strip():
        raise ValidationFailed.single("message", "required", "the reply message is empty")
    if author not in {a.value for a in AuthorType}:
        raise ValidationFailed.single("author", "one_of", f"unknown author type {author!r}")
    if admin_id is not None:
        _exists(session, Admin, admin_id, "admin_id", "admin")
    if author == AuthorType.CONTACT:
        contact = _exists(session, Contact, contact_id, "contact_id", "contact")
        if ticket.client_id is None or contact.client_id != ticket.client_id:
            raise ValidationFailed.single("contact_id", "owner",
                                          "the contact must belong to the ticket's client")
    if author in (AuthorType.CLIENT, AuthorType.CONTACT) and ticket.client_id is None:
        raise ValidationFailed.single("author", "invalid",
                                      f"ticket {ticket.id} is a guest ticket; reply as guest")
    rows = _attachment_rows(attachments)
    if status is not None:
        _check_status(session, status)
    if status is None:
        status = {AuthorType.ADMIN: ANSWERED, AuthorType.SYSTEM: ticket.status}.get(
            AuthorType(author), CUSTOMER_REPLY)
    reopened = ticket.status == CLOSED and status != CLOSED
    guest = author == AuthorType.GUEST
    reply = TicketMessage(
        author_type=author,
        client_id=ticket.client_id if author in (AuthorType.CLIENT, AuthorType.CONTACT) else None,
        contact_id=contact_id if author == AuthorType.CONTACT else None,
        admin_id=admin_id if author == AuthorType.ADMIN else None,
        name=name or (ticket.name if guest else ""), email=email or (ticket.email if guest else ""),
        body=message, ip_address=ip_address,
    )
    ticket.messages.append(reply)
    _set_status(ticket, status)
    ticket.last_reply_at = utcnow()
    session.flush()
    _attach(session, ticket, rows, message_id=reply.id)
    _record(session, ticket, "ticket.replied", "ticket_replied", f"reply by {author}",
            message_id=reply.id, author_type=author, status=status, reopened=reopened)
    return reply


def close_ticket(session: Session, ticket_id: int) -> Ticket:
    """Close a ticket (``closed_at`` now); emits ``ticket_closed``. Conflict if closed."""
    ticket = _ticket(session, ticket_id)
    if ticket.status == CLOSED:
        raise Conflict(f"ticket {ticket.id} (#{ticket.number}) is already closed")
    _set_status(ticket, CLOSED)
    _record(session, ticket, "ticket.closed", "ticket_closed", "closed")
    return ticket


def reopen_ticket(session: Session, ticket_id: int) -> Ticket:
    """Reopen a closed ticket (status open); emits ``ticket_reopened``.

    Raises Conflict when the ticket is not closed or was merged into another.
    """
    ticket = _ticket(session, ticket_id)
    _not_merged(ticket)
    if ticket.status != CLOSED:
        raise Conflict(f"ticket {ticket.id} (#{ticket.number}) is {ticket.status}, not closed")
    _set_status(ticket, OPEN)
    _record(session, ticket, "ticket.reopened", "ticket_reopened", "reopened")
    return ticket


def update_ticket(session: Session, ticket_id: int, data: Mapping[str, Any]) -> Ticket:
    """Change status, priority, department, subject or assigned admin (``TicketUpdateSchema``).

    Emits ``ticket_updated`` with the changed field names when anything changed. Raises
    ValidationFailed (unknown status/department/admin), Conflict when reopening a merged one.
    """
    values = validate(TicketUpdateSchema, data)
    ticket = _ticket(session, ticket_id)
    if "department_id" in values:
        _exists(session, TicketDepartment, values["department_id"], "department_id",
                "department")
    if values.get("assigned_admin_id") is not None:
        _exists(session, Admin, values["assigned_admin_id"], "assigned_admin_id", "admin")
    status = values.pop("status", None)
    if "subject" in values:
        values["subject"] = values["subject"].strip()
    changed = apply_fields(ticket, values)
    if status is not None and status != ticket.status:
        _check_status(session, status)
        if status != CLOSED:
            _not_merged(ticket)
        _set_status(ticket, status)
        changed.append("status")
    if changed:
        _record(session, ticket, "ticket.updated", "ticket_updated",
                "updated: " + ", ".join(changed), changed=changed)
    return ticket


def add_ticket_note(session: Session, ticket_id: int, body: str, *, admin_id: int | None = None,
                    attachments: Sequence[Mapping[str, Any]] = ()) -> TicketNote:
    """Add an internal staff note (never shown to the client); emits ``ticket_note_added``.

    Raises ValidationFailed for an empty body or an unknown admin.
    """
    ticket = _ticket(session, ticket_id)
    if not body or not body.strip():
        raise ValidationFailed.single("body", "required", "the note is empty")
    if admin_id is not None:
        _exists(session, Admin, admin_id, "admin_id", "admin")
    rows = _attachment_rows(attachments)
    note = TicketNote(admin_id=admin_id, body=body)
    ticket.notes.append(note)
    session.flush()
    _attach(session, ticket, rows, note_id=note.id)
    _record(session, ticket, "ticket.note_added", "ticket_note_added", "note added",
            note_id=note.id)
    return note


def merge_tickets(session: Session, target_id: int, source_ids: Sequence[int]) -> Ticket:
    """Move the messages, notes and attachments of ``source_ids`` into ``target_id``.

    The sources are closed with ``merged_into_id`` pointing at the target. Emits
    ``ticket_merged``. Raises ValidationFailed (no sources, target among them), NotFound,
    Conflict (a ticket already merged, tickets of different clients).
    """
    target = _ticket(session, target_id)
    _not_merged(target)
    ids = list(dict.fromkeys(source_ids))
    if not ids:
        raise ValidationFailed.single("source_ids", "required", "name the tickets to merge")
    if target.id in ids:
        raise ValidationFailed.single("source_ids", "invalid", "a ticket cannot merge into itself")
    sources = [_ticket(session, ident) for ident in ids]
    for source in sources:
        _not_merged(source)
        if len({source.client_id, target.client_id} - {None}) > 1:
            raise Conflict(f"ticket {source.id} belongs to client {source.client_id}, ticket "
                           f"{target.id} to client {target.client_id}; they cannot be merged")
    now = utcnow()
    for source in sources:
        if source.last_reply_at and (target.last_reply_at is None
                                     or source.last_reply_at > target.last_reply_at):
            target.last_reply_at = source.last_reply_at
        source.merged_into_id = target.id
        source.status, source.closed_at = CLOSED, source.closed_at or now
    session.flush()
    # Bulk moves: re-parenting through the delete-orphan collections would delete the rows.
    moved = [m for source in sources for m in source.messages]
    for model in (TicketMessage, TicketNote, TicketAttachment):
        session.execute(update(model).where(model.ticket_id.in_(ids))
                        .values(ticket_id=target.id))
    for obj in moved:
        session.expire(obj)
    for ticket in (target, *sources):
        session.expire(ticket, ["messages", "notes"])
    _record(session, target, "ticket.merged", "ticket_merged",
            "merged with " + ", ".join(f"#{s.number}" for s in sources), source_ids=ids)
    return target


def delete_ticket(session: Session, ticket_id: int) -> None:
    """Delete a ticket with its messages, notes and attachment records.

    Tickets merged into it lose the link. Emits ``ticket_deleted`` with the attachments'
    stored names so storage can drop the files.
    """
    ticket = _ticket(session, ticket_id)
    stored = list(session.scalars(select(TicketAttachment.stored_name).where(
        TicketAttachment.ticket_id == ticket.id, TicketAttachment.stored_name != "")))
    _record(session, ticket, "ticket.deleted", "ticket_deleted", f"deleted: {ticket.subject}",
            stored_names=stored)
    session.execute(update(Ticket).where(Ticket.merged_into_id == ticket.id)
                    .values(merged_into_id=None))
    session.execute(delete(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
    session.delete(ticket)
    session.flush()


def get_ticket_by_number(session: Session, number: str) -> Ticket:
    """The ticket with public ``number``; NotFound otherwise."""
    ticket = session.scalar(select(Ticket).where(Ticket.number == number.strip()))
    if ticket is None:
        raise NotFound("Ticket", number, field="number")
    return ticket
