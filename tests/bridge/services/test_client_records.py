"""Client notes (edit, delete) and client groups (delete) - bridge.services.client_records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import NotFound, ValidationFailed
from bridge.models import ActivityLog, ClientGroup, ClientNote
from bridge.services import client_records, clients


@pytest.fixture
def client(factories):
    factories.currency("USD")
    return factories.client()


def _actions(db) -> list[str]:
    return list(db.scalars(select(ActivityLog.action).order_by(ActivityLog.id)))


def test_a_note_changes_only_what_is_given(db, client):
    note = clients.add_client_note(db, client.id, "Prefers phone", title="Contact")
    client_records.update_client_note(db, note.id, sticky=True)
    assert (note.title, note.body, note.sticky) == ("Contact", "Prefers phone", True)
    client_records.update_client_note(db, note.id, title="Call", body="Prefers email")
    assert (note.title, note.body, note.sticky) == ("Call", "Prefers email", True)
    events = [(n, p) for n, p in pending_events(db) if n == "client_note_updated"]
    assert [p["changed"] for _, p in events] == [["sticky"], ["title", "body"]]
    assert _actions(db).count("client.note_updated") == 2


def test_an_unchanged_note_logs_nothing(db, client):
    note = clients.add_client_note(db, client.id, "Same")
    client_records.update_client_note(db, note.id, body="Same", sticky=False)
    assert "client.note_updated" not in _actions(db)
    assert all(n != "client_note_updated" for n, _ in pending_events(db))


def test_a_note_body_cannot_be_emptied_and_a_missing_note_is_not_found(db, client):
    note = clients.add_client_note(db, client.id, "Text")
    with pytest.raises(ValidationFailed) as caught:
        client_records.update_client_note(db, note.id, body="  ")
    assert "body" in caught.value.errors and note.body == "Text"
    with pytest.raises(NotFound):
        client_records.update_client_note(db, 999, title="x")
    with pytest.raises(NotFound):
        client_records.delete_client_note(db, 999)


def test_deleting_a_note(db, client):
    keep = clients.add_client_note(db, client.id, "Keep")
    gone = clients.add_client_note(db, client.id, "Gone")
    client_records.delete_client_note(db, gone.id)
    assert list(db.scalars(select(ClientNote.id))) == [keep.id]
    assert ("client_note_deleted", {"client_id": client.id, "note_id": gone.id}) in \
        pending_events(db)
    assert "client.note_deleted" in _actions(db)


def test_deleting_a_group_moves_its_clients(db, factories, client):
    vip = clients.add_client_group(db, {"name": "VIP"})
    basic = clients.add_client_group(db, {"name": "Basic"})
    other = factories.client(email="other@example.com", group_id=vip.id)
    clients.update_client(db, client.id, {"group_id": vip.id})
    assert client_records.delete_client_group(db, vip.id, move_to=basic.id) == 2
    assert (client.group_id, other.group_id) == (basic.id, basic.id)
    assert db.get(ClientGroup, vip.id) is None
    assert client_records.delete_client_group(db, basic.id) == 2  # to no group
    assert (client.group_id, other.group_id) == (None, None)
    deleted = [p for n, p in pending_events(db) if n == "client_group_deleted"]
    assert [(p["client_group_id"], p["move_to"]) for p in deleted] == [(vip.id, basic.id),
                                                                       (basic.id, None)]


def test_a_group_cannot_move_its_clients_to_itself_or_nowhere(db, client):
    vip = clients.add_client_group(db, {"name": "VIP"})
    for target in (vip.id, 999):
        with pytest.raises(ValidationFailed) as caught:
            client_records.delete_client_group(db, vip.id, move_to=target)
        assert "move_to" in caught.value.errors
    assert db.get(ClientGroup, vip.id) is not None
    with pytest.raises(NotFound):
        client_records.delete_client_group(db, 999)
