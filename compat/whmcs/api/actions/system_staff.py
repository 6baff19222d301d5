"""System group, staff: GetAdminDetails, GetAdminUsers, GetStaffOnline, UpdateAdminNotes,
GetToDoItems, GetToDoItemStatuses, UpdateToDoItem."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.errors import NotFound
from bridge.models import Admin, AdminRole, TodoItem
from bridge.services.staff import update_admin_notes, update_todo_item

from ..format import ymd, ymd_his
from ..registry import ApiError, ApiRequest, action, listing
from .system import caller_admin
from .system import whmcs_details as _version

TODO_STATUS = {"new": "New", "pending": "Pending", "in_progress": "In Progress",
               "done": "Completed", "postponed": "Postponed"}
TODO_IN = {word.lower(): key for key, word in TODO_STATUS.items()}
ONLINE_WINDOW = timedelta(minutes=15)


def staff_online(session: Session) -> list[Admin]:
    """Admins who logged in within ``ONLINE_WINDOW`` (hostbridge keeps no staff sessions)."""
    since = utcnow() - ONLINE_WINDOW
    return list(session.scalars(select(Admin).where(Admin.last_login_at >= since,
                                                    Admin.disabled.is_(False))
                                .order_by(Admin.username)))


@action("GetAdminDetails")
def get_admin_details(req: ApiRequest) -> dict[str, Any]:
    """The calling admin: name, notes, signature, permissions, departments, version."""
    admin = caller_admin(req)
    role = req.session.get(AdminRole, admin.role_id) if admin.role_id else None
    departments = ",".join(str(d) for d in admin.support_department_ids)
    return {"adminid": str(admin.id), "name": admin.full_name, "notes": admin.notes,
            "signature": admin.signature,
            "allowedpermissions": ",".join(role.permissions) if role else "",
            "departments": f",{departments}," if departments else "",
            "requesttime": ymd_his(utcnow()), **_version(req)}


@action("GetAdminUsers")
def get_admin_users(req: ApiRequest) -> dict[str, Any]:
    """Staff accounts (enabled ones unless ``include_disabled``)."""
    query = select(Admin).order_by(Admin.id)
    if req.integer("roleid") is not None:
        query = query.where(Admin.role_id == req.integer("roleid"))
    if req.text("email"):
        query = query.where(Admin.email.like(f"%{req.text('email')}%"))
    if not req.flag("include_disabled"):
        query = query.where(Admin.disabled.is_(False))
    users = [{"id": a.id, "uuid": "", "roleId": a.role_id or 0, "username": a.username,
              "twoFactorAuthModule": "", "firstname": a.first_name, "lastname": a.last_name,
              "email": a.email, "signature": a.signature, "notes": a.notes, "template": "",
              "language": a.language, "isDisabled": int(a.disabled), "loginAttempts": 0,
              "supportDepartmentIds": [str(d) for d in a.support_department_ids],
              "receivesTicketNotifications": [], "homepageWidgetsConfig": "",
              "hiddenHomepageWidgets": "", "created_at": ymd_his(a.created_at),
              "updated_at": ymd_his(a.created_at), "fullName": a.full_name,
              "gravatarHash": hashlib.md5(a.email.strip().lower().encode(),
                                          usedforsecurity=False).hexdigest()}
             for a in req.session.scalars(query)]
    return {"count": len(users), "admin_users": users}


@action("GetStaffOnline", status="partial",
        notes="admins who logged in within the last 15 minutes; no staff sessions are kept")
def get_staff_online(req: ApiRequest) -> dict[str, Any]:
    """Staff seen recently."""
    rows = [{"adminusername": a.username, "logintime": ymd_his(a.last_login_at),
             "ipaddress": "", "lastvisit": ymd_his(a.last_login_at)}
            for a in staff_online(req.session)]
    return {"totalresults": len(rows), "staffonline": {"staff": rows}}


@action("UpdateAdminNotes")
def update_admin_notes_action(req: ApiRequest) -> dict[str, Any]:
    """Replace the calling admin's notes."""
    if not req.has("notes"):
        raise ApiError("notes is required")
    admin = caller_admin(req)
    update_admin_notes(req.session, admin.id, str(req.params.get("notes") or ""))
    return {}


def _todo_row(item: TodoItem) -> dict[str, Any]:
    return {"id": str(item.id), "date": ymd(item.created_at.date()), "title": item.title,
            "description": item.description, "admin": str(item.admin_id or 0),
            "status": TODO_STATUS.get(item.status, item.status.title()),
            "duedate": ymd(item.due_date.date() if item.due_date else None)}


@action("GetToDoItems")
def get_todo_items(req: ApiRequest) -> dict[str, Any]:
    """Page through the to-do list (``Incomplete`` = everything not completed)."""
    start, num = req.page()
    query = select(TodoItem)
    word = req.text("status").lower()
    if word == "incomplete":
        query = query.where(TodoItem.status != "done")
    elif word:
        query = query.where(TodoItem.status == TODO_IN.get(word, word))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = [_todo_row(i) for i in req.session.scalars(
        query.order_by(TodoItem.due_date, TodoItem.id).offset(start).limit(num))]
    return listing(int(total), start, items, "items", "item")


@action("GetToDoItemStatuses")
def get_todo_item_statuses(req: ApiRequest) -> dict[str, Any]:
    """Each to-do status with its item count and how many of those are overdue."""
    now = utcnow()
    counts: dict[str, list[int]] = {key: [0, 0] for key in TODO_STATUS}
    for status, due in req.session.execute(select(TodoItem.status, TodoItem.due_date)):
        entry = counts.setdefault(status, [0, 0])
        entry[0] += 1
        if due is not None and due < now and status != "done":
            entry[1] += 1
    rows = [{"type": TODO_STATUS.get(k, k.title()), "count": c, "overdue": o}
            for k, (c, o) in counts.items()]
    return {"totalresults": len(rows), "todoitemstatuses": {"status": rows}}


def _when(req: ApiRequest, name: str) -> datetime | None:
    value = req.date_value(name)
    return datetime.combine(value, time.min, tzinfo=UTC) if value else None


@action("UpdateToDoItem")
def update_todo_item_action(req: ApiRequest) -> dict[str, Any]:
    """Change a to-do item's status, dates, title or description (assigning it to
    ``adminid``)."""
    item_id = req.integer("itemid", message="To-Do Item ID Not Found")
    admin_id = req.integer("adminid", message="Admin ID Not Found")
    if admin_id is None or req.session.get(Admin, admin_id) is None:
        raise ApiError("Admin ID Not Found")
    data: dict[str, Any] = {"admin_id": admin_id}
    if req.text("status"):
        status = TODO_IN.get(req.text("status").lower())
        if status is None:
            raise ApiError("Invalid status: use one of " + ", ".join(TODO_STATUS.values()))
        data["status"] = status
    for param, field in (("title", "title"), ("description", "description")):
        if req.has(param):
            data[field] = req.text(param)
    if req.text("date"):
        data["created_at"] = _when(req, "date")
    if req.text("duedate"):
        data["due_date"] = _when(req, "duedate")
    try:
        item = update_todo_item(req.session, item_id if item_id is not None else -1, data)
    except NotFound as exc:
        raise ApiError("To-Do Item ID Not Found") from exc
    return {"itemid": str(item.id)}

