"""Domains group over /includes/api.php, with a registrar module registered by a test plugin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

import bridge.models.blocklists  # noqa: F401  (tables in the schema template)
import bridge.models.content  # noqa: F401
import bridge.models.mail  # noqa: F401
from bridge.context import Actor
from bridge.errors import ModuleError
from bridge.models import Domain, ModuleQueueItem, Price, Tld
from bridge.services.domains import add_domain, register_domain
from bridge.services.pricing import set_prices
from bridge.services.settings import add_currency
from bridge.testing import make_client
from hooks import ActionResult, Availability, DomainState, RegistrarModule


class Registry(RegistrarModule):
    name = "registry"
    label = "Test Registry"
    calls: list[tuple[str, object]] = []
    mode = "ok"

    def _answer(self, op, ctx, **data):
        if Registry.mode == "down":
            raise ModuleError("registrar API timed out")
        if Registry.mode == "refuse":
            return ActionResult.failure("domain not available")
        Registry.calls.append((op, ctx))
        return ActionResult.success(**data)

    def register(self, ctx):
        return self._answer("register", ctx, expiry_date=date(2030, 5, 1))

    def transfer(self, ctx):
        return self._answer("transfer", ctx)

    def renew(self, ctx):
        return self._answer(f"renew:{ctx.years}", ctx)

    def get_nameservers(self, ctx):
        return self._answer("get_ns", ctx, nameservers=["ns1.reg.test", "ns2.reg.test",
                                                        "ns3.reg.test"])

    def save_nameservers(self, ctx, nameservers):
        return self._answer("ns:" + ",".join(nameservers), ctx)

    def get_contacts(self, ctx):
        return self._answer("contacts", ctx, contacts={
            "registrant": {"first_name": "Ada", "email": "ada@example.com", "fax": "1"},
            "tech": {"first_name": "Tess"}})

    def save_contacts(self, ctx, contacts):
        return self._answer("save_contacts", ctx)

    def get_epp_code(self, ctx):
        return self._answer("epp", ctx, epp_code="AUTH-123")

    def set_lock(self, ctx, locked):
        return self._answer(f"lock:{locked}", ctx)

    def set_id_protection(self, ctx, enabled):
        return self._answer(f"idp:{enabled}", ctx)

    def sync(self, ctx):
        return DomainState("active", locked=False)

    def check_availability(self, names, config):
        return [Availability(n, "available" if n.startswith("free") else "registered")
                for n in names]


class Minimal(RegistrarModule):
    """Only the required operations: every optional one answers "not supported"."""

    name = "minimal"

    def register(self, ctx):
        return ActionResult.success()

    def transfer(self, ctx):
        return ActionResult.success()

    def renew(self, ctx):
        return ActionResult.success()


@pytest.fixture
def shop(api_app, install_modules):
    """Plugin registered; .com served by "registry", .org by "minimal"; a client with a
    pending domain and an active one; ids by name."""
    Registry.calls = []
    Registry.mode = "ok"
    install_modules(Registry, Minimal, name="registry-plugin")
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        com = Tld(extension=".com", registrar="registry", dns_management=True)
        org = Tld(extension=".org", registrar="minimal")
        s.add_all([com, org])
        s.flush()
        for kind, amount in (("tld_register", "12.00"), ("tld_transfer", "9.00"),
                             ("tld_renew", "14.00")):
            set_prices(s, kind, com.id, "USD", {"1Y": {"amount": amount},
                                                "2Y": {"amount": "24.00"}})
        client = make_client(s, first_name="Ada", email="ada@example.com")
        pending = add_domain(s, client.id, "shop.com", years=2,
                             nameservers=["ns1.host.test", "ns2.host.test"])
        active = add_domain(s, client.id, "live.com")
        register_domain(s, active.id, registration_date=date(2025, 1, 10))
        plain = add_domain(s, client.id, "plain.org")
        register_domain(s, plain.id, registration_date=date(2025, 1, 10))
        return {"client": client.id, "pending": pending.id, "active": active.id,
                "plain": plain.id, "com": com.id}


def test_register_by_name_then_refuse_a_second_time(call, shop, read):
    assert call("DomainRegister", domain="SHOP.com") == (200, {"result": "success"})
    domain = read(lambda s: s.get(Domain, shop["pending"]))
    assert (domain.status, domain.expiry_date) == ("active", date(2030, 5, 1))
    assert Registry.calls[0][1].years == 2
    status, body = call("DomainRegister", domainid=shop["pending"])
    assert body["result"] == "error" and "cannot be registered" in body["message"]
    assert call("DomainRegister", domain="nothing.com")[1]["message"] == "Domain Not Found"
    assert call("DomainRegister", domainid=999)[1]["message"] == "Domain Not Found"


def test_registrar_refusal_is_an_error_but_stays_recorded(call, shop, read):
    Registry.mode = "refuse"
    assert call("DomainRegister", domainid=shop["pending"]) == (
        200, {"result": "error", "message": "domain not available"})
    domain = read(lambda s: s.get(Domain, shop["pending"]))
    assert domain.status == "pending_registration"
    assert "domain not available" in domain.registrar_error
    assert read(lambda s: s.scalar(select(ModuleQueueItem.action))) == "register"


def test_transfer_with_new_epp_code_and_renew(call, shop, read):
    assert call("DomainTransfer", domainid=shop["pending"], eppcode="XYZ-1")[1] == {
        "result": "success"}
    op, ctx = Registry.calls[-1]
    assert (op, ctx.epp_code) == ("transfer", "XYZ-1")
    assert read(lambda s: s.get(Domain, shop["pending"]).status) == "pending_transfer"
    assert call("DomainRenew", domainid=shop["active"], regperiod=3)[1]["result"] == "success"
    assert Registry.calls[-1][0] == "renew:3"
    assert read(lambda s: s.get(Domain, shop["active"]).expiry_date) == date(2029, 1, 10)
    assert call("DomainRenew", domainid=shop["pending"])[1]["result"] == "error"
    calls = len(Registry.calls)
    assert call("DomainRenew", domainid=shop["active"], regperiod=11)[1]["message"] == (
        "regperiod must be 1 to 10 years")
    assert len(Registry.calls) == calls  # refused before the registrar was asked


def test_nameservers_get_and_update(call, shop, read):
    assert call("DomainGetNameservers", domainid=shop["active"]) == (200, {
        "result": "success", "ns1": "ns1.reg.test", "ns2": "ns2.reg.test",
        "ns3": "ns3.reg.test", "ns4": "", "ns5": ""})
    assert call("DomainGetNameservers", domainid=shop["plain"])[1] == {
        "result": "error", "message": "Registrar Function Not Supported"}
    assert call("DomainGetNameservers", domainid=999)[1]["message"] == "Domain ID Not Found"
    assert call("DomainUpdateNameservers", domainid=shop["active"], ns1="a.test")[1] == {
        "result": "error", "message": "ns1 and ns2 required"}
    assert call("DomainUpdateNameservers", domain="live.com", ns1="ns1.new.test",
                ns2="ns2.new.test", ns3="ns3.new.test")[1] == {"result": "success"}
    assert read(lambda s: s.get(Domain, shop["active"]).nameservers) == [
        "ns1.new.test", "ns2.new.test", "ns3.new.test"]
    assert call("DomainUpdateNameservers", domainid=shop["plain"], ns1="ns1.new.test",
                ns2="ns2.new.test")[1]["result"] == "error"


def test_lock_epp_and_id_protection(call, shop, read):
    assert call("DomainGetLockingStatus", domainid=shop["active"])[1] == {
        "result": "success", "lockstatus": "unlocked"}  # the registrar's sync report
    assert call("DomainGetLockingStatus", domainid=shop["plain"])[1]["lockstatus"] == "locked"
    assert call("DomainUpdateLockingStatus", domainid=shop["active"], lockstatus="1")[1] == {
        "result": "success"}
    assert Registry.calls[-1][0] == "lock:True"
    assert call("DomainRequestEPP", domainid=shop["active"])[1] == {
        "result": "success", "eppcode": "AUTH-123"}
    assert call("DomainToggleIdProtect", domainid=shop["active"], idprotect="true")[1] == {
        "result": "success"}
    assert read(lambda s: s.get(Domain, shop["active"]).id_protection) is True
    assert call("DomainToggleIdProtect", domainid=shop["plain"], idprotect="1")[1][
        "result"] == "error"


def test_whois_info_read_and_update(call, shop, read):
    _, body = call("DomainGetWhoisInfo", domainid=shop["active"])
    assert body["Registrant"] == {"First_Name": "Ada", "Email": "ada@example.com", "Fax": "1"}
    assert body["Tech"] == {"First_Name": "Tess"} and "Admin" not in body
    _, stored = call("DomainGetWhoisInfo", domainid=shop["plain"])  # module cannot read them
    assert stored["Registrant"]["Email"] == "ada@example.com"
    xml = ("<contactdetails><Registrant><First_Name>Grace</First_Name>"
           "<Email>grace@example.com</Email><Phone>+1.555</Phone></Registrant>"
           "</contactdetails>")
    assert call("DomainUpdateWhoisInfo", domainid=shop["active"], xml=xml)[1] == {
        "result": "success"}
    assert read(lambda s: s.get(Domain, shop["active"]).contacts["registrant"]) == {
        "first_name": "Grace", "email": "grace@example.com", "phone": "+1.555"}
    assert call("DomainUpdateWhoisInfo", domainid=shop["active"])[1]["message"] == (
        "XML Required")
    assert call("DomainUpdateWhoisInfo", domainid=shop["plain"], xml=xml)[1]["message"] == (
        "Registrar Function Not Supported")


def test_release_is_not_offered(call, shop):
    assert call("DomainRelease", domainid=shop["active"])[1]["message"] == "newtag is required"
    assert call("DomainRelease", domainid=shop["active"], newtag="TAG")[1] == {
        "result": "error", "message": "Registrar Function Not Supported"}


def test_domain_whois_asks_the_registrar(call, shop):
    assert call("DomainWhois", domain="free-name.com")[1]["status"] == "available"
    _, taken = call("DomainWhois", domain="taken.com")
    assert taken["status"] == "unavailable" and "taken.com" in taken["whois"]
    for name in ("nodot", "bad_label!.com"):
        assert call("DomainWhois", domain=name)[1]["message"] == "Domain not valid"
    for name in ("x.net", "x.org"):  # no TLD; a registrar without availability checks
        assert call("DomainWhois", domain=name)[1]["message"] == (
            "The given TLD is not supported for WHOIS lookups")


def test_get_tld_pricing(call, shop, api_app):
    _, body = call("GetTLDPricing")
    assert body["currency"] == {"id": 1, "code": "USD", "prefix": "$", "suffix": "",
                                "format": "1", "rate": "1.00000"}
    assert list(body["pricing"]) == ["com"]  # .org has no prices
    com = body["pricing"]["com"]
    assert com["register"] == {"1": "12.00", "2": "24.00"}
    assert (com["transfer"]["1"], com["renew"]["1"]) == ("9.00", "14.00")
    assert com["addons"] == {"dns": True, "email": False, "idprotect": False}
    assert (com["grace_period"], com["redemption_period"], com["tld"]) == (None, None, "com")
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        eur = add_currency(s, "EUR", suffix=" EUR", rate=Decimal("0.9"))
        make_client(s, currency="EUR", email="eu@example.com")
    _, euro = call("GetTLDPricing", currencyid=eur.id)
    assert euro["currency"]["code"] == "EUR" and euro["pricing"] == {}
    assert call("GetTLDPricing", currencyid=99)[1]["message"] == "Invalid Currency ID"
    assert call("GetTLDPricing", clientid=999)[1]["message"] == "Client ID Not Found"


def test_create_or_update_tld_converts_prices(call, shop, api_app, read):
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        add_currency(s, "EUR", rate=Decimal("0.5"))
    status, body = call("CreateOrUpdateTLD", extension="NET", currency_code="USD",
                        dns_management="1", group="hot", auto_registrar="registry",
                        grace_period_days=30, grace_period_fee="5.00",
                        display_after=".com", **{"register[1]": "10.00",
                                                  "register[2]": "19.99",
                                                  "transfer[1]": "8.00"})
    assert body == {"result": "success", "extension": ".net", "id": body["id"]}
    tld = read(lambda s: s.get(Tld, int(body["id"])))
    assert (tld.dns_management, tld.group, tld.registrar, tld.grace_days, tld.grace_fee) == (
        True, "hot", "registry", 30, Decimal("5.00"))
    com_order = read(lambda s: s.get(Tld, shop["com"]).sort_order)
    assert tld.sort_order == com_order + 1
    eur = read(lambda s: s.scalar(select(Price.amount).where(
        Price.owner_type == "tld_register", Price.owner_id == tld.id, Price.currency == "EUR",
        Price.cycle == "2Y")))
    assert eur == Decimal("10.00")  # 19.99 USD at 0.5 -> 9.995 -> 10.00
    _, again = call("CreateOrUpdateTLD", extension=".net", grace_period_fee="-1")
    assert again["id"] == body["id"]
    assert read(lambda s: s.get(Tld, tld.id).grace_fee) is None
    _, pricing = call("GetTLDPricing")
    assert pricing["pricing"]["net"]["register"] == {"1": "10.00", "2": "19.99"}


@pytest.mark.parametrize(("params", "message"), [
    ({}, "Extension is required"),
    ({"extension": ".io", "register[11]": "1"}, "The maximum register period is 10 years"),
    ({"extension": ".io", "renew[10]": "1"}, "The maximum renew period is 9 years"),
    ({"extension": ".io", "transfer[1]": "1", "transfer[2]": "2"},
     "Only one transfer period can be defined"),
    ({"extension": ".io", "register": "5"},
     "Parameters register, renew and transfer must be arrays"),
    ({"extension": ".io", "currency_code": "XXX", "register[1]": "1"},
     "Provided currency_code value does not exist. Must be one of: USD"),
    ({"extension": ".io", "group": "cheap"},
     "Invalid group parameter: cheap. Should be one of HOT, NEW, SALE"),
])
def test_create_or_update_tld_errors(call, shop, params, message):
    assert call("CreateOrUpdateTLD", **params)[1] == {"result": "error", "message": message}


def test_create_or_update_tld_names_the_installed_registrars(call, shop):
    message = call("CreateOrUpdateTLD", extension=".io", auto_registrar="nobody")[1]["message"]
    prefix = "Invalid auto_registrar value. Must be empty or one of: "
    assert message.startswith(prefix)
    assert {"minimal", "registry"} <= set(message.removeprefix(prefix).split(", "))


def test_get_registrars(call, shop):
    _, body = call("GetRegistrars")
    assert {"module": "registry", "displayName": "Test Registry"} in body["registrars"]
    assert {r["module"] for r in body["registrars"]} >= {"registry", "minimal"}


def test_update_client_domain(call, shop, read):
    status, body = call("UpdateClientDomain", domainid=shop["active"], notes="Important",
                        donotrenew="1", idprotection="1", recurringamount="15.50",
                        expirydate="2031-01-01", status="Grace", registrar="minimal",
                        domain="live.com", ns1="ns1.x.test", ns2="ns2.x.test")
    assert body == {"result": "success", "domainid": str(shop["active"])}
    domain = read(lambda s: s.get(Domain, shop["active"]))
    assert (domain.notes, domain.do_not_renew, domain.id_protection, domain.recurring_amount,
            domain.expiry_date, domain.status, domain.registrar, domain.nameservers) == (
        "Important", True, True, Decimal("15.50"), date(2031, 1, 1), "grace", "minimal",
        ["ns1.x.test", "ns2.x.test"])
    assert Registry.calls == []  # without updatens nothing was sent to a registrar
    assert call("UpdateClientDomain", domainid=shop["active"], updatens="1",
                ns1="ns1.y.test", ns2="ns2.y.test")[1]["result"] == "error"  # minimal: no NS
    assert call("UpdateClientDomain", domainid=shop["active"], ns1="only.test")[1][
        "message"] == "ns1 and ns2 required"
    assert call("UpdateClientDomain", domainid=shop["active"], domain="other.com")[1][
        "result"] == "error"
    assert call("UpdateClientDomain", domainid=999)[1]["message"] == "Domain ID Not Found"


def test_nameservers_xml(call, shop):
    status, text = call("DomainGetNameservers", fmt="xml", domainid=shop["active"])
    root = ET.fromstring(text.encode())
    assert [c.tag for c in root] == ["action", "result", "ns1", "ns2", "ns3", "ns4", "ns5"]
    assert root.findtext("ns2") == "ns2.reg.test"
