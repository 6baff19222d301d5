"""users/* (login identities) and staff/* (admins: read and edit)."""

from __future__ import annotations

import pytest

from bridge.context import Actor
from bridge.models import Admin, AdminRole, User
from bridge.security import verify_password
from bridge.services.access import add_admin

USER_HEADERS = {"BLESTA-API-USER": "blesta-test-user",
                "BLESTA-API-KEY": "blesta-test-key-0123456789"}


@pytest.fixture
def seed(blesta_app):
    def run(fn):
        with blesta_app.extensions["bridge"].transaction(Actor(source="test")) as session:
            return fn(session)
    return run


@pytest.fixture
def send(blesta_app):
    """Like ``call`` but takes a params dict (for parameters named ``user`` or ``key``)."""
    web = blesta_app.test_client()

    def do(verb, path, params):
        where = "query_string" if verb == "GET" else "data"
        response = web.open(f"/api/{path}.json", method=verb, headers=USER_HEADERS,
                            **{where: params})
        return response.status_code, response.get_json()
    return do


def add_user(call, username="u@example.com", password="pw-123456789"):
    status, body = call("POST", "users/add", **{
        "vars[username]": username, "vars[new_password]": password,
        "vars[confirm_password]": password})
    assert status == 200, body
    return body["response"]


def test_add_get_and_lookups_hide_secrets(call):
    user_id = add_user(call)
    assert isinstance(user_id, str)
    got = call("GET", "users/get", user_id=user_id)[1]["response"]
    assert got["id"] == int(user_id) and got["username"] == "u@example.com"
    assert got["password"] is None and got["two_factor_mode"] == "none"
    assert got["date_added"] and len(got["date_added"]) == 19
    assert call("GET", "users/getByUsername", username="U@example.com")[1]["response"]["id"] == \
        int(user_id)
    assert call("GET", "users/getByEmail", email="u@example.com")[1]["response"]["id"] == \
        int(user_id)
    assert [u["id"] for u in call("GET", "users/getAllByEmail",
                                  email="u@example.com")[1]["response"]] == [int(user_id)]
    assert call("GET", "users/get", user_id=999)[1] == {"response": False}
    assert call("GET", "users/getByUsername", username="x@example.com")[1] == {"response": False}


def test_add_validates(call):
    status, body = call("POST", "users/add", **{"vars[username]": "a@example.com",
                                                "vars[new_password]": "one",
                                                "vars[confirm_password]": "two"})
    assert status == 400 and "confirm_password" in body["errors"]
    status, body = call("POST", "users/add", **{"vars[username]": "not-an-email",
                                                "vars[new_password]": "pw"})
    assert status == 400 and "username" in body["errors"]
    add_user(call)
    status, body = call("POST", "users/add", **{"vars[username]": "u@example.com",
                                                "vars[new_password]": "pw"})
    assert status == 400 and "already exists" in body["errors"]["_"]["conflict"]


def test_edit_username_and_password(call, seed):
    user_id = add_user(call)
    status, body = call("PUT", "users/edit", user_id=user_id, validate_pass="true", **{
        "vars[new_password]": "new-password-1", "vars[current_password]": "wrong"})
    assert status == 400 and "current_password" in body["errors"]
    assert call("PUT", "users/edit", user_id=user_id, validate_pass="true", **{
        "vars[new_password]": "new-password-1", "vars[confirm_password]": "new-password-1",
        "vars[current_password]": "pw-123456789", "vars[username]": "v@example.com"}) == \
        (200, {"response": None})
    stored = seed(lambda s: s.get(User, int(user_id)))
    assert stored.email == "v@example.com"
    assert verify_password("new-password-1", stored.password_hash).ok
    status, body = call("PUT", "users/edit", user_id=user_id, **{"vars[two_factor_mode]": "totp"})
    assert status == 400 and "two_factor_mode" in body["errors"]


