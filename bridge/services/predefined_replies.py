"""Changing and removing predefined ticket replies (adding one is in :mod:`.content`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridge.errors import ValidationFailed
from bridge.models.content import PredefinedReply, PredefinedReplyCategory

from .common import apply_fields, get_or_404, log_activity

NAME_LIMIT = 255


def update_predefined_reply(session: Session, reply_id: int, *, name: str | None = None,
                            body: str | None = None,
                            category_id: int | None = None) -> PredefinedReply:
    """Change a predefined reply's name, body or category (only those given).

    NotFound for the reply; ValidationFailed for an empty name or body, a name past 255
    characters or an unknown category (every failing field at once).
    """
    reply = get_or_404(session, PredefinedReply, reply_id, "Predefined reply")
    errors: dict[str, dict[str, str]] = {}
    if name is not None and not name.strip():
        errors["name"] = {"required": "name must not be empty"}
    elif name is not None and len(name.strip()) > NAME_LIMIT:
        errors["name"] = {"length": f"name is longer than {NAME_LIMIT}"}
    if body is not None and not body.strip():
        errors["body"] = {"required": "body must not be empty"}
    if category_id is not None and session.get(PredefinedReplyCategory, category_id) is None:
        errors["category_id"] = {"invalid": f"predefined reply category {category_id} does "
                                            "not exist"}
    if errors:
        raise ValidationFailed(errors)
    wanted = {"name": name.strip() if name is not None else None, "body": body,
              "category_id": category_id}
    changed = apply_fields(reply, wanted, skip_none=True)
    if changed:
        session.flush()
        log_activity(session, "predefined_reply.updated", f"Predefined reply {reply.name} "
                     "updated", subject=("predefined_reply", reply.id), data={"changed": changed})
    return reply


def delete_predefined_reply(session: Session, reply_id: int) -> None:
    """Remove a predefined reply. NotFound when it does not exist."""
    reply = get_or_404(session, PredefinedReply, reply_id, "Predefined reply")
    name = reply.name
    session.delete(reply)
    session.flush()
    log_activity(session, "predefined_reply.deleted", f"Predefined reply {name} deleted",
                 subject=("predefined_reply", reply_id))
