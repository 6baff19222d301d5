"""ModuleManager, GatewayManager and PluginManager over the API door."""

from __future__ import annotations

import pytest

from bridge.models import Server, ServerGroup
from bridge.services.common import secret_box
from bridge.services.modules import save_module_settings
from compat.blesta.api.methods.managers import stable_id
from hooks import ActionResult, ConfigField, GatewayModule, ServerModule, hookimpl


class RackPanel(ServerModule):
    name = "rackpanel"
    label = "Rack panel"
    version = "1.4"

    def create(self, ctx):
        return ActionResult.success()

    def suspend(self, ctx, reason=""):
        return ActionResult.success()

    def unsuspend(self, ctx):
        return ActionResult.success()

    def terminate(self, ctx):
        return ActionResult.success()


class DemoGate(GatewayModule):
    name = "testgate"
    label = "Test Gate"
    version = "3"
    kind = "offsite"
    currencies = ("USD",)
    config_fields = (ConfigField("account", "Account", required=True),
                     ConfigField("api_key", "API key", secret=True))


class RackPlugin:
    @hookimpl
    def register_server_modules(self):
        return [RackPanel]

    @hookimpl
    def register_gateway_modules(self):
        return [DemoGate]


MODULE_ID = stable_id("module", "rackpanel")
USER, KEY = "blesta-test-user", "blesta-test-key-0123456789"  # as conftest.py creates them


@pytest.fixture
def rack(db, register_plugin):
    register_plugin(RackPlugin(), name="rack-plugin")
    group = ServerGroup(name="Rack A")
    db.add(group)
    db.flush()
    box = secret_box(db)
    servers = [Server(name=f"rack{n}", module="rackpanel", group_id=group.id,
                      hostname=f"rack{n}.test", username="root",
                      password_enc=box.encrypt(f"pw{n}"), max_accounts=50)
               for n in (1, 2)]
    db.add_all(servers)
    db.commit()
    return {"group": group, "servers": servers}


def test_installed_modules_come_from_the_plugin_host(call, rack):
    installed = call("GET", "module_manager/getInstalled")[1]["response"]
    entry = next(m for m in installed if m["class"] == "rackpanel")
    assert entry == {"id": MODULE_ID, "company_id": 1, "name": "Rack panel",
                     "class": "rackpanel", "version": "1.4", "type": "generic"}
    every = call("GET", "module_manager/getAll", company_id=1)[1]["response"]
    names = [m["name"].lower() for m in every]
    assert names == sorted(names) and "rack panel" in names
    registrars = call("GET", "module_manager/getInstalled",
                      **{"filters[type]": "registrar"})[1]["response"]
    assert registrars and all(m["type"] == "registrar" for m in registrars)


def test_get_module_lists_servers_as_rows_and_groups(call, rack):
    module = call("GET", "module_manager/get", module_id=MODULE_ID)[1]["response"]
    assert [r["id"] for r in module["rows"]] == [s.id for s in rack["servers"]]
    meta = module["rows"][0]["meta"]
    assert (meta["server_name"], meta["host_name"], meta["user_name"]) == (
        "rack1", "rack1.test", "root")
    assert meta["password"] == "pw1" and meta["account_limit"] == "50"
    assert [g["name"] for g in module["groups"]] == ["Rack A"]
    assert len(module["groups"][0]["rows"]) == 2
    bare = call("GET", "module_manager/get", module_id=MODULE_ID, rows="false",
                groups="false")[1]["response"]
    assert "rows" not in bare and "groups" not in bare
    assert call("GET", "module_manager/get", module_id=1)[1]["response"] is False


def test_rows_row_and_row_meta(call, rack, blesta_app):
    first = rack["servers"][0]
    rows = call("GET", "module_manager/getRows", module_id=MODULE_ID)[1]["response"]
    assert len(rows) == 2 and rows[0]["module_id"] == MODULE_ID
    row = call("GET", "module_manager/getRow", module_row_id=first.id)[1]["response"]
    assert row["meta"]["host_name"] == "rack1.test"
    # ``key`` is the call fixture's API key argument, so this request is made by hand
    web = blesta_app.test_client()
    host = web.get("/api/module_manager/getRowMeta.json",
                   query_string={"module_row_id": first.id, "key": "host_name"},
                   headers={"BLESTA-API-USER": USER, "BLESTA-API-KEY": KEY}).get_json()
    host = host["response"]
    assert host == {"module_row_id": first.id, "key": "host_name", "value": "rack1.test",
                    "serialized": 0, "encrypted": 0}
    group = call("GET", "module_manager/getGroup",
                 module_group_id=rack["group"].id)[1]["response"]
    assert group["module_id"] == MODULE_ID and len(group["rows"]) == 2


