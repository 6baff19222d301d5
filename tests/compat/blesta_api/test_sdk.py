"""The Blesta door driven by a real third-party client, ``blesta-sdk`` (clients.md §3.1), over a
real HTTP server on loopback, with both of its auth methods (HTTP Basic and the
``BLESTA-API-USER``/``BLESTA-API-KEY`` headers).

The SDK sends GET arguments as a query string (flat keys only, so arrays travel as PHP bracket
keys) and POST/PUT/DELETE arguments as a JSON body; it reads ``response`` as ``.data`` and
``errors`` through ``.errors()``. One test per step so a failure names the step; the steps a
test needs first are fixtures that go through the SDK as well.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from blesta_sdk import BlestaAPIError, BlestaAuthError, BlestaRequest
from sqlalchemy import select
from werkzeug.serving import make_server

from bridge.context import Actor
from bridge.models import Client, Invoice, Service, TicketDepartment
from bridge.testing import make_client
from hooks import ActionResult, ServerModule, hookimpl

USER = "blesta-test-user"  # the credential the ``blesta_app`` fixture creates
KEY = "blesta-test-key-0123456789"
T = "support_manager.support_manager_tickets"


class SdkPanel(ServerModule):
    """A server module that records what it was asked to do."""

    name = "sdkpanel"
    label = "SDK panel"
    requires_server = False
    calls: list[str] = []

    def create(self, ctx):
        SdkPanel.calls.append(f"create:{ctx.domain}")
        return ActionResult.success(username=f"sdk{ctx.service_id}", password="pw-sdk")

    def suspend(self, ctx, reason=""):
        SdkPanel.calls.append(f"suspend:{reason}")
        return ActionResult.success()

    def unsuspend(self, ctx):
        SdkPanel.calls.append("unsuspend")
        return ActionResult.success()

    def terminate(self, ctx):
        SdkPanel.calls.append("terminate")
        return ActionResult.success()


class SdkPlugin:
    @hookimpl
    def register_server_modules(self):
        return [SdkPanel]


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def base_url(blesta_app) -> Iterator[str]:
    """The app served by a real HTTP server on 127.0.0.1 (a free port), stopped afterwards."""
    server = make_server("127.0.0.1", 0, blesta_app, threaded=False)
    # a short poll interval: shutdown() waits for the loop's next poll
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="blesta-sdk-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(params=["basic", "header"])
def sdk(request, base_url) -> Iterator[BlestaRequest]:
    """A ``BlestaRequest`` authenticating by HTTP Basic or by the BLESTA-API-* headers."""
    with BlestaRequest(base_url, USER, KEY, auth_method=request.param, timeout=30) as api:
        yield api


@pytest.fixture
def world(blesta_app):
    """``world(fn)`` runs ``fn(session)`` in a committed transaction (seeding and checking
    rows without holding a SQLite lock the server thread would wait on)."""
    state = blesta_app.extensions["bridge"]

    def run(fn):
        with state.transaction(Actor(source="test")) as session:
            return fn(session)

    return run


def ok(response) -> Any:
    """The ``response`` of a call that must succeed."""
    assert response.status_code == 200, (response.status_code, response.raw)
    assert response.errors() is None
    return response.data


NEW_CLIENT = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
              "company": "Engines Ltd", "address1": "1 Analytical Way", "city": "London",
              "zip": "N1 1AA", "country": "GB", "new_password": "pw-0123456789",
              "confirm_password": "pw-0123456789"}


@pytest.fixture
def client(sdk) -> dict[str, Any]:
    created: dict[str, Any] = ok(sdk.post("clients", "create", {"vars": NEW_CLIENT}))
    return created


@pytest.fixture
def panel(register_plugin):
    SdkPanel.calls = []
    register_plugin(SdkPlugin(), name="sdkpanel-plugin")
    return SdkPanel


@pytest.fixture
def package(sdk, panel) -> dict[str, Any]:
    """A package on the SDK panel's module, in a new group, priced monthly and yearly."""
    group_id = ok(sdk.post("package_groups", "add", {"vars": {
        "names": [{"lang": "en_us", "name": "Hosting"}], "type": "standard"}}))
    modules = ok(sdk.get("module_manager", "getByClass", {"class": "sdkpanel",
                                                          "company_id": 1}))
    assert len(modules) == 1, modules
    package_id = ok(sdk.post("packages", "add", {"vars": {
        "names": [{"lang": "en_us", "name": "Gold"}],
        "descriptions": [{"lang": "en_us", "text": "Gold hosting", "html": ""}],
        "groups": [group_id], "module_id": modules[0]["id"], "status": "active",
        "pricing": [
            {"term": 1, "period": "month", "currency": "USD", "price": "10.00",
             "setup_fee": "5.00"},
            {"term": 1, "period": "year", "currency": "USD", "price": "100.00",
             "setup_fee": "0"},
        ]}}))
    got: dict[str, Any] = ok(sdk.get("packages", "get", {"package_id": package_id}))
    got["new_id"] = package_id
    return got


