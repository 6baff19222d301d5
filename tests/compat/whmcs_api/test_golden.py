"""Golden shapes of WHMCS API responses, pinned against the reference as data.

Each case names an action, builds its parameters against a seeded world, and states the
documented top-level keys with their JSON value types (whmcs.md §2.1 response-key column,
§2.2 examples, §1.7-1.8 list shapes and value types) and the shapes of nested wrappers
(``clients.client[]``, ``invoice.items.item[]`` ...). The same cases are checked in XML
(``<whmcsapi><action/><result/>...``, lists as repeated elements inside their wrapper).
A case whose action is not registered fails with "Command Not Found": that is the point.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import bridge.models
import compat.whmcs.api.actions  # noqa: F401  (registers every action)
from bridge.context import Actor
from bridge.models import TicketDepartment, Tld
from bridge.services.access import add_user
from bridge.services.catalog import add_product, add_product_group
from bridge.services.clients import add_client, add_client_group
from bridge.services.contacts import add_contact
from bridge.services.credit import add_credit
from bridge.services.domains import add_domain
from bridge.services.invoices import create_invoice
from bridge.services.lifecycle import request_cancellation
from bridge.services.modules import add_server, add_server_group, save_module_settings
from bridge.services.orders import accept_order, place_order
from bridge.services.payments import apply_payment
from bridge.services.pricing import set_prices
from bridge.services.promotions import add_promotion
from bridge.services.registrar_ops import register_at_registrar
from bridge.services.tickets import add_ticket_note, open_ticket, reply_ticket
from bridge.testing import ensure_currency
from hooks import ActionResult, RegistrarModule

# every model module (action groups add their own) is imported before the session's schema
# template is built, so their tables exist in the test databases
for _module in pkgutil.iter_modules(bridge.models.__path__):
    importlib.import_module(f"bridge.models.{_module.name}")


# argon2 at its cheapest: the shapes do not depend on the hash cost (about 10x faster)
pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


# -- value checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A JSON value type as the reference records it."""

    name: str
    test: Callable[[Any], bool]
    container: bool = False  # a list or an object (XML may omit it when empty)

    def __call__(self, value: Any) -> bool:
        return self.test(value)


def _match(pattern: str) -> Callable[[Any], bool]:
    regex = re.compile(pattern)
    return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None


INT = Check("JSON int", lambda v: type(v) is int)
NUMSTR = Check("numeric string", _match(r"\d+"))
ID = Check("int or numeric string", lambda v: type(v) is int or _match(r"\d+")(v))
STR = Check("string", lambda v: isinstance(v, str))
MONEY = Check("2-decimal money string", _match(r"-?\d+\.\d{2}"))
DATE = Check("Y-m-d string", _match(r"\d{4}-\d{2}-\d{2}"))
DATETIME = Check("Y-m-d H:i:s string", _match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"))
BOOL = Check("JSON bool", lambda v: type(v) is bool)
BOOLSTR = Check('"true"/"false"', lambda v: v in ("true", "false"))
FLAG01 = Check('"0"/"1"', lambda v: v in ("0", "1"))
INT01 = Check("0/1 int", lambda v: type(v) is int and v in (0, 1))
ONOFF = Check('"on"/""', lambda v: v in ("on", ""))
NUMBER = Check("JSON number", lambda v: type(v) in (int, float))
SCALAR = Check("scalar", lambda v: isinstance(v, str | int | float | bool) or v is None)
OBJ = Check("object", lambda v: isinstance(v, dict), container=True)
LIST = Check("list", lambda v: isinstance(v, list), container=True)
ANY = Check("anything", lambda v: True, container=True)
OBJ_OR_EMPTY = Check('object or ""', lambda v: isinstance(v, dict) or v == "", container=True)
CSV = Check("comma-separated id string", _match(r"(\d+(,\d+)*)?"))
PAGE = {"totalresults": INT, "startnumber": INT, "numreturned": INT}


@dataclass(frozen=True)
class Case:
    """What one action answers: top-level keys (besides ``result``) and nested shapes.

    ``shapes`` maps a dotted wrapper path to the keys of the object there, or of the first
    item when the path ends in a list (the world is seeded so that list is not empty).
    """

    params: Callable[[Golden], dict[str, Any]]
    keys: dict[str, Check]
    shapes: dict[str, dict[str, Check]] = field(default_factory=dict)
    exact: bool = False  # the documented example has exactly these keys


# -- test modules and the seeded world ----------------------------------------------------------


def _golden_create(self, ctx):
    return ActionResult.success(username=f"gold{ctx.service_id}", password="pw-Gold-1")


def _golden_change_password(self, ctx, new_password):
    return ActionResult.success()


class GoldenRegistrar(RegistrarModule):
    name = "goldenreg"
    label = "Golden registrar"
    contact = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
               "phone": "+44.2070000000", "country": "GB"}

    def register(self, ctx):
        return ActionResult.success(expiry_date=date(2030, 1, 1))

    def transfer(self, ctx):
        return ActionResult.success()

    def renew(self, ctx):
        return ActionResult.success()

    def get_nameservers(self, ctx):
        return ActionResult.success(nameservers=list(ctx.nameservers))

    def save_nameservers(self, ctx, nameservers):
        return ActionResult.success()

    def get_contacts(self, ctx):
        return ActionResult.success(contacts={r: dict(self.contact) for r in
                                              ("registrant", "admin", "tech")})

    def get_epp_code(self, ctx):
        return ActionResult.success(epp_code="EPP-123")

    def set_lock(self, ctx, locked):
        return ActionResult.success()


