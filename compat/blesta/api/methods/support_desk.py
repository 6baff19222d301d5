"""Support Manager departments, predefined responses and staff
(``support_manager.support_manager_{departments,responses,staff}``).

Departments are the core's ticket departments (bridge.services.departments); their
mail-import, reminder and attachment settings (method, host, ...) do not exist in the core and
read as Blesta's defaults with the feature off. Responses are the core's predefined replies and
their categories (install-wide: ``company_id`` is accepted and ignored). Staff are the core's
admins; a staff member's departments are the admin's support departments; schedules and
settings are empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select

from bridge.models import Admin, PredefinedReply, PredefinedReplyCategory, TicketDepartment
from bridge.services.content import add_predefined_category, add_predefined_reply
from bridge.services.departments import add_department, delete_department, update_department
from bridge.services.predefined_replies import delete_predefined_reply, update_predefined_reply

from ..args import integer as req_integer
from ..args import optional_text
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import company_ref
from .billing_shared import (
    PER_PAGE,
    count_of,
    flag,
    optional_int,
    ordered,
    page_of,
    paged,
    renamed_errors,
)
from .support import PRIORITY_NAMES

DEPARTMENTS = "support_manager.support_manager_departments"
RESPONSES = "support_manager.support_manager_responses"
STAFF = "support_manager.support_manager_staff"
DEPARTMENT_ORDER: dict[str, Any] = {"name": TicketDepartment.name, "id": TicketDepartment.id,
                                    "email": TicketDepartment.email}
DEPARTMENT_NOTES = (
    "mail import, captcha, auto-close, reminder, attachment and auto-response columns print "
    "Blesta's defaults (the feature off): the core keeps no such department settings")
STAFF_ORDER: dict[str, Any] = {"first_name": Admin.first_name, "last_name": Admin.last_name,
                               "email": Admin.email, "id": Admin.id}


# -- departments ------------------------------------------------------------------------------

def department_object(department: TicketDepartment) -> dict[str, Any]:
    """A department row as the plugin returns it: every support_departments column. The core
    keeps name, description, email, clients_only and hidden; the rest (mail import, captcha,
    auto-close, reminders, attachments, auto-response) are Blesta's defaults with the features
    off, as ``DEPARTMENT_NOTES`` says."""
    return {
        "id": department.id, "company_id": department.company_id, "name": department.name,
        "description": department.description, "email": department.email, "method": "none",
        "default_priority": "low", "host": None, "user": None, "pass": None, "port": None,
        "security": None, "box_name": None, "mark_messages": None,
        "clients_only": int(department.clients_only), "require_captcha": 0,
        "override_from_email": 1, "send_ticket_received": 1, "automatic_transition": 0,
        "close_ticket_interval": None, "delete_ticket_interval": None,
        "reminder_ticket_interval": None, "reminder_ticket_status": None,
        "reminder_ticket_priority": None, "include_attachments": 0, "attachment_types": None,
        "max_attachment_size": None, "response_id": None,
        "status": "hidden" if department.hidden else "visible", "fields": [],
    }


def _departments(call: MethodCall, company_id: Any) -> Select[Any]:
    """Departments of ``company_id`` when it is the caller's company (none otherwise)."""
    query = select(TicketDepartment).where(or_(TicketDepartment.company_id == call.company_id,
                                               TicketDepartment.company_id.is_(None)))
    if optional_int(company_id, "company_id") != call.company_id:
        query = query.where(TicketDepartment.id.is_(None))
    return query


@method(DEPARTMENTS, "get", status="partial", notes=DEPARTMENT_NOTES)
def get_department(call: MethodCall) -> Any:
    """One department, or false."""
    ident = optional_int(call.arg("department_id"), "department_id")
    found = call.session.scalar(_departments(call, call.company_id)
                                .where(TicketDepartment.id == ident))
    return False if found is None else department_object(found)


@method(DEPARTMENTS, "getList", status="partial", notes=DEPARTMENT_NOTES)
def get_department_list(call: MethodCall) -> Any:
    """One page (20) of the company's departments, by name."""
    query = ordered(_departments(call, call.arg("company_id")), call.arg("order_by"),
                    DEPARTMENT_ORDER, TicketDepartment.id)
    return [department_object(d) for d in call.session.scalars(paged(query, page_of(call)))]


@method(DEPARTMENTS, "getListCount")
def get_department_list_count(call: MethodCall) -> Any:
    """How many departments the company has."""
    return count_of(call, _departments(call, call.arg("company_id")))


@method(DEPARTMENTS, "getAll", status="partial", notes="criteria are ignored")
def get_all_departments(call: MethodCall) -> Any:
    """Every department of the company, optionally by status and clients_only."""
    query = _departments(call, call.arg("company_id"))
    status = call.arg("status")
    if status in ("hidden", "visible"):
        query = query.where(TicketDepartment.hidden.is_(status == "hidden"))
    if call.arg("clients_only") is not None:
        query = query.where(TicketDepartment.clients_only.is_(flag(call.arg("clients_only"))))
    query = query.order_by(TicketDepartment.sort_order, TicketDepartment.name)
    return [department_object(d) for d in call.session.scalars(query)]


