"""domains.domains_domains (domains as services) and domains.domains_tlds (TLDs, pricing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bridge.models import Domain, ModuleSetting, Tld
from bridge.services.domains import add_domain, register_domain
from bridge.services.tld_catalog import save_tld, set_tld_prices

DD = "domains.domains_domains"
DT = "domains.domains_tlds"


def load(db, model, ident):
    """A fresh copy of a row, ending the read so the API's writes are not locked out."""
    db.expire_all()
    row = db.get(model, ident)
    db.commit()
    return row


@pytest.fixture
def catalogue(db, factories):
    factories.currency("EUR", "0.9")
    com, _ = save_tld(db, ".com", {"registrar": "manual", "dns_management": True})
    net, _ = save_tld(db, "net", {"registrar": "manual"})
    set_tld_prices(db, com.id, "register", "USD", {1: "10.00", 2: "19.00"}, convert=False)
    set_tld_prices(db, com.id, "renew", "USD", {1: "12.00"}, convert=False)
    set_tld_prices(db, com.id, "transfer", "USD", {1: "9.00"}, convert=False)
    registrar = ModuleSetting(kind="registrar", module="manual", display_name="Manual")
    db.add(registrar)
    client = factories.client()
    active = add_domain(db, client.id, "example.com", nameservers=["ns1.host.test",
                                                                   "ns2.host.test"])
    register_domain(db, active.id, registration_date=date(2025, 3, 1))
    pending = add_domain(db, client.id, "waiting.net")
    db.commit()
    return {"com": com.id, "net": net.id, "registrar": registrar.id, "client": client.id,
            "active": active.id, "pending": pending.id}


def test_domain_list_shapes_and_filters(call, catalogue):
    rows = call("GET", f"{DD}/getList")[1]["response"]
    assert [row["domain"] for row in rows] == ["example.com", "waiting.net"]
    first = rows[0]
    assert first["service_id"] == catalogue["active"] and first["status"] == "active"
    assert first["package_id"] == catalogue["com"] and first["tld"] == ".com"
    assert first["module_id"] == catalogue["registrar"]
    assert first["expiration_date"] == "2026-03-01 00:00:00"
    assert rows[1]["status"] == "pending"
    active = call("GET", f"{DD}/getList", **{"filters[status]": "active"})[1]["response"]
    assert [row["id"] for row in active] == [catalogue["active"]]
    by_tld = call("GET", f"{DD}/getListCount",
                  **{"filters[package_id]": catalogue["net"]})[1]["response"]
    assert by_tld == 1
    assert call("GET", f"{DD}/getStatusCount", status="pending")[1]["response"] == 1
    assert len(call("GET", f"{DD}/getAll")[1]["response"]) == 2


def test_dates_with_php_formats(call, catalogue, db):
    ident = catalogue["active"]
    assert call("GET", f"{DD}/getExpirationDate", service_id=ident)[1]["response"] == \
        "2026-03-01 00:00:00"
    assert call("GET", f"{DD}/getRegistrationDate", service_id=ident,
                format="d/m/Y")[1]["response"] == "01/03/2025"
    assert call("GET", f"{DD}/getExpirationDate",
                service_id=catalogue["pending"])[1]["response"] is False
    status, _ = call("POST", f"{DD}/setExpirationDate", service_id=ident,
                     expiration_date="2027-05-04 00:00:00")
    assert status == 200
    assert load(db, Domain, ident).expiry_date == date(2027, 5, 4)
    status, body = call("POST", f"{DD}/setExpirationDate", service_id=999,
                        expiration_date="2027-05-04")
    assert status == 400 and "service_id" in body["errors"]


def test_renew_through_the_registrar_moves_the_expiry(call, catalogue, db):
    status, body = call("POST", f"{DD}/renewDomain", service_id=catalogue["active"], years=2)
    assert (status, body) == (200, {"response": None})
    assert load(db, Domain, catalogue["active"]).expiry_date == date(2028, 3, 1)


def test_registrar_refusal_is_400_and_changes_nothing(call, catalogue, db):
    domain = load(db, Domain, catalogue["active"])
    domain.registrar = "nosuchregistrar"
    db.commit()
    status, body = call("POST", f"{DD}/renewDomain", service_id=catalogue["active"])
    assert status == 400 and "renew" in body["errors"]["registrar"]
    assert load(db, Domain, catalogue["active"]).expiry_date == date(2026, 3, 1)


