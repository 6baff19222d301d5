"""WHMCS-style hooks: ``add_hook(hook_point, priority, function)`` as in ``includes/hooks/``.

Load it with ``compat.whmcs.hooks.load_whmcs_hooks("docs/examples/whmcs_style_hooks.py")``;
hostbridge then calls these functions when the matching core events are committed (see the
table in docs/legacy-modules.md). Each function receives its own copy of WHMCS's ``vars``.
Here they only append to :data:`RECEIVED`; a real hooks file would notify a chat channel,
call a CRM, and so on.
"""

from __future__ import annotations

from typing import Any

from compat.whmcs.hooks import add_hook

RECEIVED: list[tuple[str, Any]] = []
"""(what, value) of every hook call, in order."""
RESERVED_SERVICES = {666}
"""Services whose creation the PreModuleCreate hook refuses."""


def audit_payment(hook_vars: dict[str, Any]) -> None:
    """Runs first on InvoicePaid (priority 1)."""
    RECEIVED.append(("audit InvoicePaid", hook_vars["invoiceid"]))


def thank_customer(hook_vars: dict[str, Any]) -> None:
    """Runs second on InvoicePaid (priority 10)."""
    RECEIVED.append(("thank InvoicePaid", hook_vars["invoiceid"]))


def welcome_client(hook_vars: dict[str, Any]) -> None:
    """ClientAdd: the new client's id is ``userid`` (and ``client_id``)."""
    RECEIVED.append(("ClientAdd", hook_vars["userid"]))


def account_created(hook_vars: dict[str, Any]) -> None:
    """AfterModuleCreate: the module params are under ``params``."""
    params = hook_vars["params"]
    RECEIVED.append(("AfterModuleCreate", (params["serviceid"], params["userid"])))


def refuse_reserved(hook_vars: dict[str, Any]) -> dict[str, Any] | None:
    """PreModuleCreate: ``{"abortcmd": True}`` stops the creation."""
    if hook_vars["params"]["serviceid"] in RESERVED_SERVICES:
        RECEIVED.append(("PreModuleCreate refused", hook_vars["params"]["serviceid"]))
        return {"abortcmd": True}
    return None


def new_ticket(hook_vars: dict[str, Any]) -> None:
    """TicketOpen: ``ticketid`` and the public ``ticketmask``."""
    RECEIVED.append(("TicketOpen", (hook_vars["ticketid"], hook_vars["ticketmask"])))


def broken_hook(hook_vars: dict[str, Any]) -> None:
    """A failing hook: logged, and the other InvoicePaid hooks still run."""
    raise RuntimeError("this hook is broken on purpose")


add_hook("InvoicePaid", 10, thank_customer)
add_hook("InvoicePaid", 1, audit_payment)
add_hook("InvoicePaid", 5, broken_hook)
add_hook("ClientAdd", 1, welcome_client)
add_hook("AfterModuleCreate", 1, account_created)
add_hook("PreModuleCreate", 1, refuse_reserved)
add_hook("TicketOpen", 1, new_ticket)
add_hook("DailyCronJob", 1, lambda hook_vars: RECEIVED.append(("DailyCronJob", hook_vars)))
