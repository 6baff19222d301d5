"""Support group, ticket writes: OpenTicket, AddTicketReply, AddTicketNote, UpdateTicket,
UpdateTicketReply, DeleteTicket, DeleteTicketNote, DeleteTicketReply, MergeTicket,
BlockTicketSender.

Attachments arrive as WHMCS sends them (base64 of a JSON list of ``{name, data}``) and only
their metadata is kept; ``markdown`` and ``noemail`` have no core counterpart and are ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bridge.db import utcnow
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import (
    Admin,
    Client,
    Contact,
    Domain,
    Service,
    Ticket,
    TicketDepartment,
    TicketMessage,
    User,
)
from bridge.services.blocklists import block_sender
from bridge.services.customfields import set_custom_field_values
from bridge.services.ticket_messages import (
    delete_ticket_note,
    delete_ticket_reply,
    edit_ticket_message,
    opening_message_id,
    set_ticket_requester,
)
from bridge.services.tickets import (
    add_ticket_note,
    close_ticket,
    delete_ticket,
    merge_tickets,
    open_ticket,
    reply_ticket,
    update_ticket,
)

from ..format import PRIORITY, reverse
from ..params import decode_serialized_b64
from ..registry import ApiError, ApiRequest, action
from .ticket_common import find_ticket, status_key, status_table

PRIORITY_IN = {k: v for k, v in reverse(PRIORITY).items() if k in ("low", "medium", "high")}
BAD_PRIORITY = "Invalid Ticket Priority. Valid priorities are: Low,Medium,High"
IGNORED = "markdown, noemail and preventClientClosure are accepted and ignored"


def parse_attachments(req: ApiRequest) -> list[dict[str, Any]]:
    """WHMCS ``attachments`` (base64 JSON list of ``{name, data}``, or a bracket array of the
    same) -> core attachment metadata (name, decoded size, guessed type); the bytes are not
    kept."""
    raw = req.params.get("attachments")
    if raw in (None, ""):
        return []
    try:
        items: Any = raw if isinstance(raw, dict) else json.loads(
            base64.b64decode(str(raw)).decode("utf-8"))
        if isinstance(items, dict):
            items = [items[k] for k in sorted(items, key=lambda k: (len(k), k))]
        out = []
        for item in items:
            name = str(item.get("name") or item.get("filename") or "").strip()
            data = base64.b64decode(str(item.get("data") or ""))
            if not name:
                raise ValueError("attachment without a name")
            out.append({"filename": name[:255], "size": len(data),
                        "content_type": mimetypes.guess_type(name)[0] or ""})
        return out
    except (ValueError, TypeError, AttributeError, binascii.Error) as exc:
        raise ApiError("Invalid attachments: send base64 encoded JSON of "
                       "[{\"name\": ..., \"data\": <base64>}]") from exc


def check_created(req: ApiRequest, future_message: str) -> None:
    """Validate ``created`` (ISO 8601 or ``Y-m-d H:i:s``, UTC when no zone); the core stamps
    its own time, so the value is checked but not stored."""
    text = req.text("created")
    if not text:
        return
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("Invalid Date Format") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > utcnow():
        raise ApiError(future_message)


def custom_fields(req: ApiRequest, ticket_id: int, department_id: int) -> None:
    """Store ``customfields`` (base64 serialized id -> value) for a ticket."""
    if not req.text("customfields") and not isinstance(req.params.get("customfields"), dict):
        return
    try:
        values = decode_serialized_b64(req.params.get("customfields"), "customfields")
    except ValueError as exc:
        raise ApiError(str(exc)) from exc
    clean: dict[int | str, str] = {k: "" if v is None else str(v) for k, v in values.items()}
    set_custom_field_values(req.session, "support", ticket_id, clean, owner_id=department_id,
                            admin=True)


def _exists(req: ApiRequest, model: Any, param: str, message: str) -> int | None:
    ident = req.integer(param, message=message)
    if ident is not None and req.session.get(model, ident) is None:
        raise ApiError(message)
    return ident


@action("OpenTicket", status="partial",
        notes="created is validated but the ticket is stamped now; userid is checked only; "
              "attachments keep metadata only; " + IGNORED)
def open_ticket_action(req: ApiRequest) -> dict[str, Any]:
    """Open a ticket for a client (or one of its contacts) or a guest."""
    dept = req.integer("deptid", message="Department ID not found")
    if dept is None or req.session.get(TicketDepartment, dept) is None:
        raise ApiError("Department ID not found")
    subject = req.require("subject", "Subject is required")
    message = req.params.get("message")
    if not isinstance(message, str) or not message.strip():
        raise ApiError("Message is required")
    client_id = _exists(req, Client, "clientid", "Client ID Not Found")
    if req.text("userid"):
        _exists(req, User, "userid", "The system cannot find the provided user ID.")
    contact_id = _exists(req, Contact, "contactid", "Contact ID Not Found")
    if contact_id is not None:
        contact = req.session.get(Contact, contact_id)
        if contact is None or contact.client_id != client_id:
            raise ApiError("Contact ID Not Found")
    if client_id is None and (not req.text("name") or not req.text("email")):
        raise ApiError("Name and email address are required if not a client")
    priority = PRIORITY_IN.get(req.text("priority", "Medium").lower())
    if priority is None:
        raise ApiError(BAD_PRIORITY)
    service_id = _exists(req, Service, "serviceid", "Service ID Not Found")
    domain_id = _exists(req, Domain, "domainid", "Domain ID Not Found")
    check_created(req, "Ticket creation date cannot be in the future")
    data = {"department_id": dept, "client_id": client_id, "contact_id": contact_id,
            "subject": subject, "message": message, "priority": priority,
            "service_id": service_id, "domain_id": domain_id,
            "attachments": parse_attachments(req),
            "admin_id": req.admin_id if req.flag("admin") else None}
    if client_id is None:
        data.update(name=req.text("name"), email=req.text("email"))
    try:
        ticket = open_ticket(req.session, data)
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("Email Address Invalid") from exc
        raise
    except Conflict as exc:
        raise ApiError("Unable to generate ticket number") from exc
    custom_fields(req, ticket.id, dept)
    return {"id": str(ticket.id), "tid": ticket.number, "c": ticket.access_key}


@action("AddTicketReply", status="partial",
        notes="created is validated but the reply is stamped now; attachments keep metadata "
              "only; " + IGNORED)
def add_ticket_reply(req: ApiRequest) -> dict[str, Any]:
    """Reply to a ticket as an admin (``adminusername``), a contact, a client or a guest."""
    ticket = find_ticket(req, "Ticket ID not found")
    message = req.params.get("message")
    if not isinstance(message, str) or not message.strip():
        raise ApiError("Message is required")
    client_id = _exists(req, Client, "clientid", "Client ID Not Found")
    contact_id = _exists(req, Contact, "contactid", "Contact ID Not Found")
    status: str | None = None
    if req.text("status"):
        status = status_key(status_table(req.session), req.text("status"))
        if status is None:
            raise ApiError("Invalid Ticket Status")
    check_created(req, "Reply creation date cannot be in the future")
    kwargs: dict[str, Any] = {"status": status, "attachments": parse_attachments(req)}
    username = req.text("adminusername")
    if username:
        admin = req.session.scalar(select(Admin).where(
            func.lower(Admin.username) == username.lower()))
        kwargs.update(author="admin", admin_id=admin.id if admin else None,
                      name="" if admin else username)
    elif contact_id is not None:
        kwargs.update(author="contact", contact_id=contact_id)
    elif client_id is not None:
        kwargs.update(author="client")
    else:
        if not req.text("name") or not req.text("email"):
            raise ApiError("Name and email address are required if not a client")
        kwargs.update(author="guest", name=req.text("name"), email=req.text("email"))
    reply_ticket(req.session, ticket.id, message, **kwargs)
    custom_fields(req, ticket.id, ticket.department_id)
    return {}


@action("AddTicketNote", status="partial",
        notes="created is validated but the note is stamped now; attachments keep metadata "
              "only; markdown is ignored")
def add_ticket_note_action(req: ApiRequest) -> dict[str, Any]:
    """Add a staff note to a ticket (by id or number) as the calling admin."""
    message = req.params.get("message")
    if not isinstance(message, str) or not message.strip():
        raise ApiError("Message is required")
    ticket = find_ticket(req, "Ticket ID not found")
    check_created(req, "Ticket creation date cannot be in the future")
    add_ticket_note(req.session, ticket.id, message, admin_id=req.admin_id,
                    attachments=parse_attachments(req))
    return {}


@action("UpdateTicket", status="partial",
        notes="userid cannot move a ticket to another client; created is validated only; "
              + IGNORED)
def update_ticket_action(req: ApiRequest) -> dict[str, Any]:
    """Change a ticket's department, status, subject, priority, flag, requester, CC or
    opening message."""
    ticket = find_ticket(req)
    statuses = status_table(req.session)
    data: dict[str, Any] = {}
    if req.text("deptid"):
        data["department_id"] = _exists(req, TicketDepartment, "deptid",
                                        "Department ID Not Found")
    if req.text("priority"):
        data["priority"] = PRIORITY_IN.get(req.text("priority").lower())
        if data["priority"] is None:
            raise ApiError(BAD_PRIORITY)
    if req.text("subject"):
        data["subject"] = req.text("subject")
    if req.flag("removeFlag"):
        data["assigned_admin_id"] = None
    elif req.text("flag"):
        flag = req.integer("flag", message="Admin ID Not Found")
        if flag and req.session.get(Admin, flag) is None:
            raise ApiError("Admin ID Not Found")
        data["assigned_admin_id"] = flag or None
    status: str | None = None
    if req.text("status"):
        status = status_key(statuses, req.text("status"))
        if status is None:
            raise ApiError("Invalid Ticket Status. Valid statuses are: "
                           + ",".join(s.title for s in statuses.values()))
    if req.text("userid") and req.integer("userid") != (ticket.client_id or 0):
        raise ApiError("Moving a ticket to another client is not supported by hostbridge")
    check_created(req, "Ticket creation date cannot be in the future")
    closing = status == "closed" and ticket.status != "closed"
    if status is not None and not closing:
        data["status"] = status
    update_ticket(req.session, ticket.id, data)
    if any(req.has(p) for p in ("name", "email", "cc")):
        set_ticket_requester(
            req.session, ticket.id,
            name=req.text("name") if req.has("name") else None,
            email=req.text("email") if req.has("email") else None,
            cc=req.array("cc") if req.has("cc") else None)
    if isinstance(req.params.get("message"), str) and req.params["message"].strip():
        first = opening_message_id(req.session, ticket.id)
        if first is not None:
            edit_ticket_message(req.session, first, req.params["message"])
    custom_fields(req, ticket.id, ticket.department_id)
    if closing:
        close_ticket(req.session, ticket.id)
    return {"ticketid": str(ticket.id)}


def _reply_id(req: ApiRequest) -> int:
    reply_id = req.integer("replyid", message="Reply ID Not Found")
    if reply_id is None:
        raise ApiError("Reply ID Required")
    return reply_id


@action("UpdateTicketReply", status="partial",
        notes="created is validated only; markdown is ignored")
def update_ticket_reply(req: ApiRequest) -> dict[str, Any]:
    """Replace the text of a reply (the opening message is changed with UpdateTicket)."""
    reply_id = _reply_id(req)
    message = req.params.get("message")
    if not isinstance(message, str) or not message.strip():
        raise ApiError("Message is Required")
    reply = req.session.get(TicketMessage, reply_id)
    if reply is None or reply.id == opening_message_id(req.session, reply.ticket_id):
        raise ApiError("Reply ID Not Found")
    check_created(req, "Reply creation date cannot be in the future")
    edit_ticket_message(req.session, reply.id, message)
    return {"replyid": str(reply.id)}


@action("DeleteTicket")
def delete_ticket_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a ticket with everything on it."""
    ticket = find_ticket(req, "Ticket ID not found")
    delete_ticket(req.session, ticket.id)
    return {}


