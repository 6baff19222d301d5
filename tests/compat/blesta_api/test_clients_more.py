"""clients/edit, delete, getAll, getByUserId, search, counts, notes, custom fields, settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bridge.context import Actor
from bridge.models import (
    Admin,
    Client,
    ClientGroup,
    ClientNote,
    Company,
    CustomField,
    Invoice,
    Transaction,
)
from bridge.testing import ensure_currency, make_service


@pytest.fixture
def send(blesta_app):
    """``send(verb, path, params)``: like ``call`` for parameters named ``key`` or ``user``."""
    web = blesta_app.test_client()
    headers = {"BLESTA-API-USER": "blesta-test-user",
               "BLESTA-API-KEY": "blesta-test-key-0123456789"}

    def do(verb, path, params):
        where = "query_string" if verb == "GET" else "data"
        response = web.open(f"/api/{path}.json", method=verb, headers=headers, **{where: params})
        return response.status_code, response.get_json()
    return do


@pytest.fixture
def seed(blesta_app):
    """``seed(fn)`` runs ``fn(session)`` in a committed transaction and returns its result."""
    def run(fn):
        with blesta_app.extensions["bridge"].transaction(Actor(source="test")) as session:
            return fn(session)
    return run


def new_client(call, email="jo@example.com", **extra):
    params = {"vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": email,
              "vars[country]": "US"}
    params.update(extra)
    status, body = call("POST", "clients/create", **params)
    assert status == 200, body
    return body["response"]


def add_group(seed, name="VIP", company_id=None):
    def make(session):
        group = ClientGroup(name=name, company_id=company_id)
        session.add(group)
        session.flush()
        return group.id
    return seed(make)


def test_edit_changes_group_status_and_contact_fields(call, seed):
    client = new_client(call)
    group_id = add_group(seed)
    status, body = call("PUT", "clients/edit", client_id=client["id"], **{
        "vars[client_group_id]": group_id, "vars[status]": "inactive",
        "vars[zip]": "90210", "vars[company]": "Acme", "vars[id_code]": client["id_code"]})
    assert (status, body) == (200, {"response": None})
    got = call("GET", "clients/get", client_id=client["id"])[1]["response"]
    assert got["client_group_id"] == group_id and got["group_name"] == "VIP"
    assert got["status"] == "inactive"
    assert got["zip"] == "90210" and got["company"] == "Acme"


def test_edit_refuses_what_it_cannot_honour(call, seed):
    client = new_client(call)
    status, body = call("PUT", "clients/edit", client_id=client["id"],
                        **{"vars[status]": "gone"})
    assert status == 400 and "status" in body["errors"]
    status, body = call("PUT", "clients/edit", client_id=client["id"],
                        **{"vars[user_id]": 999})
    assert status == 400 and "supported" in body["errors"]["user_id"]
    status, body = call("PUT", "clients/edit", client_id=client["id"],
                        **{"vars[client_group_id]": 999})
    assert status == 400 and "client_group_id" in body["errors"]
    status, body = call("PUT", "clients/edit", client_id=4242, **{"vars[status]": "active"})
    assert status == 400 and body["errors"] == {"client_id": {"exists": "Invalid client ID."}}


def test_clients_of_another_company_are_invisible(call, seed):
    def other(session):
        ensure_currency(session)
        session.add(Company(id=2, name="Other Co"))
        session.flush()
        client = Client(first_name="X", last_name="Y", email="x@other.example", company_id=2,
                        currency="USD")
        session.add(client)
        session.flush()
        return client.id
    other_id = seed(other)
    mine = new_client(call)
    ids = [c["id"] for c in call("GET", "clients/getAll")[1]["response"]]
    assert ids == [mine["id"]]
    assert call("PUT", "clients/edit", client_id=other_id, **{"vars[status]": "fraud"})[0] == 400
    assert call("GET", "clients/getSearchCount", query="other.example")[1] == {"response": 0}


def test_delete_removes_an_empty_client_and_refuses_one_with_services(call, seed):
    empty = new_client(call, "empty@example.com")
    busy = new_client(call, "busy@example.com")
    seed(lambda s: make_service(s, client=s.get(Client, busy["id"])).id)
    assert call("DELETE", "clients/delete", client_id=empty["id"]) == (200, {"response": None})
    assert call("GET", "clients/get", client_id=empty["id"])[1] == {"response": False}
    status, body = call("DELETE", "clients/delete", client_id=busy["id"])
    assert status == 400 and "service" in body["errors"]["_"]["conflict"]
    assert call("GET", "clients/get", client_id=busy["id"])[1]["response"]["id"] == busy["id"]


def test_get_all_filters_and_prints_the_get_shape(call, seed):
    group_id = add_group(seed)
    first = new_client(call, "a@example.com", **{"vars[client_group_id]": group_id})
    second = new_client(call, "b@example.com")
    call("PUT", "clients/edit", client_id=second["id"], **{"vars[status]": "fraud"})
    rows = call("GET", "clients/getAll")[1]["response"]
    assert [r["id"] for r in rows] == [first["id"], second["id"]]
    single = call("GET", "clients/get", client_id=first["id"])[1]["response"]
    single.pop("settings")
    assert rows[0] == single
    assert [r["id"] for r in call("GET", "clients/getAll", status="fraud")[1]["response"]] == \
        [second["id"]]
    by_group = call("GET", "clients/getAll", client_group_id=group_id)[1]["response"]
    assert [r["id"] for r in by_group] == [first["id"]]
    with_settings = call("GET", "clients/getAll", get_settings="true")[1]["response"]
    assert with_settings[0]["settings"]["default_currency"] == "USD"


def test_get_by_user_id_finds_the_owned_client(call):
    client = new_client(call, **{"vars[new_password]": "pw-123456789"})
    user_id = client["user_id"]
    assert isinstance(user_id, int)
    got = call("GET", "clients/getByUserId", user_id=user_id)[1]["response"]
    assert got["id"] == client["id"] and "settings" not in got
    assert call("GET", "clients/getByUserId", user_id=user_id + 100)[1] == {"response": False}


def test_search_and_search_count(call):
    jo = new_client(call, "jo@example.com")
    new_client(call, "sam@elsewhere.test", **{"vars[first_name]": "Sam",
                                                "vars[last_name]": "Smith"})
    found = call("GET", "clients/search", query="Jo Doe")[1]["response"]
    assert [c["id"] for c in found] == [jo["id"]]
    assert call("GET", "clients/getSearchCount", query="example")[1] == {"response": 1}
    assert call("GET", "clients/getSearchCount", query="e")[1]["response"] == 2
    assert call("GET", "clients/search", query="Jo", page=2)[1] == {"response": []}


def test_status_count_and_status_types(call):
    new_client(call, "a@example.com")
    other = new_client(call, "b@example.com", **{"vars[country]": "DE"})
    call("PUT", "clients/edit", client_id=other["id"], **{"vars[status]": "inactive"})
    assert call("GET", "clients/getStatusCount")[1] == {"response": 1}
    assert call("GET", "clients/getStatusCount", status="inactive")[1] == {"response": 1}
    assert call("GET", "clients/getStatusCount", status="inactive",
                **{"filters[contact_country]": "US"})[1] == {"response": 0}
    assert set(call("GET", "clients/getStatusTypes")[1]["response"]) == \
        {"active", "inactive", "fraud"}


def test_used_currencies_come_from_invoices_and_transactions(call, seed):
    client = new_client(call)

    def money(session):
        ensure_currency(session, "EUR", "0.9")
        session.add(Invoice(client_id=client["id"], currency="EUR", date=date(2026, 1, 1),
                            due_date=date(2026, 1, 8)))
        session.add(Transaction(client_id=client["id"], currency="USD",
                                amount_in=Decimal("5.00")))
    seed(money)
    assert call("GET", "clients/usedCurrencies", client_id=client["id"])[1] == \
        {"response": ["EUR", "USD"]}
    other = new_client(call, "z@example.com")
    assert call("GET", "clients/usedCurrencies", client_id=other["id"])[1] == {"response": []}


def test_notes_add_list_count_and_sticky(call, seed):
    client = new_client(call)
    admin_id = seed(lambda s: _admin(s))
    ids = []
    for n, sticky in ((1, "true"), (2, "false"), (3, "true")):
        status, body = call("POST", "clients/addNote", client_id=client["id"],
                            staff_id=admin_id, **{"vars[title]": f"T{n}",
                                                  "vars[description]": f"Body {n}",
                                                  "vars[stickied]": sticky})
        assert status == 200 and isinstance(body["response"], str)
        ids.append(int(body["response"]))
    note = call("GET", "clients/getNote", note_id=ids[0])[1]["response"]
    assert note["description"] == "Body 1" and note["stickied"] == 1
    assert note["staff_id"] == admin_id and note["staff_first_name"] == "Ann"
    listed = call("GET", "clients/getNoteList", client_id=client["id"],
                  **{"order_by[id]": "DESC"})[1]["response"]
    assert [n["id"] for n in listed] == ids[::-1]
    assert call("GET", "clients/getNoteListCount", client_id=client["id"])[1] == {"response": 3}
    sticky = call("GET", "clients/getAllStickyNotes", client_id=client["id"],
                  max_limit=1)[1]["response"]
    assert len(sticky) == 1 and sticky[0]["stickied"] == 1
    assert call("GET", "clients/getNote", note_id=9999)[1] == {"response": False}


def _admin(session):
    admin = Admin(username="ann", first_name="Ann", last_name="Admin", email="ann@example.com")
    session.add(admin)
    session.flush()
    return admin.id


def test_add_note_validates_staff_and_description(call):
    client = new_client(call)
    status, body = call("POST", "clients/addNote", client_id=client["id"], staff_id=77,
                        **{"vars[description]": "x"})
    assert status == 400 and "staff_id" in body["errors"]
    status, body = call("POST", "clients/addNote", client_id=client["id"], staff_id="",
                        **{"vars[title]": "only a title"})
    assert status == 400 and "description" in body["errors"]
    status, body = call("POST", "clients/addNote", client_id=client["id"], staff_id="",
                        **{"vars[description]": "system note"})
    assert status == 200
    assert call("GET", "clients/getNote", note_id=body["response"])[1]["response"][
        "staff_id"] is None


def test_custom_fields_define_set_and_read(call):
    client = new_client(call)
    status, body = call("POST", "clients/addCustomField", **{
        "vars[name]": "Plan", "vars[type]": "select", "vars[show_client]": "1",
        "vars[values][gold]": "Gold plan", "vars[values][basic]": "Basic plan"})
    assert status == 200
    field_id = int(body["response"])
    call("POST", "clients/addCustomField", **{"vars[name]": "Internal", "vars[type]": "text"})
    fields = call("GET", "clients/getCustomFields", company_id=1)[1]["response"]
    assert [f["name"] for f in fields] == ["Plan", "Internal"]
    assert fields[0]["type"] == "select" and fields[0]["values"] == {
        "gold": "Gold plan", "basic": "Basic plan"}
    assert fields[1]["show_client"] == 0
    shown = call("GET", "clients/getCustomFields", company_id=1,
                 **{"options[show_client]": "1"})[1]["response"]
    assert [f["id"] for f in shown] == [field_id]
    status, body = call("PUT", "clients/setCustomField", field_id=field_id,
                        client_id=client["id"], value="platinum")
    assert status == 400
    assert call("PUT", "clients/setCustomField", field_id=field_id, client_id=client["id"],
                value="gold")[0] == 200
    values = call("GET", "clients/getCustomFieldValues", client_id=client["id"])[1]["response"]
    assert [(v["id"], v["value"]) for v in values] == [(field_id, "gold")]
    assert call("GET", "clients/getCustomField", field_id=field_id)[1]["response"]["name"] == \
        "Plan"
    assert call("GET", "clients/getCustomField", field_id=999)[1] == {"response": False}
    assert "checkbox" in call("GET", "clients/getCustomFieldTypes")[1]["response"]


def test_custom_field_type_and_read_only_refused(call, seed):
    assert call("POST", "clients/addCustomField", **{"vars[name]": "A",
                                                     "vars[type]": "radio"})[0] == 400
    status, body = call("POST", "clients/addCustomField", **{"vars[name]": "A",
                                                             "vars[read_only]": "1"})
    assert status == 400 and "read_only" in body["errors"]
    assert seed(lambda s: s.query(CustomField).count()) == 0


def test_client_settings_read_and_write(call, send):
    client = new_client(call)
    rows = call("GET", "clients/getSettings", client_id=client["id"])[1]["response"]
    assert {"key": "tax_exempt", "value": "false", "encrypted": 0} in rows
    assert send("PUT", "clients/setSetting", {"client_id": client["id"], "key": "tax_exempt",
                                             "value": "true"})[0] == 200
    assert send("GET", "clients/getSetting", {"client_id": client["id"], "key": "tax_exempt"})[
        1]["response"]["value"] == "true"
    got = call("GET", "clients/get", client_id=client["id"])[1]["response"]
    assert got["settings"]["tax_exempt"] == "true"
    call("PUT", "clients/setClientSettings", client_id=client["id"],
         **{"vars[autodebit]": "false", "vars[tax_id]": "VAT-1"})
    got = call("GET", "clients/get", client_id=client["id"])[1]["response"]["settings"]
    assert got["autodebit"] == "false" and got["tax_id"] == "VAT-1"
    status, body = call("PUT", "clients/setClientSettings", client_id=client["id"],
                        **{"vars[inv_method]": "paper"})
    assert status == 400 and "inv_method" in body["errors"]
    assert call("PUT", "clients/setSettings", client_id=client["id"],
                **{"vars[inv_method]": "paper", "vars[tax_exempt]": "false",
                   "value_keys[]": "tax_exempt"})[0] == 200
    assert send("GET", "clients/getSetting", {"client_id": client["id"], "key": "tax_exempt"})[
        1]["response"]["value"] == "false"
    assert send("GET", "clients/getSetting", {"client_id": client["id"], "key": "nope"})[1] == \
        {"response": False}
    assert send("PUT", "clients/setSetting", {"client_id": client["id"], "key": "tax_id",
                                             "value": "x", "encrypted": "true"})[0] == 400


def test_edit_note_changes_what_is_sent_and_delete_removes_it(call, seed):
    client = new_client(call)
    note_id = call("POST", "clients/addNote", client_id=client["id"], staff_id="",
                   **{"vars[title]": "T", "vars[description]": "Body"})[1]["response"]
    assert call("PUT", "clients/editNote", note_id=note_id,
                **{"vars[stickied]": "1"}) == (200, {"response": None})
    note = call("GET", "clients/getNote", note_id=note_id)[1]["response"]
    assert (note["title"], note["description"], note["stickied"]) == ("T", "Body", 1)
    assert note["date_updated"] is not None
    call("PUT", "clients/editNote", note_id=note_id,
         **{"vars[title]": "New", "vars[description]": "Changed"})
    note = call("GET", "clients/getNote", note_id=note_id)[1]["response"]
    assert (note["title"], note["description"], note["stickied"]) == ("New", "Changed", 1)
    status, body = call("PUT", "clients/editNote", note_id=note_id,
                        **{"vars[description]": ""})
    assert status == 400 and "description" in body["errors"]
    assert call("DELETE", "clients/deleteNote", note_id=note_id) == (200, {"response": None})
    assert call("GET", "clients/getNote", note_id=note_id)[1] == {"response": False}
    status, body = call("DELETE", "clients/deleteNote", note_id=note_id)
    assert status == 400 and "note_id" in body["errors"]


def test_notes_of_another_company_cannot_be_changed(call, seed):
    def theirs(session):
        session.add(Company(id=2, name="Other"))
        session.flush()
        client = Client(first_name="T", last_name="Heirs", email="t@example.com",
                        company_id=2, currency="USD")
        session.add(client)
        session.flush()
        note = ClientNote(client_id=client.id, body="secret")
        session.add(note)
        session.flush()
        return note.id
    note_id = seed(theirs)
    assert call("PUT", "clients/editNote", note_id=note_id,
                **{"vars[title]": "x"})[0] == 400
    assert call("DELETE", "clients/deleteNote", note_id=note_id)[0] == 400


def test_get_list_rows_equal_clients_get(call, seed):
    """The list page loads groups, owners and 2FA modes in its own statement: every row must
    print what clients/get prints (settings aside), including a client with two owners."""
    _list_rows_equal_get(call, seed)


def test_get_list_rows_equal_clients_get_on_mariadb(mysql_db, mysql_url, app_config):
    """The same on MariaDB (the page's owner and 2FA columns are nested correlated
    subqueries)."""
    from bridge.app import create_app
    from bridge.services.access import add_api_credential

    from .conftest import KEY, USER

    mysql_db.close()
    app = create_app({**app_config, "database_url": mysql_url})
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        ensure_currency(session)
        add_api_credential(session, USER, KEY)
    web = app.test_client()

    def call(verb, path, **params):
        where = "query_string" if verb == "GET" else "data"
        response = web.open(f"/api/{path}.json", method=verb, **{where: params},
                            headers={"BLESTA-API-USER": USER, "BLESTA-API-KEY": KEY})
        return response.status_code, response.get_json()

    def seed(fn):
        with state.transaction(Actor(source="test")) as session:
            return fn(session)
    try:
        _list_rows_equal_get(call, seed)
    finally:
        state.db.dispose()


def _list_rows_equal_get(call, seed):
    from bridge.models import User, UserClient

    group_id = add_group(seed, "Gold")
    first = new_client(call, "one@example.com", **{"vars[client_group_id]": group_id})["id"]
    second = new_client(call, "two@example.com")["id"]
    plain = new_client(call, "three@example.com")["id"]

    def owners(session):
        users = [User(email=f"owner{k}@example.com", two_factor=mode)
                 for k, mode in enumerate(("totp", "", "motp"))]
        session.add_all(users)
        session.flush()
        session.add_all([UserClient(user_id=users[0].id, client_id=first, is_owner=True),
                         UserClient(user_id=users[2].id, client_id=second, is_owner=True),
                         UserClient(user_id=users[1].id, client_id=second, is_owner=True),
                         UserClient(user_id=users[0].id, client_id=plain, is_owner=False)])
        return [u.id for u in users]
    user_ids = seed(owners)
    listed = {row["id"]: row for row in call("GET", "clients/getList")[1]["response"]}
    for client_id in (first, second, plain):
        single = call("GET", "clients/get", client_id=client_id, get_settings="false")[1]
        assert listed[client_id] == single["response"]
    assert listed[first]["group_name"] == "Gold"
    assert (listed[first]["user_id"], listed[first]["two_factor_mode"]) == (user_ids[0], "totp")
    # two owners: the first user (whose 2FA is off), on both calls
    assert (listed[second]["user_id"], listed[second]["two_factor_mode"]) == (user_ids[1],
                                                                              "none")
    assert (listed[plain]["group_name"], listed[plain]["user_id"]) == (None, None)
