"""The cpanel server module against the loopback fake WHM (see conftest.py for the documentation
the fake follows)."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from bridge.errors import ModuleError
from bridge.testing import ServerModuleConformance
from hooks import AccountContext, ClientInfo, ServerInfo, validate_config
from plugins.cpanel import CpanelModule, register_server_modules
from plugins.cpanel.whm import api_root

TOKEN = "U7HMR63FHY282DQZ4H5BIH16JLYSO01M"  # the fake's token (conftest.WHM_TOKEN)


def ctx_for(server: ServerInfo | None, **overrides: Any) -> AccountContext:
    """An AccountContext for a gold-package product on ``server``."""
    values: dict[str, Any] = {
        "service_id": 41,
        "client": ClientInfo(id=3, first_name="Ada", email="ada@example.org"),
        "product_id": 5,
        "product_name": "Gold hosting",
        "domain": "adashop.example",
        "username": "adashop",
        "password": "Str0ng!pass-word",
        "product_config": {"package": "gold", "reseller": "0", "dedicated_ip": "0"},
        "server": server,
    }
    values.update(overrides)
    return AccountContext(**values)


def last(whm: Any, function: str) -> Any:
    return [s for s in whm.seen if s.function == function][-1]


# -- registration and configuration -----------------------------------------------------------


class TestCpanelConformance(ServerModuleConformance):
    """The checks every third-party server module runs."""

    module_class = CpanelModule


def test_registers_one_module_with_its_settings() -> None:
    assert register_server_modules() == [CpanelModule]
    assert (CpanelModule.name, CpanelModule.label, CpanelModule.requires_server) == (
        "cpanel", "cPanel/WHM", True,
    )
    clean, errors = validate_config(CpanelModule.config_fields, {"reseller": "yes"})
    assert errors == {"package": "WHM package is required"}
    assert clean["reseller"] == "1" and clean["dedicated_ip"] == "0"


def test_default_ports_follow_the_secure_flag() -> None:
    assert api_root(ServerInfo(id=1, hostname="whm.example")) == "https://whm.example:2087"
    assert api_root(ServerInfo(id=1, ip_address="192.0.2.5", secure=False)) == (
        "http://192.0.2.5:2086"
    )
    assert api_root(ServerInfo(id=1, hostname="h", port=443)) == "https://h:443"
    with pytest.raises(ModuleError, match="neither a hostname nor an IP"):
        api_root(ServerInfo(id=1))


# -- test_connection and authentication -------------------------------------------------------


def test_connection_reports_the_whm_version_and_sends_the_token_header(whm: Any) -> None:
    result = CpanelModule().test_connection(whm.server())
    assert result.ok and result.data["version"] == "11.118.0.5"
    seen = last(whm, "version")
    assert seen.authorization == f"whm root:{TOKEN}"
    assert seen.query == {"api.version": "1"}


def test_access_hash_line_breaks_are_removed_and_password_is_the_fallback(whm: Any) -> None:
    wrapped = TOKEN[:10] + "\n" + TOKEN[10:] + "\n"
    assert CpanelModule().test_connection(whm.server(access_hash=wrapped)).ok
    assert CpanelModule().test_connection(whm.server(access_hash="", password=TOKEN)).ok


def test_wrong_token_is_a_module_error_that_never_shows_a_token(whm: Any) -> None:
    with pytest.raises(ModuleError) as caught:
        CpanelModule().test_connection(whm.server(access_hash="WRONGTOKEN123"))
    message = caught.value.message
    assert "HTTP 403" in message and "'whm-test'" in message and "'version'" in message
    assert "WRONGTOKEN123" not in message and TOKEN not in message


def test_missing_token_is_a_module_error_before_any_request(whm: Any) -> None:
    with pytest.raises(ModuleError, match="no API token"):
        CpanelModule().test_connection(whm.server(access_hash="", password=""))
    assert whm.seen == []


# -- create -----------------------------------------------------------------------------------


def test_create_posts_createacct_with_package_contact_and_returns_credentials(whm: Any) -> None:
    result = CpanelModule().create(ctx_for(whm.server()))
    assert result.ok, result.message
    assert dict(result.data) == {"username": "adashop", "password": "Str0ng!pass-word"}
    acct = whm.accounts["adashop"]
    assert (acct["domain"], acct["plan"], acct["email"]) == ("adashop.example", "gold",
                                                             "ada@example.org")
    assert acct["password"] == "Str0ng!pass-word"
    seen = last(whm, "createacct")
    assert seen.method == "POST"
    assert "password" not in seen.query  # secrets stay out of the URL
    assert (seen.form["reseller"], seen.form["ip"]) == ("0", "n")


def test_create_masks_the_password_echoed_in_whms_log(whm: Any) -> None:
    result = CpanelModule().create(ctx_for(whm.server()))
    raw_text = repr(result.raw)
    assert "PassWord: ********" in raw_text
    assert "Str0ng!pass-word" not in raw_text


def test_create_generates_username_and_strong_password_when_missing(whm: Any) -> None:
    whm.add_account("adashop", "old.example")  # the natural name is taken
    result = CpanelModule().create(ctx_for(whm.server(), username="", password=""))
    assert result.ok, result.message
    username, password = result.data["username"], result.data["password"]
    assert username == "adashop1"
    assert whm.accounts[username]["password"] == password
    assert len(password) >= 16
    for group in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"):
        assert re.search(group, password)
    assert password not in repr(result.raw)


def test_create_with_reseller_and_dedicated_ip_returns_the_ip(whm: Any) -> None:
    config = {"package": "silver", "reseller": "1", "dedicated_ip": "1"}
    result = CpanelModule().create(ctx_for(whm.server(), product_config=config))
    assert result.ok
    assert result.data["dedicated_ip"] == "192.0.2.10"
    seen = last(whm, "createacct")
    assert (seen.form["reseller"], seen.form["ip"], seen.form["plan"]) == ("1", "y", "silver")


def test_create_refused_by_whm_is_a_failure_with_whms_reason(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example")
    result = CpanelModule().create(ctx_for(whm.server()))
    assert not result.ok
    assert result.message == "The account “adashop” already exists."
    assert result.raw["metadata"]["result"] == 0


def test_create_needs_a_package_a_domain_and_a_server(whm: Any) -> None:
    module = CpanelModule()
    with pytest.raises(ModuleError, match="no WHM package set"):
        module.create(ctx_for(whm.server(), product_config={"package": " "}))
    with pytest.raises(ModuleError, match="has no server"):
        module.create(ctx_for(None))
    result = module.create(ctx_for(whm.server(), domain=""))
    assert not result.ok and "no domain" in result.message
    assert whm.seen == []


# -- lifecycle --------------------------------------------------------------------------------


def test_suspend_and_unsuspend_change_the_account_state(whm: Any) -> None:
    module, ctx = CpanelModule(), ctx_for(whm.server())
    assert module.create(ctx).ok
    assert module.suspend(ctx, "Overdue invoice #12").ok
    assert whm.accounts["adashop"]["suspended"] == 1
    assert whm.accounts["adashop"]["suspendreason"] == "Overdue invoice #12"
    assert module.unsuspend(ctx).ok
    assert whm.accounts["adashop"]["suspended"] == 0


def test_suspend_without_reason_sends_a_default_reason(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example")
    assert CpanelModule().suspend(ctx_for(whm.server())).ok
    assert whm.accounts["adashop"]["suspendreason"] == "Suspended by hostbridge"


def test_actions_on_a_missing_account_are_failures(whm: Any) -> None:
    module, ctx = CpanelModule(), ctx_for(whm.server(), username="ghost")
    for result in (module.suspend(ctx), module.unsuspend(ctx), module.terminate(ctx),
                   module.change_package(ctx), module.change_password(ctx, "N3w!password")):
        assert not result.ok
        assert "“ghost” does not exist" in result.message


def test_actions_without_username_fail_without_asking_whm(whm: Any) -> None:
    module, ctx = CpanelModule(), ctx_for(whm.server(), username="")
    for result in (module.suspend(ctx), module.terminate(ctx), module.sso_url(ctx)):
        assert not result.ok and "no cPanel username" in result.message
    assert whm.seen == []


def test_terminate_removes_the_account_and_a_second_time_fails(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example")
    module, ctx = CpanelModule(), ctx_for(whm.server())
    assert module.terminate(ctx).ok
    assert "adashop" not in whm.accounts
    assert not module.terminate(ctx).ok


def test_change_package_applies_the_products_package(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example", plan="silver")
    module = CpanelModule()
    assert module.change_package(ctx_for(whm.server())).ok
    assert whm.accounts["adashop"]["plan"] == "gold"
    refused = module.change_package(ctx_for(whm.server(), product_config={"package": "nope"}))
    assert not refused.ok and "“nope” does not exist" in refused.message
    assert whm.accounts["adashop"]["plan"] == "gold"


def test_change_password_sets_it_and_keeps_it_out_of_raw(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example")
    result = CpanelModule().change_password(ctx_for(whm.server()), "N3w!pass-2024")
    assert result.ok
    assert whm.accounts["adashop"]["password"] == "N3w!pass-2024"
    assert "N3w!pass-2024" not in repr(result.raw)
    assert last(whm, "passwd").form["password"] == "N3w!pass-2024"
    assert not CpanelModule().change_password(ctx_for(whm.server()), "").ok


def test_usage_converts_whm_sizes_to_megabytes(whm: Any) -> None:
    whm.add_account("alpha", "alpha.example", diskused="14M", disklimit="500M")
    whm.add_account("beta", "beta.example", diskused="1.5G", disklimit="unlimited")
    reports = {r.username: r for r in CpanelModule().usage(whm.server())}
    assert set(reports) == {"alpha", "beta"}
    assert (reports["alpha"].disk_usage_mb, reports["alpha"].disk_limit_mb) == (14, 500)
    assert (reports["beta"].disk_usage_mb, reports["beta"].disk_limit_mb) == (1536, None)
    assert reports["alpha"].bandwidth_usage_mb is None


def test_sso_url_returns_the_session_url_for_cpaneld(whm: Any) -> None:
    whm.add_account("adashop", "adashop.example")
    result = CpanelModule().sso_url(ctx_for(whm.server()))
    assert result.ok
    assert result.data["url"].startswith("https://127.0.0.1:2083/cpsess0123456789/login/")
    assert result.raw is None  # the session secret is not kept for the log
    seen = last(whm, "create_user_session")
    assert (seen.form["user"], seen.form["service"]) == ("adashop", "cpaneld")


# -- transport failures -----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_a_module_error() -> None:
    server = ServerInfo(id=9, name="gone", hostname="127.0.0.1", port=_closed_port(),
                        secure=False, access_hash=TOKEN)
    with pytest.raises(ModuleError) as caught:
        CpanelModule().suspend(ctx_for(server), "x")
    message = caught.value.message
    assert "could not connect" in message and "'gone'" in message and "'suspendacct'" in message
    assert TOKEN not in message


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("bad_json", "not JSON"), ("http_500", "HTTP 500"), ("api0", "no WHM API 1 metadata")],
)
def test_broken_answers_are_module_errors(whm: Any, mode: str, expected: str) -> None:
    whm.mode = mode
    with pytest.raises(ModuleError, match=expected):
        CpanelModule().create(ctx_for(whm.server()))


def test_slow_server_times_out_within_the_configured_bound(whm: Any) -> None:
    whm.mode, whm.delay = "slow", 1.0
    with pytest.raises(ModuleError, match=r"no answer within 0\.2 s"):
        CpanelModule({"timeout": "0.2"}).test_connection(whm.server())


def test_usage_refusal_is_a_module_error(whm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(type(whm), "fn_listaccts")
    with pytest.raises(ModuleError, match="listaccts refused: Unknown app"):
        CpanelModule().usage(whm.server())


@pytest.mark.parametrize("timeout", ["abc", "0", "-1", "301"])
def test_bad_timeout_setting_is_a_module_error(whm: Any, timeout: str) -> None:
    with pytest.raises(ModuleError, match="setting timeout"):
        CpanelModule({"timeout": timeout}).test_connection(whm.server())
