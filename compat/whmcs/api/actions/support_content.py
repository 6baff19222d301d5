"""Announcements, predefined replies, client notes and cancellation requests:
AddAnnouncement, UpdateAnnouncement, DeleteAnnouncement, GetAnnouncements,
GetTicketPredefinedCats, GetTicketPredefinedReplies, AddClientNote, AddCancelRequest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bridge.errors import Conflict, NotFound
from bridge.models import Service
from bridge.models.content import Announcement, PredefinedReply, PredefinedReplyCategory
from bridge.services.clients import add_client_note
from bridge.services.content import add_announcement, delete_announcement, update_announcement
from bridge.services.lifecycle import request_cancellation

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action, listing

CANCEL_TYPES = {"immediate": "immediate", "end of billing period": "end_of_period"}


def _datetime(req: ApiRequest, name: str) -> datetime | None:
    """``Y-m-d H:i:s`` (or ``Y-m-d``) read as UTC; ApiError when unreadable."""
    text = req.text(name)
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ApiError("Invalid Date Format")


def _announcement_data(req: ApiRequest) -> dict[str, Any]:
    data: dict[str, Any] = {}
    when = _datetime(req, "date")
    if when is not None:
        data["published_at"] = when
    if req.has("title"):
        data["title"] = req.text("title")
    if req.has("announcement"):
        data["body"] = str(req.params.get("announcement") or "")
    if req.has("published"):
        data["published"] = req.flag("published")
    return data


@action("AddAnnouncement")
def add_announcement_action(req: ApiRequest) -> dict[str, Any]:
    """Add an announcement dated ``date``."""
    for name in ("date", "title", "announcement"):
        req.require(name)
    announcement = add_announcement(req.session, _announcement_data(req))
    return {"announcementid": str(announcement.id)}


@action("UpdateAnnouncement")
def update_announcement_action(req: ApiRequest) -> dict[str, Any]:
    """Change an announcement's title, text, date or published flag."""
    ident = req.integer("announcementid", message="Announcement ID Not Found")
    try:
        announcement = update_announcement(req.session, ident if ident is not None else -1,
                                           _announcement_data(req))
    except NotFound as exc:
        raise ApiError("Announcement ID Not Found") from exc
    return {"announcementid": str(announcement.id)}


@action("DeleteAnnouncement")
def delete_announcement_action(req: ApiRequest) -> dict[str, Any]:
    """Delete an announcement (and its translations)."""
    ident = req.integer("announcementid", message="Announcement ID Not Found")
    try:
        delete_announcement(req.session, ident if ident is not None else -1)
    except NotFound as exc:
        raise ApiError("Announcement ID Not Found") from exc
    return {"announcementid": str(ident)}


@action("GetAnnouncements")
def get_announcements(req: ApiRequest) -> dict[str, Any]:
    """Page through announcements, newest first."""
    start, num = req.page()
    total = req.session.scalar(select(func.count()).select_from(Announcement)) or 0
    rows = req.session.scalars(select(Announcement).order_by(
        Announcement.published_at.desc(), Announcement.id.desc()).offset(start).limit(num))
    items = [{"id": str(a.id), "date": ymd_his(a.published_at), "title": a.title,
              "announcement": a.body, "published": "1" if a.published else "0",
              "parentid": str(a.parent_id or 0), "language": a.language,
              "created_at": ymd_his(a.created_at), "updated_at": ymd_his(a.updated_at)}
             for a in rows]
    return listing(int(total), start, items, "announcements", "announcement")


@action("GetTicketPredefinedCats")
def get_predefined_categories(req: ApiRequest) -> dict[str, Any]:
    """Predefined reply categories (by name) with the number of replies in each."""
    counts = {cat: int(n) for cat, n in req.session.execute(
        select(PredefinedReply.category_id, func.count())
        .group_by(PredefinedReply.category_id))}
    rows = [{"id": str(c.id), "parentid": str(c.parent_id or 0), "name": c.name,
             "replycount": str(counts.get(c.id, 0))}
            for c in req.session.scalars(select(PredefinedReplyCategory).order_by(
                PredefinedReplyCategory.name, PredefinedReplyCategory.id))]
    return {"totalresults": len(rows), "categories": {"category": rows}}


@action("GetTicketPredefinedReplies")
def get_predefined_replies(req: ApiRequest) -> dict[str, Any]:
    """Predefined replies (by name), optionally of one category."""
    query = select(PredefinedReply).order_by(PredefinedReply.name, PredefinedReply.id)
    category = req.integer("catid")
    if category is not None:
        query = query.where(PredefinedReply.category_id == category)
    rows = [{"name": r.name, "reply": r.body} for r in req.session.scalars(query)]
    return {"totalresults": len(rows), "predefinedreplies": {"predefinedreply": rows}}


@action("AddClientNote")
def add_client_note_action(req: ApiRequest) -> dict[str, Any]:
    """Add a staff note (optionally sticky) to a client, written by the calling admin."""
    client_id = req.integer("userid", message="Client ID not found")
    notes = str(req.params.get("notes") or "")
    if not notes.strip():
        raise ApiError("Notes can not be empty")
    try:
        note = add_client_note(req.session, client_id if client_id is not None else -1, notes,
                               admin_id=req.admin_id, sticky=req.flag("sticky"))
    except NotFound as exc:
        raise ApiError("Client ID not found") from exc
    return {"noteid": str(note.id)}


@action("AddCancelRequest")
def add_cancel_request(req: ApiRequest) -> dict[str, Any]:
    """File a cancellation request for a service (``End of Billing Period`` by default)."""
    service_id = req.integer("serviceid", message="Service ID Not Found")
    service = req.session.get(Service, service_id) if service_id is not None else None
    if service is None:
        raise ApiError("Service ID Not Found")
    kind = CANCEL_TYPES.get(req.text("type", "End of Billing Period").lower())
    if kind is None:
        raise ApiError("Invalid cancellation type: use Immediate or End of Billing Period")
    try:
        request_cancellation(req.session, service.id, kind=kind, reason=req.text("reason"))
    except Conflict as exc:
        if "open cancellation request" in exc.message:
            raise ApiError("Existing Cancellation Request Exists") from exc
        raise
    return {"serviceid": str(service.id), "userid": str(service.client_id)}
