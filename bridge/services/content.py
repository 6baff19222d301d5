"""Announcements and predefined ticket replies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import ValidationFailed
from bridge.models.content import Announcement, PredefinedReply, PredefinedReplyCategory

from .common import apply_fields, get_or_404, log_activity

ANNOUNCEMENT_FIELDS = ("title", "body", "published_at", "published", "language", "parent_id")


def _text(value: Any, field: str, *, limit: int = 255, blank: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationFailed.single(field, "invalid", f"{field} must be text")
    if not blank and not value.strip():
        raise ValidationFailed.single(field, "required", f"{field} must not be empty")
    if len(value) > limit:
        raise ValidationFailed.single(field, "length", f"{field} is longer than {limit}")
    return value


def _announcement_values(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(ANNOUNCEMENT_FIELDS)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "unknown", "Unknown field.")
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = _text(data["title"], "title").strip()
    if "body" in data:
        values["body"] = _text(data["body"], "body", limit=1_000_000)
    if "published_at" in data:
        when = data["published_at"]
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise ValidationFailed.single("published_at", "invalid",
                                          "published_at must be an aware datetime")
        values["published_at"] = when
    if "published" in data:
        values["published"] = bool(data["published"])
    if "language" in data:
        values["language"] = _text(data["language"], "language", limit=32, blank=True)
    if data.get("parent_id") is not None:
        parent = session.get(Announcement, data["parent_id"])
        if parent is None:
            raise ValidationFailed.single("parent_id", "invalid",
                                          f"announcement {data['parent_id']} does not exist")
        values["parent_id"] = parent.id
    return values


def add_announcement(session: Session, data: Mapping[str, Any]) -> Announcement:
    """Add an announcement: ``title`` and ``body`` required; ``published_at`` (aware
    datetime, default now), ``published`` (default False), ``language``, ``parent_id`` (the
    original of a translation). Emits ``announcement_added``. ValidationFailed on bad input.
    """
    values = _announcement_values(session, data)
    for field in ("title", "body"):
        if field not in values:
            raise ValidationFailed.single(field, "required", f"{field} is required")
    announcement = Announcement(**values)
    session.add(announcement)
    session.flush()
    log_activity(session, "announcement.added", f"Announcement #{announcement.id} added: "
                 f"{announcement.title}", subject=("announcement", announcement.id))
    emit(session, "announcement_added", announcement_id=announcement.id)
    return announcement


def update_announcement(session: Session, announcement_id: int,
                        data: Mapping[str, Any]) -> Announcement:
    """Change any of the fields :func:`add_announcement` takes; emits ``announcement_updated``
    with the changed field names. Raises NotFound, ValidationFailed."""
    announcement = get_or_404(session, Announcement, announcement_id, "Announcement")
    values = _announcement_values(session, data)
    if values.get("parent_id") == announcement.id:
        raise ValidationFailed.single("parent_id", "invalid",
                                      "an announcement cannot be its own translation")
    changed = apply_fields(announcement, values)
    if changed:
        log_activity(session, "announcement.updated",
                     f"Announcement #{announcement.id} updated: " + ", ".join(changed),
                     subject=("announcement", announcement.id), data={"changed": changed})
        emit(session, "announcement_updated", announcement_id=announcement.id, changed=changed)
    return announcement


def delete_announcement(session: Session, announcement_id: int) -> None:
    """Delete an announcement with its translations; emits ``announcement_deleted``."""
    announcement = get_or_404(session, Announcement, announcement_id, "Announcement")
    for translation in session.scalars(select(Announcement).where(
            Announcement.parent_id == announcement.id)):
        session.delete(translation)
    session.delete(announcement)
    session.flush()
    log_activity(session, "announcement.deleted", f"Announcement #{announcement_id} deleted",
                 subject=("announcement", announcement_id))
    emit(session, "announcement_deleted", announcement_id=announcement_id)


def add_predefined_category(session: Session, name: str,
                            parent_id: int | None = None) -> PredefinedReplyCategory:
    """Add a predefined-reply folder (nested under ``parent_id``). ValidationFailed for an
    empty name or an unknown parent."""
    clean = _text(name, "name", limit=128).strip()
    if parent_id is not None and session.get(PredefinedReplyCategory, parent_id) is None:
        raise ValidationFailed.single("parent_id", "invalid",
                                      f"predefined reply category {parent_id} does not exist")
    category = PredefinedReplyCategory(name=clean, parent_id=parent_id)
    session.add(category)
    session.flush()
    log_activity(session, "predefined_category.added", f"Predefined reply category {clean} "
                 "added", subject=("predefined_reply_category", category.id))
    return category


def add_predefined_reply(session: Session, category_id: int, name: str,
                         body: str) -> PredefinedReply:
    """Add a canned reply to a category. NotFound for the category, ValidationFailed for an
    empty name or body."""
    category = get_or_404(session, PredefinedReplyCategory, category_id,
                          "Predefined reply category")
    reply = PredefinedReply(category_id=category.id, name=_text(name, "name").strip(),
                            body=_text(body, "body", limit=1_000_000))
    session.add(reply)
    session.flush()
    log_activity(session, "predefined_reply.added", f"Predefined reply {reply.name} added",
                 subject=("predefined_reply", reply.id))
    return reply
