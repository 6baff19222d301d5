"""Tickets group (reads): GetTickets, GetTicket, GetTicketNotes, GetTicketCounts,
GetSupportDepartments, GetSupportStatuses, GetTicketAttachment.

Ticket statuses are the core's keys (``customer_reply``) shown by their titles
(``Customer-Reply``); the six defaults exist even before they are seeded. Ids are numeric
strings as WHMCS prints ticket rows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select

from bridge.models import Ticket, TicketAttachment, TicketDepartment, TicketMessage, TicketNote

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action, listing
from .ticket_common import (
    People,
    StatusInfo,
    attachment_fields,
    attachments_of,
    department_scope,
    find_ticket,
    first_messages,
    status_key,
    status_table,
    ticket_fields,
)


def status_filter(req: ApiRequest, query: Select[Any], statuses: dict[str, StatusInfo],
                  word: str) -> Select[Any]:
    """Apply GetTickets' ``status`` (a status or one of the special filters)."""
    lowered = word.strip().lower()
    active = [k for k, s in statuses.items() if s.is_open]
    if lowered == "awaiting reply":
        return query.where(Ticket.status.in_([k for k, s in statuses.items() if s.awaiting]))
    if lowered == "all active tickets":
        return query.where(Ticket.status.in_(active))
    if lowered == "my flagged tickets":
        return query.where(Ticket.status.in_(active),
                           Ticket.assigned_admin_id == (req.admin_id or -1))
    key = status_key(statuses, word)
    return query.where(Ticket.status == (key if key is not None else word))


# --- actions ----------------------------------------------------------------------------------


@action("GetTickets")
def get_tickets(req: ApiRequest) -> dict[str, Any]:
    """Page through tickets (newest reply first), filtered as WHMCS allows."""
    start, num = req.page()
    statuses = status_table(req.session)
    query = select(Ticket).where(Ticket.merged_into_id.is_(None))
    for param, column in (("deptid", Ticket.department_id), ("clientid", Ticket.client_id)):
        value = req.integer(param)
        if value is not None:
            query = query.where(column == value)
    if req.text("email"):
        query = query.where(func.lower(Ticket.email) == req.text("email").lower())
    if req.text("subject"):
        query = query.where(Ticket.subject.like(f"%{req.text('subject')}%"))
    if req.text("status"):
        query = status_filter(req, query, statuses, req.text("status"))
    scope = department_scope(req, req.flag("ignore_dept_assignments"))
    if scope is not None:
        query = query.where(Ticket.department_id.in_(scope))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tickets = list(req.session.scalars(query.order_by(
        Ticket.last_reply_at.desc(), Ticket.id.desc()).offset(start).limit(num)))
    firsts = first_messages(req.session, [t.id for t in tickets])
    people = People(req.session, [t.client_id for t in tickets],
                    [t.contact_id for t in tickets], [t.opened_by_admin_id for t in tickets])
    files = attachments_of(req.session, message_ids=[m.id for m in firsts.values()])
    rows = []
    for ticket in tickets:
        opening = firsts.get(ticket.id)
        rows.append({"id": str(ticket.id), **ticket_fields(ticket, people, statuses, opening),
                     **attachment_fields(files[("message", opening.id)] if opening else [])})
    return listing(int(total), start, rows, "tickets", "ticket")


