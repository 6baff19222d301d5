"""Two published WHMCS client libraries drive the app over real HTTP on loopback.

whmcspy (``WHMCS(url, identifier, secret)``, identifier/secret in the body) and
whmcs-api-client (``DefaultApi``: action in the query string, ``username``/``password`` in the
body, no ``responsetype``, strict pydantic models) run the migration scenario one step per
test: add/list/search/page clients, update a client, add a contact, order and accept
(provisioning through a test server module), invoice, partial and full payment, credit,
tickets, a domain at a test registrar, module suspend/unsuspend, and the error cases.

Actions whmcs-api-client has no method for go through its own ApiClient transport
(``param_serialize`` + ``call_api`` + ``response_deserialize``), so its URL, headers, body
style and status handling still apply. Preconditions of each step are made with core
services, so a failing step names the action that failed and nothing else.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import whmcspy
from sqlalchemy import func, select
from werkzeug.serving import make_server
from whmcs_client import ApiClient, Configuration, DefaultApi
from whmcs_client.exceptions import ApiException, ForbiddenException

import bridge.models
import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from bridge.context import Actor
from bridge.models import (
    Client,
    Contact,
    Domain,
    Invoice,
    Service,
    Ticket,
    TicketDepartment,
    TicketMessage,
    Tld,
    Transaction,
)
from bridge.services.access import add_api_credential
from bridge.services.catalog import add_product, add_product_group
from bridge.services.clients import add_client
from bridge.services.domains import add_domain
from bridge.services.invoices import create_invoice
from bridge.services.modules import add_server, add_server_group, save_module_settings
from bridge.services.orders import accept_order, place_order
from bridge.services.pricing import set_prices
from bridge.testing import ensure_currency
from hooks import ActionResult, RegistrarModule, ServerModule

# every model module (action groups add their own) is imported before the session's schema
# template is built, so their tables exist in the test databases
for _module in pkgutil.iter_modules(bridge.models.__path__):
    importlib.import_module(f"bridge.models.{_module.name}")


IDENTIFIER = "whmcs-test-id"  # made by the api_app fixture (tests/compat/whmcs_api/conftest.py)
SECRET = "whmcs-test-secret-0123"
LIMITED = ("limited-id", "limited-secret-0123")  # role: GetClients, GetClientsDetails only
TEN_NET = ("tennet-id", "tennet-secret-012345")  # allowed only from 10.0.0.0/8
LIBRARIES = ("whmcspy", "whmcs_client")
PROFILE = {"firstname": "Grace", "lastname": "Hopper", "address1": "1 Navy Way",
           "city": "Arlington", "state": "VA", "postcode": "22201", "country": "US",
           "phonenumber": "+1.5550100"}

# argon2 at its cheapest: nothing here depends on the hash cost
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# -- test modules -------------------------------------------------------------------------------

class ScenarioPanel(ServerModule):
    """A control panel that always agrees and records what it was asked."""

    name = "scenariopanel"
    label = "Scenario panel"
    calls: list[tuple[str, int]] = []

    def _ok(self, op: str, ctx: Any, **data: Any) -> ActionResult:
        ScenarioPanel.calls.append((op, ctx.service_id))
        return ActionResult.success(**data)

    def create(self, ctx):
        return self._ok("create", ctx, username=f"acct{ctx.service_id}", password="pw-Create1")

    def suspend(self, ctx, reason=""):
        return self._ok(f"suspend:{reason}", ctx)

    def unsuspend(self, ctx):
        return self._ok("unsuspend", ctx)

    def terminate(self, ctx):
        return self._ok("terminate", ctx)


class ScenarioRegistrar(RegistrarModule):
    """A registrar that registers anything and remembers nameservers per domain."""

    name = "scenarioreg"
    label = "Scenario registrar"
    calls: list[tuple[str, str]] = []
    nameservers: dict[str, tuple[str, ...]] = {}

    def register(self, ctx):
        ScenarioRegistrar.calls.append(("register", ctx.name))
        ScenarioRegistrar.nameservers[ctx.name] = tuple(ctx.nameservers)
        return ActionResult.success()

    def transfer(self, ctx):
        ScenarioRegistrar.calls.append(("transfer", ctx.name))
        return ActionResult.success()

    def renew(self, ctx):
        ScenarioRegistrar.calls.append(("renew", ctx.name))
        return ActionResult.success()

    def get_nameservers(self, ctx):
        return ActionResult.success(nameservers=list(ScenarioRegistrar.nameservers.get(ctx.name,
                                                                                        ())))

    def save_nameservers(self, ctx, nameservers):
        ScenarioRegistrar.calls.append(("ns", ctx.name))
        ScenarioRegistrar.nameservers[ctx.name] = tuple(nameservers)
        return ActionResult.success()


# -- fixtures -----------------------------------------------------------------------------------

class World:
    """Ids of the catalogue the scenario runs against, plus DB helpers."""

    def __init__(self, app: Any, ids: dict[str, int]) -> None:
        self.app = app
        self.state = app.extensions["bridge"]
        self.ids = ids

    def tx(self) -> Any:
        return self.state.transaction(Actor(source="test"))

    def client(self, email: str = "seed@example.com", **kw: Any) -> int:
        with self.tx() as s:
            data = {"first_name": "Seed", "last_name": "Client", "email": email,
                    "country": "US", "state": "CA", "city": "LA", "address1": "1 Main St",
                    "postcode": "90001", "phone": "+1.5550199", **kw}
            return add_client(s, data).id

    def invoice(self, client_id: int, amount: str = "30.00") -> int:
        with self.tx() as s:
            return create_invoice(s, client_id, [{"description": "Consulting",
                                                  "unit_amount": Decimal(amount),
                                                  "taxed": False}],
                                  payment_method="banktransfer").id

    def active_service(self, client_id: int) -> int:
        with self.tx() as s:
            result = place_order(s, client_id, {"products": [
                {"product_id": self.ids["product"], "billing_cycle": "1M",
                 "domain": "hosted.example"}], "payment_method": "banktransfer"})
            accept_order(s, result.order.id)
            return result.services[0].id

    def domain(self, client_id: int, name: str = "shopfront.com") -> int:
        with self.tx() as s:
            return add_domain(s, client_id, name, registrar="scenarioreg",
                              nameservers=["ns1.old.example", "ns2.old.example"],
                              recurring_amount=Decimal("12.00")).id

    def read(self, fn: Any) -> Any:
        with self.tx() as s:
            return fn(s)


@pytest.fixture
def world(api_app, install_modules, unsynced) -> World:
    ScenarioPanel.calls = []
    ScenarioRegistrar.calls = []
    ScenarioRegistrar.nameservers = {}
    install_modules(ScenarioPanel, ScenarioRegistrar, name="scenario-plugin")
    state = unsynced(api_app).extensions["bridge"]
    with state.transaction(Actor(source="test")) as s:
        ensure_currency(s)
        add_api_credential(s, TEN_NET[0], TEN_NET[1], allowed_ips=["10.0.0.0/8"])
        save_module_settings(s, "gateway", "banktransfer", {"account_holder": "Example Ltd"})
        group = add_product_group(s, {"name": "Shared Hosting"})
        servers = add_server_group(s, "Scenario panels")
        add_server(s, {"name": "panel1", "module": "scenariopanel", "hostname": "panel1.test",
                       "group_id": servers.id, "username": "root", "password": "pw"})
        product = add_product(s, {"name": "Starter", "group_id": group.id, "type": "hosting",
                                  "module": "scenariopanel", "server_group_id": servers.id,
                                  "prices": {"USD": {"1M": {"amount": "10.00"}}}})
        tld = Tld(extension=".com", registrar="scenarioreg")
        s.add(tld)
        s.flush()
        for kind in ("tld_register", "tld_renew", "tld_transfer"):
            set_prices(s, kind, tld.id, "USD", {"1Y": {"amount": "12.00"}})
        department = TicketDepartment(name="Support", email="support@example.com")
        s.add(department)
        s.flush()
        ids = {"product": product.id, "group": group.id, "department": department.id}
    return World(api_app, ids)


@pytest.fixture
def base_url(world) -> Iterator[str]:
    """The app served by a real HTTP server on 127.0.0.1 (an ephemeral port)."""
    server = make_server("127.0.0.1", 0, world.app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="whmcs-api-test", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    server.server_close()


class Lib:
    """One library bound to the served app: ``call(action, **params)`` -> dict, plus the raw
    library object (``py`` for whmcspy, ``api`` for whmcs-api-client)."""

    def __init__(self, name: str, base: str, ident: str = IDENTIFIER, secret: str = SECRET):
        self.name = name
        self.ident, self.secret = ident, secret
        self.py = whmcspy.WHMCS(f"{base}/includes/api.php", ident, secret)
        self.api = DefaultApi(ApiClient(Configuration(host=f"{base}/includes")))

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        """Run ``action``: whmcspy raises whmcspy.Error on result=error; whmcs-api-client
        returns the error body at HTTP 200 and raises ApiException otherwise."""
        if self.name == "whmcspy":
            return dict(self.py.call(action, **params))
        return generic_call(self.api, action, self.ident, self.secret, **params)

    @property
    def auth(self) -> dict[str, str]:
        return {"username": self.ident, "password": self.secret}


def generic_call(api: DefaultApi, action: str, username: str, password: str,
                 **params: Any) -> dict[str, Any]:
    """An action through whmcs-api-client's transport, the way its generated methods send one:
    POST ``/api.php?action=X``, form body with username/password, lists as ``key[]``."""
    form: list[tuple[str, Any]] = [("username", username), ("password", password)]
    for key, value in params.items():
        if isinstance(value, list | tuple):
            form.extend((f"{key}[]", item) for item in value)
        else:
            form.append((key, value))
    client = api.api_client
    request = client.param_serialize(
        method="POST", resource_path=f"/api.php?action={action}",
        header_params={"Accept": "application/json",
                       "Content-Type": "application/x-www-form-urlencoded"},
        post_params=form, auth_settings=[], collection_formats={})
    response = client.call_api(*request)
    response.read()
    data = client.response_deserialize(response, {"200": "object"}).data
    assert isinstance(data, dict), f"{action}: body is not a JSON object: {data!r}"
    return data


def ok(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` when it is a success, else fail with the server's message."""
    assert body.get("result") == "success", f"expected success, got {body}"
    return body


