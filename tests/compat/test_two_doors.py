"""One core, two doors: a client created through the WHMCS API reads back identically (in its
own terms) through the Blesta API, and the other way round."""

from __future__ import annotations

import pytest

from bridge.context import Actor
from bridge.services.access import add_api_credential
from bridge.testing import ensure_currency

ID, SECRET = "two-doors-id", "two-doors-secret-0123"


@pytest.fixture
def web(app):
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        ensure_currency(session)
        add_api_credential(session, ID, SECRET)
    return app.test_client()


def whmcs(web, action, **params):
    data = {"action": action, "identifier": ID, "secret": SECRET, "responsetype": "json",
            **params}
    return web.post("/includes/api.php", data=data).get_json()


def blesta(web, verb, path, **params):
    headers = {"BLESTA-API-USER": ID, "BLESTA-API-KEY": SECRET}
    if verb == "GET":
        return web.get(f"/api/{path}.json", query_string=params, headers=headers).get_json()
    return web.open(f"/api/{path}.json", method=verb, data=params, headers=headers).get_json()


PROFILE = {"firstname": "Grace", "lastname": "Hopper", "companyname": "Navy Labs",
           "email": "grace@example.com", "address1": "1 Harbor Rd", "city": "Arlington",
           "state": "VA", "postcode": "22201", "country": "US", "phonenumber": "+1.5550100"}


def test_whmcs_client_reads_back_through_blesta(web):
    created = whmcs(web, "AddClient", **PROFILE)
    assert created["result"] == "success"
    client_id = int(created["clientid"])
    got = blesta(web, "GET", "clients/get", client_id=client_id)["response"]
    assert (got["id"], got["first_name"], got["last_name"], got["company"], got["email"]) == (
        client_id, "Grace", "Hopper", "Navy Labs", "grace@example.com")
    assert (got["address1"], got["city"], got["state"], got["zip"], got["country"]) == (
        "1 Harbor Rd", "Arlington", "VA", "22201", "US")
    assert got["status"] == "active"


def test_blesta_client_reads_back_through_whmcs(web):
    created = blesta(web, "POST", "clients/create", **{
        "vars[first_name]": "Alan", "vars[last_name]": "Turing", "vars[company]": "Bletchley",
        "vars[email]": "alan@example.co.uk", "vars[address1]": "Wilton Ave",
        "vars[city]": "Milton Keynes", "vars[state]": "BKM", "vars[zip]": "MK3",
        "vars[country]": "GB"})["response"]
    details = whmcs(web, "GetClientsDetails", clientid=created["id"])
    client = details["client"]
    assert details["result"] == "success"
    assert (client["firstname"], client["lastname"], client["companyname"], client["email"]) == (
        "Alan", "Turing", "Bletchley", "alan@example.co.uk")
    assert (client["address1"], client["city"], client["postcode"], client["countrycode"]) == (
        "Wilton Ave", "Milton Keynes", "MK3", "GB")
    assert client["status"] == "Active"
    listed = whmcs(web, "GetClients", search="Alan")["clients"]["client"]
    assert [c["id"] for c in listed] == [created["id"]]