@action("GetTicket")
def get_ticket(req: ApiRequest) -> dict[str, Any]:
    """One ticket with its messages (the opening one as reply ``0``) and staff notes."""
    ticket = find_ticket(req)
    statuses = status_table(req.session)
    messages = list(req.session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)))
    notes = list(req.session.scalars(select(TicketNote).where(
        TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)))
    people = People(req.session, [ticket.client_id, *(m.client_id for m in messages)],
                    [ticket.contact_id, *(m.contact_id for m in messages)],
                    [ticket.opened_by_admin_id, *(m.admin_id for m in messages),
                     *(n.admin_id for n in notes)])
    files = attachments_of(req.session, message_ids=[m.id for m in messages],
                           note_ids=[n.id for n in notes])
    department = req.session.get(TicketDepartment, ticket.department_id)
    opening = messages[0] if messages else None
    replies = [_reply(m, index == 0, ticket, people, files[("message", m.id)])
               for index, m in enumerate(messages)]
    if req.text("repliessort").upper() == "DESC":
        replies.reverse()
    fields = ticket_fields(ticket, people, statuses, opening)
    return {"ticketid": str(ticket.id), "tid": fields.pop("tid"), "c": fields.pop("c"),
            "deptid": fields.pop("deptid"), "deptname": department.name if department else "",
            "userid": fields.pop("userid"), "contactid": str(ticket.contact_id or 0),
            **{k: v for k, v in fields.items() if k != "owner_name"},
            "replies": {"reply": replies},
            "notes": {"note": [_note(n, people, files[("note", n.id)]) for n in notes]}}


def _reply(message: TicketMessage, opening: bool, ticket: Ticket, people: People,
           files: list[TicketAttachment]) -> dict[str, Any]:
    r_name, r_email, r_type = people.requestor(
        message.author_type, message.client_id or ticket.client_id, message.contact_id,
        message.admin_id, message.name, message.email)
    admin = message.author_type == "admin"
    row = {"replyid": "0" if opening else str(message.id),
           "userid": str(ticket.client_id or 0), "contactid": str(message.contact_id or 0),
           "name": (r_name if opening and not admin else message.name),
           "email": (r_email if opening and not admin else message.email),
           "requestor_name": r_name, "requestor_email": r_email, "requestor_type": r_type,
           "date": ymd_his(message.created_at), "message": message.body,
           **attachment_fields(files), "admin": r_name if admin else ""}
    if not opening:
        row["rating"] = str(message.rating or 0)
    return row


def _note(note: TicketNote, people: People, files: list[TicketAttachment]) -> dict[str, Any]:
    return {"noteid": str(note.id), "date": ymd_his(note.created_at), "message": note.body,
            **attachment_fields(files), "admin": people.admin_name(note.admin_id)}


@action("GetTicketNotes")
def get_ticket_notes(req: ApiRequest) -> dict[str, Any]:
    """The staff notes of a ticket."""
    ticket = find_ticket(req)
    notes = list(req.session.scalars(select(TicketNote).where(
        TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)))
    people = People(req.session, (), (), [n.admin_id for n in notes])
    files = attachments_of(req.session, note_ids=[n.id for n in notes])
    rows = []
    for note in notes:
        fields = _note(note, people, files[("note", note.id)])
        rows.append({"id": fields.pop("noteid"), **fields})
    return {"totalresults": len(rows), "notes": {"note": rows}}


def _counts_by_status(req: ApiRequest, scope: list[int] | None,
                      department_id: int | None = None) -> dict[str, int]:
    query = select(Ticket.status, func.count()).where(Ticket.merged_into_id.is_(None))
    if scope is not None:
        query = query.where(Ticket.department_id.in_(scope))
    if department_id is not None:
        query = query.where(Ticket.department_id == department_id)
    return {status: int(count) for status, count in req.session.execute(
        query.group_by(Ticket.status))}


@action("GetTicketCounts")
def get_ticket_counts(req: ApiRequest) -> dict[str, Any]:
    """Active, awaiting-reply and flagged counts (and per status on request)."""
    scope = department_scope(req, req.flag("ignoreDepartmentAssignments"))
    statuses = status_table(req.session)
    counts = _counts_by_status(req, scope)
    flagged = select(func.count()).select_from(Ticket).where(
        Ticket.assigned_admin_id == (req.admin_id or -1), Ticket.merged_into_id.is_(None),
        Ticket.status.in_([k for k, s in statuses.items() if s.is_open]))
    if scope is not None:
        flagged = flagged.where(Ticket.department_id.in_(scope))
    body: dict[str, Any] = {
        "filteredDepartments": scope if scope is not None else list(req.session.scalars(
            select(TicketDepartment.id).order_by(TicketDepartment.id))),
        "allActive": sum(counts.get(k, 0) for k, s in statuses.items() if s.is_open),
        "awaitingReply": sum(counts.get(k, 0) for k, s in statuses.items() if s.awaiting),
        "flaggedTickets": int(req.session.scalar(flagged) or 0),
    }
    if req.flag("includeCountsByStatus"):
        body["status"] = {_compact(s.title): {"title": s.title, "count": counts.get(k, 0)}
                          for k, s in statuses.items()}
    return body


