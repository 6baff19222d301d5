"""Changing an administrator's profile (adding one is ``access.add_admin``)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Admin, AdminRole

from .common import apply_fields, get_or_404, log_activity

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_LIMIT = 128


def update_admin(session: Session, admin_id: int, *, first_name: str | None = None,
                 last_name: str | None = None, email: str | None = None,
                 disabled: bool | None = None, role_id: int | None = None) -> Admin:
    """Change an admin's name, email, role or disabled flag (only those given).

    NotFound for the admin; ValidationFailed for a name past 128 characters, a malformed
    email or an unknown role (every failing field at once); Conflict for disabling the last
    active admin (nobody could log in to undo it).
    """
    admin = get_or_404(session, Admin, admin_id, "Admin")
    errors: dict[str, dict[str, str]] = {}
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and len(value.strip()) > NAME_LIMIT:
            errors[field] = {"length": f"{field} is longer than {NAME_LIMIT}"}
    if email is not None and email.strip() and not EMAIL.match(email.strip()):
        errors["email"] = {"invalid": f"{email!r} is not an email address"}
    if role_id is not None and session.get(AdminRole, role_id) is None:
        errors["role_id"] = {"invalid": f"admin role {role_id} does not exist"}
    if errors:
        raise ValidationFailed(errors)
    if disabled and not admin.disabled:
        others = session.scalar(select(func.count()).select_from(Admin).where(
            Admin.id != admin.id, Admin.disabled.is_(False))) or 0
        if not others:
            raise Conflict(f"admin {admin.username} is the last active admin; it cannot be "
                           "disabled")
    wanted = {"first_name": first_name.strip() if first_name is not None else None,
              "last_name": last_name.strip() if last_name is not None else None,
              "email": email.strip() if email is not None else None,
              "disabled": disabled, "role_id": role_id}
    changed = apply_fields(admin, wanted, skip_none=True)
    if changed:
        session.flush()
        log_activity(session, "admin.updated", f"Admin {admin.username} updated: "
                     f"{', '.join(changed)}", subject=("admin", admin.id),
                     data={"changed": changed})
    return admin