def test_auth_checks_users_and_staff(call, send, seed):
    add_user(call)
    seed(lambda s: add_admin(s, "boss", "staff-pass-1").id)
    assert send("POST", "users/auth", {"username": "u@example.com",
                                       "vars[password]": "pw-123456789"})[1] == \
        {"response": True}
    assert send("POST", "users/auth", {"username": "u@example.com",
                                       "vars[password]": "nope"})[1] == {"response": False}
    assert send("POST", "users/auth", {"username": "boss", "vars[password]": "staff-pass-1",
                                       "type": "staff"})[1] == {"response": True}
    assert send("POST", "users/auth", {"username": "boss", "vars[password]": "staff-pass-1",
                                       "type": "client"})[1] == {"response": False}
    assert send("POST", "users/auth", {"username": "boss",
                                       "vars[password]": "staff-pass-1"})[1] == \
        {"response": True}


def test_delete_refuses_linked_users(call, seed):
    lonely = add_user(call, "lonely@example.com")
    status, body = call("POST", "clients/create", **{
        "vars[first_name]": "A", "vars[last_name]": "B", "vars[email]": "owner@example.com",
        "vars[new_password]": "pw-123456789"})
    owner = body["response"]["user_id"]
    assert call("DELETE", "users/delete", user_id=lonely) == (200, {"response": None})
    assert seed(lambda s: s.get(User, int(lonely))) is None
    status, body = call("DELETE", "users/delete", user_id=owner)
    assert status == 400 and "in_use" in body["errors"]["user_id"]
    assert call("DELETE", "users/delete", user_id=999)[0] == 400


def _staff(session):
    role = AdminRole(name="Support", permissions=["tickets"])
    session.add(role)
    session.flush()
    ann = Admin(username="ann", first_name="Ann", last_name="A", email="ann@example.com",
                role_id=role.id)
    bob = Admin(username="bob", first_name="Bob", last_name="B", email="bob@example.com",
                disabled=True)
    session.add_all([ann, bob])
    session.flush()
    return role.id, ann.id, bob.id


def test_staff_get_and_lists(call, seed):
    role_id, ann, bob = seed(_staff)
    got = call("GET", "staff/get", staff_id=ann)[1]["response"]
    assert got["first_name"] == "Ann" and got["status"] == "active"
    assert got["user_id"] is None
    assert got["groups"] == [{"id": role_id, "company_id": 1, "name": "Support"}]
    assert call("GET", "staff/get", staff_id=999)[1] == {"response": False}
    everyone = call("GET", "staff/getAll")[1]["response"]
    assert [s["id"] for s in everyone] == [ann, bob] and "groups" not in everyone[0]
    assert [s["id"] for s in call("GET", "staff/getAll", status="inactive")[1]["response"]] == \
        [bob]
    assert [s["id"] for s in call("GET", "staff/getAll",
                                  staff_group_id=role_id)[1]["response"]] == [ann]
    listed = call("GET", "staff/getList", **{"order_by[first_name]": "DESC"})[1]["response"]
    assert [s["id"] for s in listed] == [bob, ann]
    assert call("GET", "staff/getListCount", status="active")[1] == {"response": 1}
    assert call("GET", "staff/getListCount", status="gone")[0] == 400


def test_staff_edit(call, seed):
    role_id, ann, bob = seed(_staff)
    assert call("POST", "staff/edit", staff_id=bob, **{
        "vars[first_name]": "Robert", "vars[status]": "active",
        "vars[groups][0]": role_id}) == (200, {"response": None})
    got = call("GET", "staff/get", staff_id=bob)[1]["response"]
    assert (got["first_name"], got["last_name"], got["status"]) == ("Robert", "B", "active")
    assert got["groups"] == [{"id": role_id, "company_id": 1, "name": "Support"}]
    status, body = call("POST", "staff/edit", staff_id=ann, **{
        "vars[email]": "not-an-email", "vars[groups][0]": 999})
    assert status == 400 and set(body["errors"]) == {"email", "groups"}, body
    status, body = call("POST", "staff/edit", staff_id=ann, **{"vars[status]": "gone"})
    assert status == 400 and "status" in body["errors"]
    assert call("POST", "staff/edit", staff_id=999, **{"vars[first_name]": "X"})[0] == 400
    # the last active admin cannot be switched off
    call("POST", "staff/edit", staff_id=bob, **{"vars[status]": "inactive"})
    status, body = call("POST", "staff/edit", staff_id=ann, **{"vars[status]": "inactive"})
    assert status == 400 and "last active admin" in str(body["errors"]), body