@pytest.fixture(params=LIBRARIES)
def lib(request, base_url) -> Lib:
    return Lib(request.param, base_url)


# -- the scenario, one step per test ------------------------------------------------------------

def test_add_client(lib, world):
    if lib.name == "whmcspy":
        client_id = lib.py.add_client(email="grace@example.com", password2="S3cret-pass!",
                                      **PROFILE)
        assert isinstance(client_id, str) and client_id.isdigit()
    else:
        response = lib.api.add_client(lib.ident, lib.secret, email="grace@example.com",
                                      password2="S3cret-pass!", **PROFILE)
        assert response.result == "success", response
        client_id = response.clientid
    row = world.read(lambda s: s.get(Client, int(client_id)))
    assert (row.email, row.first_name, row.country) == ("grace@example.com", "Grace", "US")


def test_list_search_and_page_clients(lib, world):
    for n in range(7):
        world.client(email=f"page{n}@example.com", first_name=f"Zed{n}" if n < 2 else "Amy")
    if lib.name == "whmcspy":
        pages = list(lib.py.paginated_call("GetClients", limitnum=3))
        assert [p["numreturned"] for p in pages] == [3, 3, 1]
        emails = [c["email"] for p in pages for c in p["clients"]["client"]]
        assert sorted(emails) == sorted(f"page{n}@example.com" for n in range(7))
        found = lib.py.call("GetClients", search="Zed")
        assert {c["firstname"] for c in found["clients"]["client"]} == {"Zed0", "Zed1"}
    else:
        page = lib.api.get_clients(lib.ident, lib.secret, limitstart=3, limitnum=3)
        assert (page.result, page.totalresults, page.startnumber, page.numreturned) == (
            "success", 7, 3, 3)
        assert all(isinstance(c.id, int) and c.status == "Active" for c in page.clients.client)
        past = lib.api.get_clients(lib.ident, lib.secret, limitstart=7, limitnum=3)
        assert past.numreturned == 0
        found = lib.api.get_clients(lib.ident, lib.secret, search="Zed")
        assert sorted(c.firstname for c in found.clients.client) == ["Zed0", "Zed1"]


