"""The ``cpanel`` server module: cPanel accounts managed through WHM API 1."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any, ClassVar

from bridge.errors import ModuleError
from hooks import (
    AccountContext,
    ActionResult,
    ConfigField,
    ServerInfo,
    ServerModule,
    UsageReport,
)

from .naming import generate_password, generate_username
from .whm import DEFAULT_TIMEOUT, WhmClient, server_label

MAX_TIMEOUT = 300.0
_TRUE = {"1", "true", "yes", "on", "y"}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
_UNIT_MB = {"K": Decimal(1) / 1024, "": Decimal(1), "M": Decimal(1), "G": Decimal(1024),
            "T": Decimal(1024 * 1024)}


class CpanelModule(ServerModule):
    """Creates, suspends, changes and removes cPanel accounts on a WHM server.

    The ``servers`` row holds the WHM host, ``username`` (root or a reseller; ``root`` when
    empty) and the API token in ``access_hash`` (or ``password``). Plugin settings:
    ``timeout`` (seconds per call, default 30) and ``verify_tls`` (default true).
    """

    name: ClassVar[str] = "cpanel"
    label: ClassVar[str] = "cPanel/WHM"
    version: ClassVar[str] = "1.0"
    requires_server: ClassVar[bool] = True
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField(
            "package", "WHM package", required=True,
            description="Name of the hosting package (plan) in WHM, e.g. 'gold' or 'reseller_gold'",
        ),
        ConfigField(
            "reseller", "Reseller account", type="bool", default="0",
            description="Give the new account reseller privileges",
        ),
        ConfigField(
            "dedicated_ip", "Dedicated IP", type="bool", default="0",
            description="Assign the account a dedicated IP address from WHM's pool",
        ),
    )

    # -- server-level ------------------------------------------------------------------------

    def test_connection(self, server: ServerInfo) -> ActionResult:
        """Call WHM's ``version`` function with the stored token; success names the version."""
        answer = self._client(server).call("version")
        if not answer.ok:
            return ActionResult.failure(answer.reason, raw=answer.raw)
        found = str(_mapping(answer.data).get("version", "unknown"))
        return ActionResult(True, f"connected to WHM {found}", {"version": found}, answer.raw)

    def usage(self, server: ServerInfo) -> list[UsageReport]:
        """Disk used and disk quota of every account (``listaccts``), in MB.

        WHM reports sizes as strings such as ``"14M"`` or ``"unlimited"``; they are converted
        through Decimal and rounded up, so a non-empty account never shows 0 MB. WHM's account
        list carries no bandwidth figures, so those stay None. Raises ModuleError when WHM
        cannot be asked or refuses the listing.
        """
        answer = self._client(server).call("listaccts", {"want": "user,diskused,disklimit"})
        if not answer.ok:
            raise ModuleError(f"{server_label(server)}: listaccts refused: {answer.reason}")
        return [
            UsageReport(
                username=str(acct.get("user", "")),
                disk_usage_mb=parse_megabytes(acct.get("diskused")),
                disk_limit_mb=parse_megabytes(acct.get("disklimit")),
            )
            for acct in _accounts(answer.data)
            if acct.get("user")
        ]

    # -- account lifecycle -------------------------------------------------------------------

    def create(self, ctx: AccountContext) -> ActionResult:
        """``createacct`` with the product's package; generates username and password if unset.

        A missing username is derived from the domain (see :mod:`plugins.cpanel.naming`) and
        checked against the server's existing accounts. ``data`` returns ``username`` and
        ``password`` (and ``dedicated_ip`` when one was assigned) for the core to store.
        """
        server = self._server(ctx)
        package = self._package(ctx)
        domain = ctx.domain.strip().lower()
        if not domain:
            return ActionResult.failure(
                f"service #{ctx.service_id} has no domain; a cPanel account needs one"
            )
        client = self._client(server)
        username = ctx.username.strip().lower()
        if not username:
            listing = client.call("listaccts", {"want": "user"})
            if not listing.ok:
                return ActionResult.failure(
                    f"could not list accounts to choose a username: {listing.reason}", listing.raw
                )
            taken = {str(acct.get("user", "")) for acct in _accounts(listing.data)}
            username = generate_username(domain, taken)
        password = ctx.password or generate_password()
        dedicated = _flag(ctx.product_config.get("dedicated_ip"))
        params: dict[str, Any] = {
            "username": username,
            "domain": domain,
            "plan": package,
            "password": password,
            "reseller": _flag(ctx.product_config.get("reseller")),
            "ip": "y" if dedicated else "n",
        }
        if ctx.client.email:
            params["contactemail"] = ctx.client.email
        answer = client.call("createacct", params)
        raw = scrub(answer.raw, password)
        if not answer.ok:
            return ActionResult.failure(answer.reason, raw)
        data: dict[str, Any] = {"username": username, "password": password}
        ip = _mapping(answer.data).get("ip")
        if dedicated and ip:
            data["dedicated_ip"] = str(ip)
        return ActionResult(True, answer.reason, data, raw)

    def suspend(self, ctx: AccountContext, reason: str = "") -> ActionResult:
        """``suspendacct`` with the given reason (WHM shows it to the account's owner)."""
        return self._account_call(
            ctx, "suspendacct", reason=reason.strip() or "Suspended by hostbridge"
        )

    def unsuspend(self, ctx: AccountContext) -> ActionResult:
        """``unsuspendacct``."""
        return self._account_call(ctx, "unsuspendacct")

    def terminate(self, ctx: AccountContext) -> ActionResult:
        """``removeacct``: deletes the account, its files, mail and databases for good."""
        return self._account_call(ctx, "removeacct")

    def change_package(self, ctx: AccountContext) -> ActionResult:
        """``changepackage`` to the package configured on the (new) product."""
        package = self._package(ctx)
        return self._account_call(ctx, "changepackage", pkg=package)

    def change_password(self, ctx: AccountContext, new_password: str) -> ActionResult:
        """``passwd``; the new password is masked in the raw answer kept for the module log."""
        if not new_password:
            return ActionResult.failure("the new password is empty")
        result = self._account_call(ctx, "passwd", password=new_password)
        return ActionResult(result.ok, result.message, result.data, scrub(result.raw, new_password))

    def sso_url(self, ctx: AccountContext, *, admin: bool = False) -> ActionResult:
        """A one-time cPanel login link (``create_user_session``, service ``cpaneld``).

        Staff (``admin``) and the client get the same kind of link into the account's cPanel.
        The raw answer is not returned: it holds the session secret.
        """
        if not ctx.username:
            return _no_username(ctx)
        client = self._client(self._server(ctx))
        answer = client.call("create_user_session", {"user": ctx.username, "service": "cpaneld"})
        if not answer.ok:
            return ActionResult.failure(answer.reason)
        url = _mapping(answer.data).get("url")
        if not url:
            return ActionResult.failure("WHM created a session but returned no login URL")
        return ActionResult.success("single sign-on link created", url=str(url))

    # -- helpers -----------------------------------------------------------------------------

    def _account_call(self, ctx: AccountContext, function: str, **params: Any) -> ActionResult:
        if not ctx.username:
            return _no_username(ctx)
        answer = self._client(self._server(ctx)).call(function, {"user": ctx.username, **params})
        if not answer.ok:
            return ActionResult.failure(answer.reason, answer.raw)
        return ActionResult(True, answer.reason, {}, answer.raw)

    def _client(self, server: ServerInfo) -> WhmClient:
        return WhmClient(server, timeout=self._timeout(), verify_tls=self._verify_tls())

    def _timeout(self) -> float:
        raw = self.settings.get("timeout", DEFAULT_TIMEOUT)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ModuleError(f"plugin cpanel: setting timeout={raw!r} is not a number") from None
        if not 0 < value <= MAX_TIMEOUT:
            raise ModuleError(
                f"plugin cpanel: setting timeout={raw!r} must be above 0 and at most "
                f"{MAX_TIMEOUT:g} seconds"
            )
        return value

    def _verify_tls(self) -> bool:
        value = self.settings.get("verify_tls", True)
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE

    @staticmethod
    def _server(ctx: AccountContext) -> ServerInfo:
        if ctx.server is None:
            raise ModuleError(
                f"service #{ctx.service_id} has no server; assign a cPanel server to it"
            )
        return ctx.server

    @staticmethod
    def _package(ctx: AccountContext) -> str:
        package = str(ctx.product_config.get("package", "")).strip()
        if not package:
            raise ModuleError(
                f"product {ctx.product_name!r} (#{ctx.product_id}) has no WHM package set; "
                "fill in its module setting 'package'"
            )
        return package


