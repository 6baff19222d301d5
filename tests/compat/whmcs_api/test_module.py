"""Module commands on services (ModuleCreate ... ModuleCustom, Service group) through a test
server module, and the Module group (module settings and the retry queue)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bridge.errors import ModuleError
from bridge.models import ModuleQueueItem, ModuleSetting, Server, ServerGroup, Service
from bridge.security import SecretBox
from bridge.services.modules import module_settings, save_module_settings
from hooks import ActionResult, ServerModule

TEST_SECRET = "test-install-key-0123456789"


class RecordingPanel(ServerModule):
    """Records calls; ``mode`` makes it refuse or be unreachable."""

    name = "recpanel"
    label = "Recording panel"
    custom_actions = {"reboot": "Reboot"}
    calls: list[str] = []
    mode = "ok"

    def _answer(self, op: str, **data: str) -> ActionResult:
        if RecordingPanel.mode == "down":
            raise ModuleError("connection refused")
        if RecordingPanel.mode == "refuse":
            return ActionResult.failure(f"{op.split(':')[0]} refused by panel")
        RecordingPanel.calls.append(op)
        return ActionResult.success(**data)

    def create(self, ctx):
        return self._answer("create", username=f"u{ctx.service_id}", password="pw-1")

    def suspend(self, ctx, reason=""):
        return self._answer(f"suspend:{reason}")

    def unsuspend(self, ctx):
        return self._answer("unsuspend")

    def terminate(self, ctx):
        return self._answer("terminate")

    def change_package(self, ctx):
        return self._answer(f"change_package:{ctx.product_name}")

    def change_password(self, ctx, new_password):
        return self._answer(f"change_password:{new_password}")

    def custom_action(self, ctx, action):
        if action != "reboot":
            return ActionResult.failure(f"unknown action {action!r}")
        return self._answer("reboot")


@pytest.fixture
def call(synced_call):
    return synced_call  # the tests write through ``db`` too


@pytest.fixture
def panel(call, install_modules, db, factories):
    RecordingPanel.calls = []
    RecordingPanel.mode = "ok"
    install_modules(RecordingPanel, name="recpanel-plugin")
    group = ServerGroup(name="Panels")
    db.add(group)
    db.flush()
    db.add(Server(name="panel1", group_id=group.id, module="recpanel", hostname="p1.test",
                  password_enc=SecretBox(TEST_SECRET).encrypt("server-pass")))
    product = factories.product(module="recpanel", server_group_id=group.id)
    service = factories.service(product=product, status="pending")
    manual = factories.service(product=factories.product())
    db.commit()
    return SimpleNamespace(db=db, product=product, service=service.id, manual=manual.id)


def test_module_commands_walk_a_service_through_its_life(call, panel):
    db = panel.db
    assert call("ModuleCreate", serviceid=panel.service)[1] == {"result": "success"}
    service = db.get(Service, panel.service)
    assert (service.status, service.username) == ("active", f"u{panel.service}")
    assert call("ModuleSuspend", serviceid=panel.service,
                suspendreason="Overdue")[1] == {"result": "success"}
    assert (db.get(Service, panel.service).status, RecordingPanel.calls[-1]) == (
        "suspended", "suspend:Overdue")
    assert db.get(Service, panel.service).suspend_reason == "Overdue"
    assert call("ModuleUnsuspend", accountid=panel.service)[1]["result"] == "success"
    assert db.get(Service, panel.service).status == "active"
    assert call("ModuleChangePw", serviceid=panel.service,
                servicepassword="N3w-pass!")[1]["result"] == "success"
    service = db.get(Service, panel.service)
    assert SecretBox(TEST_SECRET).decrypt(service.password_enc) == "N3w-pass!"
    assert call("ModuleChangePw", serviceid=panel.service)[1]["result"] == "success"
    assert RecordingPanel.calls[-1] == "change_password:N3w-pass!"  # the stored password
    assert call("ModuleChangePackage", serviceid=panel.service)[1]["result"] == "success"
    assert RecordingPanel.calls[-1] == f"change_package:{panel.product.name}"
    assert call("ModuleCustom", serviceid=panel.service, func_name="reboot")[1] == {
        "result": "success"}
    assert call("ModuleCustom", serviceid=panel.service, func_name="explode")[1] == {
        "result": "error", "message": "unknown action 'explode'"}
    assert call("ModuleTerminate", serviceid=panel.service)[1]["result"] == "success"
    assert db.get(Service, panel.service).status == "terminated"


def test_a_refusal_answers_the_module_message_and_stays_on_record(call, panel):
    call("ModuleCreate", serviceid=panel.service)
    RecordingPanel.mode = "refuse"
    status, body = call("ModuleSuspend", serviceid=panel.service, suspendreason="Abuse")
    assert (status, body) == (200, {"result": "error", "message": "suspend refused by panel"})
    service = panel.db.get(Service, panel.service)
    assert service.status == "active"
    assert service.module_error == "suspend: suspend refused by panel"
    item = panel.db.scalar(select(ModuleQueueItem))
    assert (item.action, item.subject_id, item.args) == ("suspend", panel.service,
                                                         {"reason": "Abuse"})
    RecordingPanel.mode = "down"
    assert call("ModuleTerminate", serviceid=panel.service)[1]["message"] == (
        "connection refused")


def test_module_command_errors(call, panel):
    assert call("ModuleCreate")[1] == {"result": "error", "message": "Service ID is required"}
    assert call("ModuleCreate", serviceid=9999)[1]["message"] == "Service ID not found"
    assert call("ModuleCreate", serviceid=panel.manual)[1]["message"] == (
        "Service not assigned to a module")
    assert call("ModuleUnsuspend", serviceid=panel.service)[1]["result"] == "error"
    assert call("ModuleCustom", serviceid=panel.service)[1]["message"] == "func_name is required"


def test_get_module_queue(call, panel):
    RecordingPanel.mode = "down"
    call("ModuleCreate", serviceid=panel.service)
    status, body = call("GetModuleQueue")
    assert body["count"] == 1
    (item,) = body["queue"]
    assert (item["serviceType"], item["serviceId"], item["moduleName"],
            item["moduleAction"]) == ("service", panel.service, "recpanel", "CreateAccount")
    assert item["lastAttemptError"] == "connection refused" and item["numRetries"] == 0
    assert item["completed"] == 0 and len(item["createdAt"]) == 19
    assert call("GetModuleQueue", moduleAction="CreateAccount",
                serviceType="service")[1]["count"] == 1
    assert call("GetModuleQueue", moduleName="cpanel")[1]["count"] == 0
    assert call("GetModuleQueue", serviceType="domain")[1]["count"] == 0
    assert call("GetModuleQueue", since="2999-01-01")[1]["count"] == 0
    RecordingPanel.mode = "ok"
    call("ModuleCreate", serviceid=panel.service)
    assert call("GetModuleQueue")[1] == {"result": "success", "count": 0, "queue": []}


def test_module_configuration_parameters(call, panel):
    _, body = call("GetModuleConfigurationParameters", moduleType="gateway",
                   moduleName="banktransfer")
    names = [p["name"] for p in body["parameters"]]
    assert names[:3] == ["FriendlyName", "account_holder", "iban"]
    assert body["parameters"][1] == {"name": "account_holder", "displayName": "Account holder",
                                     "fieldType": "text"}
    _, body = call("GetModuleConfigurationParameters", moduleType="server",
                   moduleName="recpanel")
    assert body["parameters"] == []
    assert call("GetModuleConfigurationParameters", moduleType="widget",
                moduleName="x")[1]["message"].startswith(
        "Invalid module type provided. Supported module types include: gateway")
    assert call("GetModuleConfigurationParameters", moduleType="gateway",
                moduleName="nope")[1]["message"] == "Invalid module name provided."
    assert call("GetModuleConfigurationParameters", moduleType="addon",
                moduleName="x")[1]["message"] == (
        "Get module configuration parameters not supported by module type.")


def test_activate_update_and_deactivate_a_gateway(call, panel):
    db = panel.db
    status, body = call("ActivateModule", moduleType="gateway", moduleName="mailin",
                        **{"parameters[payee]": "Example Ltd",
                           "parameters[address]": "1 Main St",
                           "parameters[FriendlyName]": "Cheque"})
    assert body == {"result": "success"}
    row = db.scalar(select(ModuleSetting).where(ModuleSetting.module == "mailin"))
    assert (row.enabled, row.display_name) == (True, "Cheque")
    assert call("UpdateModuleConfiguration", moduleType="gateway", moduleName="mailin",
                **{"parameters[payee]": "New Payee"})[1]["result"] == "success"
    settings = module_settings(db, "gateway", "mailin")
    db.commit()
    assert (settings["payee"], settings["address"]) == ("New Payee", "1 Main St")
    assert call("DeactivateModule", moduleType="gateway", moduleName="mailin",
                newGateway="paypal")[1]["message"] == (
        "Failed to deactivate: paypal is not another active gateway")
    assert call("DeactivateModule", moduleType="gateway",
                moduleName="mailin")[1]["result"] == "success"
    assert db.scalar(select(ModuleSetting.enabled).where(
        ModuleSetting.module == "mailin")) is False
    assert call("DeactivateModule", moduleType="gateway", moduleName="mailin")[1][
        "message"] == "Failed to deactivate: mailin is not active"


def test_module_settings_errors(call, panel):
    status, body = call("ActivateModule", moduleType="gateway", moduleName="mailin")
    assert body["result"] == "error" and body["message"].startswith("Failed to activate:")
    assert "Payable to is required" in body["message"]
    assert call("UpdateModuleConfiguration", moduleType="gateway",
                moduleName="banktransfer")[1]["message"].startswith(
        "Module Configuration Update Failed:")
    assert call("ActivateModule", moduleType="server", moduleName="recpanel")[1][
        "message"] == "Module activation not supported by module type."
    save_module_settings(panel.db, "gateway", "banktransfer", {"account_holder": "X"})
    assert call("UpdateModuleConfiguration", moduleType="gateway", moduleName="banktransfer",
                **{"parameters[iban]": "not an iban"})[1]["message"].startswith(
        "Module Configuration Update Failed:")


def test_module_command_xml(call, panel):
    status, text = call("ModuleCreate", serviceid=panel.service, fmt="xml")
    root = ET.fromstring(text.encode())
    assert (root.findtext("action"), root.findtext("result")) == ("modulecreate", "success")