def _compact(title: str) -> str:
    return "".join(ch for ch in title.lower() if ch.isalnum())


@action("GetSupportDepartments")
def get_support_departments(req: ApiRequest) -> dict[str, Any]:
    """Departments with their awaiting-reply and open ticket counts."""
    scope = department_scope(req, req.flag("ignore_dept_assignments"))
    statuses = status_table(req.session)
    query = select(TicketDepartment).order_by(TicketDepartment.sort_order, TicketDepartment.id)
    if scope is not None:
        query = query.where(TicketDepartment.id.in_(scope))
    departments = list(req.session.scalars(query))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for dept_id, status, count in req.session.execute(
            select(Ticket.department_id, Ticket.status, func.count())
            .where(Ticket.merged_into_id.is_(None))
            .group_by(Ticket.department_id, Ticket.status)):
        counts[dept_id][status] = int(count)
    rows = [{"id": str(d.id), "name": d.name,
             "awaitingreply": str(sum(counts[d.id].get(k, 0)
                                      for k, s in statuses.items() if s.awaiting)),
             "opentickets": str(sum(counts[d.id].get(k, 0)
                                    for k, s in statuses.items() if s.is_open))}
            for d in departments]
    return {"totalresults": len(rows), "departments": {"department": rows}}


@action("GetSupportStatuses")
def get_support_statuses(req: ApiRequest) -> dict[str, Any]:
    """Every ticket status with its ticket count (optionally within one department)."""
    statuses = status_table(req.session)
    counts = _counts_by_status(req, None, req.integer("deptid"))
    rows = [{"title": s.title, "count": counts.get(k, 0), "color": s.color}
            for k, s in statuses.items()]
    return {"totalresults": len(rows), "statuses": {"status": rows}}


@action("GetTicketAttachment", status="partial",
        notes="hostbridge keeps attachment metadata only: the filename is returned and data is "
              "empty")
def get_ticket_attachment(req: ApiRequest) -> dict[str, Any]:
    """The name of one attachment of a ticket's opening message, a reply or a note."""
    related = req.integer("relatedid")
    if related is None:
        raise ApiError("Related ID Required")
    kind = req.text("type").lower()
    if kind not in ("ticket", "reply", "note"):
        raise ApiError("Invalid Type. Must be one of ticket, reply, note")
    if not req.text("index"):
        raise ApiError("Attachment Index Required")
    index = req.integer("index", message="Invalid Attachment Index")
    condition: Any
    if kind == "ticket":
        if req.session.get(Ticket, related) is None:
            raise ApiError("Related ID Not Found")
        opening = first_messages(req.session, [related]).get(related)
        condition = TicketAttachment.message_id == (opening.id if opening else -1)
    elif kind == "reply":
        if req.session.get(TicketMessage, related) is None:
            raise ApiError("Related ID Not Found")
        condition = TicketAttachment.message_id == related
    else:
        if req.session.get(TicketNote, related) is None:
            raise ApiError("Related ID Not Found")
        condition = TicketAttachment.note_id == related
    files = list(req.session.scalars(select(TicketAttachment).where(condition)
                                     .order_by(TicketAttachment.id)))
    if not files:
        raise ApiError("No Attachments Found")
    if all(f.removed for f in files):
        raise ApiError("Attachments Deleted")
    if index is None or not 0 <= index < len(files):
        raise ApiError("Invalid Attachment Index")
    return {"filename": files[index].filename, "data": ""}
