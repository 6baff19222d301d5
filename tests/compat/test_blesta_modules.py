"""Blesta-style server module classes run through compat.blesta.modules.

Method names, arguments, the ``{key, value, encrypted}`` service-field return and the
``Input->setErrors`` failure convention follow /work/shared/reference/blesta.md §4.1 (Blesta
5.8 ``components/modules/module.php``). The module is docs/examples/blesta_style_module.py,
loaded by path.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pluggy
import pytest

import hooks.server
from bridge.errors import ModuleError
from compat.blesta.modules import (
    BlestaInput,
    BlestaObject,
    blesta_server_module,
    error_messages,
    load_blesta_class,
    make_plugin,
    service_fields_to_object,
)
from hooks import AccountContext, ClientInfo, ConfigField, ServerInfo, ServerModule
from hooks.common import NOT_SUPPORTED

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "blesta_style_module.py"
CLIENT = ClientInfo(id=7, first_name="Ada", last_name="Lovelace", email="ada@example.com")
SERVER = ServerInfo(id=3, hostname="web1.example.net", ip_address="192.0.2.10", port=2087,
                    username="root", password="s3cret", access_hash="HASH",
                    nameservers=("ns1.example.net",), config={"account_limit": "100"})


def account(**kw: Any) -> AccountContext:
    values: dict[str, Any] = dict(
        service_id=42, client=CLIENT, product_id=5, product_name="Starter",
        domain="example.com", product_config={"plan": "basic"},
        config_options={"Extra IPs": "2"}, server=SERVER)
    values.update(kw)
    return AccountContext(**values)


@pytest.fixture
def demopanel() -> type[ServerModule]:
    return blesta_server_module(load_blesta_class(f"{EXAMPLE}:Demopanel"),
                                config_fields=[ConfigField("plan", "Plan")])


def legacy_module(cls: type[ServerModule]) -> Any:
    return sys.modules[cls.legacy_class.__module__]  # type: ignore[attr-defined]


def created(demopanel: type[ServerModule]) -> AccountContext:
    result = demopanel().create(account())
    assert result.ok, result.message
    return account(username="example", password="generated-Secret-1", status="active")


def test_class_attributes(demopanel):
    assert issubclass(demopanel, ServerModule)
    assert (demopanel.name, demopanel.label, demopanel.version) == (
        "demopanel", "Demo Panel (Blesta style)", "1.2.0")
    assert [f.name for f in demopanel.config_fields] == ["plan"]


def test_add_service_gets_package_vars_and_module_row(demopanel):
    result = demopanel().create(account())
    assert result.ok
    assert result.data["username"] == "example"
    assert result.data["password"] == "generated-Secret-1"
    assert result.data["domain"] == "example.com"
    assert result.data["service_fields"] == [
        {"key": "demopanel_domain", "value": "example.com", "encrypted": 0},
        {"key": "demopanel_username", "value": "example", "encrypted": 0},
        {"key": "demopanel_password", "value": "generated-Secret-1", "encrypted": 1}]
    module = legacy_module(demopanel)
    assert module.CALLS == [("addService", {"package": "basic", "status": "active",
                                            "client_id": 7, "domain": "example.com"})]
    assert module.ACCOUNTS["example"]["host"] == "web1.example.net"  # setModuleRow was called


def test_errors_set_on_input_are_a_failure(demopanel):
    result = demopanel().create(account(domain=""))
    assert not result.ok
    assert result.message == "Enter the domain to host"
    assert result.raw == {"demopanel_domain": {"empty": "Enter the domain to host"}}
    created(demopanel)
    again = demopanel().create(account())
    assert (again.ok, again.message) == (False, "The username example is already in use")


def test_suspend_unsuspend_cancel_read_the_service_fields(demopanel):
    ctx = created(demopanel)
    accounts = legacy_module(demopanel).ACCOUNTS
    assert demopanel().suspend(ctx, reason="overdue").ok
    assert accounts["example"]["status"] == "suspended"
    assert demopanel().unsuspend(ctx).ok
    assert accounts["example"]["status"] == "active"
    assert demopanel().terminate(ctx).ok
    assert "example" not in accounts
    missing = demopanel().terminate(ctx)
    assert (missing.ok, missing.message) == (False, "No account example on the panel")
    assert ("cancelService", {"service_id": 42, "username": "example"}) in \
        legacy_module(demopanel).CALLS


def test_change_package_passes_package_to(demopanel):
    ctx = created(demopanel)
    moved = account(username="example", product_id=6, product_config={"plan": "pro"})
    assert demopanel().change_package(moved).ok
    assert legacy_module(demopanel).ACCOUNTS["example"]["plan"] == "pro"
    assert ctx.status == "active"


def test_change_password_goes_through_edit_service(demopanel):
    ctx = created(demopanel)
    result = demopanel().change_password(ctx, "N3w-password")
    assert result.ok and result.data["password"] == "N3w-password"
    assert legacy_module(demopanel).ACCOUNTS["example"]["password"] == "N3w-password"
    short = demopanel().change_password(ctx, "short")
    assert (short.ok, short.message) == (False, "Use 8 characters or more")


def test_renew_without_renew_service_succeeds(demopanel):
    assert demopanel().renew(account()).ok


class Recorder:
    """A Blesta-style class with its own errors() (no Input) that keeps what it was given."""

    seen: list[tuple[str, tuple[Any, ...]]] = []
    fail_with: dict[str, Any] = {}

    def errors(self) -> dict[str, Any]:
        return dict(self.fail_with)

    def addService(self, *args: Any) -> list[dict[str, Any]]:  # noqa: N802
        self.seen.append(("addService", args))
        return [{"key": "panel_login", "value": "ada1", "encrypted": 0}]

    def suspendService(self, *args: Any) -> None:  # noqa: N802
        self.seen.append(("suspendService", args))

    def renewService(self, *args: Any) -> None:  # noqa: N802
        self.seen.append(("renewService", args))

    def changeServicePackage(self, *args: Any) -> None:  # noqa: N802
        self.seen.append(("changeServicePackage", args))

    def unsuspendService(self, *args: Any) -> None:  # noqa: N802
        raise ValueError("panel said no")


@pytest.fixture
def recorder() -> type[ServerModule]:
    Recorder.seen = []
    Recorder.fail_with = {}
    return blesta_server_module(Recorder, service_field_keys={"username": "panel_login"})


def test_package_service_and_vars_objects(recorder):
    ctx = account(username="ada1", password="pw", status="terminated",
                  custom_fields={"panel_extra": "x"})
    assert recorder().suspend(ctx).ok
    [(_, (package, service))] = Recorder.seen
    assert (package.id, package.name, package.module_row) == (5, "Starter", 3)
    assert package.meta.plan == "basic" and package["meta"]["plan"] == "basic"
    assert (service.id, service.client_id, service.status) == (42, 7, "canceled")
    assert [(f.key, f.value, f.encrypted) for f in service.fields] == [
        ("panel_login", "ada1", 0), ("recorder_password", "pw", 0),
        ("recorder_domain", "example.com", 0), ("panel_extra", "x", 0)]


def test_add_service_arguments_and_custom_field_keys(recorder):
    result = recorder().create(account())
    assert result.ok and result.data["username"] == "ada1"
    [(_, (package, vars_, parent_package, parent_service, status))] = Recorder.seen
    assert vars_["use_module"] == "true" and vars_["client_id"] == 7
    assert vars_["recorder_domain"] == "example.com"
    assert vars_["configoptions"] == {"Extra IPs": "2"}
    assert (parent_package, parent_service, status) == (None, None, "active")


def test_errors_method_and_exceptions(recorder):
    Recorder.fail_with = {"login": {"taken": "Login taken"}, "quota": {"max": "Over quota"}}
    result = recorder().create(account())
    assert (result.ok, result.message) == (False, "Login taken; Over quota")
    Recorder.fail_with = {}
    crashed = recorder().unsuspend(account())
    assert (crashed.ok, crashed.message) == (False, "ValueError: panel said no")


def test_change_package_from_is_unknown_and_renew_is_called(recorder):
    assert recorder().change_package(account()).ok
    assert recorder().renew(account()).ok
    (_, (package_from, package_to, _service)), (name, _) = Recorder.seen
    assert package_from.id is None and package_to.id == 5
    assert name == "renewService"


def test_missing_methods_are_not_supported(recorder):
    result = recorder().terminate(account())
    assert (result.ok, result.message) == (False, NOT_SUPPORTED)


def test_module_row_meta_from_the_server():
    rows: list[Any] = []

    class RowTaker:
        def setModuleRow(self, row: Any) -> None:  # noqa: N802
            rows.append(row)

        def suspendService(self, package: Any, service: Any) -> None:  # noqa: N802
            pass

    assert blesta_server_module(RowTaker)().suspend(account()).ok
    meta = rows[-1].meta
    assert rows[-1].id == 3
    assert (meta.host_name, meta.port, meta.use_ssl, meta.user_name, meta.password, meta.key) == (
        "web1.example.net", "2087", "true", "root", "s3cret", "HASH")
    assert meta.name_servers == ["ns1.example.net"] and meta.account_limit == "100"


def test_module_error_keeps_its_meaning():
    class Down:
        def addService(self, *args: Any) -> None:  # noqa: N802
            raise ModuleError("panel unreachable")

    with pytest.raises(ModuleError):
        blesta_server_module(Down)().create(account())


def test_helpers():
    box = BlestaInput()
    assert box.errors() == {}
    box.setErrors({"a": {"r": "first"}})
    assert box.errors() == {"a": {"r": "first"}}
    assert error_messages({"a": {"r": "one", "s": "two"}, "b": "three", "c": ["four"]}) == [
        "one", "two", "three", "four"]
    fields = service_fields_to_object([{"key": "x_user", "value": "u"},
                                       BlestaObject(key="x_pass", value="p")])
    assert (fields.x_user, fields["x_pass"], fields.get("nope", 1)) == ("u", "p", 1)
    assert "x_user" in fields
    with pytest.raises(KeyError):
        fields["nope"]


def test_load_blesta_class_specs():
    with pytest.raises(ValueError):
        load_blesta_class("no-colon")
    with pytest.raises(ImportError):
        load_blesta_class(f"{EXAMPLE}:Nope")


def test_make_plugin_registers_through_pluggy():
    pm = pluggy.PluginManager("bridge")
    pm.add_hookspecs(hooks.server)
    pm.register(make_plugin({"server_modules": [
        f"{EXAMPLE}:Demopanel", {"class": f"{EXAMPLE}:Demopanel", "name": "blestademo"}]}))
    [classes] = pm.hook.register_server_modules()
    assert [c.name for c in classes] == ["demopanel", "blestademo"]
