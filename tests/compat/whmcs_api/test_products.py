"""GetProducts (Orders group) and AddProduct (Products group) of the WHMCS API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.models import Price, Product, ProductGroup
from bridge.services.catalog import add_config_option, add_config_option_group, add_product
from bridge.services.customfields import add_custom_field
from bridge.services.settings import add_currency
from hooks import ConfigField


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def catalog(call, db, factories):
    factories.currency()
    add_currency(db, "EUR", rate=Decimal("0.9"), suffix=" EUR")
    group = ProductGroup(name="Web", slug="web")
    db.add(group)
    db.flush()
    product = add_product(db, {
        "name": "Pro", "group_id": group.id, "type": "hosting", "module": "cpanel",
        "description": "Our best plan", "stock_control": True, "stock_quantity": 7,
        "prices": {"USD": {"1M": {"amount": "25.99", "setup_fee": "5.00"},
                           "1Y": {"amount": "250.00"},
                           "3M": {"enabled": False}},
                   "EUR": {"1M": {"amount": "23.00"}}}})
    onetime = add_product(db, {"name": "Setup job", "group_id": group.id, "pay_type": "onetime",
                               "prices": {"USD": {"onetime": {"amount": "99.00"}}}})
    options = add_config_option_group(db, {"name": "Extras", "product_ids": [product.id]})
    add_config_option(db, options.id, {"name": "IPs", "option_type": "quantity", "qty_min": 1,
                                       "qty_max": 8, "values": [
                                           {"name": "IP", "prices": {"USD": {
                                               "1M": {"amount": "2.00"}}}}]})
    add_custom_field(db, {"owner_type": "product", "owner_id": product.id, "name": "Site",
                          "description": "Your site", "required": True, "show_on_order": True})
    add_custom_field(db, {"owner_type": "product", "owner_id": product.id, "name": "Internal",
                          "show_on_order": False})
    db.commit()
    return {"group": group.id, "product": product.id, "onetime": onetime.id}


def test_get_products_pricing_columns(call, catalog):
    status, body = call("GetProducts", pid=catalog["product"])
    assert body["result"] == "success" and body["totalresults"] == 1
    (product,) = body["products"]["product"]
    assert (product["pid"], product["gid"], product["type"], product["paytype"]) == (
        catalog["product"], catalog["group"], "hostingaccount", "recurring")
    assert product["module"] == "cpanel" and product["quantity_available"] == 7
    assert product["product-url"].endswith("/store/web/pro")
    usd = product["pricing"]["USD"]
    assert list(usd) == ["prefix", "suffix", "msetupfee", "qsetupfee", "ssetupfee",
                         "asetupfee", "bsetupfee", "tsetupfee", "monthly", "quarterly",
                         "semiannually", "annually", "biennially", "triennially"]
    assert (usd["prefix"], usd["monthly"], usd["msetupfee"]) == ("$", "25.99", "5.00")
    assert (usd["quarterly"], usd["annually"], usd["triennially"]) == ("-1.00", "250.00",
                                                                       "-1.00")
    eur = product["pricing"]["EUR"]
    assert (eur["suffix"], eur["monthly"], eur["annually"]) == (" EUR", "23.00", "-1.00")


def test_get_products_custom_fields_and_options(call, catalog):
    (product,) = call("GetProducts", pid=catalog["product"])[1]["products"]["product"]
    (field,) = product["customfields"]["customfield"]
    assert (field["name"], field["description"], field["required"]) == ("Site", "Your site",
                                                                        "on")
    (option,) = product["configoptions"]["configoption"]
    assert (option["name"], option["type"], option["minqty"], option["maxqty"]) == (
        "IPs", "4", 1, 8)
    (choice,) = option["options"]["option"]
    assert choice["name"] == "IP" and choice["pricing"]["USD"]["monthly"] == "2.00"
    assert choice["pricing"]["USD"]["annually"] == "0.00"


def test_get_products_filters_and_one_time_price(call, catalog):
    _, body = call("GetProducts", gid=catalog["group"])
    assert [p["pid"] for p in body["products"]["product"]] == [catalog["product"],
                                                               catalog["onetime"]]
    _, body = call("GetProducts", pid=f"{catalog['onetime']},{catalog['product']}")
    assert body["totalresults"] == 2
    _, body = call("GetProducts", module="cpanel")
    assert [p["pid"] for p in body["products"]["product"]] == [catalog["product"]]
    _, body = call("GetProducts", pid=catalog["onetime"])
    usd = body["products"]["product"][0]["pricing"]["USD"]
    assert (usd["monthly"], usd["annually"]) == ("99.00", "-1.00")
    assert call("GetProducts", pid="abc")[1]["result"] == "error"


def test_get_products_runs_a_fixed_number_of_statements(call, catalog, sql_log, db):
    def statements() -> int:
        db.commit()
        with sql_log() as seen:
            assert call("GetProducts")[1]["result"] == "success"
        return len(seen)

    statements()
    few = statements()
    group = db.scalar(select(ProductGroup))
    for n in range(5):
        add_product(db, {"name": f"Extra {n}", "group_id": group.id,
                         "prices": {"USD": {"1M": {"amount": "1.00"}}}})
    assert statements() == few


def test_get_products_xml(call, catalog):
    status, text = call("GetProducts", pid=catalog["product"], fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("products/product/pricing/USD/monthly") == "25.99"
    assert root.findtext("products/product/configoptions/configoption/type") == "4"


def test_add_product_with_pricing(call, catalog, db):
    status, body = call("AddProduct", **{
        "name": "Platinum", "gid": catalog["group"], "type": "reselleraccount",
        "paytype": "recurring", "autosetup": "on", "stockcontrol": "1", "qty": "3",
        "hidden": "1", "tax": "0", "description": "Lots", "order": "4",
        "pricing[1][monthly]": "20.00", "pricing[1][msetupfee]": "1.50",
        "pricing[1][quarterly]": "-1", "pricing[1][annually]": "200.00"})
    assert body["result"] == "success" and type(body["pid"]) is int
    product = db.get(Product, body["pid"])
    assert (product.type, product.auto_setup, product.stock_quantity) == ("reseller", "manual", 3)
    assert (product.hidden, product.taxable, product.sort_order) == (True, False, 4)
    prices = {p.cycle: p for p in db.scalars(select(Price).where(
        Price.owner_type == "product", Price.owner_id == product.id))}
    assert (prices["1M"].amount, prices["1M"].setup_fee) == (Decimal("20.00"), Decimal("1.50"))
    assert prices["3M"].enabled is False and prices["1Y"].amount == Decimal("200.00")
    listed = call("GetProducts", pid=product.id)[1]["products"]["product"][0]
    assert listed["pricing"]["USD"]["quarterly"] == "-1.00"


def test_add_product_maps_configoptions_onto_module_fields(call, catalog, db, install_modules,
                                                          panel_class):
    fields = (ConfigField("package", "Package"), ConfigField("quota", "Quota"))
    install_modules(panel_class("namedpanel", "Named panel", config_fields=fields),
                    name="named-plugin")
    _, body = call("AddProduct", name="Mod", gid=catalog["group"], module="namedpanel",
                   configoption1="gold", configoption2="10", configoption3="extra")
    product = db.get(Product, body["pid"])
    assert product.module_config == {"package": "gold", "quota": "10",
                                     "configoption3": "extra"}


def test_add_product_one_time_and_errors(call, catalog, db):
    _, body = call("AddProduct", name="Once", gid=catalog["group"], paytype="onetime",
                   **{"pricing[1][monthly]": "49.00"})
    price = db.scalar(select(Price).where(Price.owner_id == body["pid"],
                                          Price.owner_type == "product"))
    assert (price.cycle, price.amount) == ("onetime", Decimal("49.00"))
    errors = {
        "You must supply a name for the product": {"gid": catalog["group"]},
        "You must supply a valid Product Group ID": {"name": "X", "gid": 999},
        'Invalid product type. Must be one of "hostingaccount", "reselleraccount", "server" '
        'or "other"': {"name": "X", "gid": catalog["group"], "type": "vps"},
        'Invalid pay type. Must be one of "free", "onetime" or "recurring"':
            {"name": "X", "gid": catalog["group"], "paytype": "monthly"},
        'Invalid autosetup value. Must be one of "", "on", "order" or "payment"':
            {"name": "X", "gid": catalog["group"], "autosetup": "always"},
        "The color must be a valid hexadecimal value.":
            {"name": "X", "gid": catalog["group"], "color": "blue"},
    }
    for message, params in errors.items():
        assert call("AddProduct", **params)[1] == {"result": "error", "message": message}
