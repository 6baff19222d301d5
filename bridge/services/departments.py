"""Support departments: add, change, remove."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Admin, Company, CustomField, Ticket, TicketDepartment

from .common import apply_fields, get_or_404, log_activity

TEXT_FIELDS = {"name": 128, "email": 255, "description": 1_000_000}
FLAGS = ("hidden", "clients_only")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _values(session: Session, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Checked department fields from ``data`` (every failing field reported at once)."""
    errors: dict[str, dict[str, str]] = {}
    values: dict[str, Any] = {}
    for field, limit in TEXT_FIELDS.items():
        if field not in data:
            continue
        value = data[field]
        if not isinstance(value, str):
            errors[field] = {"invalid": f"{field} must be text"}
        elif len(value.strip()) > limit:
            errors[field] = {"length": f"{field} is longer than {limit}"}
        else:
            values[field] = value.strip()
    if not partial and "name" not in data:
        errors["name"] = {"required": "name must not be empty"}
    if "name" in values and not values["name"]:
        errors["name"] = {"required": "name must not be empty"}
    if values.get("email") and not EMAIL.match(values["email"]):
        errors["email"] = {"invalid": f"{values['email']!r} is not an email address"}
    for field in FLAGS:
        if field in data:
            if not isinstance(data[field], bool):
                errors[field] = {"invalid": f"{field} must be true or false"}
            else:
                values[field] = data[field]
    if "company_id" in data:
        company_id = data["company_id"]
        if company_id is not None and session.get(Company, company_id) is None:
            errors["company_id"] = {"invalid": f"company {company_id} does not exist"}
        values["company_id"] = company_id
    if errors:
        raise ValidationFailed(errors)
    return values


def add_department(session: Session, data: Mapping[str, Any]) -> TicketDepartment:
    """Add a support department (``name`` required; ``email``, ``description``, ``hidden``,
    ``clients_only``, ``company_id``). ValidationFailed for bad input."""
    department = TicketDepartment(**_values(session, data, partial=False))
    session.add(department)
    session.flush()
    log_activity(session, "department.added", f"Support department {department.name} added",
                 subject=("ticket_department", department.id))
    return department


def update_department(session: Session, department_id: int,
                      data: Mapping[str, Any]) -> TicketDepartment:
    """Change fields of a support department (only those given). NotFound for the department,
    ValidationFailed for bad input."""
    department = get_or_404(session, TicketDepartment, department_id, "Ticket department")
    values = _values(session, data, partial=True)
    changed = apply_fields(department, values)
    if changed:
        session.flush()
        log_activity(session, "department.updated", f"Support department {department.name} "
                     "updated", subject=("ticket_department", department.id),
                     data={"changed": changed})
    return department


def delete_department(session: Session, department_id: int) -> None:
    """Remove a support department nobody filed a ticket in; staff assigned to it lose it.

    NotFound for the department; Conflict while tickets or department custom fields use it
    (move or delete them first).
    """
    department = get_or_404(session, TicketDepartment, department_id, "Ticket department")
    tickets = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.department_id == department.id)) or 0
    fields = session.scalar(select(func.count()).select_from(CustomField).where(
        CustomField.owner_type == "support", CustomField.owner_id == department.id)) or 0
    if tickets or fields:
        raise Conflict(f"support department {department.id} has {tickets} tickets and "
                       f"{fields} custom fields; move or delete them first")
    for admin in session.scalars(select(Admin)):
        if department.id in (admin.support_department_ids or []):
            admin.support_department_ids = [i for i in admin.support_department_ids
                                            if i != department.id]
    name = department.name
    session.delete(department)
    session.flush()
    log_activity(session, "department.deleted", f"Support department {name} deleted",
                 subject=("ticket_department", department_id))
