"""mysql_hosting against the real MariaDB server (BRIDGE_TEST_MYSQL_ADMIN_URL, see conftest.py).

Each test checks the effect on the server by logging in as the customer's user, not by reading
back what the module said.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pymysql
import pytest

from bridge.errors import ModuleError
from hooks import AccountContext, ClientInfo, ServerInfo
from plugins.mysql_hosting import MysqlHostingModule

pytestmark = pytest.mark.mysql

Connect = Callable[..., Any]
PASSWORD = "Initial-pw-4711"


def ctx_for(server: ServerInfo, username: str, **config: str) -> AccountContext:
    product_config = {"db_prefix": "hbt_", "privileges": "ALL PRIVILEGES",
                      "max_user_connections": "5", **config}
    return AccountContext(
        service_id=88, client=ClientInfo(id=9), product_id=6, product_name="DB test",
        username=username, password=PASSWORD, product_config=product_config, server=server,
    )


def login_error(connect_as: Connect, user: str, password: str) -> int | None:
    """None when ``user`` can log in, else the server's error code."""
    try:
        connect_as(user, password).close()
    except pymysql.MySQLError as exc:
        return int(exc.args[0])
    return None


def exists(admin: Any, username: str, database: str) -> tuple[bool, bool]:
    """(database exists, user@'%' exists)."""
    admin.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                  (database,))
    has_db = admin.fetchone()[0] == 1
    admin.execute("SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = '%%'", (username,))
    return has_db, admin.fetchone()[0] == 1


def test_connection_reports_the_version(admin_server: ServerInfo) -> None:
    result = MysqlHostingModule().test_connection(admin_server)
    assert result.ok, result.message
    assert result.data["version"] and result.data["version"] in result.message


def test_connection_without_grant_option_is_a_failure(
    admin_server: ServerInfo, admin: Any, names: Any
) -> None:
    weak = names.user()
    admin.execute("CREATE USER %s@'%%' IDENTIFIED BY 'weak-pw-1'", (weak,))
    admin.execute("GRANT SELECT ON *.* TO %s@'%%'", (weak,))
    server = ServerInfo(id=12, hostname=admin_server.hostname, port=admin_server.port,
                        secure=False, username=weak, password="weak-pw-1")
    result = MysqlHostingModule().test_connection(server)
    assert not result.ok and "lacks GRANT OPTION" in result.message


def test_wrong_admin_password_is_a_module_error(admin_server: ServerInfo, names: Any) -> None:
    server = ServerInfo(id=11, name="mariadb-test", hostname=admin_server.hostname,
                        port=admin_server.port, secure=False, username=admin_server.username,
                        password="definitely-wrong-pw")
    module = MysqlHostingModule()
    with pytest.raises(ModuleError, match=r"\(1045\) Access denied") as caught:
        module.test_connection(server)
    assert "definitely-wrong-pw" not in caught.value.message
    with pytest.raises(ModuleError):
        module.create(ctx_for(server, names.user()))


def test_create_gives_the_user_its_own_database_only(
    admin_server: ServerInfo, admin: Any, names: Any, connect_as: Connect
) -> None:
    username = names.user()
    database = "hbt_" + username
    # an unescaped `hbt_<user>` grant would also match this name ('_' is a GRANT wildcard)
    decoy = "hbtx" + username
    names.databases.add(decoy)
    admin.execute(f"CREATE DATABASE `{decoy}`")

    result = MysqlHostingModule().create(ctx_for(admin_server, username))
    assert result.ok, result.message
    assert dict(result.data) == {"username": username, "password": PASSWORD, "database": database}

    conn = connect_as(username, PASSWORD, database)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)")
            cur.execute("INSERT INTO notes VALUES (1, 'hello')")
            cur.execute("SELECT body FROM notes")
            assert cur.fetchall() == (("hello",),)
            cur.execute("SHOW DATABASES")
            assert {row[0] for row in cur.fetchall()} == {"information_schema", database}
            with pytest.raises(pymysql.MySQLError) as denied:
                cur.execute(f"USE `{decoy}`")
            assert denied.value.args[0] == 1044
    finally:
        conn.close()
    admin.execute("SELECT max_user_connections FROM mysql.user WHERE User = %s", (username,))
    assert admin.fetchone()[0] == 5


def test_create_generates_username_and_password(
    admin_server: ServerInfo, names: Any, connect_as: Connect
) -> None:
    ctx = ctx_for(admin_server, "")
    ctx = AccountContext(**{**ctx.__dict__, "password": ""})
    result = MysqlHostingModule().create(ctx)
    username, password = result.data.get("username", ""), result.data.get("password", "")
    if username:
        names.users.add(username)
        names.databases.add("hbt_" + username)
    assert result.ok, result.message
    assert username.startswith("hbt_") and len(username) == 12
    assert result.data["database"] == "hbt_" + username
    assert len(password) >= 20
    assert login_error(connect_as, username, password) is None