def test_update_client(lib, world):
    client_id = world.client(email="upd@example.com")
    if lib.name == "whmcspy":
        body = lib.py.call("UpdateClient", clientid=client_id, companyname="Renamed Ltd",
                           city="Boston")
        assert body["clientid"] == str(client_id)
    else:
        response = lib.api.update_client(lib.ident, lib.secret, clientid=client_id,
                                         companyname="Renamed Ltd", city="Boston")
        assert (response.result, response.clientid) == ("success", str(client_id)), response
    row = world.read(lambda s: s.get(Client, client_id))
    assert (row.company_name, row.city) == ("Renamed Ltd", "Boston")


def test_add_contact(lib, world):
    client_id = world.client(email="owner@example.com")
    body = ok(lib.call("AddContact", clientid=client_id, firstname="Bill", lastname="Payer",
                       email="billing@example.com", country="US"))
    contact = world.read(lambda s: s.get(Contact, int(body["contactid"])))
    assert (contact.client_id, contact.email) == (client_id, "billing@example.com")


def test_add_order_and_accept_provisions_through_module(lib, world):
    client_id = world.client(email="buyer@example.com")
    pid = world.ids["product"]
    if lib.name == "whmcspy":
        body = lib.py.add_order(client_id, paymentmethod="banktransfer",
                                products=[{"id": pid, "domain": "buyer.example"}],
                                billingcycle=["monthly"])
        order_id = body["orderid"]
    else:
        response = lib.api.add_order(lib.ident, lib.secret, clientid=client_id,
                                     paymentmethod="banktransfer", pid=[pid],
                                     domain=["buyer.example"], billingcycle=["monthly"])
        assert response.result == "success", response
        order_id = response.orderid
    assert str(order_id).isdigit()
    ok(lib.call("AcceptOrder", orderid=order_id))
    service = world.read(lambda s: s.scalar(select(Service).where(Service.client_id == client_id)))
    assert service.status == "active" and service.username == f"acct{service.id}"
    assert ("create", service.id) in ScenarioPanel.calls
    if lib.name == "whmcspy":
        products = list(lib.py.get_clients_products(clientid=client_id))
        assert [p["status"] for p in products] == ["Active"]
    else:
        listed = lib.api.get_clients_products(lib.ident, lib.secret, clientid=client_id)
        assert listed.result == "success"
        assert [p["status"] for p in listed.products["product"]] == ["Active"]


