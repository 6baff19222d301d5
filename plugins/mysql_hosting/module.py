"""The ``mysql_hosting`` server module: sells databases on a MariaDB/MySQL server.

One service is one database ``<db_prefix><username>`` plus one account ``<username>@'%'`` that
holds the product's privileges on exactly that database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

import pymysql
from pymysql.cursors import Cursor

from bridge.errors import ModuleError
from hooks import AccountContext, ActionResult, ConfigField, ServerInfo, ServerModule, UsageReport

from .connection import (
    ER_CANNOT_USER,
    ER_DB_CREATE_EXISTS,
    ER_NONEXISTING_GRANT,
    admin_cursor,
    error_code,
    error_text,
    server_label,
)
from .names import (
    PREFIX_PATTERN,
    check_prefix,
    check_username,
    generate_password,
    generate_username,
    grant_target,
    parse_privileges,
    quote_database,
)
from .statements import database_usage, kill_sessions, undo_create

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 300.0
MAX_CONNECTIONS_LIMIT = 99_999
_TRUE = {"1", "true", "yes", "on"}

Work = Callable[[Cursor], ActionResult]


class MysqlHostingModule(ServerModule):
    """Creates, locks, unlocks and drops customer databases and their accounts.

    The ``servers`` row is the database server: hostname or IP, port (3306 when empty),
    ``secure`` (require TLS), and an admin account that has ALL PRIVILEGES ON *.* WITH GRANT
    OPTION. Plugin settings: ``timeout`` (seconds, default 30), ``verify_tls`` (default true).
    """

    name: ClassVar[str] = "mysql_hosting"
    label: ClassVar[str] = "MySQL/MariaDB database"
    version: ClassVar[str] = "1.0"
    requires_server: ClassVar[bool] = True
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField(
            "max_user_connections", "Max connections", type="number", default="10",
            pattern=r"\d{1,5}",
            description="Simultaneous connections the database user may open (0 = server limit)",
        ),
        ConfigField(
            "db_prefix", "Name prefix", default="hb_", pattern=PREFIX_PATTERN,
            description="Put before the username to form the database name",
        ),
        ConfigField(
            "privileges", "Privileges", default="ALL PRIVILEGES", pattern=r"[A-Za-z ,]+",
            description="Comma-separated privileges on the customer's database, "
            "e.g. 'SELECT, INSERT, UPDATE, DELETE'",
        ),
    )

    def test_connection(self, server: ServerInfo) -> ActionResult:
        """``SELECT VERSION()`` as the admin, and check that it may grant privileges."""

        def work(cur: Cursor) -> ActionResult:
            cur.execute("SELECT VERSION()")
            row = cur.fetchone()
            version = str(row[0]) if row else "unknown"
            cur.execute("SHOW GRANTS")
            grants = [str(r[0]).upper() for r in cur.fetchall()]
            if not any("WITH GRANT OPTION" in grant for grant in grants):
                return ActionResult.failure(
                    f"connected to {version}, but {server.username!r} lacks GRANT OPTION; "
                    "grant it ALL PRIVILEGES ON *.* WITH GRANT OPTION"
                )
            return ActionResult.success(f"connected to {version}", version=version)

        return self._run(server, "test connection", work)

    def create(self, ctx: AccountContext) -> ActionResult:
        """Create the database, the user (with ``MAX_USER_CONNECTIONS``) and its grant.

        A missing username is generated (prefix + 8 random characters), a missing password
        too; ``data`` returns ``username``, ``password`` and ``database``. An existing database
        or user is a failure and leaves the server as it was.
        """
        server = self._server(ctx)
        prefix, privileges, max_connections = self._options(ctx)
        username = ctx.username.strip() or generate_username(prefix)
        try:
            database = self._database(prefix, username)
        except ValueError as exc:
            return ActionResult.failure(str(exc))
        password = ctx.password or generate_password()
        label = server_label(server)

        def work(cur: Cursor) -> ActionResult:
            try:
                cur.execute(
                    f"CREATE DATABASE {quote_database(database)} "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            except pymysql.MySQLError as exc:
                if error_code(exc) == ER_DB_CREATE_EXISTS:
                    return ActionResult.failure(f"database {database!r} already exists on {label}")
                raise
            user_created = False
            try:
                # MAX_USER_CONNECTIONS belongs on CREATE USER: MySQL 8 no longer takes it on GRANT
                cur.execute(
                    "CREATE USER %s@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS %s",
                    (username, password, max_connections),
                )
                user_created = True
                cur.execute(
                    f"GRANT {privileges} ON {grant_target(database)}.* TO %s@'%%'", (username,)
                )
            except pymysql.MySQLError as exc:
                undo_create(cur, database, username if user_created else None)
                if not user_created and error_code(exc) == ER_CANNOT_USER:
                    return ActionResult.failure(
                        f"database user {username!r} already exists on {label}"
                    )
                raise
            return ActionResult.success(
                f"database {database!r} and user {username!r} created",
                username=username, password=password, database=database,
            )

        return self._run(server, "create", work, secrets=(password,))

    def suspend(self, ctx: AccountContext, reason: str = "") -> ActionResult:
        """``ALTER USER ... ACCOUNT LOCK`` and close the user's open connections.

        MariaDB has nowhere to keep ``reason``; the core records it with the service.
        """
        if (refusal := _bad_username(ctx)) is not None:
            return refusal
        username = ctx.username.strip()

        def work(cur: Cursor) -> ActionResult:
            cur.execute("ALTER USER %s@'%%' ACCOUNT LOCK", (username,))
            closed = kill_sessions(cur, username)
            return ActionResult.success(f"user {username!r} locked; {closed}")

        return self._user_action(ctx, "suspend", work)

    def unsuspend(self, ctx: AccountContext) -> ActionResult:
        """``ALTER USER ... ACCOUNT UNLOCK``."""
        if (refusal := _bad_username(ctx)) is not None:
            return refusal
        username = ctx.username.strip()

        def work(cur: Cursor) -> ActionResult:
            cur.execute("ALTER USER %s@'%%' ACCOUNT UNLOCK", (username,))
            return ActionResult.success(f"user {username!r} unlocked")

        return self._user_action(ctx, "unsuspend", work)

    def terminate(self, ctx: AccountContext) -> ActionResult:
        """Close the user's connections, drop the database and the user (both IF EXISTS, so
        terminating twice succeeds)."""
        prefix = self._options(ctx)[0]
        if (refusal := _bad_username(ctx)) is not None:
            return refusal
        username = ctx.username.strip()
        database = self._checked_database(prefix, username)

        def work(cur: Cursor) -> ActionResult:
            kill_sessions(cur, username)
            cur.execute(f"DROP DATABASE IF EXISTS {quote_database(database)}")
            cur.execute("DROP USER IF EXISTS %s@'%%'", (username,))
            return ActionResult.success(f"database {database!r} and user {username!r} removed")

        return self._run(self._server(ctx), "terminate", work)

    def change_package(self, ctx: AccountContext) -> ActionResult:
        """Apply the product's connection limit and privileges to the existing user."""
        prefix, privileges, max_connections = self._options(ctx)
        if (refusal := _bad_username(ctx)) is not None:
            return refusal
        username = ctx.username.strip()
        target = grant_target(self._checked_database(prefix, username))

        def work(cur: Cursor) -> ActionResult:
            cur.execute(
                "ALTER USER %s@'%%' WITH MAX_USER_CONNECTIONS %s", (username, max_connections)
            )
            try:
                cur.execute(f"REVOKE ALL PRIVILEGES ON {target}.* FROM %s@'%%'", (username,))
            except pymysql.MySQLError as exc:
                if error_code(exc) != ER_NONEXISTING_GRANT:
                    raise
            cur.execute(f"GRANT {privileges} ON {target}.* TO %s@'%%'", (username,))
            return ActionResult.success(
                f"user {username!r}: {privileges}, at most {max_connections} connections"
            )

        return self._user_action(ctx, "change package", work)

    def change_password(self, ctx: AccountContext, new_password: str) -> ActionResult:
        """``ALTER USER ... IDENTIFIED BY`` with the password as a bound parameter."""
        if not new_password:
            return ActionResult.failure("the new password is empty")
        if (refusal := _bad_username(ctx)) is not None:
            return refusal
        username = ctx.username.strip()

        def work(cur: Cursor) -> ActionResult:
            cur.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (username, new_password))
            return ActionResult.success(f"password of {username!r} changed")

        return self._user_action(ctx, "change password", work, secrets=(new_password,))

    def usage(self, server: ServerInfo) -> list[UsageReport]:
        """Size of each ``user@'%'``'s databases, in MB (see :func:`database_usage`)."""
        reports: list[UsageReport] = []

        def work(cur: Cursor) -> ActionResult:
            reports.extend(database_usage(cur))
            return ActionResult.success()

        self._run(server, "usage", work)
        return reports

    # -- helpers -----------------------------------------------------------------------------

    def _run(
        self, server: ServerInfo, action: str, work: Work, secrets: Iterable[str] = ()
    ) -> ActionResult:
        """Run ``work`` on an admin cursor; unexpected server errors become ModuleError."""
        with admin_cursor(server, timeout=self._timeout(), verify_tls=self._verify_tls()) as cur:
            try:
                return work(cur)
            except pymysql.MySQLError as exc:
                text = error_text(exc)
                for secret in secrets:
                    if secret:
                        text = text.replace(secret, "********")
                raise ModuleError(f"{server_label(server)}: {action} failed: {text}") from None

    def _user_action(
        self, ctx: AccountContext, action: str, work: Work, secrets: Iterable[str] = ()
    ) -> ActionResult:
        """Like :meth:`_run`, with "no such user" turned into a failure."""
        server = self._server(ctx)

        def guarded(cur: Cursor) -> ActionResult:
            try:
                return work(cur)
            except pymysql.MySQLError as exc:
                if error_code(exc) == ER_CANNOT_USER:
                    return ActionResult.failure(
                        f"there is no database user {ctx.username!r}@'%' on {server_label(server)}"
                    )
                raise

        return self._run(server, action, guarded, secrets)

    @staticmethod
    def _server(ctx: AccountContext) -> ServerInfo:
        if ctx.server is None:
            raise ModuleError(
                f"service #{ctx.service_id} has no server; assign a database server to it"
            )
        return ctx.server

    @staticmethod
    def _database(prefix: str, username: str) -> str:
        database = prefix + check_username(username)
        quote_database(database)
        return database

    def _checked_database(self, prefix: str, username: str) -> str:
        try:
            return self._database(prefix, username)
        except ValueError as exc:  # pragma: no cover - username and prefix are checked first
            raise ModuleError(str(exc)) from None

    @staticmethod
    def _options(ctx: AccountContext) -> tuple[str, str, int]:
        """(prefix, privileges, max connections) from the product; bad values -> ModuleError."""
        config = ctx.product_config
        where = f"product {ctx.product_name!r} (#{ctx.product_id})"
        try:
            prefix = check_prefix(str(config.get("db_prefix", "hb_")).strip())
            privileges = parse_privileges(str(config.get("privileges") or "ALL PRIVILEGES"))
        except ValueError as exc:
            raise ModuleError(f"{where}: {exc}") from None
        raw = str(config.get("max_user_connections") or "10").strip()
        if not raw.isdigit() or int(raw) > MAX_CONNECTIONS_LIMIT:
            raise ModuleError(
                f"{where}: max_user_connections {raw!r} must be a whole number from 0 to "
                f"{MAX_CONNECTIONS_LIMIT}"
            )
        return prefix, privileges, int(raw)

    def _timeout(self) -> float:
        raw = self.settings.get("timeout", DEFAULT_TIMEOUT)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = -1.0
        if not 0 < value <= MAX_TIMEOUT:
            raise ModuleError(
                f"plugin mysql_hosting: setting timeout={raw!r} must be a number of seconds "
                f"above 0 and at most {MAX_TIMEOUT:g}"
            )
        return value

    def _verify_tls(self) -> bool:
        value = self.settings.get("verify_tls", True)
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE


def _bad_username(ctx: AccountContext) -> ActionResult | None:
    """A failure when the service's username is missing or unsafe to put into SQL."""
    try:
        check_username(ctx.username.strip())
    except ValueError as exc:
        return ActionResult.failure(f"service #{ctx.service_id}: {exc}")
    return None
