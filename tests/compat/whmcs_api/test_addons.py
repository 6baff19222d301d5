"""Addons group of the WHMCS API: UpdateClientAddon."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from bridge.models import ServiceAddon
from bridge.services.catalog import add_addon
from bridge.services.lifecycle import add_service_addon


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def owned(call, db, factories):
    service = factories.service()
    backups = add_addon(db, {"name": "Backups", "prices": {"USD": {
        "1M": {"amount": "2.00"}, "1Y": {"amount": "20.00"}}}})
    ssl = add_addon(db, {"name": "SSL", "prices": {"USD": {"1Y": {"amount": "50.00"}}}})
    addon = add_service_addon(db, service.id, {"addon_id": backups.id, "status": "active",
                                               "recurring_amount": Decimal("2.00")})
    db.commit()
    return {"addon": addon.id, "ssl": ssl.id, "db": db}


def test_update_fields(call, owned):
    status, body = call("UpdateClientAddon", id=owned["addon"], name="Nightly backups",
                        setupfee="5.00", recurring="3.50", billingcycle="Quarterly",
                        nextduedate="2030-02-28", notes="Moved")
    assert body == {"result": "success", "id": str(owned["addon"])}
    addon = owned["db"].get(ServiceAddon, owned["addon"])
    assert (addon.name, addon.setup_fee, addon.recurring_amount) == (
        "Nightly backups", Decimal("5.00"), Decimal("3.50"))
    assert (addon.billing_cycle, addon.notes) == ("3M", "Moved")
    assert addon.next_due_date == date(2030, 2, 28) == addon.next_invoice_date


def test_autorecalc_uses_the_catalogue_price(call, owned):
    call("UpdateClientAddon", id=owned["addon"], addonid=owned["ssl"], billingcycle="annually",
         recurring="1.00", autorecalc="1")
    addon = owned["db"].get(ServiceAddon, owned["addon"])
    assert (addon.addon_id, addon.billing_cycle, addon.recurring_amount) == (
        owned["ssl"], "1Y", Decimal("50.00"))


def test_status_changes(call, owned):
    db = owned["db"]
    assert call("UpdateClientAddon", id=owned["addon"], status="Suspended")[1][
        "result"] == "success"
    assert db.get(ServiceAddon, owned["addon"]).status == "suspended"
    call("UpdateClientAddon", id=owned["addon"], status="Active")
    assert db.get(ServiceAddon, owned["addon"]).status == "active"
    call("UpdateClientAddon", id=owned["addon"], status="Cancelled")
    addon = db.get(ServiceAddon, owned["addon"])
    assert addon.status == "cancelled" and addon.termination_date is not None
    status, body = call("UpdateClientAddon", id=owned["addon"], status="Active")
    assert body["result"] == "error" and "cancelled" in body["message"]
    assert call("UpdateClientAddon", id=owned["addon"], status="Pending")[1]["message"] == (
        "An addon cannot be set to Pending here")


def test_errors(call, owned):
    assert call("UpdateClientAddon", id=999)[1] == {"result": "error",
                                                    "message": "Addon ID Not Found"}
    assert call("UpdateClientAddon", id=owned["addon"])[1] == {"result": "error",
                                                               "message": "Nothing to Update"}
    assert call("UpdateClientAddon", id=owned["addon"], addonid=777)[1]["result"] == "error"
    assert call("UpdateClientAddon", id=owned["addon"], setupfee="-1")[1]["result"] == "error"


def test_xml(call, owned):
    status, text = call("UpdateClientAddon", id=owned["addon"], notes="x", fmt="xml")
    root = ET.fromstring(text.encode())
    assert (root.findtext("result"), root.findtext("id")) == ("success", str(owned["addon"]))
