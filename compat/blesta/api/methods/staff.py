"""Staff (``staff``): the core's admins (read, and edit). An admin's role plays the part
of its Blesta staff group; admins are not users, so ``user_id`` is null."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from bridge.models import Admin, AdminRole
from bridge.services.admins import update_admin

from ..args import integers, optional_text
from ..registry import MethodCall, invalid, method
from ._people import count_rows, in_company, opt_int, order_pairs, page_of, page_rows, req_int, text
from .billing_shared import renamed_errors

STATUSES = ("active", "inactive")
ORDER = {"id": Admin.id, "first_name": Admin.first_name, "last_name": Admin.last_name,
         "email": Admin.email, "status": Admin.disabled}
NOTES = "admins are not users (user_id is null); the admin role is the staff group"


def staff_rows(call: MethodCall, admins: Sequence[Admin], *,
               groups: bool = False) -> list[dict[str, Any]]:
    """``staff`` rows (with ``groups`` from the admin roles, loaded in one query)."""
    role_ids = {a.role_id for a in admins if a.role_id is not None}
    roles = {r.id: r for r in call.session.scalars(
        select(AdminRole).where(AdminRole.id.in_(role_ids)))} if groups and role_ids else {}
    out = []
    for admin in admins:
        body: dict[str, Any] = {
            "id": admin.id, "user_id": None, "username": admin.username,
            "first_name": admin.first_name, "last_name": admin.last_name,
            "email": admin.email, "email_mobile": None, "number_mobile": None,
            "status": "inactive" if admin.disabled else "active",
        }
        if groups:
            role = roles.get(admin.role_id) if admin.role_id is not None else None
            company = admin.company_id if admin.company_id is not None else call.company_id
            body["groups"] = ([{"id": role.id, "company_id": company, "name": role.name}]
                              if role is not None else [])
        out.append(body)
    return out


def _filtered(call: MethodCall) -> Select[Any]:
    query = select(Admin)
    company_id = opt_int(call.arg("company_id"), "company_id")
    if company_id is not None:
        query = query.where(in_company(Admin.company_id, company_id))
    status = text(call.arg("status")).lower()
    if status:
        if status not in STATUSES:
            raise invalid("status", "format", "Invalid status.")
        query = query.where(Admin.disabled.is_(status == "inactive"))
    return query


@method("staff", "get", status="partial", notes=NOTES + "; staff settings are not kept")
def get(call: MethodCall) -> Any:
    """One staff member with its groups, or false."""
    admin = call.session.get(Admin, req_int(call, "staff_id"))
    return staff_rows(call, [admin], groups=True)[0] if admin is not None else False


@method("staff", "getAll", status="partial", notes=NOTES)
def get_all(call: MethodCall) -> Any:
    """Every staff member (of a company, status and group when given)."""
    query = _filtered(call)
    group_id = opt_int(call.arg("staff_group_id"), "staff_group_id")
    if group_id is not None:
        query = query.where(Admin.role_id == group_id)
    return staff_rows(call, list(call.session.scalars(query.order_by(Admin.id))))


@method("staff", "getList", status="partial", notes=NOTES)
def get_list(call: MethodCall) -> Any:
    """One page (20) of staff members."""
    order = order_pairs(call.arg("order_by"), ORDER, (Admin.id.asc(),))
    return staff_rows(call, page_rows(call, _filtered(call).order_by(*order), page_of(call)))


@method("staff", "getListCount", status="partial", notes=NOTES)
def get_list_count(call: MethodCall) -> Any:
    """How many staff members ``getList`` pages through."""
    return count_rows(call, _filtered(call))


@method("staff", "edit", status="partial", notes=NOTES + "; email_mobile and number_mobile "
        "are not kept; one group (the admin's single role)")
def edit(call: MethodCall) -> Any:
    """Change a staff member's name, email, status or group."""
    admin = call.session.get(Admin, req_int(call, "staff_id"))
    if admin is None or admin.company_id not in (None, call.company_id):
        raise invalid("staff_id", "exists", "Invalid staff ID.")
    vars_ = call.vars()
    status = optional_text(vars_.get("status"), "status")
    if status is not None and status not in STATUSES:
        raise invalid("status", "format", "Invalid status.")
    groups = integers(vars_.get("groups"), "groups")
    if len(groups) > 1:
        raise invalid("groups", "single", "hostbridge gives each admin one role: send one group.")

    def field(name: str) -> str | None:
        return (optional_text(vars_[name], name) or "") if name in vars_ else None

    with renamed_errors({"role_id": "groups"}):
        update_admin(call.session, admin.id, first_name=field("first_name"),
                     last_name=field("last_name"), email=field("email"),
                     disabled=None if status is None else status == "inactive",
                     role_id=groups[0] if groups else None)
    return None
