"""Admin profile changes (bridge.services.admins)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import ActivityLog, Admin, AdminRole
from bridge.services.admins import update_admin


@pytest.fixture
def admins(db):
    role = AdminRole(name="Support")
    ann = Admin(username="ann", first_name="Ann", email="ann@example.com")
    bob = Admin(username="bob", first_name="Bob", email="bob@example.com")
    db.add_all([role, ann, bob])
    db.flush()
    return role, ann, bob


def test_update_changes_only_what_is_given(db, admins):
    role, ann, _ = admins
    update_admin(db, ann.id, last_name=" Smith ", role_id=role.id)
    assert (ann.first_name, ann.last_name, ann.role_id) == ("Ann", "Smith", role.id)
    update_admin(db, ann.id, first_name="Ann")  # unchanged: not logged
    logged = list(db.scalars(select(ActivityLog.data).where(
        ActivityLog.action == "admin.updated")))
    assert [entry["changed"] for entry in logged] == [["last_name", "role_id"]]


def test_bad_values_are_reported_together(db, admins):
    _, ann, _ = admins
    with pytest.raises(ValidationFailed) as caught:
        update_admin(db, ann.id, first_name="x" * 129, email="nope", role_id=77)
    assert set(caught.value.errors) == {"first_name", "email", "role_id"}
    with pytest.raises(NotFound):
        update_admin(db, 999, first_name="x")


def test_the_last_active_admin_stays_active(db, admins):
    _, ann, bob = admins
    update_admin(db, bob.id, disabled=True)
    with pytest.raises(Conflict, match="last active admin"):
        update_admin(db, ann.id, disabled=True)
    assert not ann.disabled
    update_admin(db, bob.id, disabled=False)
    update_admin(db, ann.id, disabled=True)
    assert ann.disabled
