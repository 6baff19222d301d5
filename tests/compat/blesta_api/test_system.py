"""settings, companies, countries, api_keys, currencies, taxes and logs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.context import Actor
from bridge.models import ApiCredential, Company, Currency, Setting, TaxRule
from bridge.services.settings import get_setting

HEADERS = {"BLESTA-API-USER": "blesta-test-user", "BLESTA-API-KEY": "blesta-test-key-0123456789"}


@pytest.fixture
def seed(blesta_app):
    def run(fn):
        with blesta_app.extensions["bridge"].transaction(Actor(source="test")) as session:
            return fn(session)
    return run


@pytest.fixture
def send(blesta_app):
    """Like ``call`` but takes a params dict (for parameters named ``user`` or ``key``)."""
    web = blesta_app.test_client()

    def do(verb, path, params, headers=None):
        where = "query_string" if verb == "GET" else "data"
        response = web.open(f"/api/{path}.json", method=verb, headers=headers or HEADERS,
                            **{where: params})
        return response.status_code, response.get_json()
    return do


def _companies(session):
    session.add_all([Company(id=1, name="Main", hostname="billing.example.com",
                             phone="555"), Company(id=2, name="Second", hostname="b.example")])
    session.flush()


# -- settings ---------------------------------------------------------------------------------

def test_system_settings_read_write(send, seed):
    got = send("GET", "settings/getSetting", {"key": "invoice.due_days"})[1]["response"]
    assert got == {"key": "invoice.due_days", "value": "7", "encrypted": 0, "comment": None,
                   "inherit": 1}
    assert send("GET", "settings/getSetting", {"key": "nope"})[1] == {"response": False}
    assert send("PUT", "settings/setSetting", {"key": "invoice.due_days", "value": "14"}) == \
        (200, {"response": None})
    assert seed(lambda s: get_setting(s, "invoice.due_days")) == "14"
    status, body = send("PUT", "settings/setSetting", {"key": "x.secret", "value": "s",
                                                        "encrypted": "true"})
    assert status == 400 and "encrypted" in body["errors"]
    assert send("PUT", "settings/setSettings", {"settings[a.one]": "1", "settings[a.two]": "2",
                                                "value_keys[]": "a.one"})[0] == 200
    keys = {row["key"]: row["value"] for row in send("GET", "settings/getSettings", {})[1][
        "response"]}
    assert keys["a.one"] == "1" and "a.two" not in keys and keys["invoice.due_days"] == "14"


# -- companies --------------------------------------------------------------------------------

def test_companies_get_list_and_hostname(call, seed):
    seed(_companies)
    assert call("GET", "companies/get", company_id=1)[1]["response"] == {
        "id": 1, "name": "Main", "hostname": "billing.example.com", "address": None,
        "phone": "555", "fax": None}
    assert call("GET", "companies/get", company_id=9)[1] == {"response": False}
    assert [c["id"] for c in call("GET", "companies/getAll")[1]["response"]] == [1, 2]
    assert [c["id"] for c in call("GET", "companies/getList",
                                  **{"order_by[name]": "DESC"})[1]["response"]] == [2, 1]
    assert call("GET", "companies/getListCount")[1] == {"response": 2}
    assert call("GET", "companies/getByHostname",
                hostname="B.example")[1]["response"]["id"] == 2


def test_company_settings_inherit_system_ones(send, seed):
    seed(_companies)
    assert send("PUT", "companies/setSetting", {"company_id": 2, "key": "invoice.due_days",
                                                "value": "30"})[0] == 200
    assert seed(lambda s: get_setting(s, "invoice.due_days", 2)) == "30"
    assert seed(lambda s: get_setting(s, "invoice.due_days")) == "7"
    got = send("GET", "companies/getSetting", {"company_id": 2, "key": "invoice.due_days"})
    assert got[1]["response"]["value"] == "30"
    assert send("GET", "companies/getSetting", {"company_id": 1, "key": "invoice.due_days"})[
        1] == {"response": False}
    rows = send("GET", "companies/getSettings", {"company_id": 2})[1]["response"]
    by_key = {r["key"]: r for r in rows}
    assert by_key["invoice.due_days"]["value"] == "30"
    assert by_key["tax.enabled"]["company_id"] is None
    own = send("GET", "companies/getSettings", {"company_id": 2,
                                                "ignore_inheritence": "true"})[1]["response"]
    assert [r["key"] for r in own] == ["invoice.due_days"]
    assert send("PUT", "companies/setSettings", {"company_id": 2,
                                                 "settings[ticket.mask]": "T-%n"})[0] == 200
    assert seed(lambda s: get_setting(s, "ticket.mask", 2)) == "T-%n"
    assert send("PUT", "companies/setSetting", {"company_id": 9, "key": "a",
                                                "value": "b"})[0] == 400


def test_company_settings_without_company_rows_are_install_wide(send, seed):
    assert send("PUT", "companies/setSetting", {"company_id": 1, "key": "invoice.due_days",
                                                "value": "21"})[0] == 200
    assert seed(lambda s: get_setting(s, "invoice.due_days")) == "21"
    got = send("GET", "companies/getSetting", {"company_id": 1, "key": "invoice.due_days"})
    assert got[1]["response"] == {"key": "invoice.due_days", "company_id": 1, "value": "21",
                                  "encrypted": 0, "inherit": 1}
    status, body = send("GET", "companies/getSettings", {"company_id": 2})
    assert status == 400 and "company_id" in body["errors"]


# -- countries --------------------------------------------------------------------------------

def test_countries(call):
    assert call("GET", "countries/get", code="de")[1]["response"] == {
        "alpha2": "DE", "alpha3": None, "name": "Germany", "alt_name": None}
    assert call("GET", "countries/get", code="ZZ")[1] == {"response": False}
    names = [c["name"] for c in call("GET", "countries/getList")[1]["response"]]
    assert names == sorted(names, key=str.lower) and "United States" in names
    codes = [c["alpha2"] for c in call("GET", "countries/getList", sort_by="alpha2",
                                       order="desc")[1]["response"]]
    assert codes == sorted(codes, reverse=True)


# -- api keys ---------------------------------------------------------------------------------

def test_api_keys_list_get_add_and_auth(send, seed):
    rows = send("GET", "api_keys/getList", {})[1]["response"]
    assert [r["user"] for r in rows] == ["blesta-test-user"] and rows[0]["key"] is None
    status, body = send("POST", "api_keys/add", {"vars[user]": "script", "vars[notes]": "n"})
    assert status == 400 and "key" in body["errors"]
    assert send("POST", "api_keys/add", {"vars[user]": "script", "vars[notes]": "n",
                                         "vars[key]": "a-chosen-key-0123456"}) == \
        (200, {"response": None})
    assert send("GET", "api_keys/getListCount", {})[1] == {"response": 2}
    new_id = seed(lambda s: s.query(ApiCredential).filter_by(identifier="script").one().id)
    got = send("GET", "api_keys/get", {"id": new_id})[1]["response"]
    assert got["user"] == "script" and got["notes"] == "n" and got["company_id"] == 1
    assert send("GET", "api_keys/get", {"id": 999})[1] == {"response": False}
    # the new key works against the API itself (tests come from loopback)
    headers = {"BLESTA-API-USER": "script", "BLESTA-API-KEY": "a-chosen-key-0123456"}
    assert send("GET", "api_keys/getListCount", {}, headers=headers)[0] == 200
    assert send("POST", "api_keys/auth", {"user": "script", "key": "a-chosen-key-0123456"})[
        1] == {"response": 1}
    status, body = send("POST", "api_keys/auth", {"user": "script", "key": "wrong"})
    assert status == 400 and body["errors"] == {
        "user": {"valid": "The API user or key appears to be invalid."}}


# -- currencies -------------------------------------------------------------------------------

def test_currencies(call, seed):
    assert call("POST", "currencies/add", **{
        "vars[code]": "eur", "vars[format]": "#.###,##", "vars[precision]": 2,
        "vars[suffix]": " EUR", "vars[exchange_rate]": "0.5"}) == (200, {"response": None})
    got = call("GET", "currencies/get", currency_code="EUR", company_id=1)[1]["response"]
    assert got == {"code": "EUR", "company_id": 1, "format": "#.###,##", "precision": 2,
                   "prefix": None, "suffix": " EUR", "exchange_rate": "0.500000",
                   "exchange_updated": None}
    assert seed(lambda s: s.query(Currency).filter_by(code="EUR").one().format) == 3
    assert call("GET", "currencies/get", currency_code="GBP", company_id=1)[1] == \
        {"response": False}
    assert [c["code"] for c in call("GET", "currencies/getAll", company_id=1)[1]["response"]] \
        == ["EUR", "USD"]
    assert call("GET", "currencies/getListCount", company_id=1)[1] == {"response": 2}
    assert [c["code"] for c in call("GET", "currencies/getList", company_id=1,
                                    **{"order_by[code]": "DESC"})[1]["response"]] == \
        ["USD", "EUR"]
    assert call("GET", "currencies/convert", amount="10", from_currency="USD",
                to_currency="EUR", company_id=1)[1] == {"response": "5.0000"}
    assert call("GET", "currencies/convert", amount="3", from_currency="EUR",
                to_currency="USD", company_id=1)[1] == {"response": "6.0000"}
    assert call("GET", "currencies/convert", amount="1", from_currency="XXX",
                to_currency="USD", company_id=1)[0] == 400
    assert call("POST", "currencies/add", **{"vars[code]": "GBP",
                                             "vars[format]": "# ###"})[0] == 400
    assert "#,###.##" in call("GET", "currencies/getFormats")[1]["response"]


def test_currency_edit_changes_what_is_sent(call):
    call("POST", "currencies/add", **{"vars[code]": "EUR", "vars[exchange_rate]": "0.5",
                                      "vars[suffix]": " EUR"})
    assert call("PUT", "currencies/edit", currency_code="EUR", company_id=1, **{
        "vars[exchange_rate]": "0.9", "vars[precision]": "3",
        "vars[format]": "#,###"}) == (200, {"response": None})
    got = call("GET", "currencies/get", currency_code="EUR", company_id=1)[1]["response"]
    assert (got["exchange_rate"], got["precision"], got["format"], got["suffix"]) == \
        ("0.900000", 3, "#,###", " EUR")
    assert got["exchange_updated"] is not None  # stamped with the new rate
    for bad, field in (({"vars[exchange_rate]": "0"}, "exchange_rate"),
                       ({"vars[precision]": "9"}, "precision"),
                       ({"vars[format]": "# ###"}, "format")):
        status, body = call("PUT", "currencies/edit", currency_code="EUR", company_id=1, **bad)
        assert status == 400 and field in body["errors"], (bad, body)
    assert call("PUT", "currencies/edit", currency_code="XXX", company_id=1,
                **{"vars[precision]": "2"})[0] == 400


def test_currency_delete_refuses_the_default_and_currencies_in_use(call):
    for code in ("EUR", "GBP"):
        call("POST", "currencies/add", **{"vars[code]": code, "vars[exchange_rate]": "1"})
    call("POST", "clients/create", **{
        "vars[first_name]": "Jo", "vars[last_name]": "Doe", "vars[email]": "jo@example.com",
        "vars[settings][default_currency]": "GBP"})
    assert call("DELETE", "currencies/delete", currency_code="EUR",
                company_id=1) == (200, {"response": None})
    assert call("GET", "currencies/get", currency_code="EUR", company_id=1)[1] == \
        {"response": False}
    status, body = call("DELETE", "currencies/delete", currency_code="GBP", company_id=1)
    assert status == 400 and "1 clients" in str(body["errors"]), body
    status, body = call("DELETE", "currencies/delete", currency_code="USD", company_id=1)
    assert status == 400 and "default" in str(body["errors"]), body
    assert call("DELETE", "currencies/delete", currency_code="EUR", company_id=1)[0] == 400


# -- taxes ------------------------------------------------------------------------------------

def test_taxes_add_get_edit_delete(call, seed):
    status, body = call("POST", "taxes/add", **{
        "vars[level]": 1, "vars[name]": "VAT", "vars[amount]": "19", "vars[country]": "DE",
        "vars[type]": "exclusive"})
    assert status == 200 and isinstance(body["response"], str)
    tax_id = body["response"]
    got = call("GET", "taxes/get", tax_id=tax_id)[1]["response"]
    assert got == {"id": int(tax_id), "company_id": 1, "level": 1, "name": "VAT",
                   "amount": "19.0000", "type": "exclusive", "country": "DE", "state": None,
                   "status": "active"}
    status, body = call("PUT", "taxes/edit", tax_id=tax_id, **{"vars[amount]": "20"})
    assert status == 200
    new_id = body["response"]
    assert new_id != tax_id
    assert call("GET", "taxes/get", tax_id=tax_id)[1]["response"]["status"] == "inactive"
    edited = call("GET", "taxes/get", tax_id=new_id)[1]["response"]
    assert edited["amount"] == "20.0000" and edited["country"] == "DE"
    assert [t["id"] for t in call("GET", "taxes/getAll", company_id=1)[1]["response"]] == \
        [int(new_id)]
    assert call("DELETE", "taxes/delete", tax_id=new_id) == (200, {"response": None})
    assert call("GET", "taxes/getAll", company_id=1)[1] == {"response": []}
    assert seed(lambda s: s.get(TaxRule, int(new_id)).active) is False


def test_taxes_refuse_the_other_type_and_bad_input(call, seed):
    status, body = call("POST", "taxes/add", **{"vars[name]": "GST", "vars[amount]": "10",
                                                "vars[type]": "inclusive"})
    assert status == 400 and "tax.inclusive" in body["errors"]["type"]["supported"]
    assert call("POST", "taxes/add", **{"vars[name]": "X", "vars[amount]": "abc"})[0] == 400
    assert call("POST", "taxes/add", **{"vars[name]": "X", "vars[amount]": "5",
                                        "vars[level]": 3})[0] == 400
    status, body = call("POST", "taxes/add", **{"vars[name]": "Old", "vars[amount]": "5",
                                                "vars[status]": "inactive"})
    assert status == 200
    assert seed(lambda s: s.get(TaxRule, int(body["response"])).rate) == Decimal("5")
    assert call("GET", "taxes/getAll", company_id=1)[1] == {"response": []}
    assert call("GET", "taxes/get", tax_id=999)[1] == {"response": False}
    assert set(call("GET", "taxes/getTaxTypes")[1]["response"]) == {"exclusive", "inclusive"}
    assert call("GET", "taxes/getTaxLevels")[1] == {"response": {"1": "Level 1",
                                                                 "2": "Level 2"}}


def test_tax_type_follows_the_install_setting(call, seed):
    seed(lambda s: s.add(Setting(key="tax.inclusive", value="1")))
    status, body = call("POST", "taxes/add", **{"vars[name]": "GST", "vars[amount]": "10",
                                                "vars[type]": "inclusive"})
    assert status == 200
    assert call("GET", "taxes/get", tax_id=body["response"])[1]["response"]["type"] == \
        "inclusive"


# -- logs -------------------------------------------------------------------------------------

def test_user_logs_list_logins(call, send):
    call("POST", "users/add", **{"vars[username]": "u@example.com",
                                 "vars[new_password]": "pw-123456789"})
    for _ in range(2):
        send("POST", "users/auth", {"username": "u@example.com",
                                    "vars[password]": "pw-123456789"})
    send("POST", "users/auth", {"username": "u@example.com", "vars[password]": "bad"})
    rows = call("GET", "logs/getUserList")[1]["response"]
    assert len(rows) == 2 and rows[0]["username"] == "u@example.com"
    assert rows[0]["result"] == "success" and rows[0]["id"] > rows[1]["id"]
    assert call("GET", "logs/getUserListCount")[1] == {"response": 2}
    assert call("GET", "logs/getUserListCount", **{"filters[string]": "nobody"})[1] == \
        {"response": 0}
    assert call("GET", "logs/getUserListCount",
                **{"filters[start_date]": "2999-01-01"})[1] == {"response": 0}
    latest = call("GET", "logs/getUserLog", user_id=rows[0]["user_id"])[1]["response"]
    assert latest["id"] == rows[0]["id"]
    assert call("GET", "logs/getUserLog", user_id=rows[0]["user_id"], type="failure")[1] == \
        {"response": False}
    assert call("GET", "logs/getUserListCount", **{"filters[end_date]": "nonsense"})[0] == 400
