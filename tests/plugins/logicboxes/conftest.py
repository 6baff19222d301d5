"""A fake LogicBoxes HTTP API on loopback, with in-memory customers, contacts and orders.

It follows the LogicBoxes HTTP API knowledge base (manage.resellerclub.com/kb/answer/744 and
its mirrors on LogicBoxes white-label control panels), read for facts only:

- every call is ``/api/<category>/<action>.json`` with ``auth-userid`` and ``api-key``;
  array parameters repeat their name; booleans are ``true``/``false``;
- GET ``domains/available`` (domain-name[], tlds[]) answers ``{"<sld>.<tld>": {"classkey",
  "status"}}`` with status available / regthroughus / regthroughothers / unknown;
- POST ``domains/register`` (domain-name, years, ns[], customer-id, reg-/admin-/tech-/
  billing-contact-id, invoice-option, optional purchase-privacy / protect-privacy);
- POST ``domains/transfer`` (domain-name, auth-code, customer-id, the four contact ids,
  invoice-option; ns[] optional);
- POST ``domains/renew`` (order-id, years, exp-date = current endtime in epoch seconds,
  invoice-option, auto-renew);
- GET ``domains/details-by-name`` (domain-name, options[] OrderDetails / NsDetails / All):
  orderid, domainname, currentstatus, orderstatus[], endtime, domsecret, isprivacyprotected,
  ns1..nsN;
- POST ``domains/modify-ns`` (order-id, ns[]), ``domains/enable-theft-protection`` /
  ``disable-theft-protection`` (order-id), ``domains/modify-privacy-protection`` (order-id,
  protect-privacy, reason): action answers with entityid, actionstatus, actionstatusdesc;
- GET ``customers/details`` (username) answers customerid, username, ...;
- POST ``contacts/default`` (customer-id, type[]) answers ``{"Contact": {"registrant",
  "admin", "tech", "billing", ...}}``;
- errors are ``{"status": "ERROR", "message": ...}``.

Test hooks that are not LogicBoxes behaviour: domain ``garbage.com`` answers HTML,
``boom.com`` a bare HTTP 502, ``slow.com`` sleeps 1 s, ``flaky`` is "unknown" in
availability; ``error_http_status`` sets the HTTP status sent with JSON errors.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

RESELLER_ID = "467890"
API_KEY = "k3y/with+chars"
YEAR = 365 * 86400
NOW = int(time.time())


@dataclass
class Order:
    """One domain registration order at the fake registrar."""

    orderid: int
    domain: str
    customerid: str
    contacts: dict[str, str]
    ns: list[str]
    endtime: int
    currentstatus: str = "Active"
    orderstatus: set[str] = field(default_factory=lambda: {"transferlock"})
    domsecret: str = "Epp#Secret-1"
    privacy: bool = False


@dataclass
class Call:
    """A request the fake received (auth parameters removed)."""

    method: str
    path: str
    params: dict[str, list[str]]


class FakeLogicBoxes:
    """The in-memory registrar and its request handlers."""

    reseller_id = RESELLER_ID
    api_key = API_KEY
    now = NOW
    year = YEAR

    def __init__(self) -> None:
        self.customers = {"ada@example.test": "1001", "nocontacts@example.test": "1002"}
        self.default_contacts = {
            "1001": {"registrant": "2001", "admin": "2002", "tech": "2003", "billing": "2004"},
        }
        self.taken_elsewhere = {"google.com"}
        self.offered_tlds = {"com", "net", "org", "co.uk"}
        self.orders: dict[str, Order] = {}
        self.calls: list[Call] = []
        self.error_http_status = 200
        self._next = 5000
        self.lock = threading.Lock()

    def add_order(self, domain: str, **kw: Any) -> Order:
        """Seed an existing order."""
        self._next += 1
        values: dict[str, Any] = {
            "customerid": "1001", "contacts": dict(self.default_contacts["1001"]),
            "ns": ["ns1.seed.test", "ns2.seed.test"], "endtime": NOW + YEAR,
        }
        values.update(kw)
        order = Order(self._next, domain, **values)
        self.orders[domain] = order
        return order

    def paths(self) -> list[str]:
        return [f"{c.method} {c.path}" for c in self.calls]

    # -- dispatch ------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict[str, list[str]]) -> tuple[int, Any]:
        if params.pop("auth-userid", [""]) != [RESELLER_ID] or params.pop("api-key", [""]) != [
            API_KEY
        ]:
            return self.error("Invalid credentials: check auth-userid and api-key")
        self.calls.append(Call(method, path, params))
        route = ROUTES.get(path)
        if route is None:
            return 404, {"status": "ERROR", "message": f"unknown API {path}"}
        wanted_method, required, handler = route
        if method != wanted_method:
            return self.error(f"{path} requires {wanted_method}")
        missing = [name for name in required if not params.get(name)]
        if missing:
            return self.error(f"Required parameter missing: {', '.join(missing)}")
        return handler(self, params)

    def error(self, message: str) -> tuple[int, Any]:
        return self.error_http_status, {"status": "ERROR", "message": message}

    def order_by_id(self, params: dict[str, list[str]]) -> Order | None:
        wanted = params["order-id"][0]
        return next((o for o in self.orders.values() if str(o.orderid) == wanted), None)

    @staticmethod
    def action(order: Order, kind: str, text: str) -> tuple[int, Any]:
        return 200, {"description": order.domain, "entityid": str(order.orderid),
                     "actiontype": kind, "actiontypedesc": text, "eaqid": "77",
                     "actionstatus": "Success", "actionstatusdesc": f"{text} completed"}

    # -- domains -------------------------------------------------------------------------

    def available(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        answer = {}
        for sld in p["domain-name"]:
            for tld in p["tlds"]:
                name = f"{sld}.{tld}"
                if tld not in self.offered_tlds:
                    continue
                if sld == "flaky":
                    status = "unknown"
                elif name in self.orders:
                    status = "regthroughus"
                elif name in self.taken_elsewhere:
                    status = "regthroughothers"
                else:
                    status = "available"
                answer[name] = {"classkey": "domcno", "status": status}
        return 200, answer

    def _check_order_inputs(self, p: dict[str, list[str]]) -> str | None:
        customer = p["customer-id"][0]
        if customer not in self.customers.values():
            return f"Invalid customer-id {customer}"
        known = set(self.default_contacts.get(customer, {}).values()) | {"-1", "3001"}
        for prefix in ("reg", "admin", "tech", "billing"):
            if p[f"{prefix}-contact-id"][0] not in known:
                return f"Invalid {prefix}-contact-id"
        if p["invoice-option"][0] not in ("NoInvoice", "PayInvoice", "KeepInvoice", "OnlyAdd"):
            return "Invalid invoice-option"
        return None

    def _new_order(self, p: dict[str, list[str]], **kw: Any) -> Order:
        contacts = {role: p[f"{prefix}-contact-id"][0] for role, prefix in
                    (("registrant", "reg"), ("admin", "admin"), ("tech", "tech"),
                     ("billing", "billing"))}
        return self.add_order(p["domain-name"][0], customerid=p["customer-id"][0],
                              contacts=contacts, ns=p.get("ns", []), **kw)

    def register(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        name = p["domain-name"][0]
        if name in self.orders or name in self.taken_elsewhere:
            return self.error(f"Domain {name} already registered")
        problem = self._check_order_inputs(p)
        if problem:
            return self.error(problem)
        order = self._new_order(p, endtime=NOW + int(p["years"][0]) * YEAR,
                                privacy=p.get("protect-privacy") == ["true"])
        return self.action(order, "AddNewDomain", "Registration of " + name)

    def transfer(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        problem = self._check_order_inputs(p)
        if problem:
            return self.error(problem)
        if p.get("auth-code") == ["bad-code"]:
            return 200, {"description": p["domain-name"][0], "actiontype": "AddTransferDomain",
                         "actionstatus": "Failed",
                         "actionstatusdesc": "Invalid Domain Secret (auth-code)"}
        order = self._new_order(p, endtime=0, currentstatus="InActive", orderstatus=set())
        return self.action(order, "AddTransferDomain", "Transfer of " + order.domain)

    def renew(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        order = self.order_by_id(p)
        if order is None:
            return self.error("Invalid order-id")
        if p["exp-date"] != [str(order.endtime)]:
            return self.error("exp-date does not match the current expiry date")
        if p["auto-renew"][0] not in ("true", "false"):
            return self.error("Invalid auto-renew")
        order.endtime += int(p["years"][0]) * YEAR
        return self.action(order, "RenewDomain", "Renewal of " + order.domain)

    def details(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        name = p["domain-name"][0]
        if name == "garbage.com":
            return 200, "<html>maintenance</html>"
        if name == "boom.com":
            return 502, "Bad Gateway"
        if name == "slow.com":
            time.sleep(1)
        order = self.orders.get(name)
        if order is None:
            return self.error(f"Website doesn't exist for {name}")
        options = set(p["options"])
        answer: dict[str, Any] = {"orderid": str(order.orderid), "domainname": name,
                                  "description": name}
        if options & {"OrderDetails", "All"}:
            answer.update({
                "currentstatus": order.currentstatus, "orderstatus": sorted(order.orderstatus),
                "domainstatus": [], "productcategory": "domorder", "productkey": "domcno",
                "creationtime": str(NOW - YEAR), "domsecret": order.domsecret,
                "isprivacyprotected": "true" if order.privacy else "false",
            })
            if order.endtime:
                answer["endtime"] = str(order.endtime)
        if options & {"NsDetails", "All"}:
            answer["noOfNameServers"] = str(len(order.ns))
            answer.update({f"ns{i}": ns for i, ns in enumerate(order.ns, start=1)})
        return 200, answer

    def modify_ns(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        order = self.order_by_id(p)
        if order is None:
            return self.error("Invalid order-id")
        order.ns = list(p["ns"])
        return self.action(order, "ModNS", "Modification of Nameservers of " + order.domain)

    def theft(self, p: dict[str, list[str]], on: bool) -> tuple[int, Any]:
        order = self.order_by_id(p)
        if order is None:
            return self.error("Invalid order-id")
        (order.orderstatus.add if on else order.orderstatus.discard)("transferlock")
        return self.action(order, "AddDomainLock" if on else "DelDomainLock", "Theft protection")

    def privacy(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        order = self.order_by_id(p)
        if order is None:
            return self.error("Invalid order-id")
        order.privacy = p["protect-privacy"] == ["true"]
        return self.action(order, "ModPrivacyProtection", "Privacy protection")

    # -- customers and contacts ----------------------------------------------------------

    def customer(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        username = p["username"][0]
        if username not in self.customers:
            return self.error(f"Customer {username} not found")
        return 200, {"customerid": self.customers[username], "username": username,
                     "resellerid": RESELLER_ID, "name": "Ada Lovelace", "customerstatus": "Active"}

    def contacts_default(self, p: dict[str, list[str]]) -> tuple[int, Any]:
        ids = self.default_contacts.get(p["customer-id"][0], {})
        return 200, {"Contact": {**ids, "type": "Contact"}}


ORDER = ["order-id"]
CONTACTS = ["customer-id", "reg-contact-id", "admin-contact-id", "tech-contact-id",
            "billing-contact-id", "invoice-option"]
ROUTES: dict[str, tuple[str, list[str], Any]] = {
    "domains/available": ("GET", ["domain-name", "tlds"], FakeLogicBoxes.available),
    "domains/register": ("POST", ["domain-name", "years", "ns", *CONTACTS],
                         FakeLogicBoxes.register),
    "domains/transfer": ("POST", ["domain-name", *CONTACTS], FakeLogicBoxes.transfer),
    "domains/renew": ("POST", [*ORDER, "years", "exp-date", "invoice-option", "auto-renew"],
                      FakeLogicBoxes.renew),
    "domains/details-by-name": ("GET", ["domain-name", "options"], FakeLogicBoxes.details),
    "domains/modify-ns": ("POST", [*ORDER, "ns"], FakeLogicBoxes.modify_ns),
    "domains/enable-theft-protection": ("POST", ORDER, lambda s, p: s.theft(p, True)),
    "domains/disable-theft-protection": ("POST", ORDER, lambda s, p: s.theft(p, False)),
    "domains/modify-privacy-protection": ("POST", [*ORDER, "protect-privacy", "reason"],
                                          FakeLogicBoxes.privacy),
    "customers/details": ("GET", ["username"], FakeLogicBoxes.customer),
    "contacts/default": ("POST", ["customer-id", "type"], FakeLogicBoxes.contacts_default),
}


def _handler(fake: FakeLogicBoxes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            params = parse_qs(url.query, keep_blank_values=True)
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                for key, values in parse_qs(body, keep_blank_values=True).items():
                    params.setdefault(key, []).extend(values)
            path = url.path.removeprefix("/api/").removesuffix(".json")
            with fake.lock:
                status, answer = fake.handle(method, path, params)
            raw = answer if isinstance(answer, str) else json.dumps(answer)
            data = raw.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(answer, str)
                                 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

    return Handler


@pytest.fixture
def fake() -> Iterator[tuple[FakeLogicBoxes, str]]:
    """(state, api root URL) of a fake LogicBoxes API on 127.0.0.1, stopped after the test."""
    state = FakeLogicBoxes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state, f"http://{host}:{port}/api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
