"""Bundled plugin ``mysql_hosting``: sells MySQL/MariaDB databases on a database server.

Written like any third-party plugin: it imports only :mod:`hooks` (and ``bridge.errors`` for
ModuleError) and contributes its module class through ``register_server_modules``. It opens its
own connection to the managed database server, never the application's database.
"""

from __future__ import annotations

from hooks import ServerModule, hookimpl

from .module import MysqlHostingModule

__all__ = ["MysqlHostingModule", "register_server_modules"]


@hookimpl
def register_server_modules() -> list[type[ServerModule]]:
    """The MySQL/MariaDB database module."""
    return [MysqlHostingModule]
