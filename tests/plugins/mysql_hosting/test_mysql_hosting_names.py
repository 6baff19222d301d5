"""mysql_hosting: identifier checks, privilege parsing and refusals that need no server.

Requests in this file go to a closed loopback port, so a test that reached the network would
fail with ModuleError instead of the refusal it expects.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from bridge.errors import ModuleError
from bridge.testing import ServerModuleConformance
from hooks import AccountContext, ClientInfo, ServerInfo, validate_config
from plugins.mysql_hosting import MysqlHostingModule, register_server_modules
from plugins.mysql_hosting.names import (
    check_prefix,
    check_username,
    generate_password,
    generate_username,
    grant_target,
    parse_privileges,
    quote_database,
    unescape_grant,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def nowhere() -> ServerInfo:
    """A server on a loopback port nobody listens on."""
    return ServerInfo(id=4, name="db-gone", hostname="127.0.0.1", port=_closed_port(),
                      secure=False, username="hbadmin", password="Adm1n-secret")


def ctx_for(server: ServerInfo | None, **overrides: Any) -> AccountContext:
    values: dict[str, Any] = {
        "service_id": 17, "client": ClientInfo(id=2), "product_id": 3,
        "product_name": "DB small", "username": "alice", "password": "pw-123456",
        "product_config": {"db_prefix": "hb_", "privileges": "ALL PRIVILEGES",
                           "max_user_connections": "10"},
        "server": server,
    }
    values.update(overrides)
    return AccountContext(**values)


class TestMysqlHostingConformance(ServerModuleConformance):
    """The checks every third-party server module runs."""

    module_class = MysqlHostingModule


def test_registers_the_module_and_its_settings() -> None:
    assert register_server_modules() == [MysqlHostingModule]
    assert MysqlHostingModule.name == "mysql_hosting" and MysqlHostingModule.requires_server
    clean, errors = validate_config(MysqlHostingModule.config_fields, {})
    assert errors == {}
    assert clean == {"max_user_connections": "10", "db_prefix": "hb_",
                     "privileges": "ALL PRIVILEGES"}
    _, errors = validate_config(
        MysqlHostingModule.config_fields,
        {"db_prefix": "x`; DROP", "privileges": "ALL; DROP", "max_user_connections": "many"},
    )
    assert set(errors) == {"db_prefix", "privileges", "max_user_connections"}


@pytest.mark.parametrize("name", ["alice", "a", "hb_x7k2m9q1", "a" * 32, "user_01"])
def test_valid_usernames(name: str) -> None:
    assert check_username(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "Alice", "1abc", "_x", "a" * 33, "bad-name", "o'brien", "x`y", "a b", "al%", "émile",
     "root'@'%' IDENTIFIED BY 'x"],
)
def test_invalid_usernames(name: str) -> None:
    with pytest.raises(ValueError):
        check_username(name)


def test_prefix_and_database_names() -> None:
    assert check_prefix("") == "" and check_prefix("hb_") == "hb_"
    for bad in ("1x", "_x", "x-y", "a" * 17, "x`"):
        with pytest.raises(ValueError):
            check_prefix(bad)
    assert quote_database("hb_alice") == "`hb_alice`"
    with pytest.raises(ValueError):
        quote_database("hb`; DROP DATABASE mysql; --")


def test_grant_target_escapes_the_underscore_wildcard() -> None:
    assert grant_target("hb_alice_2") == "`hb\\_alice\\_2`"
    assert unescape_grant("hb\\_alice\\_2") == "hb_alice_2"


def test_privileges_come_from_an_allow_list() -> None:
    assert parse_privileges("ALL PRIVILEGES") == "ALL PRIVILEGES"
    assert parse_privileges("all") == "ALL PRIVILEGES"
    assert parse_privileges(" select,  insert ,select, create  temporary tables") == (
        "SELECT, INSERT, CREATE TEMPORARY TABLES"
    )
    for bad in ("", " , ", "SUPER", "FILE", "GRANT OPTION", "ALL PRIVILEGES ON *.*",
                "SELECT; DROP DATABASE x"):
        with pytest.raises(ValueError):
            parse_privileges(bad)


def test_generated_names_and_passwords() -> None:
    names = {generate_username("hb_") for _ in range(20)}
    assert len(names) == 20
    assert all(re.fullmatch(r"hb_[a-z][a-z0-9]{7}", name) for name in names)
    assert re.fullmatch(r"[a-z][a-z0-9]{7}", generate_username(""))
    assert len(generate_username("p" * 16)) == 24
    password = generate_password()
    assert len(password) == 24
    assert re.search(r"[a-z]", password) and re.search(r"[A-Z]", password)
    assert re.search(r"[0-9]", password) and re.search(r"[^A-Za-z0-9]", password)


@pytest.mark.parametrize("username", ["Bad-Name", "x'; DROP USER root; --", "a" * 40])
def test_bad_usernames_are_refused_before_any_sql(nowhere: ServerInfo, username: str) -> None:
    module, ctx = MysqlHostingModule(), ctx_for(nowhere, username=username)
    results = [module.create(ctx), module.suspend(ctx), module.unsuspend(ctx),
               module.terminate(ctx), module.change_package(ctx),
               module.change_password(ctx, "new-pass-1")]
    for result in results:
        assert not result.ok
        assert "not a valid database user name" in result.message


@pytest.mark.parametrize(
    ("config", "expected"),
    [({"db_prefix": "x-"}, "db_prefix"), ({"privileges": "SUPER"}, "cannot be granted"),
     ({"max_user_connections": "-1"}, "max_user_connections"),
     ({"max_user_connections": "100000"}, "max_user_connections")],
)
def test_bad_product_settings_are_module_errors(
    nowhere: ServerInfo, config: dict[str, str], expected: str
) -> None:
    product_config = {"db_prefix": "hb_", **config}
    with pytest.raises(ModuleError, match=expected):
        MysqlHostingModule().create(ctx_for(nowhere, product_config=product_config))


def test_unreachable_server_is_a_module_error_without_the_password(nowhere: ServerInfo) -> None:
    with pytest.raises(ModuleError) as caught:
        MysqlHostingModule({"timeout": 3}).test_connection(nowhere)
    message = caught.value.message
    assert "could not connect" in message and "'db-gone'" in message
    assert "Adm1n-secret" not in message


def test_missing_server_and_bad_timeout_are_module_errors(nowhere: ServerInfo) -> None:
    with pytest.raises(ModuleError, match="has no server"):
        MysqlHostingModule().create(ctx_for(None))
    with pytest.raises(ModuleError, match="setting timeout"):
        MysqlHostingModule({"timeout": "0"}).test_connection(nowhere)
    assert not MysqlHostingModule().change_password(ctx_for(nowhere), "").ok
