"""Staff self-service: an admin's own notes and the to-do list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import ValidationFailed
from bridge.models import Admin, TodoItem

from .common import apply_fields, check_reference, get_or_404, log_activity

# the to-do vocabulary; "done" is the only closed one
TODO_STATUSES = ("new", "pending", "in_progress", "postponed", "done")
TODO_FIELDS = ("title", "description", "status", "admin_id", "due_date", "created_at")


def update_admin_notes(session: Session, admin_id: int, notes: str) -> Admin:
    """Replace an admin's private notes. Raises NotFound."""
    admin = get_or_404(session, Admin, admin_id, "Admin")
    admin.notes = notes
    log_activity(session, "admin.notes_updated", f"Notes of admin {admin.username} updated",
                 subject=("admin", admin.id))
    return admin


def add_todo_item(session: Session, title: str, *, description: str = "",
                  admin_id: int | None = None, due_date: datetime | None = None) -> TodoItem:
    """Add a to-do item (status ``new``). Raises ValidationFailed (empty title, unknown
    admin, naive due date)."""
    if not title.strip():
        raise ValidationFailed.single("title", "required", "the to-do item needs a title")
    check_reference(session, Admin, admin_id, "admin_id", "admin")
    _aware(due_date, "due_date")
    item = TodoItem(title=title.strip()[:255], description=description, admin_id=admin_id,
                    due_date=due_date, status="new")
    session.add(item)
    session.flush()
    log_activity(session, "todo.added", f"To-do item #{item.id} added: {item.title}",
                 subject=("todo_item", item.id))
    return item


def update_todo_item(session: Session, item_id: int, data: Mapping[str, Any]) -> TodoItem:
    """Change a to-do item (any of ``TODO_FIELDS``); reaching ``done`` stamps
    ``completed_at``, leaving it clears it. Emits ``todo_item_updated`` with the changed
    names. Raises NotFound, ValidationFailed (unknown field/status/admin, naive dates)."""
    item = get_or_404(session, TodoItem, item_id, "To-do item")
    unknown = set(data) - set(TODO_FIELDS)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "unknown", "Unknown field.")
    values = dict(data)
    if "status" in values and values["status"] not in TODO_STATUSES:
        raise ValidationFailed.single("status", "one_of", "status must be one of "
                                      + ", ".join(TODO_STATUSES))
    if "title" in values and not str(values["title"]).strip():
        raise ValidationFailed.single("title", "required", "the to-do item needs a title")
    check_reference(session, Admin, values.get("admin_id"), "admin_id", "admin")
    for field in ("due_date", "created_at"):
        if field in values:
            _aware(values[field], field)
    if "created_at" in values and values["created_at"] is None:
        raise ValidationFailed.single("created_at", "null", "created_at cannot be empty")
    old_status = item.status
    changed = apply_fields(item, values)
    if "status" in changed:
        item.completed_at = utcnow() if item.status == "done" else None
    if changed:
        log_activity(session, "todo.updated", f"To-do item #{item.id} updated: "
                     + ", ".join(changed), subject=("todo_item", item.id),
                     data={"changed": changed, "old_status": old_status})
        emit(session, "todo_item_updated", todo_item_id=item.id, changed=changed)
    return item


def _aware(value: object, field: str) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise ValidationFailed.single(field, "invalid", f"{field} must be an aware datetime")