def _monthly(package: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in package["pricing"] if (p["term"], p["period"]) == (1, "month"))


@pytest.fixture
def service_id(sdk, client, package) -> str:
    answer: str = ok(sdk.post("services", "add", {"vars": {
        "pricing_id": _monthly(package)["pricing_id"], "client_id": client["id"],
        "status": "active", "use_module": "true", "sdkpanel_domain": "ada.example"}}))
    return answer


@pytest.fixture
def invoice_id(sdk, client) -> str:
    answer: str = ok(sdk.post("invoices", "add", {"vars": {
        "client_id": client["id"], "date_billed": "2026-03-01 00:00:00 UTC",
        "date_due": "2026-03-15 00:00:00 UTC", "currency": "USD", "status": "active",
        "note_public": "Thanks", "lines": [
            {"description": "Consulting", "qty": "2", "amount": "30.00", "tax": "false"},
            {"description": "Setup", "qty": 1, "amount": "15.50", "tax": "false"}]}}))
    return answer


@pytest.fixture
def department(world) -> int:
    def seed(session):
        row = TicketDepartment(name="Helpdesk", email="help@example.com")
        session.add(row)
        session.flush()
        return row.id

    ident: int = world(seed)
    return ident


@pytest.fixture
def ticket_id(sdk, client, department) -> str:
    answer: str = ok(sdk.post(T, "add", {"vars": {
        "department_id": department, "client_id": client["id"], "summary": "Site is down",
        "priority": "high", "status": "open"}}))
    return answer


# -- clients ------------------------------------------------------------------------------------

def test_clients_create(sdk, client):
    assert isinstance(client["id"], int)
    assert (client["first_name"], client["last_name"], client["email"]) == (
        "Ada", "Lovelace", "ada@example.com")
    assert client["status"] == "active" and client["company"] == "Engines Ltd"
    assert client["settings"]["default_currency"] == "USD"


def test_clients_get(sdk, client):
    got = ok(sdk.get("clients", "get", {"client_id": client["id"]}))
    assert got["id"] == client["id"] and got["email"] == "ada@example.com"
    assert got["zip"] == "N1 1AA" and got["country"] == "GB"
    no_settings = ok(sdk.get("clients", "get", {"client_id": client["id"],
                                                "get_settings": "false"}))
    assert "settings" not in no_settings and no_settings["email"] == got["email"]


def test_clients_get_list_pages_to_the_end(sdk, world):
    world(lambda s: [make_client(s, last_name=f"Page{n:02d}") for n in range(43)])
    pages = list(sdk.iter_pages("clients", "getList"))
    assert [len(page) for page in pages] == [20, 20, 3]
    everyone = sdk.get_all("clients", "getList")
    assert len(everyone) == 43 and len({c["id"] for c in everyone}) == 43
    assert ok(sdk.get("clients", "getList", {"page": 4})) == []


def test_clients_get_list_count(sdk, world, client):
    assert sdk.count("clients") == 1
    world(lambda s: [make_client(s) for _ in range(4)])
    assert ok(sdk.get("clients", "getListCount")) == 5
    assert sdk.count("clients", args={"status": "active"}) == 5
    assert sdk.count("clients", args={"status": "fraud"}) == 0
    # array arguments travel as PHP bracket keys in the SDK's flat query string
    assert sdk.count("clients", args={"filters[contact_email]": "ada@"}) == 1


def test_clients_edit(sdk, client):
    ok(sdk.put("clients", "edit", {"client_id": client["id"], "vars": {
        "first_name": "Augusta", "city": "Marylebone", "status": "inactive"}}))
    got = ok(sdk.get("clients", "get", {"client_id": client["id"]}))
    assert (got["first_name"], got["city"], got["status"]) == ("Augusta", "Marylebone",
                                                               "inactive")
    assert got["last_name"] == "Lovelace"  # left alone


def test_contacts_add(sdk, client):
    contact_id = ok(sdk.post("contacts", "add", {"vars": {
        "client_id": client["id"], "contact_type": "billing", "first_name": "Charles",
        "last_name": "Babbage", "email": "charles@example.com", "country": "GB",
        "numbers": [{"number": "+44.2071234567", "type": "phone", "location": "work"}]}}))
    assert isinstance(contact_id, str) and contact_id.isdigit()
    got = ok(sdk.get("contacts", "get", {"contact_id": contact_id}))
    assert got["client_id"] == client["id"] and got["contact_type"] == "billing"
    assert got["email"] == "charles@example.com"
    listed = ok(sdk.get("contacts", "getList", {"client_id": client["id"]}))
    assert [c["id"] for c in listed] == [int(contact_id)]