DEPARTMENT_WRITE_NOTES = DEPARTMENT_NOTES + "; name, description, email, clients_only and " \
    "status are stored, the other columns are accepted and ignored"


def _department_data(call: MethodCall, vars_: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in ("name", "description", "email"):
        if field in vars_:
            data[field] = optional_text(vars_[field], field) or ""
    if "clients_only" in vars_:
        data["clients_only"] = flag(vars_["clients_only"])
    if "status" in vars_:
        status = optional_text(vars_["status"], "status")
        if status not in ("hidden", "visible"):
            raise invalid("status", "format", "Invalid status.")
        data["hidden"] = status == "hidden"
    if "company_id" in vars_:
        data["company_id"] = company_ref(call, vars_["company_id"])
    return data


@method(DEPARTMENTS, "add", status="partial", notes=DEPARTMENT_WRITE_NOTES)
def add_department_(call: MethodCall) -> Any:
    """Add a department; returns it."""
    department = add_department(call.session, _department_data(call, call.vars()))
    return department_object(department)


def _department(call: MethodCall) -> TicketDepartment:
    ident = optional_int(call.arg("department_id"), "department_id")
    found: TicketDepartment | None = call.session.scalar(
        _departments(call, call.company_id).where(TicketDepartment.id == ident))
    if found is None:
        raise invalid("department_id", "exists", "Invalid department ID.")
    return found


@method(DEPARTMENTS, "edit", status="partial", notes=DEPARTMENT_WRITE_NOTES)
def edit_department(call: MethodCall) -> Any:
    """Change a department; returns it."""
    department = _department(call)
    update_department(call.session, department.id, _department_data(call, call.vars()))
    return department_object(department)


@method(DEPARTMENTS, "delete", status="partial",
        notes="refused while tickets (or department custom fields) use the department")
def delete_department_(call: MethodCall) -> Any:
    """Delete a department without tickets."""
    delete_department(call.session, _department(call).id)
    return None


@method(DEPARTMENTS, "getStatuses")
def get_department_statuses(call: MethodCall) -> Any:
    """Department statuses and their names."""
    return PhpArray({"visible": "Visible", "hidden": "Hidden"})


@method(DEPARTMENTS, "getPriorities")
def get_department_priorities(call: MethodCall) -> Any:
    """Ticket priorities and their names."""
    return PhpArray(PRIORITY_NAMES)


# -- predefined responses ---------------------------------------------------------------------

def response_object(reply: PredefinedReply) -> dict[str, Any]:
    """A predefined response."""
    return {"id": reply.id, "category_id": reply.category_id, "name": reply.name,
            "details": reply.body}


def category_object(call: MethodCall, category: PredefinedReplyCategory) -> dict[str, Any]:
    """A response category (install-wide, shown in the caller's company)."""
    return {"id": category.id, "company_id": call.company_id, "parent_id": category.parent_id,
            "name": category.name}


@method(RESPONSES, "get")
def get_response(call: MethodCall) -> Any:
    """One predefined response, or false."""
    found = call.session.get(PredefinedReply,
                             optional_int(call.arg("response_id"), "response_id") or 0)
    return False if found is None else response_object(found)


@method(RESPONSES, "getAll", status="partial", notes="install-wide: company_id is ignored")
def get_all_responses(call: MethodCall) -> Any:
    """The responses in a category, by name."""
    category_id = optional_int(call.arg("category_id"), "category_id")
    return [response_object(r) for r in call.session.scalars(
        select(PredefinedReply).where(PredefinedReply.category_id == category_id)
        .order_by(PredefinedReply.name, PredefinedReply.id))]


@method(RESPONSES, "add")
def add_response(call: MethodCall) -> Any:
    """Add a response to a category; returns the response."""
    vars_ = call.vars()
    category_id = optional_int(vars_.get("category_id"), "category_id")
    if category_id is None or call.session.get(PredefinedReplyCategory, category_id) is None:
        raise invalid("category_id", "exists", "Please select a valid category.")
    with renamed_errors({"body": "details"}):
        reply = add_predefined_reply(call.session, category_id, str(vars_.get("name") or ""),
                                     str(vars_.get("details") or ""))
    return response_object(reply)


def _response(call: MethodCall) -> PredefinedReply:
    found = call.session.get(PredefinedReply, req_integer(call.arg("response_id"),
                                                          "response_id"))
    if found is None:
        raise invalid("response_id", "exists", "Invalid response ID.")
    return found


@method(RESPONSES, "edit", status="partial", notes="install-wide: company_id is ignored")
def edit_response(call: MethodCall) -> Any:
    """Change a response's name, details or category; returns the response."""
    reply = _response(call)
    vars_ = call.vars()
    with renamed_errors({"body": "details"}):
        update_predefined_reply(
            call.session, reply.id,
            name=(optional_text(vars_["name"], "name") or "") if "name" in vars_ else None,
            body=(optional_text(vars_["details"], "details") or "")
            if "details" in vars_ else None,
            category_id=optional_int(vars_.get("category_id"), "category_id"))
    return response_object(reply)


@method(RESPONSES, "delete")
def delete_response(call: MethodCall) -> Any:
    """Delete a response."""
    delete_predefined_reply(call.session, _response(call).id)
    return None


@method(RESPONSES, "getCategory")
def get_category(call: MethodCall) -> Any:
    """One response category, or false."""
    found = call.session.get(PredefinedReplyCategory,
                             optional_int(call.arg("category_id"), "category_id") or 0)
    return False if found is None else category_object(call, found)


@method(RESPONSES, "getAllCategories", status="partial",
        notes="install-wide: company_id is ignored")
def get_all_categories(call: MethodCall) -> Any:
    """The categories directly under ``category_id`` (top level when null)."""
    parent = optional_int(call.arg("category_id"), "category_id")
    query = select(PredefinedReplyCategory).where(
        PredefinedReplyCategory.parent_id.is_(None) if parent is None
        else PredefinedReplyCategory.parent_id == parent)
    return [category_object(call, c) for c in call.session.scalars(
        query.order_by(PredefinedReplyCategory.name, PredefinedReplyCategory.id))]


@method(RESPONSES, "addCategory", status="partial", notes="install-wide: company_id ignored")
def add_category(call: MethodCall) -> Any:
    """Add a response category (under ``parent_id``); returns the category."""
    vars_ = call.vars()
    category = add_predefined_category(call.session, str(vars_.get("name") or ""),
                                       optional_int(vars_.get("parent_id"), "parent_id"))
    return category_object(call, category)


# -- staff ------------------------------------------------------------------------------------

def staff_object(admin: Admin, departments: dict[int, TicketDepartment], *,
                 settings: bool) -> dict[str, Any]:
    """A staff member with the departments they answer."""
    body: dict[str, Any] = {
        "id": admin.id, "user_id": None, "first_name": admin.first_name,
        "last_name": admin.last_name, "email": admin.email, "email_mobile": None,
        "number_mobile": None, "status": "inactive" if admin.disabled else "active",
        "departments": [department_object(departments[i]) for i in admin.support_department_ids
                        if i in departments],
        "schedules": [],
    }
    if settings:
        body["settings"] = {}
    return body


def _staff(call: MethodCall) -> list[Admin]:
    if optional_int(call.arg("company_id"), "company_id") != call.company_id:
        return []
    query = ordered(select(Admin).where(or_(Admin.company_id == call.company_id,
                                            Admin.company_id.is_(None))),
                    call.arg("order_by", {"first_name": "asc"}), STAFF_ORDER, Admin.id)
    admins: Sequence[Admin] = call.session.scalars(query).all()
    department_id = optional_int(call.arg("department_id"), "department_id")
    if department_id is not None:
        admins = [a for a in admins if department_id in a.support_department_ids]
    return list(admins)


def _render_staff(call: MethodCall, admins: Sequence[Admin], settings: bool
                  ) -> list[dict[str, Any]]:
    wanted = {i for a in admins for i in a.support_department_ids}
    departments = {d.id: d for d in call.session.scalars(
        select(TicketDepartment).where(TicketDepartment.id.in_(wanted)))}
    return [staff_object(a, departments, settings=settings) for a in admins]


@method(STAFF, "get", status="partial", notes="schedules and settings are empty")
def get_staff(call: MethodCall) -> Any:
    """One staff member of the company, or false."""
    admin = call.session.get(Admin, optional_int(call.arg("staff_id"), "staff_id") or 0)
    if admin is None or optional_int(call.arg("company_id"), "company_id") != call.company_id \
            or admin.company_id not in (None, call.company_id):
        return False
    return _render_staff(call, [admin], True)[0]


@method(STAFF, "getAll", status="partial", notes="schedules and settings are empty")
def get_all_staff(call: MethodCall) -> Any:
    """Every staff member of the company (optionally of one department)."""
    return _render_staff(call, _staff(call), flag(call.arg("get_settings"), True))


@method(STAFF, "getList", status="partial", notes="schedules and settings are empty")
def get_staff_list(call: MethodCall) -> Any:
    """One page (20) of the company's staff."""
    start = (page_of(call) - 1) * PER_PAGE
    return _render_staff(call, _staff(call)[start:start + PER_PAGE],
                         flag(call.arg("get_settings"), True))


@method(STAFF, "getListCount")
def get_staff_list_count(call: MethodCall) -> Any:
    """How many staff members ``getList`` pages through."""
    return len(_staff(call))
