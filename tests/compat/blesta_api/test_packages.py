"""Blesta packages, package groups, package options and pricings over the API door."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.models import Company, ConfigOptionGroup, Price, Product, ProductGroup
from bridge.testing import ensure_currency
from compat.blesta.api.methods.managers import stable_id
from hooks import ActionResult, ServerModule, hookimpl


class ShelfPanel(ServerModule):
    name = "shelfpanel"
    label = "Shelf panel"
    version = "2.1"
    requires_server = False

    def create(self, ctx):
        return ActionResult.success()

    def suspend(self, ctx, reason=""):
        return ActionResult.success()

    def unsuspend(self, ctx):
        return ActionResult.success()

    def terminate(self, ctx):
        return ActionResult.success()


class ShelfPlugin:
    @hookimpl
    def register_server_modules(self):
        return [ShelfPanel]


@pytest.fixture
def group(db):
    ensure_currency(db, "USD")
    ensure_currency(db, "EUR", "0.9")
    row = ProductGroup(name="Shared hosting")
    db.add(row)
    db.commit()
    return row


def _pricing(*entries):
    params = {}
    for i, (term, period, currency, price, setup) in enumerate(entries):
        params.update({f"vars[pricing][{i}][term]": term, f"vars[pricing][{i}][period]": period,
                       f"vars[pricing][{i}][currency]": currency,
                       f"vars[pricing][{i}][price]": price,
                       f"vars[pricing][{i}][setup_fee]": setup})
    return params


def _add(call, group, name="Gold", *pricing, **extra):
    params = {"vars[names][0][lang]": "en_us", "vars[names][0][name]": name,
              "vars[groups][0]": str(group.id), **_pricing(*pricing), **extra}
    return call("POST", "packages/add", **params)


def test_add_then_get_with_pricing_meta_and_group(call, group):
    status, body = _add(call, group, "Gold", ("1", "month", "USD", "10", "5"),
                        ("1", "year", "USD", "100.5", "0"), ("3", "month", "EUR", "27", ""),
                        **{"vars[meta][plan]": "gold", "vars[taxable]": "1",
                           "vars[descriptions][0][lang]": "en_us",
                           "vars[descriptions][0][text]": "Lots of disk"})
    assert status == 200 and isinstance(body["response"], str)
    package_id = int(body["response"])
    package = call("GET", "packages/get", package_id=package_id)[1]["response"]
    assert package["name"] == "Gold" and package["description"] == "Lots of disk"
    assert package["status"] == "active" and package["taxable"] == 1
    assert package["meta"] == {"plan": "gold"}
    assert [g["id"] for g in package["groups"]] == [group.id]
    cycles = {(p["currency"], p["term"], p["period"]): p for p in package["pricing"]}
    assert set(cycles) == {("USD", 1, "month"), ("USD", 1, "year"), ("EUR", 3, "month")}
    monthly = cycles[("USD", 1, "month")]
    assert monthly["price"] == "10.0000" and monthly["setup_fee"] == "5.0000"
    assert monthly["package_id"] == package_id
    assert monthly["id"] == monthly["pricing_id"]


def test_pricing_id_is_the_core_price_row(call, group, db):
    package_id = int(_add(call, group, "Silver", ("6", "month", "USD", "50", "0"))[1]["response"])
    price = db.scalar(select(Price).where(Price.owner_type == "product",
                                          Price.owner_id == package_id))
    assert price.cycle == "6M" and price.amount == Decimal("50")
    db.commit()  # end the read: SQLite lets no API write commit under an open reader
    by_pricing = call("GET", "packages/getByPricingId", package_pricing_id=price.id)[1]
    assert by_pricing["response"]["id"] == package_id
    row = call("GET", "pricings/get", pricing_id=price.id)[1]["response"]
    assert (row["term"], row["period"], row["price"]) == (6, "month", "50.0000")


def test_add_needs_a_name_and_a_known_period(call, group):
    status, body = call("POST", "packages/add", **{"vars[groups][0]": str(group.id)})
    assert status == 400 and "names" in body["errors"]
    status, body = _add(call, group, "Bad", ("1", "fortnight", "USD", "1", "0"))
    assert status == 400 and "pricing[][period]" in body["errors"]
    status, body = _add(call, group, "Bad", ("1", "month", "USD", "-3", "0"))
    assert status == 400 and "pricing[][price]" in body["errors"]


def test_onetime_pricing_makes_a_onetime_product(call, group, db):
    package_id = int(_add(call, group, "Setup", ("0", "onetime", "USD", "99", "0"))[1]["response"])
    assert db.get(Product, package_id).pay_type == "onetime"
    db.commit()
    pricing = call("GET", "packages/get", package_id=package_id)[1]["response"]["pricing"]
    assert [(p["term"], p["period"]) for p in pricing] == [(0, "onetime")]


def test_module_id_names_a_registered_server_module(call, group, db, register_plugin):
    register_plugin(ShelfPlugin(), name="shelf-plugin")
    module_id = stable_id("module", "shelfpanel")
    status, body = _add(call, group, "Panel plan", ("1", "month", "USD", "9", "0"),
                        **{"vars[module_id]": str(module_id)})
    assert status == 200
    assert db.get(Product, int(body["response"])).module == "shelfpanel"
    db.commit()
    got = call("GET", "packages/get", package_id=body["response"])[1]["response"]
    assert got["module_id"] == module_id
    status, body = _add(call, group, "Nope", **{"vars[module_id]": "12345"})
    assert status == 400 and body["errors"]["module_id"]["exists"]


def test_lists_page_count_and_filter_by_status(call, group):
    ids = [int(_add(call, group, f"Plan {n:02}", ("1", "month", "USD", "1", "0"))[1]["response"])
           for n in range(22)]
    call("POST", "packages/edit", package_id=ids[0], **{"vars[status]": "inactive"})
    assert call("GET", "packages/getListCount")[1]["response"] == 22
    assert call("GET", "packages/getListCount", status="active")[1]["response"] == 21
    assert len(call("GET", "packages/getList")[1]["response"]) == 20
    assert len(call("GET", "packages/getList", page=2)[1]["response"]) == 2
    inactive = call("GET", "packages/getList", status="inactive")[1]["response"]
    assert [p["id"] for p in inactive] == [ids[0]] and inactive[0]["status"] == "inactive"
    names = [p["name"] for p in call("GET", "packages/getAll", company_id=1)[1]["response"]]
    assert names == sorted(names) and len(names) == 22
    by_group = call("GET", "packages/getAllPackagesByGroup", package_group_id=group.id)[1]
    assert len(by_group["response"]) == 22


def test_edit_replaces_the_offered_pricing(call, group, db):
    package_id = int(_add(call, group, "Flex", ("1", "month", "USD", "10", "0"),
                          ("1", "year", "USD", "100", "0"))[1]["response"])
    status, _ = call("POST", "packages/edit", package_id=package_id,
                     **{"vars[names][0][name]": "Flex 2",
                        **_pricing(("1", "month", "USD", "12", "1"))})
    assert status == 200
    package = call("GET", "packages/get", package_id=package_id)[1]["response"]
    assert package["name"] == "Flex 2"
    assert [(p["term"], p["period"], p["price"], p["setup_fee"]) for p in package["pricing"]] \
        == [(1, "month", "12.0000", "1.0000")]
    yearly = db.scalar(select(Price).where(Price.owner_id == package_id, Price.cycle == "1Y"))
    db.refresh(yearly)
    assert yearly.enabled is False


def test_delete_retires_unless_services_use_it(call, group, db, factories):
    package_id = int(_add(call, group, "Old", ("1", "month", "USD", "10", "0"))[1]["response"])
    used = factories.product()
    factories.service(product=used)
    db.commit()
    status, body = call("POST", "packages/delete", package_id=used.id)
    assert status == 400 and "in_use" in body["errors"]["package_id"]
    assert call("POST", "packages/delete", package_id=package_id)[0] == 200
    assert call("GET", "packages/get", package_id=package_id)[1]["response"]["status"] \
        == "inactive"


def test_other_companies_packages_are_invisible(call, db):
    ensure_currency(db)
    db.add(Company(id=2, name="Other Co"))
    db.flush()
    other = ProductGroup(name="Theirs", company_id=2)
    db.add(other)
    db.flush()
    product = Product(name="Hidden", group_id=other.id)
    db.add(product)
    db.commit()
    assert call("GET", "packages/get", package_id=product.id)[1] == {"response": False}
    assert call("GET", "packages/getListCount")[1]["response"] == 0
    assert call("GET", "package_groups/get", package_group_id=other.id)[1]["response"] is False


def test_static_lists(call):
    assert call("GET", "packages/getStatusTypes")[1]["response"]["restricted"] == "Restricted"
    assert call("GET", "packages/getPricingPeriods", plural="true")[1]["response"]["month"] \
        == "Months"
    assert call("GET", "pricings/getPeriods")[1]["response"]["onetime"] == "One time"


# -- package groups --------------------------------------------------------------------------

def test_package_group_add_get_edit_list(call, db):
    ensure_currency(db)
    db.commit()
    status, body = call("POST", "package_groups/add",
                        **{"vars[names][0][lang]": "en_us", "vars[names][0][name]": "VPS",
                           "vars[descriptions][0][lang]": "en_us",
                           "vars[descriptions][0][description]": "Virtual servers",
                           "vars[type]": "standard"})
    assert status == 200 and isinstance(body["response"], str)
    group_id = int(body["response"])
    got = call("GET", "package_groups/get", package_group_id=group_id)[1]["response"]
    assert (got["name"], got["description"], got["type"]) == ("VPS", "Virtual servers",
                                                              "standard")
    call("POST", "package_groups/edit", package_group_id=group_id,
         **{"vars[names][0][name]": "Cloud VPS", "vars[hidden]": "1"})
    got = call("GET", "package_groups/get", package_group_id=group_id)[1]["response"]
    assert got["name"] == "Cloud VPS" and got["hidden"] == 1
    assert call("GET", "package_groups/getListCount", company_id=1)[1]["response"] == 1
    listed = call("GET", "package_groups/getList", company_id=1)[1]["response"]
    assert [g["id"] for g in listed] == [group_id]
    assert call("GET", "package_groups/getAll", company_id=1, type="addon")[1]["response"] == []


def test_addon_package_groups_are_refused(call):
    status, body = call("POST", "package_groups/add",
                        **{"vars[names][0][name]": "Extras", "vars[type]": "addon"})
    assert status == 400 and "type" in body["errors"]


def test_package_group_delete_is_not_supported(call):
    status, body = call("POST", "package_groups/delete", package_group_id=1)
    assert status == 400 and "unsupported" in body["errors"]["method"]


# -- pricings --------------------------------------------------------------------------------

def test_pricing_edit_delete_and_lists(call, group, db):
    package_id = int(_add(call, group, "P", ("1", "month", "USD", "10", "0"),
                          ("1", "year", "USD", "100", "0"), ("1", "week", "USD", "3", "0"))
                     [1]["response"])
    rows = call("GET", "pricings/getAll", company_id=1)[1]["response"]
    assert [(r["term"], r["period"]) for r in rows] == [(1, "week"), (1, "month"), (1, "year")]
    monthly = next(r for r in rows if r["period"] == "month")
    status, _ = call("POST", "pricings/edit", pricing_id=monthly["id"],
                     **{"vars[price]": "11.50", "vars[setup_fee]": "2"})
    assert status == 200
    row = call("GET", "pricings/get", pricing_id=monthly["id"])[1]["response"]
    assert (row["price"], row["setup_fee"]) == ("11.5000", "2.0000")
    status, body = call("POST", "pricings/edit", pricing_id=monthly["id"],
                        **{"vars[term]": "2", "vars[period]": "month"})
    assert status == 400 and "unchanged" in body["errors"]["period"]
    assert call("POST", "pricings/delete", pricing_id=monthly["id"])[0] == 200
    assert call("GET", "pricings/get", pricing_id=monthly["id"])[1]["response"] is False
    assert call("GET", "pricings/getListCount", company_id=1)[1]["response"] == 2
    package = call("GET", "packages/get", package_id=package_id)[1]["response"]
    assert len(package["pricing"]) == 2


def test_pricings_add_is_not_supported(call):
    status, body = call("POST", "pricings/add", **{"vars[term]": "1"})
    assert status == 400 and "unsupported" in body["errors"]["method"]


# -- package options -------------------------------------------------------------------------

def test_option_groups_and_options(call, group, db):
    package_id = int(_add(call, group, "Opt", ("1", "month", "USD", "10", "0"))[1]["response"])
    status, body = call("POST", "package_option_groups/add",
                        **{"vars[name]": "Extras", "vars[description]": "More",
                           "vars[packages][0]": str(package_id)})
    assert status == 200
    option_group_id = int(body["response"])
    assert db.get(ConfigOptionGroup, option_group_id).name == "Extras"
    db.commit()
    assert call("GET", "package_option_groups/getAllPackageIds",
                option_group_id=option_group_id)[1]["response"] == [package_id]
    status, body = call("POST", "package_options/add", **{
        "vars[label]": "Memory", "vars[name]": "ram", "vars[type]": "select",
        "vars[groups][0]": str(option_group_id),
        "vars[values][0][name]": "1 GB", "vars[values][0][value]": "1024",
        "vars[values][0][pricing][0][term]": "1", "vars[values][0][pricing][0][period]": "month",
        "vars[values][0][pricing][0][price]": "2", "vars[values][0][pricing][0][currency]": "USD",
        "vars[values][1][name]": "2 GB", "vars[values][1][value]": "2048"})
    assert status == 200
    option = call("GET", "package_options/get", option_id=body["response"])[1]["response"]
    assert (option["label"], option["name"], option["type"]) == ("Memory", "ram", "select")
    assert [v["value"] for v in option["values"]] == ["1024", "2048"]
    pricing = option["values"][0]["pricing"]
    assert [(p["term"], p["period"], p["price"]) for p in pricing] == [(1, "month", "2.0000")]
    assert option["groups"][0]["id"] == option_group_id
    by_package = call("GET", "package_options/getByPackageId", package_id=package_id)[1]
    assert [o["id"] for o in by_package["response"]] == [option["id"]]
    value_price = call("GET", "package_options/getValuePricingById",
                       pricing_id=pricing[0]["id"])[1]["response"]
    assert value_price["option_value_id"] == option["values"][0]["id"]
    package = call("GET", "packages/get", package_id=package_id)[1]["response"]
    assert [g["id"] for g in package["option_groups"]] == [option_group_id]


def test_checkbox_option_is_a_yes_no_option_and_needs_a_group(call, group, db):
    db.add(ConfigOptionGroup(name="G"))
    db.commit()
    gid = db.scalar(select(ConfigOptionGroup.id))
    db.commit()
    status, body = call("POST", "package_options/add",
                        **{"vars[label]": "Backups", "vars[name]": "backups",
                           "vars[type]": "checkbox", "vars[values][0][name]": "Yes"})
    assert status == 400 and "groups" in body["errors"]
    status, body = call("POST", "package_options/add",
                        **{"vars[label]": "Backups", "vars[name]": "backups",
                           "vars[type]": "checkbox", "vars[groups][0]": str(gid),
                           "vars[values][0][name]": "Yes"})
    assert status == 200
    got = call("GET", "package_options/get", option_id=body["response"])[1]["response"]
    assert got["type"] == "checkbox"
    assert call("GET", "package_options/getListCount", company_id=1)[1]["response"] == 1
