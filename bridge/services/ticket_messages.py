"""Staff edits of ticket content: message text, deleting replies and notes, the requester.

The opening message is the ticket's first :class:`TicketMessage`; it can be edited but not
deleted (delete the ticket instead).
"""

from __future__ import annotations

from collections.abc import Sequence

from marshmallow import ValidationError as MarshmallowError
from marshmallow import validate as mm_validate
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Ticket, TicketAttachment, TicketMessage, TicketNote

from .common import get_or_404, log_activity

_EMAIL = mm_validate.Email()


def _record(session: Session, ticket: Ticket, action: str, event: str, text: str,
            **extra: object) -> None:
    ids = {"ticket_id": ticket.id, "client_id": ticket.client_id, "number": ticket.number}
    log_activity(session, action, f"Ticket #{ticket.number} {text}", client_id=ticket.client_id,
                 subject=("ticket", ticket.id), data={**ids, **extra})
    emit(session, event, **ids, **extra)


def opening_message_id(session: Session, ticket_id: int) -> int | None:
    """Id of the ticket's opening message (its first message), None when it has none."""
    return session.scalar(select(func.min(TicketMessage.id))
                          .where(TicketMessage.ticket_id == ticket_id))


def edit_ticket_message(session: Session, message_id: int, body: str) -> TicketMessage:
    """Replace the text of a message (the opening one or a reply); emits
    ``ticket_message_edited``. Raises NotFound, ValidationFailed for an empty text."""
    message = get_or_404(session, TicketMessage, message_id, "Ticket message")
    if not body or not body.strip():
        raise ValidationFailed.single("message", "required", "the message is empty")
    if message.body != body:
        message.body = body
        _record(session, message.ticket, "ticket.message_edited", "ticket_message_edited",
                f"message {message.id} edited", message_id=message.id)
    return message


def delete_ticket_reply(session: Session, ticket_id: int, message_id: int) -> None:
    """Delete one reply of a ticket with its attachment records; emits
    ``ticket_reply_deleted`` (with the stored file names for storage to drop).

    Raises NotFound (ticket, or a reply not on this ticket), Conflict for the opening message.
    """
    ticket = get_or_404(session, Ticket, ticket_id, "Ticket")
    message = session.get(TicketMessage, message_id)
    if message is None or message.ticket_id != ticket.id:
        raise NotFound("Ticket reply", message_id)
    if message.id == opening_message_id(session, ticket.id):
        raise Conflict(f"message {message.id} opened ticket #{ticket.number}; delete the "
                       "ticket instead")
    stored = _stored_names(session, TicketAttachment.message_id == message.id)
    session.execute(delete(TicketAttachment).where(TicketAttachment.message_id == message.id))
    ticket.messages.remove(message)
    session.flush()
    _record(session, ticket, "ticket.reply_deleted", "ticket_reply_deleted",
            f"reply {message_id} deleted", message_id=message_id, stored_names=stored)


def delete_ticket_note(session: Session, note_id: int) -> int:
    """Delete a staff note with its attachment records; return its ticket id.

    Emits ``ticket_note_deleted``. Raises NotFound.
    """
    note = get_or_404(session, TicketNote, note_id, "Ticket note")
    ticket = get_or_404(session, Ticket, note.ticket_id, "Ticket")
    stored = _stored_names(session, TicketAttachment.note_id == note.id)
    session.execute(delete(TicketAttachment).where(TicketAttachment.note_id == note.id))
    ticket.notes.remove(note)
    session.flush()
    _record(session, ticket, "ticket.note_deleted", "ticket_note_deleted",
            f"note {note_id} deleted", note_id=note_id, stored_names=stored)
    return ticket.id


def set_ticket_requester(session: Session, ticket_id: int, *, name: str | None = None,
                         email: str | None = None, cc: Sequence[str] | None = None) -> Ticket:
    """Change the guest name/email or the CC addresses of a ticket (``None`` keeps a value).

    Emits ``ticket_updated`` with the changed names. Raises NotFound, ValidationFailed for a
    malformed address or a name/email on a client's ticket.
    """
    ticket = get_or_404(session, Ticket, ticket_id, "Ticket")
    changed: list[str] = []
    if (name is not None or email is not None) and ticket.client_id is not None:
        raise ValidationFailed.single("email", "invalid", f"ticket {ticket.id} belongs to "
                                      f"client {ticket.client_id}; its requester is the client")
    addresses = [a.strip().lower() for a in cc or () if a and a.strip()]
    for address in ([email.strip()] if email else []) + addresses:
        try:
            _EMAIL(address)
        except MarshmallowError as exc:
            raise ValidationFailed.single("email", "email",
                                          f"{address!r} is not an email address") from exc
    if name is not None and name.strip() != ticket.name:
        ticket.name = name.strip()
        changed.append("name")
    if email is not None and email.strip() != ticket.email:
        ticket.email = email.strip()
        changed.append("email")
    if cc is not None and addresses != list(ticket.cc):
        ticket.cc = addresses
        changed.append("cc")
    if changed:
        _record(session, ticket, "ticket.updated", "ticket_updated",
                "updated: " + ", ".join(changed), changed=changed)
    return ticket


def _stored_names(session: Session, condition: ColumnElement[bool]) -> list[str]:
    return list(session.scalars(select(TicketAttachment.stored_name).where(
        condition, TicketAttachment.stored_name != "")))
