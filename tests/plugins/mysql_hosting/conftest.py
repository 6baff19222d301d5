"""Fixtures for the mysql_hosting tests against a real MariaDB server.

The module manages accounts, so it needs an admin account with ALL PRIVILEGES ON *.* WITH
GRANT OPTION, which the CI user of ``BRIDGE_TEST_MYSQL_URL`` does not have. Set
``BRIDGE_TEST_MYSQL_ADMIN_URL`` (e.g. ``mysql+pymysql://hbadmin:hbadmin@127.0.0.1:3306/``);
without it, or when the server cannot be reached, the tests marked ``mysql`` are skipped with
the reason. Every name a test creates starts with ``hbt`` plus a per-run token and is dropped
afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pymysql
import pytest
from sqlalchemy.engine import URL, make_url

from hooks import ServerInfo

ADMIN_ENV = "BRIDGE_TEST_MYSQL_ADMIN_URL"
PREFIX = "hbt_"
RUN = secrets.token_hex(3)


def admin_url_or_skip() -> URL:
    """The parsed admin URL, or skip with the reason it cannot be used."""
    raw = os.environ.get(ADMIN_ENV, "")
    if not raw:
        pytest.skip(
            f"{ADMIN_ENV} is not set: the mysql_hosting tests need a MariaDB account with "
            "ALL PRIVILEGES ON *.* WITH GRANT OPTION (see docs/plugins/mysql_hosting.md)"
        )
    url = make_url(raw)
    try:
        pymysql.connect(**_params(url), connect_timeout=5).close()
    except pymysql.MySQLError as exc:
        pytest.skip(f"MariaDB at {ADMIN_ENV} is not reachable: {exc}")
    return url


def _params(url: URL, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 3306,
        "user": url.username or "",
        "password": url.password or "",
        "ssl_disabled": True,
        "autocommit": True,
        "read_timeout": 15,
    }
    values.update(overrides)
    return values


@pytest.fixture
def admin_url() -> URL:
    """The admin URL (skips when unset or unreachable)."""
    return admin_url_or_skip()


@pytest.fixture
def admin_server(admin_url: URL) -> ServerInfo:
    """The MariaDB server as a ``servers`` row, admin credentials filled in, no TLS."""
    return ServerInfo(
        id=11, name="mariadb-test", hostname=admin_url.host or "127.0.0.1",
        port=admin_url.port or 3306, secure=False,
        username=admin_url.username or "", password=admin_url.password or "",
    )


@pytest.fixture
def admin(admin_url: URL) -> Iterator[Any]:
    """A cursor on the server as the admin, for checks and clean-up."""
    connection = pymysql.connect(**_params(admin_url), connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


@dataclass
class Names:
    """Unique names for one test; everything registered is dropped at the end."""

    users: set[str] = field(default_factory=set)
    databases: set[str] = field(default_factory=set)
    count: int = 0

    def user(self) -> str:
        """A fresh username; it and its database ``hbt_<username>`` are cleaned up."""
        self.count += 1
        name = f"hbt{RUN}{secrets.token_hex(2)}{self.count}"
        self.register(name)
        return name

    def register(self, username: str) -> None:
        """Clean up ``username`` and its database ``hbt_<username>``."""
        self.users.add(username)
        self.databases.add(PREFIX + username)


@pytest.fixture
def names(admin: Any) -> Iterator[Names]:
    """Name factory whose users and databases are dropped after the test."""
    registry = Names()
    try:
        yield registry
    finally:
        for database in registry.databases:
            admin.execute(f"DROP DATABASE IF EXISTS `{database}`")
        for user in registry.users:
            admin.execute("DROP USER IF EXISTS %s@'%%'", (user,))


@pytest.fixture
def connect_as(admin_url: URL) -> Callable[..., Any]:
    """``connect_as(user, password, database=None)``: a connection as a customer's user
    (raises pymysql's errors when the server refuses). Close it yourself."""

    def opener(user: str, password: str, database: str | None = None) -> Any:
        return pymysql.connect(
            **_params(admin_url, user=user, password=password), database=database,
            connect_timeout=5,
        )

    return opener
