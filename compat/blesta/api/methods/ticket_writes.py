"""Support Manager tickets, writes: add, addReply, edit, close, delete, merge.

Blesta makes a ticket in two calls: ``add`` writes the header (no text) and
``addReply(..., new_ticket=true)`` its first message. The core opens a ticket with its
opening message (:func:`open_ticket`), so ``add`` opens it with ``vars[details]`` when given
(a hostbridge extension) and otherwise with the summary as a placeholder text; the first
``addReply`` with ``new_ticket=true`` then replaces that placeholder
(:func:`edit_ticket_message`) instead of adding a second message. Later replies are
:func:`reply_ticket` (author: ``staff_id`` admin, ``contact_id`` contact, else the client or,
on a guest ticket, the guest); ``type`` note and log are staff notes (:func:`add_ticket_note`).
Attachments (``files``) and custom fields are not supported.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.models import Ticket, TicketDepartment, TicketMessage
from bridge.services.ticket_messages import edit_ticket_message
from bridge.services.tickets import (
    add_ticket_note,
    close_ticket,
    delete_ticket,
    merge_tickets,
    open_ticket,
    reply_ticket,
    update_ticket,
)

from ..registry import MethodCall, invalid, method
from .billing_shared import client_in_company, flag, items, optional_int, renamed_errors
from .support import (
    PRIORITY_NAMES,
    STATUS_IN,
    TICKETS,
    company_departments,
    render,
    scoped_ticket,
)

NAMES = {"subject": "summary", "message": "details", "assigned_admin_id": "staff_id",
         "admin_id": "staff_id", "body": "details"}


def _department(call: MethodCall, value: Any) -> TicketDepartment:
    ident = optional_int(value, "department_id")
    found: TicketDepartment | None = call.session.scalar(select(TicketDepartment).where(
        TicketDepartment.id == ident, company_departments(call)))
    if found is None:
        raise invalid("department_id", "exists", "Please select a valid department.")
    return found


def _status(value: Any) -> str:
    word = str(value).strip()
    if word not in STATUS_IN:
        raise invalid("status", "format", "status must be open, awaiting_reply, in_progress, "
                      "on_hold or closed (trash is not supported by hostbridge)")
    return STATUS_IN[word]


def _priority(value: Any) -> str:
    word = str(value).strip()
    if word not in PRIORITY_NAMES:
        raise invalid("priority", "format", "priority must be one of "
                      + ", ".join(PRIORITY_NAMES))
    return word


def _header_changes(call: MethodCall, vars_: dict[str, Any], *, staff_key: str
                    ) -> dict[str, Any]:
    """Core ticket fields from Blesta's header vars (only those sent)."""
    changes: dict[str, Any] = {}
    if vars_.get("department_id"):
        changes["department_id"] = _department(call, vars_["department_id"]).id
    if vars_.get("summary"):
        changes["subject"] = str(vars_["summary"])
    if vars_.get("priority"):
        changes["priority"] = _priority(vars_["priority"])
    if staff_key in vars_:
        changes["assigned_admin_id"] = optional_int(vars_[staff_key], staff_key)
    if vars_.get("status"):
        changes["status"] = _status(vars_["status"])
    return changes


@method(TICKETS, "add", status="partial",
        notes="the ticket opens with vars[details] or the summary as placeholder text until "
              "addReply(new_ticket=true); custom_fields are not stored")
def add(call: MethodCall) -> Any:
    """Open a ticket; returns the new ticket id as a string."""
    vars_ = call.vars()
    department = _department(call, vars_.get("department_id"))
    client_id = optional_int(vars_.get("client_id"), "client_id")
    client = client_in_company(call, client_id)
    if client_id is not None and client is None:
        raise invalid("client_id", "exists", "Please specify a valid client.")
    email = str(vars_.get("email") or "").strip()
    if not email and (client is None or flag(call.arg("require_email"))):
        raise invalid("email", "format", "Please enter a valid email address.")
    summary = str(vars_.get("summary") or "").strip()
    if not summary:
        raise invalid("summary", "empty", "Please enter a summary.")
    data: dict[str, Any] = {
        "department_id": department.id, "client_id": client.id if client else None,
        "subject": summary, "message": str(vars_.get("details") or summary),
        "priority": _priority(vars_.get("priority") or "low"), "email": email,
        "name": "" if client else email,
        "service_id": optional_int(vars_.get("service_id"), "service_id"),
    }
    with renamed_errors(NAMES):
        ticket = open_ticket(call.session, data)
        changes = _header_changes(call, {k: v for k, v in vars_.items()
                                         if k in ("staff_id", "status")}, staff_key="staff_id")
        if changes:
            update_ticket(call.session, ticket.id, changes)
    return str(ticket.id)


