"""contacts/*: add, edit, delete, get, lists, numbers, permissions, static tables."""

from __future__ import annotations

import pytest

from bridge.context import Actor
from bridge.models import Client, Company, Contact, UserClient
from bridge.testing import ensure_currency


def new_client(call, email="owner@example.com"):
    status, body = call("POST", "clients/create", **{
        "vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": email})
    assert status == 200, body
    return body["response"]["id"]


def add_contact(call, client_id, first="Bea", last="Bills", **extra):
    params = {"vars[client_id]": client_id, "vars[first_name]": first,
              "vars[last_name]": last, "vars[contact_type]": "billing",
              "vars[email]": f"{first.lower()}@example.com"}
    params.update(extra)
    status, body = call("POST", "contacts/add", **params)
    assert status == 200, body
    return body["response"]


@pytest.fixture
def seed(blesta_app):
    def run(fn):
        with blesta_app.extensions["bridge"].transaction(Actor(source="test")) as session:
            return fn(session)
    return run


def test_add_returns_string_id_and_get_prints_blesta_columns(call):
    client_id = new_client(call)
    new_id = add_contact(call, client_id, **{"vars[zip]": "10115", "vars[company]": "Acme",
                                             "vars[numbers][0][number]": "555-1234",
                                             "vars[numbers][0][type]": "phone"})
    assert isinstance(new_id, str)
    got = call("GET", "contacts/get", contact_id=new_id)[1]["response"]
    assert got["id"] == int(new_id) and got["client_id"] == client_id
    assert got["contact_type"] == "billing" and got["zip"] == "10115"
    assert got["company"] == "Acme" and got["title"] is None
    assert got["numbers"] == [{"id": None, "contact_id": int(new_id), "number": "555-1234",
                               "type": "phone", "location": "home"}]
    assert call("GET", "contacts/get", contact_id=999)[1] == {"response": False}


def test_add_validates(call):
    client_id = new_client(call)
    status, body = call("POST", "contacts/add", **{"vars[client_id]": client_id,
                                                   "vars[last_name]": "X"})
    assert status == 400 and "first_name" in body["errors"]
    status, body = call("POST", "contacts/add", **{
        "vars[client_id]": 999, "vars[first_name]": "A", "vars[last_name]": "B"})
    assert status == 400 and body["errors"]["client_id"]["exists"]
    status, body = call("POST", "contacts/add", **{
        "vars[client_id]": client_id, "vars[first_name]": "A", "vars[last_name]": "B",
        "vars[contact_type]": "primary"})
    assert status == 400 and "clients/edit" in body["errors"]["contact_type"]["supported"]


def test_edit_returns_the_updated_contact(call):
    client_id = new_client(call)
    contact_id = add_contact(call, client_id)
    status, body = call("PUT", "contacts/edit", contact_id=contact_id,
                        **{"vars[city]": "Berlin", "vars[contact_type]": "other"})
    assert status == 200
    assert body["response"]["city"] == "Berlin" and body["response"]["contact_type"] == "other"
    assert call("GET", "contacts/get", contact_id=contact_id)[1]["response"]["city"] == "Berlin"


def test_contact_with_password_gets_a_login(call, seed):
    client_id = new_client(call)
    contact_id = add_contact(call, client_id, **{"vars[new_password]": "pw-abcdefgh",
                                                 "vars[confirm_password]": "pw-abcdefgh"})
    user_id = call("GET", "contacts/get", contact_id=contact_id)[1]["response"]["user_id"]
    assert isinstance(user_id, int)
    got = call("GET", "contacts/getByUserId", user_id=user_id, client_id=client_id)[1]
    assert got["response"]["id"] == int(contact_id)
    assert call("GET", "contacts/getByUserId", user_id=user_id, client_id=client_id + 1)[1] == \
        {"response": False}
    assert seed(lambda s: s.query(UserClient).filter_by(user_id=user_id).count()) == 1


def test_delete(call, seed):
    client_id = new_client(call)
    contact_id = add_contact(call, client_id)
    assert call("DELETE", "contacts/delete", contact_id=contact_id) == (200, {"response": None})
    assert seed(lambda s: s.get(Contact, int(contact_id))) is None
    assert call("DELETE", "contacts/delete", contact_id=contact_id)[0] == 400