def test_is_installed_and_by_class(call, rack):
    assert call("GET", "module_manager/isInstalled", **{"class": "rackpanel"})[1] == \
        {"response": True}
    assert call("GET", "module_manager/isInstalled", **{"class": "nopanel"})[1] == \
        {"response": False}
    by_class = call("GET", "module_manager/getByClass", **{"class": "rackpanel"})[1]
    assert [m["id"] for m in by_class["response"]] == [MODULE_ID]


def test_module_writes_are_not_supported(call):
    status, body = call("POST", "module_manager/addRow", module_id=1, **{"vars[a]": "b"})
    assert status == 400 and "unsupported" in body["errors"]["method"]


# -- gateways --------------------------------------------------------------------------------

def test_configured_gateway_is_installed_with_meta(call, rack, db):
    assert call("GET", "gateway_manager/getInstalled")[1]["response"] == []
    row = save_module_settings(db, "gateway", "testgate",
                               {"account": "acct-1", "api_key": "sk-123"})
    db.commit()
    listed = call("GET", "gateway_manager/getAll", company_id=1)[1]["response"]
    assert [(g["id"], g["class"], g["type"], g["version"]) for g in listed] == [
        (row.id, "testgate", "nonmerchant", "3")]
    assert listed[0]["currencies"] == [{"gateway_id": row.id, "currency": "USD"}]
    assert call("GET", "gateway_manager/getAll", company_id=1,
                type="merchant")[1]["response"] == []
    got = call("GET", "gateway_manager/get", gateway_id=row.id)[1]["response"]
    assert got["meta"]["account"] == "acct-1"
    assert got["meta"]["api_key"] == ""  # a secret setting is never shown back
    nonmerchant = call("GET", "gateway_manager/getAllInstalledNonmerchant", company_id=1,
                       currency="usd")[1]["response"]
    assert [g["id"] for g in nonmerchant] == [row.id]
    assert call("GET", "gateway_manager/getAllInstalledNonmerchant", company_id=1,
                currency="EUR")[1]["response"] == []
    assert call("GET", "gateway_manager/isInstalled",
                **{"class": "testgate", "type": "nonmerchant"})[1]["response"] is True
    assert call("GET", "gateway_manager/getInstalledMerchant",
                company_id=1)[1]["response"] is False


def test_available_gateways_list_plugin_modules(call, rack):
    available = call("GET", "gateway_manager/getAvailable")[1]["response"]
    entry = next(g for g in available if g["class"] == "testgate")
    assert entry["type"] == "nonmerchant" and entry["currencies"] == ["USD"]
    assert call("GET", "gateway_manager/get", gateway_id=999)[1]["response"] is False


# -- plugins ---------------------------------------------------------------------------------

def test_plugins_come_from_the_host_records(call, rack):
    plugin_id = stable_id("plugin", "rack-plugin")
    every = call("GET", "plugin_manager/getAll", company_id=1)[1]["response"]
    entry = next(p for p in every if p["dir"] == "rack-plugin")
    assert entry["id"] == plugin_id and entry["enabled"] == 1
    assert [p["dir"] for p in every] == sorted(p["dir"] for p in every)
    assert "blesta_api" in {p["dir"] for p in every}
    got = call("GET", "plugin_manager/get", plugin_id=plugin_id, detailed="true")[1]
    detail = got["response"]
    assert detail["source"] == "test"
    assert "server:rackpanel" in detail["modules"] and "gateway:testgate" in detail["modules"]
    assert {"register_server_modules", "register_gateway_modules"} <= \
        {e["event"] for e in detail["events"]}
    assert call("GET", "plugin_manager/isInstalled", dir="rack-plugin")[1]["response"] is True
    assert call("GET", "plugin_manager/isInstalled", dir="nope")[1]["response"] is False
    by_dir = call("GET", "plugin_manager/getByDir", plugin_dir="rack-plugin")[1]["response"]
    assert [p["id"] for p in by_dir] == [plugin_id]
    assert call("GET", "plugin_manager/get", plugin_id=1)[1]["response"] is False