def _placeholder(ticket: Ticket) -> TicketMessage | None:
    """The opening message when it still is ``add``'s placeholder (the summary)."""
    if len(ticket.messages) == 1 and not ticket.notes and \
            ticket.messages[0].body == ticket.subject:
        return ticket.messages[0]
    return None


def _author(call: MethodCall, ticket: Ticket, vars_: dict[str, Any]
            ) -> tuple[str, int | None, int | None]:
    staff_id = optional_int(vars_.get("staff_id"), "staff_id")
    contact_id = optional_int(vars_.get("contact_id"), "contact_id")
    if staff_id is not None:
        return "admin", staff_id, None
    if contact_id is not None:
        return "contact", None, contact_id
    return ("client" if ticket.client_id is not None else "guest"), None, None


@method(TICKETS, "addReply", status="partial",
        notes="files (attachments) are not stored; type log is kept as a staff note")
def add_reply(call: MethodCall) -> Any:
    """Add a reply or note (and change the ticket header); returns the reply id as a string."""
    ticket = scoped_ticket(call, call.arg("ticket_id"))
    if ticket is None:
        raise invalid("ticket_id", "exists", "Please specify a valid ticket.")
    vars_ = call.vars()
    kind = str(vars_.get("type") or "reply")
    if kind not in ("reply", "note", "log"):
        raise invalid("type", "format", "type must be reply, note or log")
    details = str(vars_.get("details") or "")
    if not details.strip():
        raise invalid("details", "empty", "Please enter some details.")
    changes = _header_changes(call, vars_, staff_key="ticket_staff_id")
    status = changes.pop("status", None)
    with renamed_errors(NAMES):
        if kind != "reply":
            reply_id = add_ticket_note(call.session, ticket.id, details, admin_id=optional_int(
                vars_.get("staff_id"), "staff_id")).id
        elif flag(call.arg("new_ticket")) and (opening := _placeholder(ticket)) is not None:
            reply_id = edit_ticket_message(call.session, opening.id, details).id
        else:
            author, admin_id, contact_id = _author(call, ticket, vars_)
            reply_id = reply_ticket(call.session, ticket.id, details, author=author,
                                    admin_id=admin_id, contact_id=contact_id,
                                    status=status).id
            status = None
        if status is not None:
            changes["status"] = status
        if changes:
            update_ticket(call.session, ticket.id, changes)
    return str(reply_id)


@method(TICKETS, "edit", status="partial",
        notes="department_id, staff_id, summary, priority and status change; service_id and "
              "client_id can't; log is ignored")
def edit(call: MethodCall) -> Any:
    """Change the ticket header; returns the ticket (without replies)."""
    ticket = scoped_ticket(call, call.arg("ticket_id"))
    if ticket is None:
        raise invalid("ticket_id", "exists", "Please specify a valid ticket.")
    vars_ = call.vars()
    for key, current in (("client_id", ticket.client_id), ("service_id", ticket.service_id)):
        if optional_int(vars_.get(key), key) not in (None, current):
            raise invalid(key, "valid", f"a ticket's {key} can't change in hostbridge")
    changes = _header_changes(call, vars_, staff_key="staff_id")
    if changes:
        with renamed_errors(NAMES):
            update_ticket(call.session, ticket.id, changes)
    return render(call, [ticket], replies=False)[0]


@method(TICKETS, "close", status="partial", notes="staff_id is not recorded")
def close(call: MethodCall) -> Any:
    """Close a ticket (closing a closed ticket changes nothing)."""
    ticket = scoped_ticket(call, call.arg("ticket_id"))
    if ticket is not None and ticket.status != "closed":
        close_ticket(call.session, ticket.id)
    return None


@method(TICKETS, "delete")
def delete(call: MethodCall) -> Any:
    """Delete tickets with their replies, notes and attachment records."""
    for raw in items(call.arg("ticket_ids")):
        ticket = scoped_ticket(call, raw)
        if ticket is not None:
            delete_ticket(call.session, ticket.id)
    return None


@method(TICKETS, "merge", status="partial",
        notes="tickets of different clients are refused")
def merge(call: MethodCall) -> Any:
    """Merge ``tickets`` into ``ticket_id`` (their replies move, they are closed)."""
    target = scoped_ticket(call, call.arg("ticket_id"))
    if target is None:
        raise invalid("ticket_id", "exists", "Please specify a valid ticket.")
    sources = []
    for raw in items(call.arg("tickets")):
        ticket = scoped_ticket(call, raw)
        if ticket is None:
            raise invalid("tickets", "exists", f"ticket {raw} does not exist")
        if ticket.id != target.id:
            sources.append(ticket.id)
    if sources:
        merge_tickets(call.session, target.id, sources)
    return None

