"""Support Manager tickets (``support_manager.support_manager_tickets``), reads: get,
getTicketByCode, getList, getListCount, getStatusCount and the vocabularies.

Mapping: ``code`` is the core ticket number, ``summary`` the subject, ``staff_id`` the
assigned admin. Statuses: core ``open``/``customer_reply`` are Blesta ``open``, ``answered`` is
``awaiting_reply``; ``in_progress``, ``on_hold`` and ``closed`` are themselves; ``trash`` does
not exist here. Replies are the core messages (``type`` reply: ``staff_id`` is the admin author,
``contact_id`` the contact) and staff notes (``type`` note); a reply id and a note id may be
equal, ``type`` tells them apart. Replies come newest first, as Blesta lists them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import selectinload

from bridge.models import (
    Admin,
    Client,
    Contact,
    Ticket,
    TicketAttachment,
    TicketDepartment,
    TicketMessage,
)

from ..args import id_or_none
from ..format import TICKET_STATUS, stamp
from ..registry import MethodCall, method
from ..render import PhpArray
from .billing_shared import count_of, flag, items, optional_int, ordered, page_of, paged

TICKETS = "support_manager.support_manager_tickets"
STATUS_IN = {"open": "open", "awaiting_reply": "answered", "in_progress": "in_progress",
             "on_hold": "on_hold", "closed": "closed"}
STATUS_FILTER = {"open": ("open", "customer_reply"), "awaiting_reply": ("answered",),
                 "in_progress": ("in_progress",), "on_hold": ("on_hold",),
                 "closed": ("closed",)}
STATUS_NAMES = {"open": "Open", "awaiting_reply": "Awaiting Reply",
                "in_progress": "In Progress", "on_hold": "On Hold", "closed": "Closed"}
PRIORITY_NAMES = {"emergency": "Emergency", "critical": "Critical", "high": "High",
                  "medium": "Medium", "low": "Low"}
REPLY_TYPES = {"reply": "Reply", "note": "Note", "log": "Log"}
ORDER_COLUMNS: dict[str, Any] = {
    "last_reply_date": Ticket.last_reply_at, "date_updated": Ticket.last_reply_at,
    "date_added": Ticket.created_at, "id": Ticket.id, "code": Ticket.number,
    "summary": Ticket.subject, "priority": Ticket.priority, "status": Ticket.status,
    "department_id": Ticket.department_id,
}


def company_departments(call: MethodCall) -> ColumnElement[bool]:
    """Departments of the caller's company (shared ones included)."""
    return or_(TicketDepartment.company_id == call.company_id,
               TicketDepartment.company_id.is_(None))


def tickets_query(call: MethodCall) -> Select[Any]:
    """Tickets in the caller's company's departments."""
    return (select(Ticket).join(TicketDepartment, TicketDepartment.id == Ticket.department_id)
            .where(company_departments(call)))


def scoped_ticket(call: MethodCall, ticket_id: Any) -> Ticket | None:
    """Ticket ``ticket_id`` when its department is the caller's company's."""
    ident = optional_int(ticket_id, "ticket_id")
    if ident is None:
        return None
    ticket: Ticket | None = call.session.scalar(tickets_query(call).where(Ticket.id == ident))
    return ticket


def _code(number: str) -> int | str:
    ident = id_or_none(number)
    return number if ident is None else ident


