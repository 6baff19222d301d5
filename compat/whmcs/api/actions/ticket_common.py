"""Shared pieces of the ticket actions: the status vocabulary, department scope, and batch
loading of the people, opening messages and attachments that ticket rows refer to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bridge.models import (
    Admin,
    Client,
    Contact,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
)
from bridge.models.support import DEFAULT_TICKET_STATUSES

from ..format import PRIORITY, ymd_his
from ..registry import ApiError, ApiRequest


@dataclass(frozen=True)
class StatusInfo:
    """One ticket status as WHMCS shows it."""

    key: str
    title: str
    color: str
    is_open: bool
    awaiting: bool
    order: int


def status_table(session: Session) -> dict[str, StatusInfo]:
    """Core status key -> StatusInfo: the defaults overlaid with the ``ticket_statuses`` rows."""
    table = {key: StatusInfo(key, title, color, is_open, awaiting, order)
             for order, (key, title, color, is_open, awaiting, _auto)
             in enumerate(DEFAULT_TICKET_STATUSES)}
    for row in session.scalars(select(TicketStatus)):
        table[row.key] = StatusInfo(row.key, row.title, row.color, row.is_open,
                                    row.awaiting_reply, row.sort_order)
    return dict(sorted(table.items(), key=lambda item: (item[1].order, item[0])))


def status_key(table: dict[str, StatusInfo], word: str) -> str | None:
    """A WHMCS status title (``Customer-Reply``) or a core key -> core key (None if unknown)."""
    wanted = word.strip().lower()
    for info in table.values():
        if wanted in (info.title.lower(), info.key):
            return info.key
    return None


def status_title(table: dict[str, StatusInfo], key: str) -> str:
    """Core key -> WHMCS title (an unknown key is shown as stored)."""
    info = table.get(key)
    return info.title if info else key


def department_scope(req: ApiRequest, ignore: bool) -> list[int] | None:
    """Department ids the calling admin is assigned to, None when not limited (ignored, no
    admin, or an admin with no department list, which hostbridge treats as all)."""
    if ignore or req.admin_id is None:
        return None
    admin = req.session.get(Admin, req.admin_id)
    if admin is None or not admin.support_department_ids:
        return None
    return [int(d) for d in admin.support_department_ids]


def find_ticket(req: ApiRequest, message: str = "Ticket ID Not Found") -> Ticket:
    """The ticket named by ``ticketid`` or ``ticketnum``; ApiError(message) otherwise."""
    ticket_id = req.integer("ticketid", message=message)
    ticket = None
    if ticket_id is not None:
        ticket = req.session.get(Ticket, ticket_id)
    elif req.text("ticketnum"):
        ticket = req.session.scalar(select(Ticket).where(Ticket.number == req.text("ticketnum")))
    if ticket is None:
        raise ApiError(message)
    return ticket


# --- batch loading of what ticket rows refer to -----------------------------------------------


class People:
    """Clients, contacts and admins referred to by a set of tickets/messages (one query each)."""

    def __init__(self, session: Session, client_ids: Iterable[int | None],
                 contact_ids: Iterable[int | None], admin_ids: Iterable[int | None]) -> None:
        self.clients = _by_id(session, Client, client_ids)
        self.contacts = _by_id(session, Contact, contact_ids)
        self.admins = _by_id(session, Admin, admin_ids)

    def client_name(self, client_id: int | None) -> str:
        client = self.clients.get(client_id or 0)
        return f"{client.first_name} {client.last_name}".strip() if client else ""

    def admin_name(self, admin_id: int | None) -> str:
        admin = self.admins.get(admin_id or 0)
        return admin.full_name if admin else ""

    def requestor(self, author: str, client_id: int | None, contact_id: int | None,
                  admin_id: int | None, name: str, email: str) -> tuple[str, str, str]:
        """(requestor_name, requestor_email, requestor_type) of a ticket or message author."""
        if author == "admin":
            admin = self.admins.get(admin_id or 0)
            return (admin.full_name if admin else name), (admin.email if admin else ""), \
                "Operator"
        if author == "contact" and contact_id in self.contacts:
            contact = self.contacts[contact_id]
            return f"{contact.first_name} {contact.last_name}".strip(), contact.email, \
                "Sub-Account"
        client = self.clients.get(client_id or 0)
        if client is not None and author in ("client", "contact"):
            return self.client_name(client_id), client.email, "Owner"
        if author == "system":
            return name or "System", email, "System"
        return name, email, "Guest"


def _by_id(session: Session, model: Any, ids: Iterable[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


def first_messages(session: Session, ticket_ids: list[int]) -> dict[int, TicketMessage]:
    """ticket id -> its opening message (two queries whatever the number of tickets)."""
    if not ticket_ids:
        return {}
    firsts = select(func.min(TicketMessage.id)).where(
        TicketMessage.ticket_id.in_(ticket_ids)).group_by(TicketMessage.ticket_id)
    rows = session.scalars(select(TicketMessage).where(TicketMessage.id.in_(firsts)))
    return {m.ticket_id: m for m in rows}


def attachments_of(session: Session, *, message_ids: Iterable[int] = (),
                   note_ids: Iterable[int] = ()) -> dict[tuple[str, int], list[TicketAttachment]]:
    """("message"|"note", id) -> its attachments in upload order (one query)."""
    messages, notes = list(message_ids), list(note_ids)
    out: dict[tuple[str, int], list[TicketAttachment]] = defaultdict(list)
    if not messages and not notes:
        return out
    conditions = []
    if messages:
        conditions.append(TicketAttachment.message_id.in_(messages))
    if notes:
        conditions.append(TicketAttachment.note_id.in_(notes))
    query = select(TicketAttachment).where(or_(*conditions)).order_by(TicketAttachment.id)
    for att in session.scalars(query):
        if att.message_id is not None:
            out[("message", att.message_id)].append(att)
        elif att.note_id is not None:
            out[("note", att.note_id)].append(att)
    return out


def attachment_fields(items: list[TicketAttachment]) -> dict[str, Any]:
    """WHMCS's ``attachment`` ("|"-joined stored names), ``attachments`` and
    ``attachments_removed`` for one message or note."""
    return {"attachment": "|".join(a.stored_name or a.filename for a in items),
            "attachments": [{"filename": a.filename, "index": i} for i, a in enumerate(items)],
            "attachments_removed": any(a.removed for a in items)}


def service_ref(ticket: Ticket) -> str:
    """``S<id>`` for a service, ``D<id>`` for a domain, "" for neither."""
    if ticket.service_id:
        return f"S{ticket.service_id}"
    return f"D{ticket.domain_id}" if ticket.domain_id else ""


def ticket_fields(ticket: Ticket, people: People, statuses: dict[str, StatusInfo],
                  opening: TicketMessage | None) -> dict[str, Any]:
    """The keys a ticket has in both GetTickets and GetTicket."""
    author = opening.author_type if opening else ("client" if ticket.client_id else "guest")
    r_name, r_email, r_type = people.requestor(
        author, ticket.client_id, ticket.contact_id, ticket.opened_by_admin_id, ticket.name,
        ticket.email)
    client = people.clients.get(ticket.client_id or 0)
    return {
        "tid": ticket.number, "c": ticket.access_key, "deptid": str(ticket.department_id),
        "userid": str(ticket.client_id or 0),
        "name": people.client_name(ticket.client_id) if client else ticket.name,
        "owner_name": people.client_name(ticket.client_id) if client else ticket.name,
        "email": client.email if client else ticket.email,
        "requestor_name": r_name, "requestor_email": r_email, "requestor_type": r_type,
        "cc": ",".join(ticket.cc or []), "date": ymd_his(ticket.created_at),
        "subject": ticket.subject, "status": status_title(statuses, ticket.status),
        "priority": PRIORITY.get(ticket.priority, ticket.priority.title()),
        "admin": people.admin_name(ticket.opened_by_admin_id),
        "lastreply": ymd_his(ticket.last_reply_at), "flag": str(ticket.assigned_admin_id or 0),
        "service": service_ref(ticket),
    }