class Golden:
    """The seeded world: ``ids`` by name and ``call`` to the API (JSON)."""

    def __init__(self, call: Callable[..., Any], ids: dict[str, int]) -> None:
        self._call = call
        self.ids = ids

    def __getattr__(self, name: str) -> int:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None

    def made(self, action: str, key: str, **params: Any) -> Any:
        """Run a prerequisite action and return ``key`` of its answer (fail clearly if not)."""
        status, body = self._call(action, params)
        assert status == 200 and body.get("result") == "success", (
            f"prerequisite {action} failed: {body}")
        return body[key]


def seed(app: Any) -> dict[str, int]:
    """One client with everything a WHMCS account has, through core services."""
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as s:
        ensure_currency(s)
        save_module_settings(s, "gateway", "banktransfer", {"account_holder": "Example Ltd"})
        vip = add_client_group(s, {"name": "VIP", "color": "#28C99B",
                                   "discount_percent": Decimal("10"),
                                   "separate_invoices": True})
        client = add_client(s, {"first_name": "Ada", "last_name": "Lovelace",
                                "email": "ada@example.com", "address1": "1 Engine St",
                                "city": "London", "state": "London", "postcode": "N1",
                                "country": "GB", "phone": "+44.2070000000",
                                "password": "Secret-pass-1", "group_id": vip.id})
        other = add_client(s, {"first_name": "Bob", "last_name": "Other",
                               "email": "bob@example.com", "country": "US", "state": "CA"})
        contact = add_contact(s, client.id, {"first_name": "Bill", "last_name": "Payer",
                                             "email": "bill@example.com"})
        user = add_user(s, "uma@example.com", "Secret-pass-2", first_name="Uma",
                        last_name="User")
        pgroup = add_product_group(s, {"name": "Hosting"})
        servers = add_server_group(s, "Golden panels")
        server = add_server(s, {"name": "gold1", "module": "goldenpanel", "hostname": "g1.test",
                                "ip_address": "192.0.2.10", "group_id": servers.id})
        product = add_product(s, {"name": "Gold", "group_id": pgroup.id, "type": "hosting",
                                  "module": "goldenpanel", "server_group_id": servers.id,
                                  "prices": {"USD": {"1M": {"amount": "10.00"},
                                                     "1Y": {"amount": "100.00"}}}})
        add_promotion(s, {"code": "SAVE10", "type": "percent", "value": Decimal("10"),
                          "product_ids": [product.id]})
        tld = Tld(extension=".com", registrar="goldenreg")
        s.add(tld)
        s.flush()
        for kind in ("tld_register", "tld_renew", "tld_transfer"):
            set_prices(s, kind, tld.id, "USD", {"1Y": {"amount": "12.00"}})
        live = place_order(s, client.id, {"products": [
            {"product_id": product.id, "billing_cycle": "1M", "domain": "ada.example"}],
            "payment_method": "banktransfer"})
        accept_order(s, live.order.id)
        second = place_order(s, client.id, {"products": [
            {"product_id": product.id, "billing_cycle": "1M", "domain": "two.example"}],
            "payment_method": "banktransfer"})
        accept_order(s, second.order.id)
        request_cancellation(s, second.services[0].id, kind="end_of_period", reason="Moving")
        pending = place_order(s, client.id, {"products": [
            {"product_id": product.id, "billing_cycle": "1M", "domain": "wait.example"}],
            "payment_method": "banktransfer"})
        unpaid = create_invoice(s, client.id, [{"description": "Consulting", "unit_amount":
                                                Decimal("30.00"), "taxed": False}],
                                payment_method="banktransfer")
        paid = create_invoice(s, client.id, [{"description": "Setup", "unit_amount":
                                              Decimal("20.00"), "taxed": False}],
                              payment_method="banktransfer")
        payment = apply_payment(s, paid.id, Decimal("20.00"), gateway="banktransfer",
                                gateway_txn_id="TXN-GOLD-1")
        add_credit(s, client.id, Decimal("50.00"), "Goodwill")
        domain = add_domain(s, client.id, "adalovelace.com", registrar="goldenreg",
                            nameservers=["ns1.gold.test", "ns2.gold.test"],
                            recurring_amount=Decimal("12.00"), payment_method="banktransfer")
        register_at_registrar(s, domain.id)
        department = TicketDepartment(name="Support", email="support@example.com")
        s.add(department)
        s.flush()
        ticket = open_ticket(s, {"department_id": department.id, "client_id": client.id,
                                 "subject": "Help", "message": "It is broken"})
        reply = reply_ticket(s, ticket.id, "Still broken", author="client")
        note = add_ticket_note(s, ticket.id, "Looked at it")
        ids = {"client": client.id, "other": other.id, "contact": contact.id,
               "group": vip.id, "pgroup": pgroup.id, "product": product.id,
               "server": server.id, "service": live.services[0].id,
               "service2": second.services[0].id, "pending_service": pending.services[0].id,
               "order": live.order.id, "pending_order": pending.order.id,
               "unpaid": unpaid.id, "paid": paid.id, "domain": domain.id,
               "department": department.id, "ticket": ticket.id, "reply": reply.id,
               "note": note.id, "tld": tld.id,
               "transaction": payment.transaction.id, "user": user.id}
    return ids


