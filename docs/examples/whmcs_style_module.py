"""``demopanel``: a provisioning module written the WHMCS way, run by hostbridge.

Every function is named ``demopanel_<Function>`` and takes WHMCS's ``params`` dict, exactly as
in a PHP module under ``modules/servers/demopanel/``. It talks to no real panel: each call is
recorded in :data:`CALLS` (and accounts in :data:`ACCOUNTS`) so you can watch what arrives.

Install it with ``compat.whmcs.modules.load_whmcs_module("docs/examples/whmcs_style_module.py")``
(see docs/legacy-modules.md).
"""

from __future__ import annotations

from typing import Any

CALLS: list[tuple[str, dict[str, Any]]] = []
"""(function name, params) of every call, in order."""
ACCOUNTS: dict[str, dict[str, Any]] = {}
"""The "panel": username -> {domain, plan, status, password}."""


def _record(function: str, params: dict[str, Any]) -> None:
    CALLS.append((function, dict(params)))


def demopanel_MetaData() -> dict[str, Any]:
    """Module metadata, as WHMCS reads it."""
    return {
        "DisplayName": "Demo Panel",
        "APIVersion": "1.1",
        "RequiresServer": True,
        "DefaultSSLPort": 2083,
        "DefaultNonSSLPort": 2082,
        "ServiceSingleSignOnLabel": "Log in to Demo Panel",
    }


def demopanel_ConfigOptions() -> dict[str, dict[str, Any]]:
    """Product settings: configoption1..6 in this order."""
    return {
        "Plan": {"Type": "text", "Size": "25", "Default": "basic",
                 "Description": "Plan name on the panel"},
        "Disk Quota": {"Type": "dropdown", "Options": "1000,5000,10000", "Default": "1000",
                       "Description": "MB"},
        "Shell Access": {"Type": "yesno", "Description": "Tick to allow SSH"},
        "Reseller": {"Type": "radio", "Options": {"none": "No reseller", "full": "Full"},
                     "Default": "none"},
        "API Token": {"Type": "password", "Size": "40"},
        "Welcome Note": {"Type": "textarea", "Rows": "3", "Cols": "40"},
    }


def demopanel_CreateAccount(params: dict[str, Any]) -> str:
    """Create the account; pick a username from the domain when none was given."""
    _record("CreateAccount", params)
    domain = params["domain"]
    if not domain:
        return "A domain is required to create a Demo Panel account"
    if domain.endswith(".crash"):
        raise RuntimeError(f"panel {params['serverhostname']} dropped the connection")
    username = params["username"] or domain.split(".")[0][:8]
    if username in ACCOUNTS:
        return f"Username {username} already exists on the panel"
    ACCOUNTS[username] = {"domain": domain, "plan": params["configoption1"],
                          "status": "active", "password": params["password"]}
    if not params["username"]:
        params["model"].serviceProperties.save({"Username": username})
    return "success"


def _account(params: dict[str, Any]) -> dict[str, Any] | None:
    return ACCOUNTS.get(params["username"])


def demopanel_SuspendAccount(params: dict[str, Any]) -> str:
    """Suspend, keeping WHMCS's ``suspendreason``."""
    _record("SuspendAccount", params)
    account = _account(params)
    if account is None:
        return f"Account {params['username']} not found"
    account.update(status="suspended", reason=params["suspendreason"])
    return "success"


def demopanel_UnsuspendAccount(params: dict[str, Any]) -> str:
    """Lift a suspension."""
    _record("UnsuspendAccount", params)
    account = _account(params)
    if account is None:
        return f"Account {params['username']} not found"
    account["status"] = "active"
    return "success"


def demopanel_TerminateAccount(params: dict[str, Any]) -> str:
    """Remove the account."""
    _record("TerminateAccount", params)
    if ACCOUNTS.pop(params["username"], None) is None:
        return f"Account {params['username']} not found"
    return "success"


def demopanel_ChangePackage(params: dict[str, Any]) -> str:
    """Apply the product's (new) plan."""
    _record("ChangePackage", params)
    account = _account(params)
    if account is None:
        return f"Account {params['username']} not found"
    account["plan"] = params["configoption1"]
    return "success"


def demopanel_ChangePassword(params: dict[str, Any]) -> str:
    """Set the password WHMCS passes in ``params["password"]``."""
    _record("ChangePassword", params)
    if len(params["password"]) < 8:
        return "The new password must have at least 8 characters"
    account = _account(params)
    if account is None:
        return f"Account {params['username']} not found"
    account["password"] = params["password"]
    return "success"


def demopanel_Renew(params: dict[str, Any]) -> str:
    """Nothing to do on the panel when a renewal is paid; record it."""
    _record("Renew", params)
    return "success"


def demopanel_TestConnection(params: dict[str, Any]) -> dict[str, Any]:
    """Check the server settings (a real module would call the panel's API)."""
    _record("TestConnection", params)
    if not params["serverhostname"] and not params["serverip"]:
        return {"success": False, "error": "The server has neither hostname nor IP address"}
    return {"success": True, "error": ""}


def demopanel_ServiceSingleSignOn(params: dict[str, Any]) -> dict[str, Any]:
    """A one-click login link to the panel."""
    _record("ServiceSingleSignOn", params)
    if _account(params) is None:
        return {"success": False, "errorMsg": "No such account on the panel"}
    host = params["serverhostname"] or params["serverip"]
    url = (f"{params['serverhttpprefix']}://{host}:{params['serverport']}"
           f"/login?user={params['username']}")
    return {"success": True, "redirectTo": url}


def demopanel_AdminCustomButtonArray() -> dict[str, str]:
    """Staff buttons: label -> function suffix."""
    return {"Reboot Account": "reboot"}


def demopanel_ClientAreaCustomButtonArray() -> dict[str, str]:
    """Client buttons: label -> function suffix."""
    return {"Reset Quota": "resetQuota"}


def demopanel_ClientAreaAllowedFunctions() -> list[str]:
    """Callable from the client area without a button."""
    return ["usageGraph"]


def demopanel_reboot(params: dict[str, Any]) -> str:
    """Custom function behind the "Reboot Account" button."""
    _record("reboot", params)
    return "success" if _account(params) else "Nothing to reboot"


def demopanel_resetQuota(params: dict[str, Any]) -> str:
    """Custom function behind the "Reset Quota" button."""
    _record("resetQuota", params)
    return "success"


def demopanel_usageGraph(params: dict[str, Any]) -> dict[str, Any]:
    """A page function: returns a template array instead of "success"."""
    _record("usageGraph", params)
    return {"templatefile": "usage", "vars": {"username": params["username"]}}


def demopanel_UsageUpdate(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Usage of every account on the server (WHMCS's tblhosting column names, MB)."""
    _record("UsageUpdate", params)
    return {name: {"diskusage": "150.5",
                   "disklimit": 1000 if account["plan"] == "basic" else 5000,
                   "bwusage": 2048, "bwlimit": None}
            for name, account in ACCOUNTS.items()}