class People:
    """Authors and owners of a set of tickets, loaded in bulk."""

    def __init__(self, call: MethodCall, tickets: Sequence[Ticket]) -> None:
        session = call.session
        messages = [m for t in tickets for m in t.messages]
        admin_ids = {m.admin_id for m in messages} | {n.admin_id for t in tickets
                                                      for n in t.notes}
        client_ids = {t.client_id for t in tickets} | {m.client_id for m in messages}
        contact_ids = {m.contact_id for m in messages}
        self.admins = {a.id: a for a in session.scalars(
            select(Admin).where(Admin.id.in_(admin_ids - {None})))}
        self.clients = {c.id: c for c in session.scalars(
            select(Client).where(Client.id.in_(client_ids - {None})))}
        self.contacts = {c.id: c for c in session.scalars(
            select(Contact).where(Contact.id.in_(contact_ids - {None})))}
        self.departments = {d.id: d for d in session.scalars(select(TicketDepartment).where(
            TicketDepartment.id.in_({t.department_id for t in tickets})))}
        self.files: dict[tuple[str, int], list[TicketAttachment]] = defaultdict(list)
        for row in session.scalars(select(TicketAttachment).where(
                TicketAttachment.ticket_id.in_([t.id for t in tickets]),
                TicketAttachment.removed.is_(False))):
            key = ("note", row.note_id) if row.note_id else ("reply", row.message_id or 0)
            self.files[key].append(row)

    def author(self, message: TicketMessage, ticket: Ticket) -> tuple[str, str, str]:
        """First name, last name and email of a message's author."""
        person: Any = None
        if message.admin_id is not None:
            person = self.admins.get(message.admin_id)
        elif message.contact_id is not None:
            person = self.contacts.get(message.contact_id)
        elif message.client_id is not None:
            person = self.clients.get(message.client_id)
        if person is None:
            return message.name or ticket.name, "", message.email or ticket.email
        return person.first_name, person.last_name, person.email


def _files(people: People, kind: str, ident: int) -> list[dict[str, Any]]:
    return [{"id": row.id, "reply_id": ident, "name": row.filename,
             "file_name": row.stored_name} for row in people.files[(kind, ident)]]


def reply_objects(ticket: Ticket, people: People, types: Sequence[str] | None
                  ) -> list[dict[str, Any]]:
    """The ticket's replies and notes, newest first, optionally of some types only."""
    out: list[tuple[Any, int, dict[str, Any]]] = []
    for message in ticket.messages:
        first, last, email = people.author(message, ticket)
        out.append((message.created_at, message.id, {
            "id": message.id, "ticket_id": ticket.id, "staff_id": message.admin_id,
            "contact_id": message.contact_id, "type": "reply", "details": message.body,
            "date_added": stamp(message.created_at), "first_name": first, "last_name": last,
            "email": email, "attachments": _files(people, "reply", message.id)}))
    for note in ticket.notes:
        admin = people.admins.get(note.admin_id or 0)
        out.append((note.created_at, note.id, {
            "id": note.id, "ticket_id": ticket.id, "staff_id": note.admin_id,
            "contact_id": None, "type": "note", "details": note.body,
            "date_added": stamp(note.created_at),
            "first_name": admin.first_name if admin else None,
            "last_name": admin.last_name if admin else None,
            "email": admin.email if admin else None,
            "attachments": _files(people, "note", note.id)}))
    out.sort(key=lambda entry: (entry[0], entry[2]["type"] == "note", entry[1]), reverse=True)
    return [entry[2] for entry in out if types is None or entry[2]["type"] in types]


def ticket_object(ticket: Ticket, people: People, *, replies: bool = True,
                  types: Sequence[str] | None = None) -> dict[str, Any]:
    """A ticket as ``get`` returns it (with ``replies`` unless asked not to)."""
    department = people.departments.get(ticket.department_id)
    client = people.clients.get(ticket.client_id or 0)
    body: dict[str, Any] = {
        "id": ticket.id, "code": _code(ticket.number), "department_id": ticket.department_id,
        "staff_id": ticket.assigned_admin_id, "service_id": ticket.service_id,
        "client_id": ticket.client_id, "email": ticket.email or (client.email if client
                                                                 else None),
        "summary": ticket.subject, "priority": ticket.priority,
        "status": TICKET_STATUS.get(ticket.status, ticket.status),
        "date_added": stamp(ticket.created_at),
        "date_updated": stamp(ticket.last_reply_at or ticket.created_at),
        "date_closed": stamp(ticket.closed_at), "last_reply_date": stamp(ticket.last_reply_at),
        "department_name": department.name if department else None,
        "department_company_id": department.company_id if department else None,
    }
    if replies:
        body["replies"] = reply_objects(ticket, people, types)
    return body


