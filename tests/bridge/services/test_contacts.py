"""Contacts: email preferences, logins linked to the client, permission changes, deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import Contact, User, UserClient
from bridge.services import access, contacts


@pytest.fixture
def client(factories):
    return factories.client()


def _link(db, user_id, client_id):
    return db.scalar(select(UserClient).where(UserClient.user_id == user_id,
                                              UserClient.client_id == client_id))


def test_add_contact_with_email_preferences(db, client):
    contact = contacts.add_contact(db, client.id, {
        "first_name": "Bea", "email": " bea@example.com ", "country": "de",
        "email_preferences": ["invoice", "support", "invoice"]})
    assert contact.email == "bea@example.com" and contact.country == "DE"
    assert contact.email_preferences == ["invoice", "support"]
    assert contact.user_id is None
    assert ("contact_added", {"contact_id": contact.id, "client_id": client.id}) in \
        pending_events(db)


@pytest.mark.parametrize(("data", "field"), [
    ({"email_preferences": ["spam"]}, "email_preferences.0"),
    ({"email": "nope"}, "email"),
    ({"password": "pw"}, "email"),
    ({"kind": "boss"}, "kind"),
    ({"nickname": "x"}, "nickname"),
])
def test_add_contact_validation(db, client, data, field):
    with pytest.raises(ValidationFailed) as info:
        contacts.add_contact(db, client.id, data)
    assert field in info.value.errors


def test_add_contact_unknown_client(db):
    with pytest.raises(NotFound):
        contacts.add_contact(db, 4242, {"first_name": "x"})


def test_duplicate_email_within_one_client(db, factories, client):
    contacts.add_contact(db, client.id, {"email": "tech@example.com"})
    with pytest.raises(Conflict):
        contacts.add_contact(db, client.id, {"email": "TECH@example.com"})
    other = factories.client()
    assert contacts.add_contact(db, other.id, {"email": "tech@example.com"}).client_id == other.id


def test_contact_with_password_gets_a_linked_login_with_permissions(db, client):
    contact = contacts.add_contact(db, client.id, {
        "email": "sub@example.com", "password": "sub-pass",
        "permissions": ["invoices", "tickets"]})
    user = db.get(User, contact.user_id)
    assert user.email == "sub@example.com"
    link = _link(db, user.id, client.id)
    assert link.is_owner is False
    assert link.permissions == ["invoices", "tickets"]
    assert access.authenticate_user(db, "sub@example.com", "sub-pass") is user


def test_contact_reuses_an_existing_user_and_never_demotes_the_owner(db, client):
    owner = access.add_user(db, "boss@example.com", "boss-pass")
    access.link_user(db, owner.id, client.id, owner=True)
    contact = contacts.add_contact(db, client.id, {"email": "boss@example.com",
                                                   "password": "ignored", "permissions": []})
    assert contact.user_id == owner.id
    assert _link(db, owner.id, client.id).is_owner is True
    # the existing user's password was not replaced
    access.authenticate_user(db, "boss@example.com", "boss-pass")


def test_update_contact_changes_fields_permissions_and_password(db, client):
    contact = contacts.add_contact(db, client.id, {"email": "c@example.com", "password": "one",
                                                   "permissions": ["invoices"]})
    contacts.update_contact(db, contact.id, {"city": "Berlin", "permissions": ["domains"]})
    assert contact.city == "Berlin"
    assert _link(db, contact.user_id, client.id).permissions == ["domains"]
    contacts.update_contact(db, contact.id, {"password": "two"})
    access.authenticate_user(db, "c@example.com", "two")
    with pytest.raises(PermissionDenied):
        access.authenticate_user(db, "c@example.com", "one")
    event = [p for n, p in pending_events(db) if n == "contact_updated"][-1]
    assert event["changed"] == ["password"]


def test_update_contact_gives_a_login_later(db, client):
    contact = contacts.add_contact(db, client.id, {"email": "late@example.com"})
    contacts.update_contact(db, contact.id, {"password": "late-pass"})
    assert contact.user_id is not None
    assert _link(db, contact.user_id, client.id) is not None


def test_update_contact_email_clash(db, client):
    contacts.add_contact(db, client.id, {"email": "a@example.com"})
    second = contacts.add_contact(db, client.id, {"email": "b@example.com"})
    with pytest.raises(Conflict):
        contacts.update_contact(db, second.id, {"email": "A@example.com"})


def test_delete_contact_removes_its_access_but_keeps_the_user(db, client):
    contact = contacts.add_contact(db, client.id, {"email": "gone@example.com",
                                                   "password": "pw"})
    client.billing_contact_id = contact.id
    user_id = contact.user_id
    contacts.delete_contact(db, contact.id)
    assert db.get(Contact, contact.id) is None
    assert _link(db, user_id, client.id) is None
    assert db.get(User, user_id) is not None
    assert client.billing_contact_id is None
    assert client.contacts == []
    assert ("contact_deleted", {"contact_id": contact.id, "client_id": client.id}) in \
        pending_events(db)