def test_create_invoice(lib, world):
    client_id = world.client(email="inv@example.com")
    body = ok(lib.call("CreateInvoice", userid=client_id, paymentmethod="banktransfer",
                       itemdescription1="Setup work", itemamount1="40.00", itemtaxed1="0",
                       itemdescription2="Support hours", itemamount2="2.50", itemtaxed2="0"))
    assert body["status"] == "Unpaid"
    invoice = world.read(lambda s: s.get(Invoice, int(body["invoiceid"])))
    assert (invoice.client_id, invoice.total, invoice.status) == (
        client_id, Decimal("42.50"), "unpaid")
    if lib.name == "whmcspy":
        fetched = lib.py.get_invoice(int(body["invoiceid"]))
        assert (fetched["total"], fetched["status"]) == ("42.50", "Unpaid")
    else:
        listed = lib.api.get_invoices(lib.ident, lib.secret, userid=client_id)
        assert (listed.result, listed.totalresults) == ("success", 1)
        assert listed.invoices["invoice"][0]["total"] == "42.50"


def test_partial_then_full_payment(lib, world):
    client_id = world.client(email="payer@example.com")
    invoice_id = world.invoice(client_id, "30.00")
    ok(lib.call("AddInvoicePayment", invoiceid=invoice_id, transid="TX-PART-1",
                gateway="banktransfer", date="2026-03-01 10:00:00", amount="10.00"))
    invoice = world.read(lambda s: s.get(Invoice, invoice_id))
    assert (invoice.status, invoice.amount_paid) == ("unpaid", Decimal("10.00"))
    ok(lib.call("AddInvoicePayment", invoiceid=invoice_id, transid="TX-FULL-2",
                gateway="banktransfer", date="2026-03-02 10:00:00"))
    invoice = world.read(lambda s: s.get(Invoice, invoice_id))
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("30.00"))
    count = world.read(lambda s: s.scalar(select(func.count()).select_from(Transaction)
                                          .where(Transaction.invoice_id == invoice_id)))
    assert count == 2
    if lib.name == "whmcspy":
        txns = lib.py.get_transactions(invoiceid=invoice_id)
        assert sorted(t["transid"] for t in txns) == ["TX-FULL-2", "TX-PART-1"]
    else:
        listed = lib.api.get_transactions(lib.ident, lib.secret, invoiceid=invoice_id)
        assert listed.result == "success", listed
        amounts = sorted(t.amountin for t in listed.transactions.transaction)
        assert amounts == [10.0, 20.0]