def render(call: MethodCall, tickets: Sequence[Ticket], *, replies: bool = True,
           types: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Tickets with their people, departments and attachments loaded in bulk."""
    people = People(call, tickets)
    return [ticket_object(t, people, replies=replies, types=types) for t in tickets]


def _types(value: Any) -> list[str] | None:
    chosen = [str(v) for v in items(value)] if value not in (None, "", {}) else []
    return chosen or None


def _with_messages(query: Select[Any]) -> Select[Any]:
    return query.options(selectinload(Ticket.messages), selectinload(Ticket.notes))


@method(TICKETS, "get", status="partial", notes="staff_id is not used to limit access")
def get(call: MethodCall) -> Any:
    """One ticket with its replies (newest first), or false."""
    ticket = scoped_ticket(call, call.arg("ticket_id"))
    if ticket is None:
        return False
    return render(call, [ticket], replies=flag(call.arg("get_replies"), True),
                  types=_types(call.arg("reply_types")))[0]


@method(TICKETS, "getTicketByCode")
def get_ticket_by_code(call: MethodCall) -> Any:
    """The ticket with this code (number), or false."""
    ticket = call.session.scalar(tickets_query(call).where(
        Ticket.number == str(call.arg("code")).strip()))
    if ticket is None:
        return False
    return render(call, [ticket], replies=flag(call.arg("get_replies"), True),
                  types=_types(call.arg("reply_types")))[0]


def filtered(call: MethodCall) -> Select[Any]:
    """Tickets matching ``status``, ``staff_id``, ``client_id`` and ``filters``."""
    query = tickets_query(call)
    word = str(call.arg("status") or "")
    if word == "not_closed":
        query = query.where(Ticket.status != "closed")
    elif word in STATUS_FILTER:
        query = query.where(Ticket.status.in_(STATUS_FILTER[word]))
    else:
        query = query.where(false())
    client_id = optional_int(call.arg("client_id"), "client_id")
    if client_id is not None:
        query = query.where(Ticket.client_id == client_id)
    staff = call.session.get(Admin, optional_int(call.arg("staff_id"), "staff_id") or 0)
    if staff is not None and staff.support_department_ids:
        query = query.where(Ticket.department_id.in_(staff.support_department_ids))
    filters = call.vars("filters")
    if filters.get("department_id"):
        query = query.where(Ticket.department_id == optional_int(filters["department_id"],
                                                                 "department_id"))
    if filters.get("priority"):
        query = query.where(Ticket.priority == str(filters["priority"]))
    if filters.get("summary"):
        query = query.where(Ticket.subject.like(f"%{filters['summary']}%"))
    if filters.get("ticket_id"):
        query = query.where(Ticket.id == optional_int(filters["ticket_id"], "ticket_id"))
    return query


@method(TICKETS, "getList", status="partial",
        notes="staff_id limits to the staff member's departments; status trash matches "
              "nothing; filters department_id, priority, summary and ticket_id")
def get_list(call: MethodCall) -> Any:
    """One page (20) of tickets, last reply first by default."""
    query = ordered(filtered(call), call.arg("order_by"), ORDER_COLUMNS, Ticket.id)
    tickets = call.session.scalars(_with_messages(paged(query, page_of(call)))).all()
    return render(call, tickets, replies=flag(call.arg("get_replies"), True),
                  types=_types(call.arg("reply_types")))


@method(TICKETS, "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many tickets ``getList`` pages through."""
    return count_of(call, filtered(call))


@method(TICKETS, "getStatusCount")
def get_status_count(call: MethodCall) -> Any:
    """How many tickets have the status (same rules as ``getListCount``)."""
    return count_of(call, filtered(call))


@method(TICKETS, "getStatuses", status="partial", notes="trash is not offered")
def get_statuses(call: MethodCall) -> Any:
    """Ticket statuses and their names."""
    return PhpArray(STATUS_NAMES)


@method(TICKETS, "getPriorities")
def get_priorities(call: MethodCall) -> Any:
    """Ticket priorities and their names."""
    return PhpArray(PRIORITY_NAMES)


@method(TICKETS, "getReplyTypes")
def get_reply_types(call: MethodCall) -> Any:
    """Reply types and their names."""
    return PhpArray(REPLY_TYPES)


__all__ = ["STATUS_IN", "TICKETS", "company_departments", "render", "scoped_ticket"]