@pytest.fixture(scope="session")
def golden_snapshot(tmp_path_factory) -> dict[str, Any]:
    """The seeded database file of the first golden test, reused by the others: ``seed`` is
    deterministic, and copying a file is far cheaper than seeding 200 times."""
    return {"path": tmp_path_factory.mktemp("golden") / "seeded.db", "ids": None}


def _database_file(app: Any) -> Path:
    return Path(app.extensions["bridge"].db.url.removeprefix("sqlite:///"))


@pytest.fixture
def golden(api_app, install_modules, panel_class, unsynced, post, golden_snapshot) -> Golden:
    install_modules(panel_class("goldenpanel", "Golden panel", create=_golden_create,
                                change_password=_golden_change_password),
                    GoldenRegistrar, name="golden-plugin")
    engine = api_app.extensions["bridge"].db.engine
    unsynced(api_app)  # it also disposes: no connection may hold the file while it is copied
    snapshot: Path = golden_snapshot["path"]
    if golden_snapshot["ids"] is None:
        ids = seed(api_app)
        engine.dispose()
        shutil.copyfile(_database_file(api_app), snapshot)
        golden_snapshot["ids"] = ids
    else:
        shutil.copyfile(snapshot, _database_file(api_app))
    return Golden(post, dict(golden_snapshot["ids"]))


# -- the cases ----------------------------------------------------------------------------------

NOTHING: dict[str, Check] = {}
NEW_CLIENT = {"firstname": "Neo", "lastname": "Anderson", "email": "neo@example.com",
              "address1": "1 Matrix Rd", "city": "Capital", "state": "CA", "postcode": "90001",
              "country": "US", "phonenumber": "+1.5550100", "password2": "Secret-pass-9"}
CLIENT_ROW = {"id": INT, "firstname": STR, "lastname": STR, "companyname": STR, "email": STR,
              "datecreated": DATE, "groupid": INT, "status": STR}
INVOICE_ROW = {"id": INT, "userid": INT, "firstname": STR, "lastname": STR, "companyname": STR,
               "invoicenum": STR, "date": DATE, "duedate": DATE, "datepaid": DATETIME,
               "subtotal": MONEY, "credit": MONEY, "tax": MONEY, "tax2": MONEY, "total": MONEY,
               "taxrate": STR, "taxrate2": STR, "status": STR, "paymentmethod": STR,
               "notes": STR, "currencycode": STR, "currencyprefix": STR, "currencysuffix": STR}
PRODUCT_ROW = {"id": NUMSTR, "clientid": NUMSTR, "orderid": NUMSTR, "pid": NUMSTR,
               "regdate": DATE, "name": STR, "groupname": STR, "domain": STR,
               "dedicatedip": STR, "serverid": NUMSTR, "firstpaymentamount": MONEY,
               "recurringamount": MONEY, "paymentmethod": STR, "paymentmethodname": STR,
               "billingcycle": STR, "nextduedate": DATE, "status": STR, "username": STR,
               "password": STR, "ns1": STR, "ns2": STR, "notes": STR}
DOMAIN_ROW = {"id": ID, "userid": ID, "orderid": ID, "regtype": STR, "domainname": STR,
              "registrar": STR, "regperiod": ID, "firstpaymentamount": MONEY,
              "recurringamount": MONEY, "paymentmethod": STR, "paymentmethodname": STR,
              "regdate": DATE, "expirydate": DATE, "nextduedate": DATE, "status": STR,
              "subscriptionid": STR, "promoid": ID, "dnsmanagement": FLAG01,
              "emailforwarding": FLAG01, "idprotection": FLAG01, "donotrenew": FLAG01,
              "notes": STR}
TICKET_ROW = {"id": NUMSTR, "tid": STR, "deptid": NUMSTR, "userid": NUMSTR, "name": STR,
              "email": STR, "requestor_name": STR, "requestor_email": STR, "requestor_type": STR,
              "cc": STR, "c": STR, "date": DATETIME, "subject": STR, "status": STR,
              "priority": STR, "admin": STR, "lastreply": DATETIME, "flag": ID, "service": STR}
TXN_ROW = {"id": NUMSTR, "userid": NUMSTR, "currency": NUMSTR, "gateway": STR,
           "date": DATETIME, "description": STR, "amountin": NUMBER, "fees": NUMBER,
           "amountout": NUMBER, "rate": STR, "transid": STR, "invoiceid": NUMSTR,
           "refundid": NUMSTR}


