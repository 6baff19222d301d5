"""The admin connection to a customer-facing MariaDB/MySQL server, and error translation.

This is the plugin's own connection to the database server it manages (a ``servers`` row), not
the application's database. Every statement runs with autocommit: account DDL in MariaDB is not
transactional anyway.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pymysql
from pymysql.cursors import Cursor

from bridge.errors import ModuleError
from hooks import ServerInfo

DEFAULT_PORT = 3306

# server answers that are refusals about the account, not trouble reaching the server
ER_DB_CREATE_EXISTS = 1007
ER_CANNOT_USER = 1396  # CREATE/ALTER/DROP USER on a user that does (not) exist
ER_NONEXISTING_GRANT = 1141
ER_NO_SUCH_THREAD = 1094


def server_label(server: ServerInfo) -> str:
    """How messages name the server: ``MariaDB server 'name' (host:port)``."""
    host = server.hostname or server.ip_address or "<no host>"
    name = f"{server.name!r} " if server.name else f"#{server.id} "
    return f"MariaDB server {name}({host}:{server.port or DEFAULT_PORT})"


def error_code(exc: BaseException) -> int | None:
    """The server's numeric error code of a PyMySQL exception, if it carries one."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    return args[0] if args and isinstance(args[0], int) else None


def error_text(exc: BaseException) -> str:
    """``(code) message`` of a PyMySQL exception on one line."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) >= 2:
        return f"({args[0]}) {' '.join(str(args[1]).split())}"
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def admin_cursor(
    server: ServerInfo, *, timeout: float, verify_tls: bool = True
) -> Iterator[Cursor]:
    """A cursor on ``server`` as its admin account; the connection is closed afterwards.

    ``server.secure`` requires TLS (certificate checked unless ``verify_tls`` is false).
    Raises ModuleError when the server cannot be reached or refuses the admin login.
    """
    host = server.hostname or server.ip_address
    if not host:
        raise ModuleError(
            f"{server_label(server)} has neither a hostname nor an IP address; set one"
        )
    options: dict[str, Any] = {
        "host": host,
        "port": server.port or DEFAULT_PORT,
        "user": server.username,
        "password": server.password,
        "connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
        "autocommit": True,
        "charset": "utf8mb4",
    }
    if server.secure:
        context = ssl.create_default_context()
        if not verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        options["ssl"] = context
    else:
        options["ssl_disabled"] = True
    try:
        connection = pymysql.connect(**options)
    except pymysql.MySQLError as exc:
        raise ModuleError(
            f"{server_label(server)}: could not connect as {server.username!r}: "
            f"{error_text(exc)}; check the host, port, admin user and password"
            + (" (the server requires TLS: is TLS enabled on it?)" if server.secure else "")
        ) from None
    except OSError as exc:  # TLS handshake failures surface as ssl.SSLError
        raise ModuleError(f"{server_label(server)}: could not connect: {exc}") from None
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()
