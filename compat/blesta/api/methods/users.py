"""Users (``users``): login identities. A hostbridge user's username is its email address;
password hashes and two-factor secrets are never printed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select

from bridge.errors import PermissionDenied, ValidationFailed
from bridge.models import User
from bridge.security import verify_password
from bridge.services.access import (
    add_user,
    authenticate_admin,
    authenticate_user,
    find_user_by_email,
    set_user_password,
)
from bridge.services.login_users import delete_users_without_clients, update_user

from ..args import id_or_none
from ..format import stamp
from ..registry import MethodCall, invalid, method
from ._people import flag, req_int, text

SECRET_NOTES = "password, two_factor_key and two_factor_pin print as null (never exposed)"


def user_row(user: User) -> dict[str, Any]:
    """A ``users`` row without its secrets."""
    return {"id": user.id, "username": user.email, "password": None, "recovery_email": None,
            "two_factor_mode": user.two_factor or "none", "two_factor_key": None,
            "two_factor_pin": None, "date_added": stamp(user.created_at)}


@contextmanager
def _as_username() -> Iterator[None]:
    """Core errors name the ``email`` field; Blesta callers know it as ``username``."""
    try:
        yield
    except ValidationFailed as exc:
        errors = {("username" if k == "email" else k): v for k, v in exc.errors.items()}
        raise ValidationFailed(errors) from exc


def _passwords(vars_: dict[str, Any]) -> str | None:
    password = vars_.get("new_password")
    if password is None or password == "":
        return None
    if vars_.get("confirm_password") is not None and vars_["confirm_password"] != password:
        raise invalid("confirm_password", "matches", "The passwords do not match.")
    return str(password)


def _require_user(call: MethodCall) -> User:
    user = call.session.get(User, req_int(call, "user_id"))
    if user is None:
        raise invalid("user_id", "exists", "Invalid user ID.")
    return user


@method("users", "get", status="partial", notes=SECRET_NOTES)
def get(call: MethodCall) -> Any:
    """One user, or false."""
    user = call.session.get(User, req_int(call, "user_id"))
    return user_row(user) if user is not None else False


@method("users", "getByUsername", status="partial", notes=SECRET_NOTES + "; staff usernames "
        "are not users")
def get_by_username(call: MethodCall) -> Any:
    """The user whose username (email) is ``username``, or false."""
    user = find_user_by_email(call.session, text(call.arg("username")))
    return user_row(user) if user is not None else False


@method("users", "getByEmail", status="partial", notes=SECRET_NOTES)
def get_by_email(call: MethodCall) -> Any:
    """The user with ``email``, or false."""
    user = find_user_by_email(call.session, text(call.arg("email")))
    return user_row(user) if user is not None else False


@method("users", "getAllByEmail", status="partial", notes=SECRET_NOTES)
def get_all_by_email(call: MethodCall) -> Any:
    """Every user with ``email`` (at most one: emails are unique)."""
    email = text(call.arg("email")).lower()
    users = call.session.scalars(select(User).where(func.lower(User.email) == email)
                                 .order_by(User.id))
    return [user_row(u) for u in users]


@method("users", "add", status="partial",
        notes="the username must be an email address; recovery_email and two-factor are not kept")
def add(call: MethodCall) -> Any:
    """Create a login user; returns the new id."""
    vars_ = call.vars()
    username = text(vars_.get("username"))
    if not username:
        raise invalid("username", "empty", "Please enter a username.")
    password = _passwords(vars_)
    if password is None:
        raise invalid("new_password", "empty", "Please enter a password.")
    with _as_username():
        user = add_user(call.session, username, password)
    return str(user.id)


@method("users", "edit", status="partial",
        notes="username (an email) and password only; two-factor settings are refused")
def edit(call: MethodCall) -> Any:
    """Change a user's username or password (``validate_pass`` checks ``current_password``)."""
    user = _require_user(call)
    vars_ = call.vars()
    if text(vars_.get("two_factor_mode")) not in ("", "none"):
        raise invalid("two_factor_mode", "supported",
                      "hostbridge does not set two-factor authentication through the API.")
    password = _passwords(vars_)
    if password is not None and flag(call.arg("validate_pass"), False):
        current = str(vars_.get("current_password") or "")
        if not verify_password(current, user.password_hash).ok:
            raise invalid("current_password", "matches", "The current password is incorrect.")
    if text(vars_.get("username")):
        with _as_username():
            update_user(call.session, user.id, email=text(vars_["username"]))
    if password is not None:
        set_user_password(call.session, user.id, password)
    return None


@method("users", "delete", status="partial",
        notes="refused while the user still reaches a client (remove the links first)")
def delete(call: MethodCall) -> Any:
    """Delete a user that reaches no client."""
    user = _require_user(call)
    if not delete_users_without_clients(call.session, [user.id]):
        raise invalid("user_id", "in_use", f"User {user.id} still reaches a client; remove "
                      "its client and contact links first.")
    return None


@method("users", "auth", status="partial",
        notes="client and contact logins are users (by email); staff log in by username")
def auth(call: MethodCall) -> Any:
    """Whether ``vars[password]`` is right for ``username`` (a user id or username)."""
    vars_ = call.vars()
    password = str(vars_.get("password") or "")
    kind = text(call.arg("type", "any")).lower() or "any"
    username = text(call.arg("username")) or text(vars_.get("username"))
    user_id = id_or_none(username)
    if user_id is not None:
        user = call.session.get(User, user_id)
        username = user.email if user is not None else username
    try:
        if kind in ("any", "client", "contact"):
            try:
                authenticate_user(call.session, username, password)
                return True
            except PermissionDenied:
                if kind != "any":
                    raise
        if kind in ("any", "staff"):
            authenticate_admin(call.session, username, password)
            return True
    except PermissionDenied:
        return False
    return False
