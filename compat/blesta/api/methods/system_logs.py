"""User logs (``logs/getUserList``, ``getUserListCount``, ``getUserLog``): the successful
logins the core's activity log records (``user.login``). Failed logins are not logged, so
every row's ``result`` is ``success``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select

from bridge.models import ActivityLog, User

from ..format import stamp
from ..registry import MethodCall, invalid, method
from ._people import count_rows, order_pairs, page_of, page_rows, req_int, text

LOGIN = "user.login"
ORDER = {"date_added": ActivityLog.created_at, "date_updated": ActivityLog.created_at,
         "id": ActivityLog.id, "ip_address": ActivityLog.ip_address}
NEWEST = (ActivityLog.created_at.desc(), ActivityLog.id.desc())
NOTES = "successful logins only (from the activity log)"


def _when(value: Any, field: str) -> datetime | None:
    raw = text(value)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid(field, "format", f"{field} must be a date (Y-m-d H:i:s)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def log_rows(call: MethodCall, entries: Sequence[ActivityLog]) -> list[dict[str, Any]]:
    """``log_users`` rows with the username (email), users loaded in one query."""
    user_ids = {e.subject_id for e in entries if e.subject_id is not None}
    emails: dict[int, str] = {uid: email for uid, email in call.session.execute(
        select(User.id, User.email).where(User.id.in_(user_ids)))} if user_ids else {}
    return [{"id": e.id, "user_id": e.subject_id, "ip_address": e.ip_address or None,
             "company_id": call.company_id, "date_added": stamp(e.created_at),
             "date_updated": stamp(e.created_at), "result": "success",
             "username": emails.get(e.subject_id) if e.subject_id is not None else None}
            for e in entries]


def _logins(call: MethodCall) -> Select[Any]:
    query = select(ActivityLog).where(ActivityLog.action == LOGIN,
                                      ActivityLog.subject_type == "user")
    filters = call.vars("filters")
    start = _when(filters.get("start_date"), "start_date")
    end = _when(filters.get("end_date"), "end_date")
    if start is not None:
        query = query.where(ActivityLog.created_at >= start)
    if end is not None:
        query = query.where(ActivityLog.created_at <= end)
    if text(filters.get("string")):
        like = f"%{text(filters['string'])}%"
        users = select(User.id).where(User.email.like(like))
        query = query.where(or_(ActivityLog.ip_address.like(like),
                                ActivityLog.subject_id.in_(users)))
    return query


@method("logs", "getUserList", status="partial", notes=NOTES)
def get_user_list(call: MethodCall) -> Any:
    """One page (20) of logins, newest first unless ``order_by`` says otherwise."""
    order = order_pairs(call.arg("order_by"), ORDER, NEWEST)
    return log_rows(call, page_rows(call, _logins(call).order_by(*order), page_of(call)))


@method("logs", "getUserListCount", status="partial", notes=NOTES)
def get_user_list_count(call: MethodCall) -> Any:
    """How many logins ``getUserList`` pages through."""
    return count_rows(call, _logins(call))


@method("logs", "getUserLog", status="partial", notes=NOTES)
def get_user_log(call: MethodCall) -> Any:
    """The user's latest login (``type`` any or success), or false."""
    user_id = req_int(call, "user_id")
    if text(call.arg("type", "any")).lower() not in ("any", "success"):
        return False
    entry = call.session.scalar(select(ActivityLog).where(
        ActivityLog.action == LOGIN, ActivityLog.subject_type == "user",
        ActivityLog.subject_id == user_id).order_by(*NEWEST).limit(1))
    return log_rows(call, [entry])[0] if entry is not None else False
