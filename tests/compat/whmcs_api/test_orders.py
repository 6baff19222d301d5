"""Orders group of the WHMCS API: AddOrder, AcceptOrder, CancelOrder, FraudOrder, PendingOrder,
DeleteOrder, OrderFraudCheck, GetOrders, GetOrderStatuses, GetPromotions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bridge.models import (
    ConfigOptionGroup,
    CustomFieldValue,
    Domain,
    Invoice,
    Order,
    Service,
    ServiceAddon,
    ServiceConfigOption,
    Tld,
)
from bridge.services.catalog import add_addon, add_config_option, add_config_option_group
from bridge.services.customfields import add_custom_field
from bridge.services.modules import save_module_settings
from bridge.services.orders import accept_order, cancel_order, place_order
from bridge.services.pricing import set_prices
from bridge.services.promotions import add_promotion
from compat.whmcs.api.params import encode_serialized_b64
from hooks import ActionResult


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def shop(call, db, factories):
    """A gateway, a priced product with an option, a custom field and an addon, a TLD and a
    client."""
    factories.currency()
    save_module_settings(db, "gateway", "banktransfer", {"account_holder": "Example Ltd"})
    product = factories.product(prices={"1M": "10.00", "1Y": "100.00"})
    group = add_config_option_group(db, {"name": "Extras", "product_ids": [product.id]})
    option = add_config_option(db, group.id, {"name": "Disk", "values": [
        {"name": "10 GB", "prices": {"USD": {"1M": {"amount": "0"}, "1Y": {"amount": "0"}}}},
        {"name": "50 GB", "prices": {"USD": {"1M": {"amount": "5.00"},
                                             "1Y": {"amount": "50.00"}}}}]})
    field = add_custom_field(db, {"owner_type": "product", "owner_id": product.id,
                                  "name": "Colour", "show_on_order": True})
    addon = add_addon(db, {"name": "Backups", "product_ids": [product.id],
                           "prices": {"USD": {"1M": {"amount": "2.00"},
                                              "1Y": {"amount": "20.00"}}}})
    tld = Tld(extension=".com")
    db.add(tld)
    db.flush()
    for kind in ("tld_register", "tld_transfer", "tld_renew"):
        set_prices(db, kind, tld.id, "USD", {"1Y": {"amount": "12.00"}, "2Y": {"amount": "24.00"}})
    client = factories.client()
    db.commit()
    return SimpleNamespace(product=product, option=option, field=field, addon=addon,
                           client=client, db=db)


def _order(shop, **extra):
    params = {"clientid": shop.client.id, "paymentmethod": "banktransfer",
              "pid[0]": shop.product.id, "billingcycle[0]": "monthly"}
    params.update(extra)
    return params


def test_add_order_with_options_fields_addons_and_domain(call, shop):
    big = shop.option.values[1]
    status, body = call("AddOrder", **_order(
        shop, **{"billingcycle[0]": "annually", "domain[0]": "site.com",
                 "domaintype[0]": "register", "regperiod[0]": "2",
                 "configoptions[0]": encode_serialized_b64({shop.option.id: big.id}),
                 "customfields[0]": encode_serialized_b64({shop.field.id: "Blue"}),
                 "addons[0]": str(shop.addon.id)}))
    assert status == 200 and body["result"] == "success", body
    assert list(body) == ["result", "orderid", "serviceids", "addonids", "domainids",
                          "invoiceid"]
    assert all(isinstance(body[k], str) for k in list(body)[1:])
    db = shop.db
    service = db.get(Service, int(body["serviceids"]))
    assert (service.billing_cycle, service.domain, service.status) == ("1Y", "site.com",
                                                                       "pending")
    assert service.recurring_amount == Decimal("150.00")  # 100 + the 50 GB option
    chosen = db.scalar(select(ServiceConfigOption).where(
        ServiceConfigOption.service_id == service.id))
    assert chosen.value_id == big.id
    value = db.scalar(select(CustomFieldValue).where(CustomFieldValue.entity_id == service.id))
    assert value.value == "Blue"
    addon = db.get(ServiceAddon, int(body["addonids"]))
    assert (addon.addon_id, addon.service_id) == (shop.addon.id, service.id)
    domain = db.get(Domain, int(body["domainids"]))
    assert (domain.name, domain.registration_period) == ("site.com", 2)
    invoice = db.get(Invoice, int(body["invoiceid"]))
    assert invoice.subtotal == Decimal("150.00") + Decimal("20.00") + Decimal("24.00")
    order = db.get(Order, int(body["orderid"]))
    assert order.invoice_id == invoice.id and order.payment_method == "banktransfer"


def test_add_order_defaults_to_the_first_offered_cycle_and_noinvoice(call, shop):
    params = _order(shop, noinvoice="1")
    del params["billingcycle[0]"]
    status, body = call("AddOrder", **params)
    assert body["result"] == "success" and body["invoiceid"] == "0"
    assert shop.db.get(Service, int(body["serviceids"])).billing_cycle == "1M"


def test_add_order_quantity_and_php_append_arrays(call, shop):
    status, body = call("AddOrder", **{"clientid": shop.client.id, "paymentmethod": "banktransfer",
                                       "pid[]": shop.product.id, "qty[]": "2"})
    assert body["result"] == "success"
    assert len(body["serviceids"].split(",")) == 2


def test_addon_only_order_for_an_existing_service(call, shop, factories):
    service = factories.service(client=shop.client, product=shop.product)
    other = factories.service(product=shop.product)
    shop.db.commit()
    status, body = call("AddOrder", clientid=shop.client.id, paymentmethod="banktransfer",
                        addonid=shop.addon.id, serviceid=service.id)
    assert body["result"] == "success" and body["serviceids"] == ""
    assert shop.db.get(ServiceAddon, int(body["addonids"])).service_id == service.id
    assert call("AddOrder", clientid=shop.client.id, paymentmethod="banktransfer",
                addonid=shop.addon.id, serviceid=other.id)[1]["message"] == (
        "Service ID not owned by Client ID provided")
    assert call("AddOrder", clientid=shop.client.id, paymentmethod="banktransfer",
                addonid=9999, serviceid=service.id)[1]["message"] == "Addon ID invalid"


def test_add_order_errors(call, shop, factories):
    closed = factories.client(status="closed")
    shop.db.commit()
    assert call("AddOrder", **_order(shop, clientid=9999))[1] == {
        "result": "error", "message": "Client ID Not Found"}
    assert call("AddOrder", **_order(shop, clientid=closed.id))[1]["message"] == (
        "Unable to add order when client status is Closed")
    assert call("AddOrder", **_order(shop, paymentmethod="paypal"))[1]["message"] == (
        "Invalid Payment Method. Valid options include banktransfer")
    assert call("AddOrder", clientid=shop.client.id, paymentmethod="banktransfer")[1][
        "message"] == "No items added to cart so order cannot proceed"
    two_domains = {"clientid": shop.client.id, "paymentmethod": "banktransfer",
                   "domain[0]": "a.com", "domain[1]": "b.com", "domaintype": "register"}
    assert call("AddOrder", **two_domains)[1]["message"] == (
        "Expecting parameter 'domaintype' to be an array")
    status, body = call("AddOrder", **_order(shop, **{"domainrenewals[x.com]": "1"}))
    assert body["result"] == "error" and "domainrenewals" in body["message"]
    status, body = call("AddOrder", **_order(shop, **{"configoptions[0]": "not base64 !!"}))
    assert body["message"] == "configoptions must be a base64 encoded serialized array"


def test_promotion_code_is_applied(call, shop):
    add_promotion(shop.db, {"code": "HALF", "type": "percent", "value": Decimal("50")})
    shop.db.commit()
    status, body = call("AddOrder", **_order(shop, promocode="half"))
    assert body["result"] == "success"
    assert shop.db.get(Invoice, int(body["invoiceid"])).subtotal == Decimal("5.00")
    assert call("AddOrder", **_order(shop, promocode="NOPE"))[1]["result"] == "error"


def _placed(shop, **kw):
    result = place_order(shop.db, shop.client.id, {
        "products": [{"product_id": shop.product.id, "billing_cycle": "1M",
                      "domain": "shop.example"}], "payment_method": "banktransfer", **kw})
    shop.db.commit()
    return result


def test_accept_order_activates_and_refuses_twice(call, shop):
    placed = _placed(shop)
    status, body = call("AcceptOrder", orderid=placed.order.id, serviceusername="ada",
                        servicepassword="Secret-1")
    assert body == {"result": "success"}
    service = shop.db.get(Service, placed.services[0].id)
    assert (service.status, service.username) == ("active", "ada")
    assert call("AcceptOrder", orderid=placed.order.id)[1] == {
        "result": "error", "message": "Order ID not found or Status not Pending"}
    assert call("AcceptOrder", orderid=424242)[1]["message"] == (
        "Order ID not found or Status not Pending")


def refuse_creation(self, ctx):
    return ActionResult.failure("Package gold does not exist on the panel")


def test_accept_order_reports_the_module_message_and_keeps_the_failure(call, shop,
                                                                        install_modules,
                                                                        panel_class, factories):
    install_modules(panel_class("refusingpanel", "Refusing panel", requires_server=False,
                                create=refuse_creation), name="refusing-plugin")
    product = factories.product(module="refusingpanel")
    result = place_order(shop.db, shop.client.id, {"products": [{"product_id": product.id}],
                                                   "payment_method": "banktransfer"})
    shop.db.commit()
    status, body = call("AcceptOrder", orderid=result.order.id)
    assert (status, body) == (200, {"result": "error",
                                    "message": "Package gold does not exist on the panel"})
    order = shop.db.get(Order, result.order.id)
    service = shop.db.get(Service, result.services[0].id)
    assert order.status == "active"  # accepted all the same, as WHMCS does
    assert service.status == "pending" and "does not exist" in service.module_error


def test_cancel_fraud_pending_and_delete(call, shop):
    placed = _placed(shop)
    order_id, service_id, invoice_id = (placed.order.id, placed.services[0].id,
                                        placed.invoice.id)
    assert call("DeleteOrder", orderid=order_id)[1]["message"] == (
        "The order status must be in Cancelled or Fraud to be deleted")
    assert call("CancelOrder", orderid=order_id)[1] == {"result": "success"}
    assert shop.db.get(Service, service_id).status == "cancelled"
    assert shop.db.get(Invoice, invoice_id).status == "cancelled"
    assert call("CancelOrder", orderid=order_id)[1]["message"] == (
        "Order ID not found or Status not Pending")
    assert call("PendingOrder", orderid=order_id)[1] == {"result": "success"}
    assert shop.db.get(Order, order_id).status == "pending"
    assert shop.db.get(Service, service_id).status == "pending"
    assert call("FraudOrder", orderid=order_id)[1] == {"result": "success"}
    assert shop.db.get(Order, order_id).status == "fraud"
    assert call("DeleteOrder", orderid=order_id)[1] == {"result": "success"}
    assert shop.db.get(Order, order_id) is None
    assert shop.db.get(Service, service_id) is None
    assert shop.db.get(Invoice, invoice_id) is None
    assert call("DeleteOrder", orderid=order_id)[1]["message"] == "Order ID not found"
    assert call("FraudOrder", orderid=order_id)[1]["message"] == "Order ID Not Found"
    assert call("PendingOrder", orderid=order_id)[1]["message"] == "Order ID Not Found"


def test_delete_refuses_an_order_with_a_payment(call, shop):
    from bridge.services.payments import apply_payment

    placed = _placed(shop)
    apply_payment(shop.db, placed.invoice.id, Decimal("1.00"), gateway="banktransfer",
                  gateway_txn_id="T-1")
    shop.db.commit()
    call("FraudOrder", orderid=placed.order.id)
    status, body = call("DeleteOrder", orderid=placed.order.id)
    assert body["result"] == "error" and "payments" in body["message"]
    assert shop.db.get(Order, placed.order.id) is not None


def test_order_fraud_check_has_no_module(call, shop):
    placed = _placed(shop)
    assert call("OrderFraudCheck", orderid=placed.order.id)[1]["message"] == (
        "No Active Fraud Module")
    assert call("OrderFraudCheck", orderid=999)[1]["message"] == "Order ID Not Found"


def test_get_orders_shape_filters_and_paging(call, shop):
    first = _placed(shop)
    second = _placed(shop, domains=[{"name": "shop.com"}])
    accept_order(shop.db, first.order.id)
    shop.db.commit()
    status, body = call("GetOrders", userid=shop.client.id)
    assert (body["totalresults"], body["startnumber"], body["numreturned"]) == (2, 0, 2)
    newest, oldest = body["orders"]["order"]
    assert (newest["id"], oldest["id"]) == (second.order.id, first.order.id)
    assert oldest["status"] == "Active" and newest["status"] == "Pending"
    assert newest["invoiceid"] == second.invoice.id and newest["paymentstatus"] == "Unpaid"
    assert newest["amount"] == "22.00" and newest["currencyprefix"] == "$"
    assert newest["paymentmethodname"] and isinstance(newest["ordernum"], int)
    product_line, domain_line = newest["lineitems"]["lineitem"]
    assert product_line == {"type": "product", "relid": second.services[0].id,
                            "producttype": "Hosting Account", "product": shop.product.name,
                            "domain": "shop.example", "billingcycle": "Monthly",
                            "amount": "10.00", "status": "Pending"}
    assert (domain_line["type"], domain_line["domain"], domain_line["status"]) == (
        "domain", "shop.com", "Pending Registration")
    _, active = call("GetOrders", status="Active")
    assert [o["id"] for o in active["orders"]["order"]] == [first.order.id]
    _, page = call("GetOrders", limitstart=1, limitnum=1)
    assert (page["numreturned"], page["orders"]["order"][0]["id"]) == (1, first.order.id)
    _, one = call("GetOrders", id=first.order.id)
    assert one["totalresults"] == 1


def test_get_orders_runs_a_fixed_number_of_statements(call, shop, sql_log):
    def statements() -> int:
        with sql_log() as counted:
            assert call("GetOrders")[1]["result"] == "success"
        return len(counted)

    _placed(shop)
    statements()  # warm up: the first call also records the credential's first use
    few = statements()
    for _ in range(6):
        _placed(shop, domains=[])
    assert statements() == few


def test_get_orders_xml(call, shop):
    _placed(shop)
    status, text = call("GetOrders", fmt="xml")
    root = ET.fromstring(text.encode())
    assert root.findtext("action") == "getorders"
    assert root.findtext("orders/order/lineitems/lineitem/type") == "product"
    assert root.findtext("orders/order/status") == "Pending"


def test_get_order_statuses_counts(call, shop):
    _placed(shop)
    cancelled = _placed(shop)
    cancel_order(shop.db, cancelled.order.id)
    shop.db.commit()
    status, body = call("GetOrderStatuses")
    assert body["totalresults"] == 4
    assert body["statuses"]["status"] == [
        {"title": "Pending", "count": 1}, {"title": "Active", "count": 0},
        {"title": "Fraud", "count": 0}, {"title": "Cancelled", "count": 1}]


def test_get_promotions(call, shop):
    add_promotion(shop.db, {"code": "Spring", "type": "fixed", "value": Decimal("5"),
                            "recurring": True, "product_ids": [shop.product.id],
                            "addon_ids": [shop.addon.id], "cycles": ["1M", "1Y"],
                            "once_per_client": True, "max_uses": 10})
    add_promotion(shop.db, {"code": "OTHER", "type": "percent", "value": Decimal("10")})
    shop.db.commit()
    status, body = call("GetPromotions")
    assert body["totalresults"] == 2
    status, body = call("GetPromotions", code="spring")
    (promo,) = body["promotions"]["promotion"]
    assert promo["code"] == "Spring" and promo["type"] == "Fixed Amount"
    assert (promo["value"], promo["recurring"], promo["onceperclient"]) == ("5.00", 1, 1)
    assert promo["appliesto"] == f"{shop.product.id},A{shop.addon.id}"
    assert promo["cycles"] == "Monthly,Annually"
    assert (promo["maxuses"], promo["uses"], promo["startdate"]) == (10, 0, "0000-00-00")
    assert promo["upgradeconfig"].startswith("a:4:{")
    assert call("GetPromotions", code="missing")[1]["totalresults"] == 0


def test_config_option_group_fixture_is_attached(shop):
    # guards the fixture the order tests rely on
    group = shop.db.scalar(select(ConfigOptionGroup))
    assert [p.id for p in group.products] == [shop.product.id]


def test_ids_beyond_a_database_integer_are_refused_cleanly(call, shop):
    huge = "9" * 30
    assert call("AcceptOrder", orderid=huge)[1]["message"] == (
        "Order ID not found or Status not Pending")
    assert call("GetOrders", userid=huge)[1] == {"result": "error",
                                                "message": "userid is out of range"}
    assert call("AddOrder", **_order(shop, clientid=huge))[1]["message"] == "Client ID Not Found"
    assert call("AddOrder", **_order(shop, **{"pid[0]": huge}))[1]["message"] == (
        "pid is out of range")
