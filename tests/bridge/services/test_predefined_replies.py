"""Predefined replies: update and delete (bridge.services.predefined_replies)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.errors import NotFound, ValidationFailed
from bridge.models import ActivityLog
from bridge.models.content import PredefinedReply
from bridge.services.content import add_predefined_category, add_predefined_reply
from bridge.services.predefined_replies import delete_predefined_reply, update_predefined_reply


@pytest.fixture
def reply(db):
    return add_predefined_reply(db, add_predefined_category(db, "Billing").id, "Thanks", "Ta.")


def test_update_changes_only_what_is_given(db, reply):
    sales = add_predefined_category(db, "Sales")
    update_predefined_reply(db, reply.id, body="Thank you.", category_id=sales.id)
    assert (reply.name, reply.body, reply.category_id) == ("Thanks", "Thank you.", sales.id)
    update_predefined_reply(db, reply.id, name="  Thanks  ")  # the same name, trimmed
    logged = list(db.scalars(select(ActivityLog.data).where(
        ActivityLog.action == "predefined_reply.updated")))
    assert [entry["changed"] for entry in logged] == [["body", "category_id"]]


def test_update_reports_every_bad_field(db, reply):
    with pytest.raises(ValidationFailed) as caught:
        update_predefined_reply(db, reply.id, name=" ", body="", category_id=999)
    assert set(caught.value.errors) == {"name", "body", "category_id"}
    with pytest.raises(ValidationFailed):
        update_predefined_reply(db, reply.id, name="x" * 256)
    assert reply.name == "Thanks"
    with pytest.raises(NotFound):
        update_predefined_reply(db, 999, name="x")


def test_delete(db, reply):
    delete_predefined_reply(db, reply.id)
    assert db.scalar(select(PredefinedReply.id)) is None
    with pytest.raises(NotFound):
        delete_predefined_reply(db, reply.id)