def test_lists_are_ordered_by_name_and_paged(call):
    client_id = new_client(call)
    for first, last in (("Zed", "Alpha"), ("Amy", "Beta"), ("Bob", "Alpha")):
        add_contact(call, client_id, first, last, **{"vars[contact_type]": "other"})
    add_contact(call, client_id, "Cat", "Cash")
    names = [(c["last_name"], c["first_name"])
             for c in call("GET", "contacts/getList", client_id=client_id)[1]["response"]]
    assert names == [("Alpha", "Bob"), ("Alpha", "Zed"), ("Beta", "Amy"), ("Cash", "Cat")]
    assert call("GET", "contacts/getList", client_id=client_id, page=2)[1] == {"response": []}
    assert call("GET", "contacts/getListCount", client_id=client_id)[1] == {"response": 4}
    billing = call("GET", "contacts/getAll", client_id=client_id,
                   contact_type="billing")[1]["response"]
    assert [c["first_name"] for c in billing] == ["Cat"]
    by_first = call("GET", "contacts/getAll", client_id=client_id,
                    **{"order[first_name]": "desc"})[1]["response"]
    assert [c["first_name"] for c in by_first] == ["Zed", "Cat", "Bob", "Amy"]


def test_contacts_of_another_company_are_hidden(call, seed):
    def other(session):
        ensure_currency(session)
        session.add(Company(id=2, name="Other"))
        session.flush()
        client = Client(first_name="O", last_name="C", email="o@c.example", company_id=2,
                        currency="USD")
        session.add(client)
        session.flush()
        contact = Contact(client_id=client.id, first_name="Hid", last_name="Den")
        session.add(contact)
        session.flush()
        return client.id, contact.id
    client_id, contact_id = seed(other)
    assert call("GET", "contacts/get", contact_id=contact_id)[1] == {"response": False}
    assert call("GET", "contacts/getListCount", client_id=client_id)[1] == {"response": 0}
    assert call("PUT", "contacts/edit", contact_id=contact_id, **{"vars[city]": "X"})[0] == 400


def test_permissions_set_get_and_check(call):
    client_id = new_client(call)
    contact_id = add_contact(call, client_id)
    status, _ = call("PUT", "contacts/setPermissions", contact_id=contact_id, **{
        "vars[0][area]": "client_invoices", "vars[1][area]": "client_services"})
    assert status == 200
    rows = call("GET", "contacts/getPermissions", contact_id=contact_id)[1]["response"]
    assert rows == [{"contact_id": int(contact_id), "area": a, "client_id": client_id}
                    for a in ("client_invoices", "client_services")]
    assert call("GET", "contacts/hasPermission", company_id=1, contact_id=contact_id,
                area="client_services")[1] == {"response": True}
    assert call("GET", "contacts/hasPermission", company_id=1, contact_id=contact_id,
                area="client_contacts")[1] == {"response": False}


def test_numbers_filters_and_static_tables(call):
    client_id = new_client(call)
    contact_id = add_contact(call, client_id, **{"vars[numbers][0][number]": "+1 555 0100"})
    assert len(call("GET", "contacts/getNumbers", contact_id=contact_id)[1]["response"]) == 1
    assert call("GET", "contacts/getNumbers", contact_id=contact_id, type="fax")[1] == \
        {"response": []}
    assert set(call("GET", "contacts/getContactTypes")[1]["response"]) == \
        {"primary", "billing", "other"}
    assert set(call("GET", "contacts/getNumberTypes")[1]["response"]) == {"phone", "fax"}
    assert set(call("GET", "contacts/getNumberLocations")[1]["response"]) == \
        {"home", "work", "mobile"}
    assert call("GET", "contacts/getTypes")[1] == {"response": []}


def test_intl_number(call):
    assert call("GET", "contacts/intlNumber", number="030 1234567", country="DE")[1] == \
        {"response": "+49.301234567"}
    assert call("GET", "contacts/intlNumber", number="555-0100", country="US",
                code_delimiter="-")[1] == {"response": "+1-5550100"}