def _ticket_reply(g: Golden) -> dict[str, Any]:
    return {"ticketid": g.ticket, "message": "Reply from the API", "clientid": g.client}


CASES: dict[str, Case] = {
    # Orders
    "AddOrder": Case(lambda g: {"clientid": g.client, "paymentmethod": "banktransfer",
                                "pid[0]": g.product, "billingcycle[0]": "monthly",
                                "domain[0]": "new.example"},
                     {"orderid": NUMSTR, "serviceids": CSV, "addonids": CSV, "domainids": CSV,
                      "invoiceid": NUMSTR}, exact=True),
    "AcceptOrder": Case(lambda g: {"orderid": g.pending_order}, NOTHING, exact=True),
    "CancelOrder": Case(lambda g: {"orderid": g.pending_order}, NOTHING, exact=True),
    "PendingOrder": Case(lambda g: {"orderid": g.order}, NOTHING, exact=True),
    "FraudOrder": Case(lambda g: {"orderid": g.pending_order}, NOTHING, exact=True),
    "GetOrders": Case(lambda g: {"userid": g.client},
                      {**PAGE, "orders": OBJ},
                      {"orders.order": {"id": ID, "ordernum": ID, "userid": ID, "date": DATETIME,
                                        "amount": MONEY, "paymentmethod": STR, "invoiceid": ID,
                                        "status": STR, "paymentstatus": STR, "lineitems": OBJ},
                       "orders.order.lineitems.lineitem": {"type": STR, "relid": ID,
                                                           "producttype": STR, "product": STR,
                                                           "domain": STR, "billingcycle": STR,
                                                           "amount": MONEY, "status": STR}}),
    "GetOrderStatuses": Case(lambda g: {}, {"totalresults": INT, "statuses": OBJ},
                             {"statuses.status": {"title": STR, "count": ID}}),
    "GetProducts": Case(lambda g: {"pid": g.product}, {**PAGE, "products": OBJ},
                        {"products.product": {"pid": ID, "gid": ID, "type": STR, "name": STR,
                                              "description": STR, "module": STR,
                                              "paytype": STR, "pricing": OBJ},
                         "products.product.pricing.USD": {"prefix": STR, "suffix": STR,
                                                          "msetupfee": MONEY, "monthly": MONEY,
                                                          "quarterly": MONEY,
                                                          "annually": MONEY}}),
    "GetPromotions": Case(lambda g: {}, {"totalresults": INT, "promotions": OBJ},
                          {"promotions.promotion": {"id": ID, "code": STR, "type": STR,
                                                    "recurring": INT01, "value": STR,
                                                    "appliesto": STR, "applyonce": INT01,
                                                    "newsignups": INT01,
                                                    "onceperclient": INT01}}),
    # Billing
    "AddBillableItem": Case(lambda g: {"clientid": g.client, "description": "Extra hours",
                                       "amount": "15.00", "unit": "hours"},
                            {"billableid": ID}),
    "AddCredit": Case(lambda g: {"clientid": g.client, "description": "Refund", "amount": "5"},
                      {"newbalance": MONEY}),
    "AddInvoicePayment": Case(lambda g: {"invoiceid": g.unpaid, "transid": "TX-G-2",
                                         "gateway": "banktransfer",
                                         "date": "2026-01-02 03:04:05"}, NOTHING, exact=True),
    "AddTransaction": Case(lambda g: {"paymentmethod": "banktransfer", "userid": g.client,
                                      "transid": "TX-G-3", "amountin": "7.50",
                                      "description": "Wire"}, NOTHING),
    "ApplyCredit": Case(lambda g: {"invoiceid": g.unpaid, "amount": "10.00"},
                        {"invoiceid": NUMSTR, "amount": MONEY, "invoicepaid": BOOLSTR},
                        exact=True),
    "CreateInvoice": Case(lambda g: {"userid": g.client, "itemdescription1": "Work",
                                     "itemamount1": "12.00", "itemtaxed1": "0"},
                          {"invoiceid": NUMSTR, "status": STR}, exact=True),
    "GenInvoices": Case(lambda g: {"clientid": g.client}, {"numcreated": ID}),
    "GetCredits": Case(lambda g: {"clientid": g.client},
                       {"totalresults": INT, "clientid": ID, "credits": OBJ},
                       {"credits.credit": {"id": ID, "date": DATE, "description": STR,
                                           "amount": MONEY, "relid": ID}}),
    "GetInvoice": Case(lambda g: {"invoiceid": g.paid},
                       {"invoiceid": INT, "invoicenum": STR, "userid": INT, "date": DATE,
                        "duedate": DATE, "datepaid": DATETIME, "subtotal": MONEY,
                        "credit": MONEY, "tax": MONEY, "tax2": MONEY, "total": MONEY,
                        "balance": MONEY, "taxrate": STR, "taxrate2": STR, "status": STR,
                        "paymentmethod": STR, "notes": STR, "ccgateway": BOOL, "items": OBJ,
                        "transactions": OBJ_OR_EMPTY},
                       {"items.item": {"id": ID, "type": STR, "relid": ID, "description": STR,
                                       "amount": MONEY, "taxed": ID},
                        "transactions.transaction": {"id": ID, "gateway": STR, "transid": STR,
                                                     "date": DATETIME}}),
    "GetInvoices": Case(lambda g: {"userid": g.client}, {**PAGE, "invoices": OBJ},
                        {"invoices.invoice": INVOICE_ROW}),
    "GetPayMethods": Case(lambda g: {"clientid": g.client}, {"clientid": ID, "paymethods": LIST}),
    "GetTransactions": Case(lambda g: {"clientid": g.client},
                            {**PAGE, "transactions": OBJ},
                            {"transactions.transaction": TXN_ROW}),
    "UpdateInvoice": Case(lambda g: {"invoiceid": g.unpaid, "notes": "Thanks"},
                          {"invoiceid": ID}),
    "UpdateTransaction": Case(lambda g: {"transactionid": g.transaction, "description": "Fixed"},
                              {"transactionid": ID}),
    "CreateQuote": Case(lambda g: {"subject": "Offer", "stage": "Draft",
                                   "validuntil": "2030-01-01", "userid": g.client,
                                   "lineitems[0][desc]": "Build", "lineitems[0][qty]": "1",
                                   "lineitems[0][up]": "100.00", "lineitems[0][taxable]": "0"},
                        {"quoteid": ID}),
    "GetQuotes": Case(lambda g: {"quoteid": g.made("CreateQuote", "quoteid", subject="Offer",
                                                   stage="Draft", validuntil="2030-01-01",
                                                   userid=g.client)},
                      {**PAGE, "quotes": OBJ}, {"quotes.quote": {"id": ID, "subject": STR,
                                                                 "stage": STR}}),
    # Module
    "GetModuleQueue": Case(lambda g: {}, {"count": ID, "queue": ANY}),
    # Support
    "AddAnnouncement": Case(lambda g: {"date": "2026-01-01 00:00:00", "title": "News",
                                       "announcement": "Hello"}, {"announcementid": ID}),
    "GetAnnouncements": Case(lambda g: {"limitnum": g.made(
        "AddAnnouncement", "announcementid", date="2026-01-01 00:00:00", title="News",
        announcement="Hello", published="1") and 10},
        {**PAGE, "announcements": OBJ},
        {"announcements.announcement": {"id": ID, "date": DATETIME, "title": STR,
                                        "announcement": STR}}),
    "AddCancelRequest": Case(lambda g: {"serviceid": g.service, "type": "Immediate",
                                        "reason": "Too expensive"},
                             {"serviceid": ID, "userid": ID}),
    "AddClientNote": Case(lambda g: {"userid": g.client, "notes": "VIP customer"},
                          {"noteid": ID}),
    "AddTicketNote": Case(lambda g: {"ticketid": g.ticket, "message": "Internal"}, NOTHING,
                          exact=True),
    "AddTicketReply": Case(_ticket_reply, NOTHING, exact=True),
    "DeleteTicket": Case(lambda g: {"ticketid": g.ticket}, NOTHING, exact=True),
    "OpenTicket": Case(lambda g: {"deptid": g.department, "subject": "Down", "message": "Help",
                                  "clientid": g.client, "priority": "High"},
                       {"id": NUMSTR, "tid": STR, "c": STR}, exact=True),
    "UpdateTicket": Case(lambda g: {"ticketid": g.ticket, "status": "Answered"},
                         {"ticketid": ID}),
    "UpdateTicketReply": Case(lambda g: {"replyid": g.reply, "message": "Edited"},
                              {"replyid": ID}),
    # System
    "EncryptPassword": Case(lambda g: {"password2": "teststring"}, {"password": STR},
                            exact=True),
    "DecryptPassword": Case(lambda g: {"password2": g.made("EncryptPassword", "password",
                                                           password2="teststring")},
                            {"password": STR}, exact=True),
    "GetActivityLog": Case(lambda g: {"clientid": g.client},
                           {"totalresults": INT, "startnumber": INT, "activity": OBJ},
                           {"activity.entry": {"id": ID, "clientId": ID, "userId": ID,
                                               "adminId": ID, "date": STR, "description": STR,
                                               "username": STR, "ipaddress": STR,
                                               "userid": ID}}),
    "GetAdminDetails": Case(lambda g: {}, {"adminid": ID, "name": STR, "notes": STR,
                                           "signature": STR, "allowedpermissions": STR,
                                           "departments": STR, "requesttime": STR,
                                           "whmcs": OBJ},
                            {"whmcs": {"version": STR, "canonicalversion": STR}}),
    "GetAdminUsers": Case(lambda g: {}, {"count": ID, "admin_users": LIST},
                          {"admin_users": {"id": ID, "email": STR}}),
    "GetAutomationLog": Case(lambda g: {}, {"currentDatetime": STR,
                                            "lastDailyCronInvocationTime": SCALAR,
                                            "startdate": STR, "enddate": STR,
                                            "statistics": ANY}),
    "GetConfigurationValue": Case(lambda g: {"setting": "SystemURL"},
                                  {"setting": STR, "value": SCALAR}),
    "GetCurrencies": Case(lambda g: {}, {"totalresults": INT, "currencies": OBJ},
                          {"currencies.currency": {"id": ID, "code": STR, "prefix": STR,
                                                   "suffix": STR, "format": ID,
                                                   "rate": STR}}),
    "GetEmailTemplates": Case(lambda g: {}, {"totalresults": INT, "emailtemplates": ANY}),
    "GetPaymentMethods": Case(lambda g: {}, {"totalresults": INT, "paymentmethods": OBJ},
                              {"paymentmethods.paymentmethod": {"module": STR,
                                                                "displayname": STR}}),
    "GetStaffOnline": Case(lambda g: {}, {"totalresults": INT, "staffonline": ANY}),
    "GetStats": Case(lambda g: {}, {"income_today": STR, "income_thismonth": STR,
                                    "income_thisyear": STR, "income_alltime": STR,
                                    "orders_pending": ID, "orders_today_total": ID,
                                    "tickets_allactive": ID, "tickets_open": ID,
                                    "cancellations_pending": ID, "staff_online": ID,
                                    "timeline_data": ANY}),
    "GetToDoItems": Case(lambda g: {}, {"totalresults": INT, "startnumber": INT, "items": ANY}),
    "GetToDoItemStatuses": Case(lambda g: {}, {"totalresults": INT, "todoitemstatuses": ANY}),
    "LogActivity": Case(lambda g: {"description": "Ran a report", "clientid": g.client},
                        NOTHING),
    "UpdateAdminNotes": Case(lambda g: {"notes": "Remember the milk"}, NOTHING, exact=True),
    "WhmcsDetails": Case(lambda g: {}, {"whmcs": OBJ},
                         {"whmcs": {"version": STR, "canonicalversion": STR}}, exact=True),
    "AddBannedIp": Case(lambda g: {"ip": "203.0.113.9", "reason": "Abuse", "days": "3"},
                        {"banid": ID}),
    # Client
    "AddClient": Case(lambda g: dict(NEW_CLIENT), {"clientid": NUMSTR}),
    "AddContact": Case(lambda g: {"clientid": g.client, "firstname": "Tech", "lastname": "Guy",
                                  "email": "tech@example.com"}, {"contactid": ID}),
    "CloseClient": Case(lambda g: {"clientid": g.other}, {"clientid": ID}),
    "DeleteClient": Case(lambda g: {"clientid": g.other}, {"clientid": ID}),
    "DeleteContact": Case(lambda g: {"contactid": g.contact}, {"contactid": ID}),
    "GetCancelledPackages": Case(lambda g: {}, {**PAGE, "packages": OBJ},
                                 {"packages.package": {"id": ID, "date": STR, "relid": ID,
                                                       "reason": STR, "type": STR}}),
    "GetClientGroups": Case(lambda g: {}, {"totalresults": INT, "groups": OBJ},
                            {"groups.group": {"id": ID, "groupname": STR, "groupcolour": STR,
                                              "discountpercent": MONEY,
                                              "susptermexempt": ONOFF,
                                              "separateinvoices": ONOFF}}),
    "GetClients": Case(lambda g: {}, {**PAGE, "clients": OBJ}, {"clients.client": CLIENT_ROW}),
    "GetClientsAddons": Case(lambda g: {"clientid": g.client},
                             {"totalresults": INT, "serviceid": ANY, "clientid": ANY,
                              "addons": ANY}),
    "GetClientsDetails": Case(lambda g: {"clientid": g.client, "stats": "true"},
                              {"client": OBJ, "stats": OBJ},
                              {"client": {"id": ID, "userid": ID, "client_id": ID,
                                          "firstname": STR, "lastname": STR, "fullname": STR,
                                          "companyname": STR, "email": STR, "address1": STR,
                                          "city": STR, "state": STR, "postcode": STR,
                                          "countrycode": STR, "country": STR,
                                          "phonenumber": STR, "currency": INT,
                                          "currency_code": STR, "groupid": ID, "status": STR,
                                          "credit": MONEY, "taxexempt": BOOL,
                                          "latefeeoveride": BOOL, "separateinvoices": BOOL,
                                          "email_preferences": OBJ, "customfields": ANY,
                                          "users": OBJ},
                               "client.users.user": {"id": ID, "name": STR, "email": STR,
                                                     "is_owner": ANY},
                               "stats": {"numdueinvoices": ID, "dueinvoicesbalance": STR,
                                         "creditbalance": STR, "productsnumactive": ID,
                                         "numactivedomains": ID, "numtickets": ID}}),
    "GetClientsDomains": Case(lambda g: {"clientid": g.client},
                              {"clientid": ANY, "domainid": ANY, **PAGE, "domains": OBJ},
                              {"domains.domain": DOMAIN_ROW}),
    "GetClientsProducts": Case(lambda g: {"clientid": g.client},
                               {"clientid": ANY, "serviceid": ANY, "pid": ANY, "domain": ANY,
                                **PAGE, "products": OBJ},
                               {"products.product": PRODUCT_ROW}),
    "GetContacts": Case(lambda g: {"userid": g.client}, {**PAGE, "contacts": OBJ},
                        {"contacts.contact": {"id": ID, "userid": ID, "firstname": STR,
                                              "lastname": STR, "email": STR,
                                              "generalemails": BOOL, "invoiceemails": BOOL,
                                              "supportemails": BOOL}}),
    "GetEmails": Case(lambda g: {"clientid": g.client}, {**PAGE}),
    "UpdateClient": Case(lambda g: {"clientid": g.client, "companyname": "Engines Ltd"},
                         {"clientid": NUMSTR}, exact=True),
    "UpdateContact": Case(lambda g: {"contactid": g.contact, "lastname": "Payer-Smith"},
                          {"contactid": ID}),
    # Products
    "AddProduct": Case(lambda g: {"name": "Platinum", "gid": g.pgroup, "type": "hostingaccount",
                                  "paytype": "recurring", "pricing[1][monthly]": "20.00"},
                       {"pid": ID}),
    # Users
    "AddUser": Case(lambda g: {"firstname": "New", "lastname": "User",
                               "email": "newuser@example.com", "password2": "Secret-pass-3"},
                    {"user_id": ID}),
    "GetUsers": Case(lambda g: {}, {**PAGE, "users": LIST},
                     {"users": {"id": ID, "firstname": STR, "lastname": STR, "email": STR,
                                "datecreated": STR, "clients": LIST}}),
    "GetPermissionsList": Case(lambda g: {}, {"permissions": ANY}),
    # Affiliates
    "GetAffiliates": Case(lambda g: {}, {**PAGE}),
    # Authentication
    "ValidateLogin": Case(lambda g: {"email": "ada@example.com", "password2": "Secret-pass-1"},
                          {"userid": ID, "passwordhash": STR, "twoFactorEnabled": BOOLSTR}),
    "CreateSsoToken": Case(lambda g: {"client_id": g.client},
                           {"access_token": STR, "redirect_url": STR}),
    # Domains
    "DomainGetNameservers": Case(lambda g: {"domainid": g.domain},
                                 {"ns1": STR, "ns2": STR, "ns3": STR, "ns4": STR, "ns5": STR}),
    "DomainGetLockingStatus": Case(lambda g: {"domainid": g.domain}, {"lockstatus": STR}),
    "DomainUpdateNameservers": Case(lambda g: {"domainid": g.domain, "ns1": "ns1.new.test",
                                               "ns2": "ns2.new.test"}, NOTHING, exact=True),
    "DomainRenew": Case(lambda g: {"domainid": g.domain, "regperiod": "1"}, NOTHING),
    "DomainRequestEPP": Case(lambda g: {"domainid": g.domain}, {"eppcode": STR}),
    "DomainGetWhoisInfo": Case(lambda g: {"domainid": g.domain},
                               {"Registrant": OBJ, "Admin": OBJ, "Tech": OBJ}),
    "DomainUpdateLockingStatus": Case(lambda g: {"domainid": g.domain, "lockstatus": "0"},
                                      NOTHING),
    "GetTLDPricing": Case(lambda g: {"currencyid": 1}, {"currency": OBJ, "pricing": OBJ},
                          {"currency": {"id": ID, "code": STR, "prefix": STR, "suffix": STR,
                                        "format": ID, "rate": STR},
                           "pricing.com": {"register": OBJ, "transfer": OBJ, "renew": OBJ,
                                           "addons": OBJ},
                           "pricing.com.addons": {"dns": BOOL, "email": BOOL,
                                                  "idprotect": BOOL}}),
    "UpdateClientDomain": Case(lambda g: {"domainid": g.domain, "notes": "Important"},
                               {"domainid": ID}),
    "CreateOrUpdateTLD": Case(lambda g: {"extension": ".net", "currency_code": "USD",
                                         "register[1]": "9.00"},
                              {"extension": STR, "id": ID}),
    "GetRegistrars": Case(lambda g: {}, {"registrars": ANY}),
    # Servers
    "GetServers": Case(lambda g: {}, {"servers": LIST, "fetchStatus": ANY},
                       {"servers": {"id": ID, "name": STR, "hostname": STR, "ipaddress": STR,
                                    "active": ANY, "activeServices": ID, "module": STR}}),
    # Tickets
    "GetSupportDepartments": Case(lambda g: {}, {"totalresults": INT, "departments": OBJ},
                                  {"departments.department": {"id": ID, "name": STR,
                                                              "awaitingreply": ID,
                                                              "opentickets": ID}}),
    "GetSupportStatuses": Case(lambda g: {}, {"totalresults": INT, "statuses": OBJ},
                               {"statuses.status": {"title": STR, "count": ID,
                                                    "color": STR}}),
    "GetTicket": Case(lambda g: {"ticketid": g.ticket},
                      {"ticketid": ID, "tid": STR, "c": STR, "deptid": ID, "deptname": STR,
                       "userid": ID, "contactid": ID, "name": STR, "email": STR,
                       "requestor_name": STR, "requestor_type": STR, "requestor_email": STR,
                       "cc": STR, "date": DATETIME, "subject": STR, "status": STR,
                       "priority": STR, "admin": STR, "lastreply": DATETIME, "flag": ID,
                       "service": STR, "replies": OBJ, "notes": OBJ},
                      {"replies.reply": {"replyid": ID, "userid": ID, "name": STR,
                                         "email": STR, "date": DATETIME, "message": STR,
                                         "admin": STR, "attachments_removed": BOOL},
                       "notes.note": {"noteid": ID, "date": DATETIME, "message": STR,
                                      "admin": STR}}),
    "GetTicketCounts": Case(lambda g: {"includeCountsByStatus": "1"},
                            {"filteredDepartments": LIST, "allActive": ID,
                             "awaitingReply": ID, "flaggedTickets": ID, "status": OBJ},
                            {"status.open": {"title": STR, "count": ID}}),
    "GetTicketNotes": Case(lambda g: {"ticketid": g.ticket}, {"totalresults": INT, "notes": OBJ},
                           {"notes.note": {"id": ID, "message": STR}}),
    "GetTicketPredefinedCats": Case(lambda g: {}, {"totalresults": INT, "categories": ANY}),
    "GetTicketPredefinedReplies": Case(lambda g: {}, {"totalresults": INT,
                                                      "predefinedreplies": ANY}),
    "GetTickets": Case(lambda g: {"clientid": g.client}, {**PAGE, "tickets": OBJ},
                       {"tickets.ticket": TICKET_ROW}),
    # Service
    "ModuleCreate": Case(lambda g: {"serviceid": g.pending_service}, NOTHING, exact=True),
    "ModuleSuspend": Case(lambda g: {"serviceid": g.service, "suspendreason": "Overdue"},
                          NOTHING, exact=True),
    "ModuleTerminate": Case(lambda g: {"serviceid": g.service}, NOTHING, exact=True),
    "ModuleChangePw": Case(lambda g: {"serviceid": g.service, "servicepassword": "N3w-pass!"},
                           NOTHING, exact=True),
    "UpdateClientProduct": Case(lambda g: {"serviceid": g.service, "notes": "Migrated"},
                                {"serviceid": ID}),
}