def test_contacts_delete_reads_the_json_body_of_a_delete(sdk, client):
    contact_id = ok(sdk.post("contacts", "add", {"vars": {
        "client_id": client["id"], "contact_type": "other", "first_name": "Temp",
        "last_name": "Contact", "email": "temp@example.com"}}))
    assert ok(sdk.delete("contacts", "delete", {"contact_id": contact_id})) is None
    assert ok(sdk.get("contacts", "get", {"contact_id": contact_id})) is False


# -- packages and services ----------------------------------------------------------------------

def test_packages_add_with_pricing(sdk, package):
    assert isinstance(package["new_id"], str) and int(package["new_id"]) == package["id"]
    assert package["name"] == "Gold" and package["status"] == "active"
    prices = {(p["term"], p["period"]): (p["price"], p["setup_fee"], p["currency"])
              for p in package["pricing"]}
    assert prices == {(1, "month"): ("10.0000", "5.0000", "USD"),
                      (1, "year"): ("100.0000", "0.0000", "USD")}


def test_services_add_provisions_through_the_module(sdk, service_id, client, package, panel,
                                                     world):
    assert isinstance(service_id, str) and service_id.isdigit()
    assert panel.calls == ["create:ada.example"]
    got = ok(sdk.get("services", "get", {"service_id": service_id}))
    assert got["status"] == "active" and got["client_id"] == client["id"]
    assert got["package"]["id"] == package["id"]
    assert got["pricing_id"] == _monthly(package)["pricing_id"]
    fields = {f["key"]: f["value"] for f in got["fields"]}
    assert fields["sdkpanel_username"] == f"sdk{service_id}"
    assert world(lambda s: s.get(Service, int(service_id)).status) == "active"


def test_services_suspend(sdk, service_id, panel):
    assert ok(sdk.post("services", "suspend", {"service_id": service_id, "vars": {
        "use_module": "true", "suspension_reason": "unpaid"}})) is None
    assert panel.calls[-1] == "suspend:unpaid"
    got = ok(sdk.get("services", "get", {"service_id": service_id}))
    assert got["status"] == "suspended"


def test_services_unsuspend(sdk, service_id, panel):
    ok(sdk.post("services", "suspend", {"service_id": service_id, "vars": {}}))
    assert ok(sdk.post("services", "unsuspend", {"service_id": service_id,
                                                 "vars": {"use_module": "true"}})) is None
    assert panel.calls[-1] == "unsuspend"
    got = ok(sdk.get("services", "get", {"service_id": service_id}))
    assert got["status"] == "active"


# -- invoices and transactions ------------------------------------------------------------------

def test_invoices_add(sdk, invoice_id, world):
    assert isinstance(invoice_id, str) and invoice_id.isdigit()
    total = world(lambda s: s.get(Invoice, int(invoice_id)).total)
    assert total == Decimal("75.50")  # 2 x 30.00 + 15.50, no tax


def test_invoices_get(sdk, invoice_id, client):
    got = ok(sdk.get("invoices", "get", {"invoice_id": invoice_id}))
    assert got["id"] == int(invoice_id) and got["client_id"] == client["id"]
    assert got["status"] == "active" and got["currency"] == "USD"
    assert (got["total"], got["paid"], got["due"]) == ("75.5000", "0.0000", "75.5000")
    assert got["date_due"] == "2026-03-15 00:00:00"
    assert [(line["description"], line["qty"], line["amount"])
            for line in got["line_items"]] == [("Consulting", "2.0000", "30.0000"),
                                               ("Setup", "1.0000", "15.5000")]


def test_invoices_get_list(sdk, invoice_id, client):
    listed = ok(sdk.get("invoices", "getList", {"client_id": client["id"]}))
    assert [i["id"] for i in listed] == [int(invoice_id)]
    assert ok(sdk.get("invoices", "getList", {"client_id": client["id"],
                                              "status": "closed"})) == []
    assert sdk.count("invoices", args={"client_id": client["id"]}) == 1