def parse_megabytes(value: Any) -> int | None:
    """WHM's size strings (``"14M"``, ``"1.5G"``, ``"512K"``) as whole MB, rounded up;
    ``"unlimited"``, empty or unreadable values are None."""
    if value is None or isinstance(value, bool):
        return None
    match = _SIZE.match(str(value))
    if not match:
        return None
    try:
        megabytes = Decimal(match.group(1)) * _UNIT_MB[match.group(2).upper()]
    except InvalidOperation:  # pragma: no cover - the regex admits only plain decimals
        return None
    return int(megabytes.to_integral_value(rounding=ROUND_CEILING))


def scrub(raw: Any, secret: str) -> Any:
    """A copy of ``raw`` with every occurrence of ``secret`` in its strings masked.

    WHM echoes the new account's password in ``createacct``'s log output; the raw answer goes
    to the module log, where secrets must never appear.
    """
    if not secret:
        return raw
    if isinstance(raw, str):
        return raw.replace(secret, "********")
    if isinstance(raw, Mapping):
        return {key: scrub(value, secret) for key, value in raw.items()}
    if isinstance(raw, list):
        return [scrub(item, secret) for item in raw]
    return raw


def _no_username(ctx: AccountContext) -> ActionResult:
    return ActionResult.failure(
        f"service #{ctx.service_id} has no cPanel username; set it to the account's name"
    )


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in _TRUE


def _mapping(data: Any) -> Mapping[str, Any]:
    return data if isinstance(data, Mapping) else {}


def _accounts(data: Any) -> Iterator[Mapping[str, Any]]:
    """The ``acct`` list of a ``listaccts`` / ``accountsummary`` answer."""
    accounts = _mapping(data).get("acct") or []
    if isinstance(accounts, list):
        yield from (acct for acct in accounts if isinstance(acct, Mapping))


__all__ = ["CpanelModule", "parse_megabytes", "scrub"]