def test_add_and_apply_credit(lib, world):
    client_id = world.client(email="credit@example.com")
    invoice_id = world.invoice(client_id, "25.00")
    body = ok(lib.call("AddCredit", clientid=client_id, description="Goodwill",
                       amount="40.00"))
    assert body["newbalance"] == "40.00"
    body = ok(lib.call("ApplyCredit", invoiceid=invoice_id, amount="25.00"))
    assert body["invoicepaid"] == "true" and body["amount"] == "25.00"
    invoice = world.read(lambda s: s.get(Invoice, invoice_id))
    client = world.read(lambda s: s.get(Client, client_id))
    assert invoice.status == "paid" and client.credit_balance == Decimal("15.00")


def test_open_ticket_and_reply(lib, world):
    client_id = world.client(email="help@example.com")
    dept = world.ids["department"]
    if lib.name == "whmcspy":
        lib.py.open_ticket(dept, "Site is down", "Please help", clientid=client_id)
        ticket_id = world.read(lambda s: s.scalar(select(Ticket.id)
                                                  .where(Ticket.client_id == client_id)))
        assert ticket_id is not None
    else:
        body = ok(lib.call("OpenTicket", deptid=dept, subject="Site is down",
                           message="Please help", clientid=client_id))
        assert body["tid"] and body["c"]
        ticket_id = int(body["id"])
    ok(lib.call("AddTicketReply", ticketid=ticket_id, message="Any news?", clientid=client_id))
    bodies = world.read(lambda s: list(s.scalars(
        select(TicketMessage.body).where(TicketMessage.ticket_id == ticket_id)
        .order_by(TicketMessage.id))))
    assert bodies == ["Please help", "Any news?"]
    if lib.name == "whmcspy":
        tickets = list(lib.py.get_tickets(clientid=client_id))
        assert [t["subject"] for t in tickets] == ["Site is down"]


def test_domain_register_and_nameservers(lib, world):
    client_id = world.client(email="dns@example.com")
    domain_id = world.domain(client_id)
    ok(lib.call("DomainRegister", domainid=domain_id))
    assert ("register", "shopfront.com") in ScenarioRegistrar.calls
    assert world.read(lambda s: s.get(Domain, domain_id)).status == "active"
    new = ("ns1.new.example", "ns2.new.example")
    if lib.name == "whmcspy":
        ok(lib.call("DomainUpdateNameservers", domainid=domain_id, ns1=new[0], ns2=new[1]))
        got = ok(lib.call("DomainGetNameservers", domainid=domain_id))
        assert (got["ns1"], got["ns2"]) == new
        domains = list(lib.py.get_clients_domains(clientid=client_id))
        assert [(d["domainname"], d["status"]) for d in domains] == [("shopfront.com", "Active")]
    else:
        done = lib.api.domain_update_nameservers(lib.ident, lib.secret, domainid=domain_id,
                                                 ns1=new[0], ns2=new[1])
        assert done.result == "success", done
        got = lib.api.domain_get_nameservers(lib.ident, lib.secret, domainid=domain_id)
        assert (got.result, got.ns1, got.ns2) == ("success", *new)
        listed = lib.api.get_clients_domains(lib.ident, lib.secret, clientid=client_id)
        assert listed.result == "success" and listed.numreturned == 1
    assert ScenarioRegistrar.nameservers["shopfront.com"] == new


