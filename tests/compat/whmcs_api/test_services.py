"""Service group of the WHMCS API: UpdateClientProduct and UpgradeProduct (the module commands
are in test_module.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bridge.db import utcnow
from bridge.models import (
    CustomFieldValue,
    Invoice,
    InvoiceItem,
    Order,
    Service,
    ServiceConfigOption,
)
from bridge.security import SecretBox
from bridge.services.catalog import add_config_option, add_config_option_group
from bridge.services.customfields import add_custom_field
from bridge.services.modules import save_module_settings
from compat.whmcs.api.params import encode_serialized_b64

TEST_SECRET = "test-install-key-0123456789"


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def hosting(call, db, factories):
    """Two products on a 30-day cycle (so a period is always 30 days) and an active service
    of the cheaper one, half-way through its period."""
    save_module_settings(db, "gateway", "banktransfer", {"account_holder": "Example Ltd"})
    small = factories.product(prices={"30D": "20.00", "1Y": "200.00", "1M": "10.00"})
    large = factories.product(prices={"30D": "40.00", "1Y": "400.00"})
    group = add_config_option_group(db, {"name": "Extras",
                                         "product_ids": [small.id, large.id]})
    ips = add_config_option(db, group.id, {"name": "IPs", "option_type": "quantity",
                                           "qty_max": 8, "values": [
                                               {"name": "IP", "prices": {"USD": {
                                                   "30D": {"amount": "3.00"},
                                                   "1Y": {"amount": "30.00"}}}}]})
    field = add_custom_field(db, {"owner_type": "product", "owner_id": small.id,
                                  "name": "Hostname"})
    today = utcnow().date()
    service = factories.service(product=small, billing_cycle="30D",
                                recurring_amount=Decimal("20.00"),
                                registration_date=today - timedelta(days=15),
                                next_due_date=today + timedelta(days=15),
                                next_invoice_date=today + timedelta(days=15))
    db.commit()
    return SimpleNamespace(db=db, small=small, large=large, ips=ips, field=field,
                           service=service.id, client=service.client_id)


def test_update_client_product_fields(call, hosting):
    db = hosting.db
    status, body = call("UpdateClientProduct", **{
        "serviceid": hosting.service, "notes": "Migrated", "domain": "new.example",
        "nextduedate": "2031-05-31", "regdate": "2020-01-02", "recurringamount": "12.50",
        "firstpaymentamount": "30.00", "billingcycle": "Annually", "paymentmethod": "mailin",
        "serviceusername": "ada", "servicepassword": "S3cret!", "dedicatedip": "192.0.2.1",
        "assignedips": "192.0.2.2\n192.0.2.3", "overideautosuspend": "on",
        "overidesuspenduntil": "2031-01-01", "diskusage": "100", "bwlimit": "2048",
        "customfields": encode_serialized_b64({hosting.field.id: "web01"})})
    assert body == {"result": "success", "serviceid": str(hosting.service)}
    service = db.get(Service, hosting.service)
    assert (service.notes, service.domain, service.billing_cycle) == ("Migrated",
                                                                      "new.example", "1Y")
    assert service.next_due_date == date(2031, 5, 31) == service.next_invoice_date
    assert service.registration_date == date(2020, 1, 2)
    assert (service.recurring_amount, service.first_payment_amount) == (Decimal("12.50"),
                                                                        Decimal("30.00"))
    assert (service.payment_method, service.username, service.dedicated_ip) == (
        "mailin", "ada", "192.0.2.1")
    assert SecretBox(TEST_SECRET).decrypt(service.password_enc) == "S3cret!"
    assert service.assigned_ips == ["192.0.2.2", "192.0.2.3"]
    assert service.override_auto_suspend is True
    assert service.override_suspend_until == date(2031, 1, 1)
    assert (service.disk_usage_mb, service.bandwidth_limit_mb) == (100, 2048)
    value = db.scalar(select(CustomFieldValue).where(
        CustomFieldValue.entity_id == hosting.service))
    assert value.value == "web01"


def test_update_client_product_unset_options_autorecalc_and_product(call, hosting):
    db = hosting.db
    call("UpdateClientProduct", serviceid=hosting.service, notes="x", domain="keep.example")
    status, body = call("UpdateClientProduct", **{
        "serviceid": hosting.service, "unset[0]": "notes", "unset[1]": "domain",
        "configoptions": encode_serialized_b64({hosting.ips.id: {"optionid": hosting.ips.values[
            0].id, "qty": 2}}),
        "autorecalc": "1", "recurringamount": "999.00"})
    assert body["result"] == "success"
    service = db.get(Service, hosting.service)
    assert (service.notes, service.domain) == ("", "")
    option = db.scalar(select(ServiceConfigOption).where(
        ServiceConfigOption.service_id == hosting.service))
    assert option.quantity == 2
    assert service.recurring_amount == Decimal("26.00")  # 20.00 + 2 x 3.00, not 999
    call("UpdateClientProduct", serviceid=hosting.service, pid=hosting.large.id)
    assert db.get(Service, hosting.service).product_id == hosting.large.id


def test_update_client_product_status_changes(call, hosting):
    db = hosting.db
    call("UpdateClientProduct", serviceid=hosting.service, status="Suspended",
         suspendreason="Overdue")
    service = db.get(Service, hosting.service)
    assert (service.status, service.suspend_reason) == ("suspended", "Overdue")
    call("UpdateClientProduct", serviceid=hosting.service, status="Active")
    assert db.get(Service, hosting.service).status == "active"
    call("UpdateClientProduct", serviceid=hosting.service, status="Terminated")
    assert db.get(Service, hosting.service).status == "terminated"
    call("UpdateClientProduct", serviceid=hosting.service, status="Active")
    assert db.get(Service, hosting.service).status == "active"
    status, body = call("UpdateClientProduct", serviceid=hosting.service, status="Fraud")
    assert body["result"] == "error"
    assert call("UpdateClientProduct", serviceid=hosting.service, status="Sleeping")[1][
        "message"].startswith("Invalid status Sleeping")


def test_update_client_product_errors(call, hosting):
    assert call("UpdateClientProduct", serviceid=9999)[1] == {
        "result": "error", "message": "Service ID Not Found"}
    assert call("UpdateClientProduct", serviceid=hosting.service,
                promoid=4242)[1]["result"] == "error"
    assert call("UpdateClientProduct", serviceid=hosting.service,
                nextduedate="31/12/2030")[1]["message"] == (
        "nextduedate must be a date in the format YYYY-MM-DD")


def test_upgrade_calculation_is_prorated_and_changes_nothing(call, hosting):
    status, body = call("UpgradeProduct", serviceid=hosting.service, type="product",
                        newproductid=hosting.large.id, calconly="1", paymentmethod="x")
    assert body["result"] == "success"
    assert (body["oldproductid"], body["newproductid"]) == (str(hosting.small.id),
                                                           hosting.large.id)
    assert (body["daysuntilrenewal"], body["totaldays"]) == (15, 30)
    assert body["price"] == "$10.00"  # half of the 20.00 difference
    assert body["upgradeinprogress"] is False
    assert hosting.db.get(Service, hosting.service).product_id == hosting.small.id
    _, down = call("UpgradeProduct", serviceid=hosting.service, type="product", calconly="1",
                   newproductid=hosting.small.id, paymentmethod="x")
    assert down["price"] == "$0.00"


def test_upgrade_to_another_cycle_credits_the_unused_half(call, hosting):
    _, body = call("UpgradeProduct", serviceid=hosting.service, type="product", calconly="1",
                   newproductid=hosting.large.id, newproductbillingcycle="annually",
                   paymentmethod="x")
    assert body["newproductbillingcycle"] == "annually"
    assert body["price"] == "$390.00"  # 400.00 less half of 20.00


def test_upgrade_is_placed_with_an_order_and_invoice(call, hosting):
    db = hosting.db
    status, body = call("UpgradeProduct", serviceid=hosting.service, type="product",
                        newproductid=hosting.large.id, paymentmethod="banktransfer")
    assert body["result"] == "success", body
    service = db.get(Service, hosting.service)
    assert (service.product_id, service.recurring_amount) == (hosting.large.id,
                                                              Decimal("40.00"))
    order = db.get(Order, body["orderid"])
    assert order.client_id == hosting.client and order.number == body["order_number"]
    invoice = db.get(Invoice, body["invoiceid"])
    line = db.scalar(select(InvoiceItem).where(InvoiceItem.invoice_id == invoice.id))
    assert (line.type, line.service_id, line.amount) == ("upgrade", hosting.service,
                                                         Decimal("10.00"))
    again = call("UpgradeProduct", serviceid=hosting.service, type="product", calconly="1",
                 newproductid=hosting.small.id, paymentmethod="banktransfer")[1]
    assert again["upgradeinprogress"] is True
    assert call("UpgradeProduct", serviceid=hosting.service, type="product",
                newproductid=hosting.small.id, paymentmethod="banktransfer")[1]["message"] == (
        "Unable to accept upgrade order. Previous upgrade invoice for service is still unpaid.")


def test_config_option_upgrade(call, hosting):
    db = hosting.db
    options = encode_serialized_b64({hosting.ips.id: 2})
    _, body = call("UpgradeProduct", serviceid=hosting.service, type="configoptions",
                   configoptions=options, paymentmethod="banktransfer")
    assert body["result"] == "success" and body["price"] == "$3.00"  # 2 x 3.00, half a period
    service = db.get(Service, hosting.service)
    assert service.recurring_amount == Decimal("26.00")
    assert service.config_options[0].quantity == 2


def test_downgrade_has_no_invoice(call, hosting):
    _, body = call("UpgradeProduct", serviceid=hosting.service, type="product",
                   newproductid=hosting.large.id, paymentmethod="banktransfer")
    invoice = hosting.db.get(Invoice, body["invoiceid"])
    from bridge.services.invoices import cancel_invoice

    cancel_invoice(hosting.db, invoice.id)
    _, body = call("UpgradeProduct", serviceid=hosting.service, type="product",
                   newproductid=hosting.small.id, paymentmethod="banktransfer")
    assert body["price"] == "$-10.00" and body["invoiceid"] is None


def test_upgrade_errors(call, hosting):
    assert call("UpgradeProduct", serviceid=9999, type="product",
                paymentmethod="banktransfer")[1]["message"] == "Service ID Not Found"
    assert call("UpgradeProduct", serviceid=hosting.service, type="addon",
                paymentmethod="banktransfer")[1]["message"] == "Invalid Upgrade Type"
    assert call("UpgradeProduct", serviceid=hosting.service, type="product",
                newproductid=hosting.large.id, paymentmethod="paypal")[1]["message"] == (
        "Invalid Payment Method. Valid options include banktransfer")
    status, body = call("UpgradeProduct", serviceid=hosting.service, type="product",
                        newproductid=hosting.large.id, calconly="1", paymentmethod="x",
                        newproductbillingcycle="quarterly")
    assert body["result"] == "error" and "not offered" in body["message"]
