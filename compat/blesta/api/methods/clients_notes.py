"""Client notes (``clients/addNote``, ``editNote``, ``deleteNote``, ``getNote``,
``getNoteList``, ``getNoteListCount``, ``getAllStickyNotes``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from bridge.models import Admin, ClientNote
from bridge.services.client_records import delete_client_note, update_client_note
from bridge.services.clients import add_client_note

from ..args import optional_text
from ..format import stamp
from ..registry import MethodCall, invalid, method
from ._people import (
    count_rows,
    flag,
    opt_int,
    order_pairs,
    page_of,
    page_rows,
    req_int,
    require_client,
    scoped_client,
    text,
    tinyint,
)

ORDER = {"date_added": ClientNote.created_at, "date_updated": ClientNote.updated_at,
         "title": ClientNote.title, "id": ClientNote.id, "stickied": ClientNote.sticky}
NEWEST = (ClientNote.created_at.desc(), ClientNote.id.desc())


def note_rows(call: MethodCall, notes: Sequence[ClientNote]) -> list[dict[str, Any]]:
    """Notes as Blesta prints them, with the staff names loaded in one query."""
    admin_ids = {n.admin_id for n in notes if n.admin_id is not None}
    admins = {a.id: a for a in call.session.scalars(
        select(Admin).where(Admin.id.in_(admin_ids)))} if admin_ids else {}
    out = []
    for note in notes:
        admin = admins.get(note.admin_id) if note.admin_id is not None else None
        out.append({
            "id": note.id, "client_id": note.client_id, "staff_id": note.admin_id,
            "title": note.title, "description": note.body, "stickied": tinyint(note.sticky),
            "date_added": stamp(note.created_at), "date_updated": stamp(note.updated_at),
            "staff_first_name": admin.first_name if admin else None,
            "staff_last_name": admin.last_name if admin else None,
        })
    return out


def _notes(call: MethodCall) -> Select[Any] | None:
    client = scoped_client(call, req_int(call, "client_id"))
    if client is None:
        return None
    return select(ClientNote).where(ClientNote.client_id == client.id)


@method("clients", "addNote")
def add_note(call: MethodCall) -> Any:
    """Add a staff note (``vars[title]``, ``vars[description]``, ``vars[stickied]``)."""
    client = require_client(call)
    staff_id = opt_int(call.arg("staff_id"), "staff_id") or None
    if staff_id is not None and call.session.get(Admin, staff_id) is None:
        raise invalid("staff_id", "exists", "Invalid staff ID.")
    vars_ = call.vars()
    if not text(vars_.get("description")):
        raise invalid("description", "empty", "Please enter a note.")
    note = add_client_note(call.session, client.id, str(vars_["description"]),
                           title=text(vars_.get("title")), admin_id=staff_id,
                           sticky=flag(vars_.get("stickied"), False))
    return str(note.id)


def _scoped_note(call: MethodCall) -> ClientNote:
    note = call.session.get(ClientNote, req_int(call, "note_id"))
    if note is None or scoped_client(call, note.client_id) is None:
        raise invalid("note_id", "exists", "Invalid note ID.")
    return note


@method("clients", "editNote", status="partial", notes="staff_id cannot change")
def edit_note(call: MethodCall) -> Any:
    """Change a note's ``title``, ``description`` or ``stickied`` (only those sent)."""
    note = _scoped_note(call)
    vars_ = call.vars()
    body = optional_text(vars_.get("description"), "description")
    if "description" in vars_ and not body:
        raise invalid("description", "empty", "Please enter a note.")
    title = optional_text(vars_.get("title"), "title")
    update_client_note(
        call.session, note.id, title=(title or "") if "title" in vars_ else None, body=body,
        sticky=flag(vars_["stickied"], False) if "stickied" in vars_ else None)
    return None


@method("clients", "deleteNote")
def delete_note(call: MethodCall) -> Any:
    """Delete a note."""
    delete_client_note(call.session, _scoped_note(call).id)
    return None


@method("clients", "getNote")
def get_note(call: MethodCall) -> Any:
    """One note, or false (also for a note of another company's client)."""
    note = call.session.get(ClientNote, req_int(call, "note_id"))
    if note is None or scoped_client(call, note.client_id) is None:
        return False
    return note_rows(call, [note])[0]


@method("clients", "getNoteList")
def get_note_list(call: MethodCall) -> Any:
    """One page (20) of the client's notes, newest first unless ``order_by`` says otherwise."""
    query = _notes(call)
    if query is None:
        return []
    order = order_pairs(call.arg("order_by"), ORDER, NEWEST)
    return note_rows(call, page_rows(call, query.order_by(*order), page_of(call)))


@method("clients", "getNoteListCount")
def get_note_list_count(call: MethodCall) -> Any:
    """How many notes the client has."""
    query = _notes(call)
    return 0 if query is None else count_rows(call, query)


@method("clients", "getAllStickyNotes")
def get_all_sticky_notes(call: MethodCall) -> Any:
    """The client's stickied notes, newest first, at most ``max_limit`` when given."""
    query = _notes(call)
    if query is None:
        return []
    query = query.where(ClientNote.sticky.is_(True)).order_by(*NEWEST)
    limit = opt_int(call.arg("max_limit"), "max_limit")
    if limit is not None:
        query = query.limit(max(limit, 0))
    return note_rows(call, list(call.session.scalars(query)))