def test_create_refuses_existing_database_and_existing_user(
    admin_server: ServerInfo, admin: Any, names: Any
) -> None:
    module = MysqlHostingModule()
    taken_db = names.user()
    admin.execute(f"CREATE DATABASE `hbt_{taken_db}`")
    result = module.create(ctx_for(admin_server, taken_db))
    assert not result.ok and "already exists" in result.message
    assert exists(admin, taken_db, "hbt_" + taken_db) == (True, False)

    taken_user = names.user()
    admin.execute("CREATE USER %s@'%%' IDENTIFIED BY 'other-pw-1'", (taken_user,))
    result = module.create(ctx_for(admin_server, taken_user))
    assert not result.ok and f"user {taken_user!r} already exists" in result.message
    # the database made before CREATE USER failed was removed again
    assert exists(admin, taken_user, "hbt_" + taken_user) == (False, True)


def test_suspend_locks_the_user_and_closes_its_sessions(
    admin_server: ServerInfo, names: Any, connect_as: Connect
) -> None:
    module, username = MysqlHostingModule(), names.user()
    ctx = ctx_for(admin_server, username)
    assert module.create(ctx).ok
    live = connect_as(username, PASSWORD)
    try:
        result = module.suspend(ctx, "overdue")
        assert result.ok and "closed 1 open connection" in result.message
        with pytest.raises(pymysql.MySQLError):
            live.ping(reconnect=False)
    finally:
        try:
            live.close()
        except pymysql.MySQLError:
            pass  # already closed by the server
    assert login_error(connect_as, username, PASSWORD) is not None

    assert module.unsuspend(ctx).ok
    assert login_error(connect_as, username, PASSWORD) is None


def test_change_password_replaces_the_old_one(
    admin_server: ServerInfo, names: Any, connect_as: Connect
) -> None:
    module, username = MysqlHostingModule(), names.user()
    ctx = ctx_for(admin_server, username)
    assert module.create(ctx).ok
    assert module.change_password(ctx, "Brand-new-pw-99").ok
    assert login_error(connect_as, username, PASSWORD) == 1045
    assert login_error(connect_as, username, "Brand-new-pw-99") is None


def test_change_package_applies_privileges_and_connection_limit(
    admin_server: ServerInfo, admin: Any, names: Any, connect_as: Connect
) -> None:
    module, username = MysqlHostingModule(), names.user()
    assert module.create(ctx_for(admin_server, username)).ok
    downgraded = ctx_for(admin_server, username, privileges="SELECT", max_user_connections="2")
    assert module.change_package(downgraded).ok
    admin.execute("SELECT max_user_connections FROM mysql.user WHERE User = %s", (username,))
    assert admin.fetchone()[0] == 2
    conn = connect_as(username, PASSWORD, "hbt_" + username)
    try:
        with conn.cursor() as cur, pytest.raises(pymysql.MySQLError) as denied:
            cur.execute("CREATE TABLE t (id INT)")
        assert denied.value.args[0] == 1142  # command denied
    finally:
        conn.close()


def test_terminate_drops_database_and_user_and_can_repeat(
    admin_server: ServerInfo, admin: Any, names: Any, connect_as: Connect
) -> None:
    module, username = MysqlHostingModule(), names.user()
    ctx = ctx_for(admin_server, username)
    assert module.create(ctx).ok
    assert exists(admin, username, "hbt_" + username) == (True, True)
    assert module.terminate(ctx).ok
    assert exists(admin, username, "hbt_" + username) == (False, False)
    # for unknown users MariaDB imitates a random auth plugin, so either "access denied" code
    assert login_error(connect_as, username, PASSWORD) in (1045, 1698)
    assert module.terminate(ctx).ok


def test_actions_on_a_missing_user_are_failures(admin_server: ServerInfo, names: Any) -> None:
    module, ctx = MysqlHostingModule(), ctx_for(admin_server, names.user())
    for result in (module.suspend(ctx), module.unsuspend(ctx),
                   module.change_password(ctx, "Whatever-pw-1"), module.change_package(ctx)):
        assert not result.ok
        assert "there is no database user" in result.message


def test_usage_reports_each_users_database_size(
    admin_server: ServerInfo, names: Any, connect_as: Connect
) -> None:
    module, username = MysqlHostingModule(), names.user()
    assert module.create(ctx_for(admin_server, username)).ok
    empty = {r.username: r for r in module.usage(admin_server)}
    assert empty[username].disk_usage_mb == 0 and empty[username].disk_limit_mb is None

    conn = connect_as(username, PASSWORD, "hbt_" + username)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB)")
            cur.execute("INSERT INTO blobs VALUES (1, REPEAT('x', 3000000))")
            cur.execute("ANALYZE TABLE blobs")
    finally:
        conn.close()
    used = {r.username: r for r in module.usage(admin_server)}
    assert used[username].disk_usage_mb is not None and used[username].disk_usage_mb >= 3


def test_tls_is_required_when_the_server_is_marked_secure(
    admin_server: ServerInfo, admin: Any
) -> None:
    admin.execute("SHOW VARIABLES LIKE 'have_ssl'")
    row = admin.fetchone()
    if row is None or row[1] == "YES":
        pytest.skip("this MariaDB offers TLS; the refusal path cannot be shown here")
    server = ServerInfo(**{**admin_server.__dict__, "secure": True})
    with pytest.raises(ModuleError, match="requires TLS"):
        MysqlHostingModule().test_connection(server)
