"""WHMCS-style provisioning and registrar modules run through compat.whmcs.modules.

The ``params`` keys and return conventions follow /work/shared/reference/whmcs.md §4.1 and
§4.2 (WHMCS developer docs: provisioning-modules/module-parameters.md, core-module-functions.md,
domain-registrars/*). The provisioning example is docs/examples/whmcs_style_module.py, loaded
by path as an operator would.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
import pytest

import hooks.registrar
import hooks.server
from bridge.errors import ModuleError
from compat.whmcs.modules import (
    load_whmcs_module,
    load_whmcs_registrar,
    make_plugin,
    whmcs_config_fields,
    whmcs_server_module,
)
from hooks import (
    AccountContext,
    ClientInfo,
    DomainContext,
    RegistrarModule,
    ServerInfo,
    ServerModule,
    UsageReport,
)
from hooks.common import NOT_SUPPORTED

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "whmcs_style_module.py"

CLIENT = ClientInfo(id=7, first_name="Ada", last_name="Lovelace", company_name="Analytical Ltd",
                    email="ada@example.com", address1="1 Engine St", address2="Floor 2",
                    city="London", state="Greater London", postcode="N1 1AA", country="GB",
                    phone="+44.2070000000", language="english", currency="GBP")
SERVER = ServerInfo(id=3, name="web1", hostname="web1.example.net", ip_address="192.0.2.10",
                    secure=True, username="root", password="s3cret", access_hash="HASH")


def account(**kw: Any) -> AccountContext:
    values: dict[str, Any] = dict(
        service_id=42, client=CLIENT, product_id=5, product_name="Starter", product_type="hosting",
        domain="example.com", username="", password="Pa55word!",
        product_config={"configoption1": "basic", "configoption2": "5000",
                        "configoption3": "1"},
        config_options={"Extra IPs": "2"}, custom_fields={"Reference": "R-1"}, server=SERVER)
    values.update(kw)
    return AccountContext(**values)


@pytest.fixture
def demopanel() -> type[ServerModule]:
    return load_whmcs_module(EXAMPLE)


def calls(cls: type[ServerModule]) -> list[tuple[str, dict[str, Any]]]:
    return cls.legacy.CALLS  # type: ignore[attr-defined, no-any-return]


def last_params(cls: type[ServerModule], function: str) -> dict[str, Any]:
    found = [p for name, p in calls(cls) if name == function]
    assert found, f"{function} was not called"
    return found[-1]


# --- the class built from MetaData / ConfigOptions / button arrays ----------------------------

def test_class_attributes_come_from_metadata_and_config_options(demopanel):
    assert issubclass(demopanel, ServerModule)
    assert demopanel.name == "demopanel"  # detected from the demopanel_ prefix
    assert demopanel.label == "Demo Panel"
    assert demopanel.requires_server is True
    fields = {f.name: f for f in demopanel.config_fields}
    assert list(fields) == [f"configoption{i}" for i in range(1, 7)]
    assert fields["configoption1"].label == "Plan" and fields["configoption1"].default == "basic"
    assert fields["configoption2"].type == "select"
    assert fields["configoption2"].options == ("1000", "5000", "10000")
    assert fields["configoption3"].type == "bool"
    assert fields["configoption4"].options == ("none", "full")  # a value -> label map
    assert fields["configoption5"].type == "password" and fields["configoption5"].secret
    assert fields["configoption6"].type == "textarea"
    assert demopanel.custom_actions == {"reboot": "Reboot Account", "resetQuota": "Reset Quota"}


def test_config_options_are_limited_to_24():
    too_many = {f"Field {i}": {"Type": "text"} for i in range(25)}
    with pytest.raises(ValueError, match="at most 24"):
        whmcs_config_fields(too_many, positional=True)
    assert len(whmcs_config_fields(dict(list(too_many.items())[:24]), positional=True)) == 24


# --- params ------------------------------------------------------------------------------------

def test_create_account_receives_whmcs_params(demopanel):
    result = demopanel().create(account())
    assert result.ok, result.message
    params = last_params(demopanel, "CreateAccount")
    assert params["serviceid"] == 42 and params["accountid"] == 42
    assert params["userid"] == 7
    assert params["pid"] == 5
    assert params["serverid"] == 3
    assert params["domain"] == "example.com"
    assert params["username"] == ""
    assert params["password"] == "Pa55word!"
    assert params["producttype"] == "hostingaccount"
    assert params["moduletype"] == "demopanel"
    assert params["status"] == "Pending"
    assert params["configoption1"] == "basic"
    assert params["configoption2"] == "5000"
    assert params["configoption3"] == "on"  # a ticked yesno box
    assert all(params[f"configoption{i}"] == "" for i in range(4, 25))
    assert "configoption25" not in params
    assert params["customfields"] == {"Reference": "R-1"}
    assert params["configoptions"] == {"Extra IPs": "2"}
    details = params["clientsdetails"]
    assert details["userid"] == details["id"] == 7
    assert details["firstname"] == "Ada" and details["lastname"] == "Lovelace"
    assert details["fullname"] == "Ada Lovelace"
    assert details["companyname"] == "Analytical Ltd"
    assert details["email"] == "ada@example.com"
    assert (details["address1"], details["address2"]) == ("1 Engine St", "Floor 2")
    assert (details["city"], details["state"], details["postcode"]) == (
        "London", "Greater London", "N1 1AA")
    assert details["countrycode"] == details["country"] == "GB"
    assert details["phonenumber"] == "+44.2070000000"
    assert params["server"] is True
    assert params["serverip"] == "192.0.2.10"
    assert params["serverhostname"] == "web1.example.net"
    assert params["serverusername"] == "root"
    assert params["serverpassword"] == "s3cret"
    assert params["serveraccesshash"] == "HASH"
    assert params["serversecure"] is True
    assert params["serverhttpprefix"] == "https"
    assert params["serverport"] == 2083  # MetaData DefaultSSLPort when the server has none


def test_create_returns_the_saved_service_properties(demopanel):
    result = demopanel().create(account())
    assert result.ok
    assert result.data == {"username": "example"}
    assert demopanel.legacy.ACCOUNTS["example"]["plan"] == "basic"


def test_params_without_a_server_and_with_explicit_port(demopanel):
    demopanel().create(account(server=None))
    params = last_params(demopanel, "CreateAccount")
    assert params["server"] is False
    assert params["serverid"] == 0
    assert params["serverip"] == params["serverhostname"] == ""
    plain = ServerInfo(id=4, hostname="web2.example.net", secure=False, port=8080)
    demopanel().create(account(server=plain, domain="second.example"))
    params = last_params(demopanel, "CreateAccount")
    assert (params["serverhttpprefix"], params["serverport"], params["serversecure"]) == (
        "http", 8080, False)


def test_configoptions_by_config_options_key_position(demopanel):
    ctx = account(product_config={"Plan": "gold", "Shell Access": "no", "Reseller": "full"})
    demopanel().create(ctx)
    params = last_params(demopanel, "CreateAccount")
    assert params["configoption1"] == "gold"
    assert params["configoption3"] == ""  # yesno not ticked
    assert params["configoption4"] == "full"


# --- return conventions -------------------------------------------------------------------------

def test_error_string_is_a_failure(demopanel):
    result = demopanel().create(account(domain=""))
    assert not result.ok
    assert result.message == "A domain is required to create a Demo Panel account"
    module = demopanel()
    assert module.create(account()).ok
    again = module.create(account())
    assert (again.ok, again.message) == (False, "Username example already exists on the panel")


def test_exception_is_a_failure_with_its_type(demopanel):
    result = demopanel().create(account(domain="boom.crash"))
    assert not result.ok
    assert result.message == "RuntimeError: panel web1.example.net dropped the connection"


def test_module_error_keeps_its_meaning():
    legacy = ModuleType("downpanel")

    def CreateAccount(params):  # noqa: N802
        raise ModuleError("panel unreachable")

    legacy.CreateAccount = CreateAccount  # type: ignore[attr-defined]
    with pytest.raises(ModuleError, match="unreachable"):
        whmcs_server_module(legacy)().create(account())


def test_non_string_return_is_a_failure():
    legacy = ModuleType("oddpanel")
    legacy.CreateAccount = lambda params: None  # type: ignore[attr-defined]
    legacy.SuspendAccount = lambda params: ""  # type: ignore[attr-defined]
    module = whmcs_server_module(legacy)()
    result = module.create(account())
    assert not result.ok and "NoneType" in result.message
    suspended = module.suspend(account())
    assert not suspended.ok and "empty error" in suspended.message


# --- each function --------------------------------------------------------------------------

def created(demopanel: type[ServerModule]) -> AccountContext:
    assert demopanel().create(account()).ok
    return account(username="example", status="active")


def test_suspend_passes_the_reason_then_unsuspend(demopanel):
    ctx = created(demopanel)
    assert demopanel().suspend(ctx, reason="Overdue on invoice 12").ok
    assert last_params(demopanel, "SuspendAccount")["suspendreason"] == "Overdue on invoice 12"
    assert demopanel.legacy.ACCOUNTS["example"]["status"] == "suspended"
    assert demopanel().unsuspend(ctx).ok
    assert demopanel.legacy.ACCOUNTS["example"]["status"] == "active"
    missing = demopanel().unsuspend(account(username="ghost"))
    assert (missing.ok, missing.message) == (False, "Account ghost not found")


def test_terminate(demopanel):
    ctx = created(demopanel)
    assert demopanel().terminate(ctx).ok
    assert "example" not in demopanel.legacy.ACCOUNTS
    assert not demopanel().terminate(ctx).ok


def test_change_package_sees_the_new_options(demopanel):
    ctx = created(demopanel)
    moved = account(username="example", product_id=6, product_config={"configoption1": "pro"})
    assert demopanel().change_package(moved).ok
    assert last_params(demopanel, "ChangePackage")["pid"] == 6
    assert demopanel.legacy.ACCOUNTS["example"]["plan"] == "pro"
    assert ctx.username == "example"


def test_change_password_passes_the_new_password(demopanel):
    ctx = created(demopanel)
    assert demopanel().change_password(ctx, "N3w-password").ok
    assert last_params(demopanel, "ChangePassword")["password"] == "N3w-password"
    assert demopanel.legacy.ACCOUNTS["example"]["password"] == "N3w-password"
    short = demopanel().change_password(ctx, "short")
    assert (short.ok, short.message) == (
        False, "The new password must have at least 8 characters")


def test_renew_calls_renew_or_succeeds_without_it(demopanel):
    assert demopanel().renew(created(demopanel)).ok
    assert "Renew" in [name for name, _ in calls(demopanel)]
    bare = ModuleType("barepanel")
    assert whmcs_server_module(bare)().renew(account()).ok


def test_missing_functions_are_not_supported():
    bare = whmcs_server_module(ModuleType("barepanel"))()
    for result in (bare.create(account()), bare.suspend(account()), bare.terminate(account()),
                   bare.test_connection(SERVER), bare.sso_url(account())):
        assert (result.ok, result.message) == (False, NOT_SUPPORTED)
    assert bare.usage(SERVER) == []


def test_test_connection(demopanel):
    assert demopanel().test_connection(SERVER).ok
    params = last_params(demopanel, "TestConnection")
    assert (params["serverhostname"], params["serverpassword"]) == ("web1.example.net", "s3cret")
    failed = demopanel().test_connection(ServerInfo(id=9))
    assert (failed.ok, failed.message) == (False, "The server has neither hostname nor IP address")


def test_single_sign_on(demopanel):
    missing = demopanel().sso_url(account(username="ghost"))
    assert (missing.ok, missing.message) == (False, "No such account on the panel")
    result = demopanel().sso_url(created(demopanel))
    assert result.ok
    assert result.data["url"] == "https://web1.example.net:2083/login?user=example"


def test_custom_buttons_and_allowed_functions(demopanel):
    ctx = created(demopanel)
    module = demopanel()
    assert module.custom_action(ctx, "reboot").ok
    assert module.custom_action(ctx, "resetQuota").ok
    page = module.custom_action(ctx, "usageGraph")
    assert page.ok and page.data["output"] == {"templatefile": "usage",
                                               "vars": {"username": "example"}}
    assert last_params(demopanel, "reboot")["serviceid"] == 42
    refused = module.custom_action(ctx, "TerminateAccount")  # a function, but not a button
    assert not refused.ok
    assert demopanel.legacy.ACCOUNTS["example"]["status"] == "active"


def test_usage_update_becomes_usage_reports(demopanel):
    created(demopanel)
    reports = demopanel().usage(SERVER)
    assert reports == [UsageReport("example", disk_usage_mb=150, disk_limit_mb=1000,
                                   bandwidth_usage_mb=2048, bandwidth_limit_mb=None)]


# --- prefixed and plain names -------------------------------------------------------------------

def test_plain_function_names_and_prefix_precedence():
    legacy = ModuleType("plainpanel")
    seen: list[str] = []
    legacy.MetaData = lambda: {"DisplayName": "Plain", "RequiresServer": False}  # type: ignore[attr-defined]
    legacy.CreateAccount = lambda p: seen.append("plain create") or "success"  # type: ignore[attr-defined]
    legacy.SuspendAccount = lambda p: seen.append("plain suspend") or "success"  # type: ignore[attr-defined]
    legacy.custompanel_SuspendAccount = (  # type: ignore[attr-defined]
        lambda p: seen.append("prefixed suspend") or "success")
    plain = whmcs_server_module(legacy, name="custompanel")
    assert (plain.name, plain.label, plain.requires_server) == ("custompanel", "Plain", False)
    module = plain()
    assert module.create(account()).ok and module.suspend(account()).ok
    assert seen == ["plain create", "prefixed suspend"]
    assert whmcs_server_module(legacy).name == "plainpanel"  # no prefix: the module's name


def test_load_by_dotted_name(tmp_path, monkeypatch):
    (tmp_path / "dottedpanel.py").write_text(
        "def dottedpanel_CreateAccount(params):\n    return 'success'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    cls = load_whmcs_module("dottedpanel")
    assert cls.name == "dottedpanel" and cls().create(account()).ok
    with pytest.raises(ImportError):
        load_whmcs_module(tmp_path / "missing.py")


def test_make_plugin_registers_through_pluggy(tmp_path):
    pm = pluggy.PluginManager("bridge")
    pm.add_hookspecs(hooks.server)
    pm.add_hookspecs(hooks.registrar)
    reg = tmp_path / "demoreg.py"
    reg.write_text(REGISTRAR_SOURCE, encoding="utf-8")
    pm.register(make_plugin({"server_modules": [str(EXAMPLE), {"path": str(EXAMPLE),
                                                                "name": "demo2"}],
                             "registrar_modules": [str(reg)]}))
    [server_classes] = pm.hook.register_server_modules()
    [registrar_classes] = pm.hook.register_registrar_modules()
    assert [c.name for c in server_classes] == ["demopanel", "demo2"]
    assert [c.name for c in registrar_classes] == ["demoreg"]


# --- registrar modules ----------------------------------------------------------------------------

REGISTRAR_SOURCE = textwrap.dedent('''
    CALLS = []

    def demoreg_getConfigArray():
        return {
            "FriendlyName": {"Type": "System", "Value": "Demo Registrar"},
            "APIKey": {"FriendlyName": "API Key", "Type": "password"},
            "TestMode": {"FriendlyName": "Test Mode", "Type": "yesno"},
        }

    def _ok(name, params):
        CALLS.append((name, dict(params)))
        return {"success": True}

    def demoreg_RegisterDomain(params):
        CALLS.append(("RegisterDomain", dict(params)))
        if params["sld"] == "taken":
            return {"error": "Domain not available"}
        return {"success": True}

    def demoreg_TransferDomain(params):
        return _ok("TransferDomain", params)

    def demoreg_RenewDomain(params):
        raise RuntimeError("registry timeout")

    def demoreg_GetNameservers(params):
        return {"ns1": "ns1.example.net", "ns2": "ns2.example.net", "ns3": ""}

    def demoreg_SaveNameservers(params):
        return _ok("SaveNameservers", params)

    def demoreg_GetEPPCode(params):
        return {"eppcode": "EPP-123"} if params["tld"] == "com" else {"success": "success"}

    def demoreg_SaveRegistrarLock(params):
        return _ok("SaveRegistrarLock", params)

    def demoreg_IDProtectToggle(params):
        return _ok("IDProtectToggle", params)

    def demoreg_GetContactDetails(params):
        return {"Registrant": {"First Name": "Ada", "Email Address": "ada@example.com"},
                "Technical": {"Last Name": "Babbage"}}

    def demoreg_SaveContactDetails(params):
        return _ok("SaveContactDetails", params)

    def demoreg_Sync(params):
        if params["sld"] == "gone":
            return {"transferredAway": True}
        if params["sld"] == "broken":
            return {"error": "unknown domain"}
        return {"active": True, "expirydate": "2031-05-04"}

    def demoreg_TransferSync(params):
        if params["sld"] == "failing":
            return {"failed": True, "reason": "auth code wrong"}
        return {"completed": True, "expirydate": "2030-01-02"}
''')


@pytest.fixture
def demoreg(tmp_path) -> type[RegistrarModule]:
    path = tmp_path / "demoreg.py"
    path.write_text(REGISTRAR_SOURCE, encoding="utf-8")
    return load_whmcs_registrar(path)


def domain(**kw: Any) -> DomainContext:
    values: dict[str, Any] = dict(
        domain_id=11, name="example.com", sld="example", tld="com", client=CLIENT, years=2,
        nameservers=("ns1.host.net", "ns2.host.net"), epp_code="", id_protection=True,
        contacts={"admin": {"first_name": "Grace", "email": "grace@example.com"}},
        config={"APIKey": "k-1", "TestMode": "1"})
    values.update(kw)
    return DomainContext(**values)


def reg_params(cls: type[RegistrarModule], name: str) -> dict[str, Any]:
    return [p for n, p in cls.legacy.CALLS if n == name][-1]  # type: ignore[attr-defined]


def test_registrar_class_and_params(demoreg):
    assert issubclass(demoreg, RegistrarModule)
    assert (demoreg.name, demoreg.label) == ("demoreg", "Demo Registrar")
    assert [(f.name, f.type, f.secret) for f in demoreg.config_fields] == [
        ("APIKey", "password", True), ("TestMode", "bool", False)]
    assert demoreg().register(domain()).ok
    params = reg_params(demoreg, "RegisterDomain")
    assert (params["APIKey"], params["TestMode"]) == ("k-1", "1")
    assert (params["sld"], params["tld"], params["regperiod"]) == ("example", "com", 2)
    assert (params["domainid"], params["userid"], params["registrar"]) == (11, 7, "demoreg")
    assert [params[f"ns{i}"] for i in range(1, 6)] == ["ns1.host.net", "ns2.host.net", "", "", ""]
    assert (params["firstname"], params["lastname"], params["email"]) == (
        "Ada", "Lovelace", "ada@example.com")
    assert params["fullname"] == "Ada Lovelace"
    assert (params["countrycode"], params["phonenumber"]) == ("GB", "+44.2070000000")
    assert (params["adminfirstname"], params["adminemail"], params["adminlastname"]) == (
        "Grace", "grace@example.com", "Lovelace")  # admin falls back to the registrant
    assert params["idprotection"] is True


def test_registrar_error_key_and_exception_are_failures(demoreg):
    refused = demoreg().register(domain(sld="taken", name="taken.com"))
    assert (refused.ok, refused.message) == (False, "Domain not available")
    crashed = demoreg().renew(domain())
    assert (crashed.ok, crashed.message) == (False, "RuntimeError: registry timeout")


def test_registrar_transfer_passes_the_epp_code(demoreg):
    assert demoreg().transfer(domain(epp_code="AUTH-1")).ok
    assert reg_params(demoreg, "TransferDomain")["eppcode"] == "AUTH-1"


def test_registrar_nameservers(demoreg):
    got = demoreg().get_nameservers(domain())
    assert got.ok and got.data["nameservers"] == ["ns1.example.net", "ns2.example.net"]
    assert demoreg().save_nameservers(domain(), ["a.dns.net", "b.dns.net", "c.dns.net"]).ok
    params = reg_params(demoreg, "SaveNameservers")
    assert [params[f"ns{i}"] for i in range(1, 6)] == ["a.dns.net", "b.dns.net", "c.dns.net",
                                                       "", ""]


def test_registrar_epp_lock_and_id_protection(demoreg):
    assert demoreg().get_epp_code(domain()).data == {"epp_code": "EPP-123"}
    emailed = demoreg().get_epp_code(domain(tld="net", name="example.net"))
    assert emailed.ok and "epp_code" not in emailed.data and "sent" in emailed.message
    assert demoreg().set_lock(domain(), True).ok
    assert reg_params(demoreg, "SaveRegistrarLock")["lockenabled"] == "locked"
    demoreg().set_lock(domain(), False)
    assert reg_params(demoreg, "SaveRegistrarLock")["lockenabled"] == "unlocked"
    assert demoreg().set_id_protection(domain(), False).ok
    assert reg_params(demoreg, "IDProtectToggle")["protectenable"] is False


def test_registrar_contacts(demoreg):
    got = demoreg().get_contacts(domain())
    assert got.data["contacts"] == {
        "registrant": {"first_name": "Ada", "email": "ada@example.com"},
        "tech": {"last_name": "Babbage"}}
    demoreg().save_contacts(domain(), {"billing": {"first_name": "Bob", "phone": "+1.555"}})
    assert reg_params(demoreg, "SaveContactDetails")["contactdetails"] == {
        "Billing": {"First Name": "Bob", "Phone Number": "+1.555"}}


def test_registrar_sync_and_transfer_sync(demoreg):
    state = demoreg().sync(domain())
    assert state is not None and (state.status, state.expiry_date) == ("active",
                                                                       date(2031, 5, 4))
    gone = demoreg().sync(domain(sld="gone", name="gone.com"))
    assert gone is not None and gone.status == "transferred_away"
    assert demoreg().sync(domain(sld="broken", name="broken.com")) is None
    done = demoreg().transfer_sync(domain())
    assert done is not None and (done.status, done.expiry_date) == ("active", date(2030, 1, 2))
    failed = demoreg().transfer_sync(domain(sld="failing", name="failing.com"))
    assert failed is not None and (failed.status, failed.message) == (
        "transfer_failed", "auth code wrong")