def test_nameservers(call, catalogue, db):
    ident = catalogue["active"]
    assert call("GET", f"{DD}/getNameservers", service_id=ident)[1]["response"] == [
        "ns1.host.test", "ns2.host.test"]
    status, _ = call("POST", f"{DD}/updateNameservers", service_id=ident, **{
        "nameservers[0]": "ns1.new.test", "nameservers[1]": "ns2.new.test"})
    assert status == 200
    assert load(db, Domain, ident).nameservers == ["ns1.new.test", "ns2.new.test"]
    status, body = call("POST", f"{DD}/updateNameservers", service_id=ident,
                        **{"nameservers[0]": "only.one.test"})
    assert status == 400 and "nameservers" in body["errors"]


def test_managed_and_registrar_change(call, catalogue, db):
    assert call("GET", f"{DD}/isManagedDomain",
                service_id=catalogue["active"])[1]["response"] is True
    assert call("GET", f"{DD}/isManagedDomain", service_id=999)[1]["response"] is False
    other = ModuleSetting(kind="registrar", module="logicboxes")
    db.add(other)
    db.commit()
    status, _ = call("POST", f"{DD}/updateRegistrar", service_id=catalogue["active"],
                     module_id=other.id)
    assert status == 200
    assert load(db, Domain, catalogue["active"]).registrar == "logicboxes"


def test_tld_get_and_pricing(call, catalogue):
    got = call("GET", f"{DT}/get", tld=".com")[1]["response"]
    assert got["tld"] == ".com" and got["package_id"] == catalogue["com"]
    assert got["dns_management"] == 1 and got["module_id"] == catalogue["registrar"]
    one, two = got["pricing"]
    assert (one["term"], one["price"], one["price_renews"], one["price_transfer"]) == (
        1, "10.0000", "12.0000", "9.0000")
    assert (two["term"], two["price"], two["price_renews"]) == (2, "19.0000", None)
    assert call("GET", f"{DT}/get", tld="org")[1]["response"] is False
    price = call("GET", f"{DT}/getPricing", package_id=catalogue["com"], term=1,
                 currency="USD")[1]["response"]
    assert price["price_renews"] == "12.0000"
    assert call("GET", f"{DT}/getPricing", package_id=catalogue["com"], term=5,
                currency="USD")[1]["response"] is False


def test_tld_lists_and_filters(call, catalogue):
    rows = call("GET", f"{DT}/getList")[1]["response"]
    assert [row["tld"] for row in rows] == [".com", ".net"]
    assert call("GET", f"{DT}/getListCount", **{"filters[tlds][0]": "net"})[1] == \
        {"response": 1}
    rows = call("GET", f"{DT}/getAll", **{"filters[search_tld]": "co"})[1]["response"]
    assert [row["id"] for row in rows] == [catalogue["com"]]


def test_tld_add_edit_and_update_pricings(call, catalogue, db):
    status, body = call("POST", f"{DT}/add", **{"vars[tld]": ".io", "vars[id_protection]": 1,
                                                 "vars[module_id]": catalogue["registrar"]})
    assert status == 200 and isinstance(body["response"], str)
    tld = load(db, Tld, int(body["response"]))
    assert tld.extension == ".io" and tld.id_protection and tld.registrar == "manual"
    status, body = call("POST", f"{DT}/add", **{"vars[tld]": "io"})
    assert status == 400 and "exists" in body["errors"]["tld"]
    status, body = call("POST", f"{DT}/edit", tld=".io", **{"vars[epp_code]": "false"})
    assert status == 200 and body["response"]["epp_code"] == 0
    status, _ = call("POST", f"{DT}/updatePricings", tld=".io", **{
        "pricings[1][USD][price]": "30.00", "pricings[1][USD][price_renews]": "35.00",
        "pricings[1][EUR][price]": "28.00"})
    assert status == 200
    pricing = call("GET", f"{DT}/get", tld="io")[1]["response"]["pricing"]
    assert [(p["currency"], p["price"], p["price_renews"]) for p in pricing] == [
        ("EUR", "28.0000", None), ("USD", "30.0000", "35.0000")]
    status, body = call("POST", f"{DT}/updatePricings", tld=".io",
                        **{"pricings[1][USD][price]": "-1"})
    assert status == 400


def test_other_company_domains_are_hidden(call, catalogue, db, factories):
    from bridge.models import Company

    db.add(Company(id=2, name="Other"))
    db.flush()
    outsider = factories.client(company_id=2)
    foreign = add_domain(db, outsider.id, "elsewhere.com", recurring_amount=Decimal("1"))
    db.commit()
    assert call("GET", f"{DD}/getListCount")[1]["response"] == 2
    assert call("GET", f"{DD}/getExpirationDate",
                service_id=foreign.id)[1]["response"] is False
