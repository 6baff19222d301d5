"""Servers group of the WHMCS API: GetServers, GetHealthStatus."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bridge.models import ModuleQueueItem, Server
from hooks import ActionResult


def ping(self, server):
    """Ping panel's connection test: the host "down.test" does not answer."""
    if server.hostname == "down.test":
        return ActionResult.failure("no route to host")
    return ActionResult.success()


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def servers(call, db, factories, install_modules, panel_class):
    install_modules(panel_class("pingpanel", "Ping panel", test_connection=ping),
                    name="ping-plugin")
    up = Server(name="alpha", module="pingpanel", hostname="up.test", ip_address="192.0.2.1",
                max_accounts=4)
    down = Server(name="beta", module="pingpanel", hostname="down.test")
    other = Server(name="gamma", module="ghostpanel", hostname="c.test")
    off = Server(name="zeta", module="pingpanel", hostname="off.test", disabled=True)
    db.add_all([up, down, other, off])
    db.flush()
    product = factories.product(module="pingpanel")
    service = factories.service(product=product, server_id=up.id)
    factories.service(product=product, server_id=up.id, status="terminated")
    db.commit()
    return {"up": up.id, "down": down.id, "other": other.id, "service": service.id}


def test_get_servers_flat_list_with_load(call, servers):
    status, body = call("GetServers")
    assert body["result"] == "success" and body["fetchStatus"] is False
    assert isinstance(body["servers"], list)
    assert [s["name"] for s in body["servers"]] == ["alpha", "beta", "gamma"]
    alpha = body["servers"][0]
    assert alpha == {"id": servers["up"], "name": "alpha", "hostname": "up.test",
                     "ipaddress": "192.0.2.1", "active": True, "activeServices": 1,
                     "maxAllowedServices": 4, "percentUsed": 25, "module": "pingpanel",
                     "status": {"http": None, "load": None, "uptime": None}}


def test_get_servers_for_a_service_and_with_status(call, servers):
    _, body = call("GetServers", serviceId=servers["service"], fetchStatus="true")
    assert body["fetchStatus"] is True
    assert {s["name"]: s["status"]["http"] for s in body["servers"]} == {"alpha": True,
                                                                         "beta": False}
    assert call("GetServers", serviceId=9999)[1]["message"] == "Service ID not found"


def test_get_servers_xml(call, servers):
    status, text = call("GetServers", fmt="xml")
    root = ET.fromstring(text.encode())
    assert [s.findtext("name") for s in root.findall("servers")] == ["alpha", "beta", "gamma"]


def test_get_health_status(call, servers, db):
    _, body = call("GetHealthStatus")
    checks = body["checks"]
    assert set(checks) == {"success", "warning", "danger"}
    danger = [c["body"] for c in checks["danger"]]
    assert any("gamma" in text and "ghostpanel" in text for text in danger)
    assert not checks["warning"]
    db.add(ModuleQueueItem(subject_type="service", subject_id=servers["service"],
                           module="pingpanel", action="create", last_error="down"))
    _, body = call("GetHealthStatus", fetchStatus="1")
    assert [c["name"] for c in body["checks"]["warning"]] == ["Module queue"]
    assert any("beta: connection failed" in c["body"] for c in body["checks"]["danger"])
    assert any("alpha: connected" in c["body"] for c in body["checks"]["success"])
