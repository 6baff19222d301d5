"""Changing and removing a client's side records: staff notes and client groups.

``add_client_note``/``add_client_group``/``update_client_group`` live in :mod:`.clients`; the
edits and removals are here to keep that module to its size.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import ValidationFailed
from bridge.models import Client, ClientGroup, ClientNote

from .common import apply_fields, get_or_404, log_activity


def update_client_note(session: Session, note_id: int, *, title: str | None = None,
                       body: str | None = None, sticky: bool | None = None) -> ClientNote:
    """Change a client note's title, body or sticky flag (only those given).

    NotFound when the note does not exist; ValidationFailed for an empty body. Emits
    client_note_updated with the ``changed`` field names (nothing when nothing changed).
    """
    note = get_or_404(session, ClientNote, note_id, "ClientNote")
    if body is not None and not body.strip():
        raise ValidationFailed.single("body", "required", "the note is empty")
    wanted: dict[str, Any] = {"title": title, "body": body, "sticky": sticky}
    changed = apply_fields(note, wanted, skip_none=True)
    if changed:
        session.flush()
        log_activity(session, "client.note_updated", f"Note {note.id} of client "
                     f"{note.client_id} updated", client_id=note.client_id,
                     subject=("client_note", note.id), data={"changed": changed})
        emit(session, "client_note_updated", client_id=note.client_id, note_id=note.id,
             changed=changed)
    return note


def delete_client_note(session: Session, note_id: int) -> None:
    """Remove a client note. NotFound when it does not exist. Emits client_note_deleted."""
    note = get_or_404(session, ClientNote, note_id, "ClientNote")
    client_id = note.client_id
    session.delete(note)
    session.flush()
    log_activity(session, "client.note_deleted", f"Note {note_id} of client {client_id} "
                 "deleted", client_id=client_id, subject=("client_note", note_id))
    emit(session, "client_note_deleted", client_id=client_id, note_id=note_id)


def delete_client_group(session: Session, group_id: int, *, move_to: int | None = None) -> int:
    """Remove a client group; its clients stay, moved to group ``move_to`` (or to no group:
    without the group's discount and exemptions). Returns how many clients were moved.

    NotFound when the group does not exist; ValidationFailed on ``move_to`` when that group
    does not exist or is the one being removed. Emits client_group_deleted.
    """
    group = get_or_404(session, ClientGroup, group_id, "ClientGroup")
    if move_to is not None and (move_to == group.id or session.get(ClientGroup, move_to) is None):
        raise ValidationFailed.single("move_to", "invalid",
                                      f"client group {move_to} cannot take the clients of "
                                      f"group {group.id}")
    moved = session.execute(update(Client).where(Client.group_id == group.id)
                            .values(group_id=move_to)
                            .execution_options(synchronize_session="fetch"))
    count = int(getattr(moved, "rowcount", 0) or 0)
    name = group.name
    session.delete(group)
    session.flush()
    log_activity(session, "client_group.deleted", f"Client group {name} deleted "
                 f"({count} clients moved to {move_to or 'no group'})",
                 subject=("client_group", group_id), data={"clients": count, "move_to": move_to})
    emit(session, "client_group_deleted", client_group_id=group_id, clients=count,
         move_to=move_to)
    return count