@action("DeleteTicketNote")
def delete_ticket_note_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a staff note."""
    note_id = req.integer("noteid", message="Note ID Not Found")
    try:
        delete_ticket_note(req.session, note_id if note_id is not None else -1)
    except NotFound as exc:
        raise ApiError("Note ID Not Found") from exc
    return {}


@action("DeleteTicketReply")
def delete_ticket_reply_action(req: ApiRequest) -> dict[str, Any]:
    """Delete one reply of a ticket (not the opening message)."""
    if not req.text("ticketid"):
        raise ApiError("Ticket ID Required")
    ticket = find_ticket(req)
    reply_id = _reply_id(req)
    try:
        delete_ticket_reply(req.session, ticket.id, reply_id)
    except (NotFound, Conflict) as exc:
        raise ApiError("Reply ID Not Found") from exc
    return {}


@action("MergeTicket")
def merge_ticket(req: ApiRequest) -> dict[str, Any]:
    """Merge tickets into ``ticketid`` (optionally renaming it)."""
    if not req.text("ticketid"):
        raise ApiError("Ticket ID Required")
    target = find_ticket(req, "Ticket ID Invalid")
    wanted = [str(x).strip() for x in req.array("mergeticketids") if str(x).strip()]
    if not wanted:
        raise ApiError("Merge Ticket IDs Required")
    ids = [int(x) for x in wanted if x.isdigit()]
    found = set(req.session.scalars(select(Ticket.id).where(Ticket.id.in_(ids))))
    invalid = [x for x in wanted if not x.isdigit() or int(x) not in found]
    if invalid:
        raise ApiError("Invalid Merge Ticket IDs: " + ", ".join(invalid))
    merge_tickets(req.session, target.id, ids)
    if req.text("newsubject"):
        update_ticket(req.session, target.id, {"subject": req.text("newsubject")})
    return {"ticketid": str(target.id)}


@action("BlockTicketSender")
def block_ticket_sender(req: ApiRequest) -> dict[str, Any]:
    """Put a guest ticket's sender on the blocked senders list, optionally deleting it."""
    if not req.text("ticketid"):
        raise ApiError("Ticket ID Required")
    ticket = find_ticket(req)
    if ticket.client_id is not None or not ticket.email:
        raise ApiError("Only unregistered ticket senders can be blocked: ticket "
                       f"{ticket.id} belongs to a client")
    block_sender(req.session, ticket.email, f"blocked from ticket #{ticket.number}")
    deleted = req.flag("delete")
    if deleted:
        delete_ticket(req.session, ticket.id)
    return {"deleted": "true" if deleted else "false"}
