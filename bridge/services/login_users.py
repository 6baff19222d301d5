"""Managing login users beyond sign-up: profile changes, which clients they reach and with what
permissions, invites to a client, and removing users nobody needs any more.

Creating users, linking them and checking passwords live in :mod:`bridge.services.access`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from marshmallow import fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Contact, Ticket, User, UserClient
from bridge.models.sso import AccessToken

from .access import find_user_by_email, link_user
from .common import get_or_404, log_activity
from .sso import INVITE_LIFETIME, new_token, redeem_token

# what a non-owner user may do for a client (WHMCS GetPermissionsList names)
CLIENT_PERMISSIONS = (
    "profile", "contacts", "products", "manageproducts", "productsso", "domains",
    "managedomains", "invoices", "quotes", "tickets", "affiliates", "emails", "orders",
)
_EMAIL = fields.Email(validate=validate.Length(max=255))


def _checked_email(email: str) -> str:
    text = email.strip()
    try:
        _EMAIL.deserialize(text)
    except Exception as exc:  # marshmallow.ValidationError
        raise ValidationFailed.single("email", "email", f"{email!r} is not a valid email "
                                      "address") from exc
    return text


def _checked_permissions(permissions: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(p.strip().lower() for p in permissions if p.strip()))
    unknown = [p for p in chosen if p not in CLIENT_PERMISSIONS]
    if unknown:
        raise ValidationFailed.single(
            "permissions", "one_of", f"unknown permission(s) {', '.join(unknown)}; use "
            f"{', '.join(CLIENT_PERMISSIONS)}")
    return chosen


def update_user(
    session: Session,
    user_id: int,
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    language: str | None = None,
) -> User:
    """Change a user's email, names or language (only those given).

    Raises NotFound for the user, ValidationFailed for a malformed email, Conflict when
    another user has that email (any letter case). Emits user_updated with the changed names.
    """
    user = get_or_404(session, User, user_id, "User")
    changed: list[str] = []
    if email is not None and email.strip().lower() != user.email.lower():
        new_email = _checked_email(email)
        other = find_user_by_email(session, new_email)
        if other is not None and other.id != user.id:
            raise Conflict(f"a user with email {new_email} already exists (user {other.id})")
        user.email = new_email
        changed.append("email")
    for attr, value in (("first_name", first_name), ("last_name", last_name),
                        ("language", language)):
        if value is not None and getattr(user, attr) != value.strip():
            setattr(user, attr, value.strip())
            changed.append(attr)
    if changed:
        session.flush()
        log_activity(session, "user.updated", f"User {user.id} updated: {', '.join(changed)}",
                     subject=("user", user.id), data={"changed": changed})
        emit(session, "user_updated", user_id=user.id, changed=changed)
    return user


def _link(session: Session, user_id: int, client_id: int) -> UserClient:
    get_or_404(session, User, user_id, "User")
    get_or_404(session, Client, client_id, "Client")
    link = session.scalar(select(UserClient).where(UserClient.user_id == user_id,
                                                   UserClient.client_id == client_id))
    if link is None:
        raise Conflict(f"user {user_id} is not linked to client {client_id}")
    return link


def unlink_user(session: Session, user_id: int, client_id: int) -> None:
    """Take client ``client_id`` away from user ``user_id`` (the user itself stays).

    Raises NotFound for the user or client, Conflict when they are not linked or the user is
    the client's owner (make another user owner first). Emits user_unlinked.
    """
    link = _link(session, user_id, client_id)
    if link.is_owner:
        raise Conflict(f"user {user_id} owns client {client_id}; the owner cannot be removed")
    session.delete(link)
    session.flush()
    log_activity(session, "user.unlinked", f"User {user_id} removed from client {client_id}",
                 client_id=client_id, subject=("user", user_id))
    emit(session, "user_unlinked", user_id=user_id, client_id=client_id)


def set_user_permissions(
    session: Session, user_id: int, client_id: int, permissions: Sequence[str]
) -> UserClient:
    """Replace what a linked, non-owner user may do for a client.

    Permissions are :data:`CLIENT_PERMISSIONS` names. Raises NotFound for the user or client,
    Conflict when they are not linked or the user is the owner (owners may do everything),
    ValidationFailed for an empty or unknown permission.
    """
    link = _link(session, user_id, client_id)
    if link.is_owner:
        raise Conflict(f"user {user_id} owns client {client_id}; owners have every permission")
    chosen = _checked_permissions(permissions)
    if not chosen:
        raise ValidationFailed.single("permissions", "required", "give at least one permission")
    return link_user(session, user_id, client_id, owner=False, permissions=chosen)


def delete_users_without_clients(session: Session, user_ids: Iterable[int]) -> list[int]:
    """Delete those of ``user_ids`` that reach no client any more; return the deleted ids.

    Contacts and tickets that pointed at a deleted user keep their data and lose the link.
    Emits user_deleted per user.
    """
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    linked = set(session.scalars(select(UserClient.user_id).where(
        UserClient.user_id.in_(wanted))))
    deleted: list[int] = []
    for user in list(session.scalars(select(User).where(User.id.in_(wanted)))):
        if user.id in linked:
            continue
        for contact in session.scalars(select(Contact).where(Contact.user_id == user.id)):
            contact.user_id = None
        for ticket in session.scalars(select(Ticket).where(Ticket.user_id == user.id)):
            ticket.user_id = None
        email = user.email
        session.delete(user)
        deleted.append(user.id)
        log_activity(session, "user.deleted", f"User {email} deleted (no clients left)",
                     subject=("user", user.id))
        emit(session, "user_deleted", user_id=user.id)
    session.flush()
    return deleted


def invite_user(
    session: Session, client_id: int, email: str, permissions: Sequence[str]
) -> tuple[AccessToken, str]:
    """Invite ``email`` to reach a client with ``permissions``; return the invite and its
    plain token (valid 7 days).

    The plain token is the only copy, for the caller that delivers the invite link; the
    emitted client_invite_created carries ids only, since event payloads may be logged. Raises
    NotFound for the client, ValidationFailed for a bad email or no/unknown permissions,
    Conflict when a user with that email already reaches the client.
    """
    get_or_404(session, Client, client_id, "Client")
    address = _checked_email(email)
    chosen = _checked_permissions(permissions)
    if not chosen:
        raise ValidationFailed.single("permissions", "required", "give at least one permission")
    user = find_user_by_email(session, address)
    if user is not None and session.scalar(select(func.count()).select_from(UserClient).where(
            UserClient.user_id == user.id, UserClient.client_id == client_id)):
        raise Conflict(f"user {address} already reaches client {client_id}")
    row, plain = new_token(session, "invite", INVITE_LIFETIME, client_id=client_id,
                           email=address, permissions=chosen,
                           user_id=user.id if user is not None else None)
    log_activity(session, "client.invite_created", f"{address} invited to client {client_id}",
                 client_id=client_id, subject=("access_token", row.id),
                 data={"permissions": chosen})
    emit(session, "client_invite_created", invite_id=row.id, client_id=client_id)
    return row, plain


def accept_invite(session: Session, token: str, user_id: int) -> UserClient:
    """Accept an invite as user ``user_id``: link the user to the invite's client with its
    permissions. PermissionDenied for an unknown, used or expired token."""
    row = redeem_token(session, token, "invite")
    assert row.client_id is not None  # invites are always issued for a client
    return link_user(session, user_id, row.client_id, owner=False,
                     permissions=row.permissions)