def _resolve(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if isinstance(node, list):  # a list on the way: look into its first item
            node = node[0]
        assert isinstance(node, dict) and part in node, (
            f"wrapper path {path!r}: no {part!r} in {_short(node)}")
        node = node[part]
        if isinstance(node, list):
            assert node, f"wrapper path {path!r}: {part!r} is an empty list (the world has rows)"
    if isinstance(node, list):
        node = node[0]
    assert isinstance(node, dict), f"{path!r} is {_short(node)}, not an object"
    return node


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


def _check_keys(where: str, node: dict[str, Any], spec: dict[str, Check]) -> list[str]:
    problems = []
    for key, check in spec.items():
        if key not in node:
            problems.append(f"{where}: missing key {key!r}")
        elif not check(node[key]):
            problems.append(f"{where}.{key}: expected {check.name}, got {node[key]!r}")
    return problems


@pytest.mark.parametrize("action", sorted(CASES))
def test_json_shape(action, golden, post):
    case = CASES[action]
    status, body = post(action, case.params(golden))
    assert status == 200 and isinstance(body, dict), (status, body)
    assert body.get("result") == "success", f"{action}: {body}"
    assert list(body)[0] == "result", f"{action}: result is not the first key"
    problems = _check_keys(action, body, case.keys)
    if case.exact:
        extra = sorted(set(body) - set(case.keys) - {"result"})
        if extra:
            problems.append(f"{action}: keys beyond the documented example: {extra}")
    for path, spec in case.shapes.items():
        try:
            node = _resolve(body, path)
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        problems += _check_keys(f"{action}.{path}", node, spec)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("action", sorted(CASES))
def test_xml_shape(action, golden, post):
    case = CASES[action]
    status, text = post(action, case.params(golden), "xml")
    assert status == 200, text
    root = ET.fromstring(text.encode())
    assert root.tag == "whmcsapi" and root.attrib.get("version"), text[:200]
    assert root.findtext("action") == action.lower()
    assert root.findtext("result") == "success", text[:500]
    tags = [child.tag for child in root]
    assert tags[:2] == ["action", "result"]
    problems = [f"<{key}> missing" for key, check in case.keys.items()
                if key not in tags and not check.container]
    for path, spec in case.shapes.items():
        element = root.find(path.replace(".", "/"))
        if element is None:
            problems.append(f"<{path.replace('.', '/')}> missing")
            continue
        children = {child.tag for child in element}
        problems += [f"<{path.replace('.', '/')}/{key}> missing" for key, check in spec.items()
                     if key not in children and not check.container]
    assert not problems, "\n".join(problems)


def test_at_least_sixty_actions_are_pinned():
    from compat.whmcs.api.catalogue import CATALOGUE

    names = {name for name, _, _ in CATALOGUE}
    assert set(CASES) <= names, sorted(set(CASES) - names)
    assert len(CASES) >= 60
