"""Contacts of a client (WHMCS tblcontacts, Blesta contacts): billing/technical people who
receive chosen mails and, with a password, log in as a user linked to the client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Contact, UserClient
from bridge.schemas.clients import ContactSchema

from .access import add_user, find_user_by_email, link_user, set_user_password
from .common import apply_fields, get_or_404, log_activity, validate


def _normalise(values: dict[str, Any]) -> None:
    if "country" in values:
        values["country"] = values["country"].upper()
    if "email" in values:
        values["email"] = values["email"].strip()
    for key in ("email_preferences", "permissions"):
        if key in values:
            values[key] = list(dict.fromkeys(values[key]))


def _check_unique_email(
    session: Session, client_id: int, email: str, contact_id: int | None
) -> None:
    query = select(Contact.id).where(Contact.client_id == client_id,
                                     func.lower(Contact.email) == email.lower())
    if contact_id is not None:
        query = query.where(Contact.id != contact_id)
    if email and session.scalar(query.limit(1)) is not None:
        raise Conflict(f"client {client_id} already has a contact with email {email}")


def _login_for(
    session: Session, contact: Contact, password: str, permissions: list[str]
) -> None:
    """Give the contact a login: a user with its email (new, or the existing one) linked to
    the client with the contact's permissions, never as owner."""
    user = find_user_by_email(session, contact.email)
    if user is None:
        user = add_user(session, contact.email, password, first_name=contact.first_name,
                        last_name=contact.last_name)
    existing = session.scalar(select(UserClient).where(
        UserClient.user_id == user.id, UserClient.client_id == contact.client_id))
    owner = existing is not None and existing.is_owner  # never demote the account owner
    link_user(session, user.id, contact.client_id, owner=owner, permissions=permissions)
    contact.user_id = user.id


def add_contact(session: Session, client_id: int, data: Mapping[str, Any]) -> Contact:
    """Add a contact to a client.

    ``email_preferences`` lists the mails it receives (general, invoice, product, domain,
    support, affiliate). With ``password`` the contact gets a login: a user with its email
    linked to the client with ``permissions``. Raises NotFound for the client, Conflict for a
    second contact of the client with the same email, ValidationFailed for bad input (a
    password without an email included).
    """
    client = get_or_404(session, Client, client_id, "Client")
    values = validate(ContactSchema, data)
    password = values.pop("password", None)
    _normalise(values)
    email = values.get("email", "")
    if password and not email:
        raise ValidationFailed.single("email", "required", "a contact with a login needs an email")
    _check_unique_email(session, client.id, email, None)
    contact = Contact(client_id=client.id, **values)
    session.add(contact)
    session.flush()
    if password:
        _login_for(session, contact, password, contact.permissions)
    log_activity(session, "contact.added", f"Contact {email or contact.id} added",
                 client_id=client.id, subject=("contact", contact.id))
    emit(session, "contact_added", contact_id=contact.id, client_id=client.id)
    return contact


def update_contact(session: Session, contact_id: int, data: Mapping[str, Any]) -> Contact:
    """Change fields of a contact; a ``password`` gives it a login (or a new password via the
    linked user). Permissions changes follow to the user's client link."""
    contact = get_or_404(session, Contact, contact_id, "Contact")
    values = validate(ContactSchema, data, partial=True)
    password = values.pop("password", None)
    _normalise(values)
    if values.get("email"):
        _check_unique_email(session, contact.client_id, values["email"], contact.id)
    changed = apply_fields(contact, values)
    if password:
        if contact.user_id is not None:
            set_user_password(session, contact.user_id, password)
        elif not contact.email:
            raise ValidationFailed.single("email", "required",
                                          "a contact with a login needs an email")
        else:
            _login_for(session, contact, password, contact.permissions)
        changed.append("password")
    elif "permissions" in changed and contact.user_id is not None:
        link = session.scalar(select(UserClient).where(
            UserClient.user_id == contact.user_id, UserClient.client_id == contact.client_id))
        if link is not None:
            link.permissions = list(contact.permissions)
    if changed:
        log_activity(session, "contact.updated", f"Contact {contact.id} updated",
                     client_id=contact.client_id, subject=("contact", contact.id),
                     data={"changed": changed})
        emit(session, "contact_updated", contact_id=contact.id, client_id=contact.client_id,
             changed=changed)
    return contact


def delete_contact(session: Session, contact_id: int) -> None:
    """Delete a contact; its login loses access to the client (the user itself stays, it may
    reach other clients). A client's owner link is never removed this way."""
    contact = get_or_404(session, Contact, contact_id, "Contact")
    client_id = contact.client_id
    if contact.user_id is not None:
        link = session.scalar(select(UserClient).where(
            UserClient.user_id == contact.user_id, UserClient.client_id == client_id))
        if link is not None and not link.is_owner:
            session.delete(link)
    client = session.get(Client, client_id)
    if client is not None and client.billing_contact_id == contact.id:
        client.billing_contact_id = None
    session.delete(contact)
    session.flush()
    if client is not None:
        session.expire(client, ["contacts"])
    log_activity(session, "contact.deleted", f"Contact {contact_id} deleted",
                 client_id=client_id, subject=("contact", contact_id))
    emit(session, "contact_deleted", contact_id=contact_id, client_id=client_id)
