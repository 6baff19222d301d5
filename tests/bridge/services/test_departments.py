"""Support departments: add, update, delete (bridge.services.departments)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import ActivityLog, Admin, TicketDepartment
from bridge.services.departments import add_department, delete_department, update_department
from bridge.services.tickets import open_ticket


def test_add_and_update(db):
    department = add_department(db, {"name": " Sales ", "email": "sales@example.com",
                                     "hidden": True})
    assert (department.name, department.hidden, department.clients_only) == ("Sales", True,
                                                                              False)
    update_department(db, department.id, {"hidden": False, "description": "Buy"})
    assert (department.hidden, department.description) == (False, "Buy")
    update_department(db, department.id, {"name": "Sales"})  # unchanged: not logged
    actions = list(db.scalars(select(ActivityLog.action)))
    assert actions == ["department.added", "department.updated"]


def test_bad_input_names_every_field(db):
    with pytest.raises(ValidationFailed) as caught:
        add_department(db, {"email": "nope", "hidden": "yes", "company_id": 9})
    assert set(caught.value.errors) == {"name", "email", "hidden", "company_id"}
    department = add_department(db, {"name": "Help"})
    with pytest.raises(ValidationFailed) as caught:
        update_department(db, department.id, {"name": "  "})
    assert set(caught.value.errors) == {"name"}
    with pytest.raises(NotFound):
        update_department(db, 999, {"name": "x"})


def test_delete_unassigns_staff_and_refuses_departments_with_tickets(db, factories):
    keep = add_department(db, {"name": "Keep"})
    gone = add_department(db, {"name": "Gone"})
    admin = Admin(username="sam", support_department_ids=[keep.id, gone.id])
    db.add(admin)
    db.flush()
    delete_department(db, gone.id)
    assert admin.support_department_ids == [keep.id]
    assert list(db.scalars(select(TicketDepartment.id))) == [keep.id]
    factories.currency("USD")
    open_ticket(db, {"department_id": keep.id, "client_id": factories.client().id,
                     "subject": "Help", "message": "Please"})
    with pytest.raises(Conflict, match="1 tickets"):
        delete_department(db, keep.id)
    with pytest.raises(NotFound):
        delete_department(db, gone.id)