def test_module_suspend_and_unsuspend(lib, world):
    client_id = world.client(email="susp@example.com")
    service_id = world.active_service(client_id)
    ok(lib.call("ModuleSuspend", serviceid=service_id, suspendreason="Overdue"))
    assert world.read(lambda s: s.get(Service, service_id)).status == "suspended"
    assert ("suspend:Overdue", service_id) in ScenarioPanel.calls
    ok(lib.call("ModuleUnsuspend", serviceid=service_id))
    assert world.read(lambda s: s.get(Service, service_id)).status == "active"
    assert ("unsuspend", service_id) in ScenarioPanel.calls


# -- error cases --------------------------------------------------------------------------------

def test_bad_credentials_are_403_and_the_library_error(lib):
    bad = Lib(lib.name, lib.py.url.removesuffix("/includes/api.php"), IDENTIFIER, "wrong-secret")
    if lib.name == "whmcspy":
        with pytest.raises(whmcspy.MissingPermission, match="^Authentication Failed$"):
            bad.py.call("GetClients")
    else:
        with pytest.raises(ForbiddenException) as caught:
            bad.api.get_clients(bad.ident, bad.secret)
        assert caught.value.status == 403
        assert json.loads(caught.value.body) == {"result": "error",
                                                 "message": "Authentication Failed"}


def test_unknown_client_is_a_business_error(lib, world):
    if lib.name == "whmcspy":
        with pytest.raises(whmcspy.Error, match="^Client Not Found$") as caught:
            lib.py.call("GetClientsDetails", clientid=999)
        assert not isinstance(caught.value, whmcspy.MissingPermission)
    else:
        response = lib.api.get_clients_details(lib.ident, lib.secret, clientid=999)
        assert (response.result, response.message) == ("error", "Client Not Found")


def test_missing_parameter(lib, world):
    if lib.name == "whmcspy":
        with pytest.raises(whmcspy.Error, match="^You did not enter your first name$"):
            lib.py.add_client(email="nofirst@example.com", password2="x-Pass-123",
                              **dict(PROFILE, firstname=""))
    else:
        response = lib.api.add_client(lib.ident, lib.secret, email="nofirst@example.com",
                                      **dict(PROFILE, firstname=""))
        assert (response.result, response.message) == (
            "error", "You did not enter your first name")
    assert world.read(lambda s: s.scalar(select(func.count()).select_from(Client))) == 0


def test_duplicate_email(lib, world):
    world.client(email="taken@example.com")
    expected = {"A user already exists with that email address",
                "The email address entered is not available for use."}
    if lib.name == "whmcspy":
        with pytest.raises(whmcspy.Error) as caught:
            lib.py.add_client(email="taken@example.com", password2="x-Pass-123", **PROFILE)
        assert str(caught.value) in expected
    else:
        response = lib.api.add_client(lib.ident, lib.secret, email="taken@example.com",
                                      **PROFILE)
        assert response.result == "error" and response.message in expected


def test_disallowed_action_for_a_role_limited_credential(lib, world):
    limited = Lib(lib.name, lib.py.url.removesuffix("/includes/api.php"), *LIMITED)
    message = 'Invalid Permissions: API action "addclient" is not allowed'
    if lib.name == "whmcspy":
        assert limited.py.call("GetClients")["result"] == "success"
        with pytest.raises(whmcspy.MissingPermission) as caught:
            limited.py.add_client(email="x@example.com", password2="x-Pass-123", **PROFILE)
        assert str(caught.value) == message
    else:
        assert limited.api.get_clients(limited.ident, limited.secret).result == "success"
        with pytest.raises(ForbiddenException) as caught:
            limited.api.add_client(limited.ident, limited.secret, email="x@example.com",
                                   **PROFILE)
        assert caught.value.status == 403
        assert json.loads(caught.value.body)["message"] == message


def test_disallowed_ip(lib, world):
    remote = Lib(lib.name, lib.py.url.removesuffix("/includes/api.php"), *TEN_NET)
    if lib.name == "whmcspy":
        with pytest.raises(whmcspy.MissingPermission, match="^Invalid IP 127.0.0.1$"):
            remote.py.call("GetClients")
    else:
        with pytest.raises(ApiException) as caught:
            remote.api.get_clients(remote.ident, remote.secret)
        assert caught.value.status == 403
        assert json.loads(caught.value.body)["message"] == "Invalid IP 127.0.0.1"