def test_transactions_add(sdk, client):
    txn_id = ok(sdk.post("transactions", "add", {"vars": {
        "client_id": client["id"], "amount": "80.00", "currency": "USD", "type": "other",
        "transaction_id": "BANK-001", "status": "approved"}}))
    assert isinstance(txn_id, str) and txn_id.isdigit()
    got = ok(sdk.get("transactions", "get", {"transaction_id": txn_id}))
    assert (got["amount"], got["currency"], got["status"]) == ("80.0000", "USD", "approved")
    assert got["transaction_id"] == "BANK-001" and got["client_id"] == client["id"]


def test_transactions_apply(sdk, client, invoice_id):
    txn_id = ok(sdk.post("transactions", "add", {"vars": {
        "client_id": client["id"], "amount": "80.00", "currency": "USD"}}))
    assert ok(sdk.post("transactions", "apply", {"transaction_id": txn_id, "vars": {
        "amounts": [{"invoice_id": invoice_id, "amount": "75.50"}]}})) is None
    invoice = ok(sdk.get("invoices", "get", {"invoice_id": invoice_id}))
    assert (invoice["paid"], invoice["due"]) == ("75.5000", "0.0000")
    assert invoice["date_closed"] is not None
    applied = ok(sdk.get("transactions", "getApplied", {"transaction_id": txn_id}))
    assert [(a["invoice_id"], a["applied_amount"]) for a in applied] == [
        (int(invoice_id), "75.5000")]
    # only 4.50 is left on the transaction
    again = sdk.post("transactions", "apply", {"transaction_id": txn_id, "vars": {
        "amounts": [{"invoice_id": invoice_id, "amount": "5.00"}]}})
    assert again.status_code == 400 and "amounts" in again.errors()


# -- support tickets ----------------------------------------------------------------------------

def test_ticket_add(sdk, ticket_id, client, department):
    assert isinstance(ticket_id, str) and ticket_id.isdigit()
    got = ok(sdk.get(T, "get", {"ticket_id": ticket_id}))
    assert got["summary"] == "Site is down" and got["priority"] == "high"
    assert got["client_id"] == client["id"] and got["department_id"] == department
    assert got["status"] == "open"


def test_ticket_add_reply(sdk, ticket_id, client):
    first = ok(sdk.post(T, "addReply", {"ticket_id": ticket_id, "new_ticket": "true", "vars": {
        "client_id": client["id"], "type": "reply", "details": "Nothing loads since 9am."}}))
    assert isinstance(first, str) and first.isdigit()
    second = ok(sdk.post(T, "addReply", {"ticket_id": ticket_id, "vars": {
        "client_id": client["id"], "type": "reply", "details": "Still down."}}))
    assert int(second) != int(first)
    got = ok(sdk.get(T, "get", {"ticket_id": ticket_id}))
    assert sorted(r["details"] for r in got["replies"] if r["type"] == "reply") == [
        "Nothing loads since 9am.", "Still down."]


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth_method", ["basic", "header"])
def test_bad_key_is_401_with_sdk_errors(base_url, auth_method):
    with BlestaRequest(base_url, USER, "not-the-key", auth_method=auth_method) as api:
        answer = api.get("clients", "getListCount")
        assert answer.status_code == 401
        assert answer.errors() == {"user": {"valid": "The API user or key appears to be "
                                                     "invalid."}}
        assert answer.data is None
    with BlestaRequest(base_url, "nobody", KEY, auth_method=auth_method,
                       raise_on_error=True) as api, pytest.raises(BlestaAuthError) as caught:
        api.post("clients", "create", {"vars": NEW_CLIENT})
    assert caught.value.status_code == 401


def test_validation_is_400_with_errors(sdk, world):
    answer = sdk.post("clients", "create", {"vars": {"first_name": "Jo"}})
    assert answer.status_code == 400
    errors = answer.errors()
    assert errors["last_name"] == {"empty": "Please enter a last name."}
    assert answer.data is None
    assert world(lambda s: s.scalars(select(Client)).all()) == []


def test_unknown_method_is_404(sdk):
    answer = sdk.get("clients", "noSuchMethod")
    assert answer.status_code == 404
    assert answer.errors() == {"error": "HTTP 404 with no error details"}
    assert sdk.get("no_such_model", "get").status_code == 404
    with pytest.raises(BlestaAPIError) as caught:
        answer.raise_for_status()
    assert caught.value.status_code == 404


def test_missing_record_is_response_false(sdk):
    for model, method, key in (("clients", "get", "client_id"),
                               ("services", "get", "service_id"),
                               ("invoices", "get", "invoice_id"),
                               ("transactions", "get", "transaction_id"),
                               ("contacts", "get", "contact_id"),
                               ("packages", "get", "package_id"),
                               (T, "get", "ticket_id")):
        answer = sdk.get(model, method, {key: 987654})
        assert (answer.status_code, answer.data, answer.errors()) == (200, False, None), model
