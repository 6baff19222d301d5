"""client_groups/*: add, edit, get, lists, default, company scoping."""

from __future__ import annotations

import pytest

from bridge.context import Actor
from bridge.models import ClientGroup, Company


@pytest.fixture
def seed(blesta_app):
    def run(fn):
        with blesta_app.extensions["bridge"].transaction(Actor(source="test")) as session:
            return fn(session)
    return run


def add_group(call, name, **extra):
    status, body = call("POST", "client_groups/add", **{"vars[name]": name, **extra})
    assert status == 200, body
    return body["response"]


def test_add_returns_string_id_and_get_prints_the_row(call):
    group_id = add_group(call, "VIP", **{"vars[description]": "Best", "vars[color]": "#ff0000",
                                         "vars[company_id]": 1})
    assert isinstance(group_id, str)
    got = call("GET", "client_groups/get", client_group_id=group_id)[1]["response"]
    assert got == {"id": int(group_id), "company_id": 1, "name": "VIP", "description": "Best",
                   "color": "#ff0000"}
    assert call("GET", "client_groups/get", client_group_id=99)[1] == {"response": False}


def test_add_validates(call):
    status, body = call("POST", "client_groups/add", **{"vars[description]": "no name"})
    assert status == 400 and "name" in body["errors"]
    status, body = call("POST", "client_groups/add", **{"vars[name]": "X",
                                                        "vars[company_id]": 7})
    assert status == 400 and "company_id" in body["errors"]


def test_edit(call):
    group_id = add_group(call, "Old")
    assert call("PUT", "client_groups/edit", client_group_id=group_id,
                **{"vars[name]": "New", "vars[color]": "#000"}) == (200, {"response": None})
    got = call("GET", "client_groups/get", client_group_id=group_id)[1]["response"]
    assert got["name"] == "New" and got["color"] == "#000"
    status, body = call("PUT", "client_groups/edit", client_group_id=group_id,
                        **{"vars[name]": ""})
    assert status == 400 and "name" in body["errors"]
    assert call("PUT", "client_groups/edit", client_group_id=999,
                **{"vars[name]": "X"})[0] == 400


def test_lists_by_name_and_default_is_the_oldest(call):
    for name in ("Charlie", "Alpha", "Bravo"):
        add_group(call, name)
    names = [g["name"] for g in call("GET", "client_groups/getAll", company_id=1)[1]["response"]]
    assert names == ["Alpha", "Bravo", "Charlie"]
    listed = call("GET", "client_groups/getList", company_id=1,
                  **{"order_by[name]": "DESC"})[1]["response"]
    assert [g["name"] for g in listed] == ["Charlie", "Bravo", "Alpha"]
    assert call("GET", "client_groups/getList", company_id=1, page=2)[1] == {"response": []}
    assert call("GET", "client_groups/getListCount", company_id=1)[1] == {"response": 3}
    assert call("GET", "client_groups/getDefault", company_id=1)[1]["response"]["name"] == \
        "Charlie"


def other_company_group(session):
    """A second company with a client group of its own; returns the group's id."""
    session.add(Company(id=2, name="Other"))
    session.flush()
    group = ClientGroup(name="Theirs", company_id=2)
    session.add(group)
    session.flush()
    return group.id


def test_groups_of_another_company(call, seed):
    theirs = seed(other_company_group)
    add_group(call, "Ours")
    assert call("GET", "client_groups/get", client_group_id=theirs)[1] == {"response": False}
    assert [g["name"] for g in call("GET", "client_groups/getAll", company_id=2)[1][
        "response"]] == ["Ours", "Theirs"]  # groups without a company belong to every one
    assert call("GET", "client_groups/getDefault", company_id=3)[1]["response"]["name"] == "Ours"
    assert call("PUT", "client_groups/edit", client_group_id=theirs,
                **{"vars[name]": "Mine"})[0] == 400


def test_delete_moves_clients_to_the_default_group(call):
    default = add_group(call, "Default")
    doomed = add_group(call, "Doomed")
    status, body = call("POST", "clients/create", **{
        "vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": "jo@example.com",
        "vars[client_group_id]": doomed})
    assert status == 200, body
    client_id = body["response"]["id"]
    assert call("DELETE", "client_groups/delete",
                client_group_id=doomed) == (200, {"response": None})
    assert call("GET", "client_groups/get", client_group_id=doomed)[1] == {"response": False}
    got = call("GET", "clients/get", client_id=client_id)[1]["response"]
    assert got["client_group_id"] == int(default) and got["group_name"] == "Default"
    status, body = call("DELETE", "client_groups/delete", client_group_id=default)
    assert status == 400 and body["errors"]["client_group_id"] == {
        "is_default": "The default client group cannot be deleted."}
    assert call("DELETE", "client_groups/delete", client_group_id=999)[0] == 400


def test_delete_refuses_another_companys_group(call, seed):
    add_group(call, "Ours")
    theirs = seed(other_company_group)
    status, body = call("DELETE", "client_groups/delete", client_group_id=theirs)
    assert status == 400 and "client_group_id" in body["errors"]
