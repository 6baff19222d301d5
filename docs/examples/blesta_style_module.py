"""``Demopanel``: a server module written the Blesta way, run by hostbridge.

The class has Blesta's method names and arguments (``addService(package, vars, ...)``,
``suspendService(package, service, ...)``, ...), reports failures with
``self.Input.setErrors({field: {rule: message}})`` and returns service fields as
``[{"key", "value", "encrypted"}]``. It talks to no real panel: calls are recorded in
:data:`CALLS` and accounts kept in :data:`ACCOUNTS`.

Install it with ``compat.blesta.modules.blesta_server_module(Demopanel)`` (see
docs/legacy-modules.md).
"""

from __future__ import annotations

from typing import Any

from compat.blesta.modules import BlestaInput, service_fields_to_object

CALLS: list[tuple[str, dict[str, Any]]] = []
"""(method, interesting arguments) of every call, in order."""
ACCOUNTS: dict[str, dict[str, Any]] = {}
"""The "panel": username -> {domain, plan, status, password, host}."""


class Demopanel:
    """A Blesta-style module (``class Demopanel extends Module`` in PHP)."""

    def __init__(self) -> None:
        self.Input = BlestaInput()
        self.module_row: Any = None

    def getName(self) -> str:  # noqa: N802 - Blesta's method names
        """Display name."""
        return "Demo Panel (Blesta style)"

    def getVersion(self) -> str:  # noqa: N802
        """Module version."""
        return "1.2.0"

    def setModuleRow(self, row: Any) -> None:  # noqa: N802
        """The server (module row) this call works on."""
        self.module_row = row

    def getModuleRow(self) -> Any:  # noqa: N802
        """The module row set by the host."""
        return self.module_row

    def addService(self, package: Any, vars: dict[str, Any] | None = None,  # noqa: N802, A002
                   parent_package: Any = None, parent_service: Any = None,
                   status: str = "pending") -> list[dict[str, Any]] | None:
        """Validate, then (``use_module`` true) create the account; return service fields."""
        vars = vars or {}  # noqa: A001
        domain = vars.get("demopanel_domain", "")
        if not domain:
            self.Input.setErrors({"demopanel_domain": {"empty": "Enter the domain to host"}})
            return None
        username = vars.get("demopanel_username") or domain.split(".")[0][:8]
        password = vars.get("demopanel_password") or "generated-Secret-1"
        CALLS.append(("addService", {"package": package.meta.get("plan"), "status": status,
                                     "client_id": vars.get("client_id"), "domain": domain}))
        if vars.get("use_module") == "true":
            if username in ACCOUNTS:
                self.Input.setErrors({"demopanel_username": {
                    "taken": f"The username {username} is already in use"}})
                return None
            host = self.module_row.meta.host_name if self.module_row else ""
            ACCOUNTS[username] = {"domain": domain, "plan": package.meta.get("plan"),
                                  "status": "active", "password": password, "host": host}
        return [
            {"key": "demopanel_domain", "value": domain, "encrypted": 0},
            {"key": "demopanel_username", "value": username, "encrypted": 0},
            {"key": "demopanel_password", "value": password, "encrypted": 1},
        ]

    def _account(self, service: Any, method: str) -> dict[str, Any] | None:
        fields = service_fields_to_object(service.fields)
        username = fields.get("demopanel_username")
        CALLS.append((method, {"service_id": service.id, "username": username}))
        account = ACCOUNTS.get(username or "")
        if account is None:
            self.Input.setErrors({"service": {"missing": f"No account {username} on the panel"}})
        return account

    def suspendService(self, package: Any, service: Any, parent_package: Any = None,  # noqa: N802
                       parent_service: Any = None) -> None:
        """Suspend on the panel."""
        account = self._account(service, "suspendService")
        if account is not None:
            account["status"] = "suspended"

    def unsuspendService(self, package: Any, service: Any,  # noqa: N802
                         parent_package: Any = None, parent_service: Any = None) -> None:
        """Unsuspend on the panel."""
        account = self._account(service, "unsuspendService")
        if account is not None:
            account["status"] = "active"

    def cancelService(self, package: Any, service: Any, parent_package: Any = None,  # noqa: N802
                      parent_service: Any = None) -> None:
        """Remove the account (Blesta's cancel)."""
        if self._account(service, "cancelService") is not None:
            ACCOUNTS.pop(service_fields_to_object(service.fields).demopanel_username)

    def changeServicePackage(self, package_from: Any, package_to: Any,  # noqa: N802
                             service: Any, parent_package: Any = None,
                             parent_service: Any = None) -> None:
        """Move the account to ``package_to``'s plan."""
        account = self._account(service, "changeServicePackage")
        if account is not None:
            account["plan"] = package_to.meta.get("plan")

    def editService(self, package: Any, service: Any, vars: dict[str, Any] | None = None,  # noqa: N802, A002
                    parent_package: Any = None, parent_service: Any = None
                    ) -> list[dict[str, Any]] | None:
        """Change the password; return the full list of service fields."""
        account = self._account(service, "editService")
        if account is None:
            return None
        new = (vars or {}).get("demopanel_password", "")
        if len(new) < 8:
            self.Input.setErrors({"demopanel_password": {"length": "Use 8 characters or more"}})
            return None
        account["password"] = new
        fields = service_fields_to_object(service.fields)
        return [{"key": "demopanel_domain", "value": fields.get("demopanel_domain"),
                 "encrypted": 0},
                {"key": "demopanel_username", "value": fields.demopanel_username, "encrypted": 0},
                {"key": "demopanel_password", "value": new, "encrypted": 1}]
