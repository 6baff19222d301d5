"""Users group (WHMCS 8 login identities): AddUser, UpdateUser, GetUsers, ResetPassword,
permissions and client invites."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, User, UserClient
from bridge.services.access import add_user
from bridge.services.login_users import (
    CLIENT_PERMISSIONS,
    invite_user,
    set_user_permissions,
    unlink_user,
    update_user,
)
from bridge.services.sso import request_password_reset

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action

ADD_USER_REQUIRED = (
    ("firstname", "You did not enter a first name"),
    ("lastname", "You did not enter a last name"),
    ("email", "You did not enter an email address"),
    ("password2", "You did not enter a password"),
)
DELIVERY_NOTE = ("the {what} token is issued (stored hashed) and {event} is emitted, but no "
                 "mail with the link is queued: there is no client-area page to link to yet")


def _user_and_client(req: ApiRequest) -> tuple[User, Client]:
    user = req.session.get(User, req.integer("user_id") or 0)
    if user is None:
        raise ApiError("Invalid user id")
    client = req.session.get(Client, req.integer("client_id") or 0)
    if client is None:
        raise ApiError("Invalid client id")
    return user, client


def _link(req: ApiRequest, user: User, client: Client) -> UserClient:
    link = req.session.scalar(select(UserClient).where(UserClient.user_id == user.id,
                                                       UserClient.client_id == client.id))
    if link is None:
        raise ApiError("User is not associated with client")
    return link


def _permissions(req: ApiRequest) -> list[str]:
    return [str(p).strip().lower() for p in req.array("permissions") if str(p).strip()]


@action("AddUser")
def add_user_action(req: ApiRequest) -> dict[str, Any]:
    """Create a login user."""
    for field, message in ADD_USER_REQUIRED:
        if not req.text(field):
            raise ApiError(message)
    try:
        user = add_user(req.session, req.text("email"), req.text("password2"),
                        first_name=req.text("firstname"), last_name=req.text("lastname"))
    except Conflict as exc:
        raise ApiError("A user already exists with that email address") from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address entered is not valid") from exc
        raise ApiError(exc.message) from exc
    if req.text("language"):
        update_user(req.session, user.id, language=req.text("language"))
    return {"user_id": str(user.id)}


@action("UpdateUser")
def update_user_action(req: ApiRequest) -> dict[str, Any]:
    """Change a user's email, names or language."""
    user = req.session.get(User, req.integer("user_id") or 0)
    if user is None:
        raise ApiError("Invalid User ID requested")
    wanted = {core: req.text(wire) for wire, core in (
        ("email", "email"), ("firstname", "first_name"), ("lastname", "last_name"),
        ("language", "language")) if req.text(wire)}
    if not wanted:
        raise ApiError("One of email, firstname, lastname, or language is required")
    try:
        update_user(req.session, user.id, **wanted)
    except Conflict as exc:
        raise ApiError("A user already exists with that email address") from exc
    except ValidationFailed as exc:
        raise ApiError("The email address entered is not valid") from exc
    return {"user_id": str(user.id)}


@action("GetUsers")
def get_users(req: ApiRequest) -> dict[str, Any]:
    """Page through users (a flat ``users`` list), with the clients each one reaches."""
    start, num = req.page()
    query = select(User)
    search = req.text("search")
    if search:
        like = f"{search}%"
        query = query.where(or_(User.email.like(like), User.first_name.like(like),
                                User.last_name.like(like),
                                (User.first_name + " " + User.last_name).like(like)))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    direction = User.id.desc() if req.text("sorting").upper() == "DESC" else User.id.asc()
    users = list(req.session.scalars(query.order_by(direction).offset(start).limit(num)))
    links: dict[int, list[dict[str, Any]]] = {u.id: [] for u in users}
    if users:
        for link in req.session.scalars(select(UserClient).where(
                UserClient.user_id.in_(list(links))).order_by(UserClient.client_id)):
            links[link.user_id].append({"id": link.client_id, "isOwner": link.is_owner})
    rows = [{"id": u.id, "firstname": u.first_name, "lastname": u.last_name, "email": u.email,
             "datecreated": ymd_his(u.created_at), "validationdata": "",
             "clients": links[u.id]} for u in users]
    return {"totalresults": int(total), "startnumber": start, "numreturned": len(rows),
            "users": rows}


@action("GetPermissionsList")
def get_permissions_list(req: ApiRequest) -> dict[str, Any]:
    """The permission names a non-owner user can be given for a client."""
    # WHMCS's documented example answers "status" (as well as our "result")
    return {"status": "success", "permissions": {"permission": list(CLIENT_PERMISSIONS)}}


@action("GetUserPermissions")
def get_user_permissions(req: ApiRequest) -> dict[str, Any]:
    """What a user may do for a client (an owner may do everything)."""
    user, client = _user_and_client(req)
    link = _link(req, user, client)
    names = list(CLIENT_PERMISSIONS) if link.is_owner else list(link.permissions)
    return {"permissions": {"permission": names}}


@action("UpdateUserPermissions")
def update_user_permissions(req: ApiRequest) -> dict[str, Any]:
    """Replace a non-owner user's permissions for a client."""
    user, client = _user_and_client(req)
    link = _link(req, user, client)
    if link.is_owner:
        raise ApiError("Permissions cannot be set on a client owner")
    names = _permissions(req)
    if not names:
        raise ApiError("Missing permissions definition")
    try:
        set_user_permissions(req.session, user.id, client.id, names)
    except ValidationFailed as exc:
        raise ApiError(exc.message) from exc
    return {}


@action("DeleteUserClient")
def delete_user_client(req: ApiRequest) -> dict[str, Any]:
    """Take a client away from a user (never from its owner)."""
    user, client = _user_and_client(req)
    if _link(req, user, client).is_owner:
        raise ApiError("You cannot remove the account owner")
    unlink_user(req.session, user.id, client.id)
    return {}


@action("CreateClientInvite", status="partial",
        notes=DELIVERY_NOTE.format(what="invite", event="client_invite_created"))
def create_client_invite(req: ApiRequest) -> dict[str, Any]:
    """Invite an email address to reach a client with the given permissions."""
    if req.session.get(Client, req.integer("client_id") or 0) is None:
        raise ApiError("Invalid client id")
    if not req.text("email"):
        raise ApiError("Email is required")
    names = _permissions(req)
    if not names:
        raise ApiError("User permissions are required")
    try:
        invite_user(req.session, req.integer("client_id") or 0, req.text("email"), names)
    except Conflict as exc:
        raise ApiError("User already associated with client") from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address entered is not valid") from exc
        raise ApiError(exc.message) from exc
    return {}


@action("ResetPassword", status="partial",
        notes=DELIVERY_NOTE.format(what="reset",
                                  event="user_password_reset_requested"))
def reset_password(req: ApiRequest) -> dict[str, Any]:
    """Start the password reset of a user (by id or email)."""
    user_id = req.integer("id")
    email = req.text("email")
    if user_id is None and not email:
        raise ApiError("Please enter the email address or provide the id")
    if user_id is not None:
        user = req.session.get(User, user_id)
    else:
        if "@" not in email:
            raise ApiError("Please provide a valid email address")
        user = req.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise ApiError("User Not Found")
    request_password_reset(req.session, user.id)
    return {}
