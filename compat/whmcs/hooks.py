"""WHMCS hook points as aliases of the core events.

A WHMCS hooks file registers functions with ``add_hook(hook_point, priority, fn)``; each
function receives one ``vars`` dict (reference ``whmcs.md`` §5). Here such functions live in
a :class:`WhmcsHookRegistry`; :class:`WhmcsHooksPlugin` is a pluggy plugin that turns every
committed core event (``bridge_event``) into the matching WHMCS hook point(s) and calls the
registered functions, lower priority first. A failing function is logged and the others still
run. The core payload carries ids only: ``vars`` hold what the ids give (``invoiceid``,
``userid``, ...) plus whatever an optional ``extra_vars`` loader adds.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hooks import Abort, hookimpl

log = logging.getLogger(__name__)

HookFunction = Callable[[dict[str, Any]], Any]
VarsLoader = Callable[[str, str, Mapping[str, Any]], Mapping[str, Any]]
TICKET_STATUSES = {"open": "Open", "answered": "Answered", "customer_reply": "Customer-Reply",
                   "on_hold": "On Hold", "in_progress": "In Progress", "closed": "Closed"}
CANCELLATION_TYPES = {"immediate": "Immediate", "end_of_period": "End of Billing Period"}


@dataclass(frozen=True)
class HookEntry:
    """One ``add_hook`` registration."""

    hook_point: str
    priority: int
    fn: HookFunction
    sequence: int


class WhmcsHookRegistry:
    """The functions registered with ``add_hook``, by hook point."""

    def __init__(self) -> None:
        self._entries: dict[str, list[HookEntry]] = {}
        self._sequence = 0
        self.loaded: dict[str, dict[str, Any]] = {}  # hooks file -> its module globals

    def add_hook(self, hook_point: str, priority: int, fn: HookFunction) -> None:
        """Register ``fn`` on ``hook_point``; lower ``priority`` runs first, ties in order."""
        if not isinstance(hook_point, str) or not hook_point:
            raise TypeError("add_hook: the hook point must be a non-empty string")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError(f"add_hook({hook_point!r}): priority must be an integer")
        if not callable(fn):
            raise TypeError(f"add_hook({hook_point!r}): {fn!r} is not callable")
        self._sequence += 1
        entry = HookEntry(hook_point, priority, fn, self._sequence)
        self._entries.setdefault(hook_point, []).append(entry)

    def hooks(self, hook_point: str) -> list[HookEntry]:
        """The registrations of ``hook_point`` in calling order."""
        return sorted(self._entries.get(hook_point, ()), key=lambda e: (e.priority, e.sequence))

    def points(self) -> list[str]:
        """Every hook point something is registered on."""
        return sorted(self._entries)

    def run(self, hook_point: str, hook_vars: Mapping[str, Any]) -> list[Any]:
        """Call every function of ``hook_point`` with its own copy of ``hook_vars`` (PHP
        passes arrays by value); return their return values. Failures are logged."""
        results = []
        for entry in self.hooks(hook_point):
            try:
                results.append(entry.fn(copy.deepcopy(dict(hook_vars))))
            except Exception:
                log.exception("WHMCS hook %s (%s) failed", hook_point,
                              getattr(entry.fn, "__qualname__", entry.fn))
        return results

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())


_LOADING: ContextVar[WhmcsHookRegistry | None] = ContextVar("whmcs_hooks_loading", default=None)


def add_hook(hook_point: str, priority: int, fn: HookFunction) -> None:
    """``add_hook`` for hooks files: registers into the registry being loaded by
    :func:`load_whmcs_hooks` (there is no global registry)."""
    registry = _LOADING.get()
    if registry is None:
        raise RuntimeError("add_hook() works while load_whmcs_hooks() runs a hooks file; "
                           "elsewhere call WhmcsHookRegistry.add_hook()")
    registry.add_hook(hook_point, priority, fn)


@contextmanager
def _loading(registry: WhmcsHookRegistry) -> Iterator[None]:
    token = _LOADING.set(registry)
    try:
        yield
    finally:
        _LOADING.reset(token)


def load_whmcs_hooks(path: str | Path,
                     registry: WhmcsHookRegistry | None = None) -> WhmcsHookRegistry:
    """Execute a hooks file, or every ``*.py`` of a folder not starting with ``_`` (as WHMCS
    reads ``includes/hooks/``), with ``add_hook`` bound to ``registry``; return it."""
    registry = registry if registry is not None else WhmcsHookRegistry()
    folder = Path(path)
    files = (sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
             if folder.is_dir() else [folder])
    for file in files:
        if not file.is_file():
            raise FileNotFoundError(f"WHMCS hooks file {file} does not exist")
        digest = hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:8]
        name = f"bridge_whmcs_hooks.{file.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import WHMCS hooks file {file}")
        module = importlib.util.module_from_spec(spec)
        module.add_hook = registry.add_hook  # type: ignore[attr-defined]
        sys.modules[name] = module
        with _loading(registry):
            spec.loader.exec_module(module)
        registry.loaded[str(file)] = vars(module)
    return registry


# --- core event -> WHMCS hook points ----------------------------------------------------------

Translation = list[tuple[str, dict[str, Any]]]


def _pick(payload: Mapping[str, Any], **names: str) -> dict[str, Any]:
    """WHMCS var -> payload value, for the payload keys present."""
    return {var: _wire(payload[key]) for var, key in names.items() if key in payload}


def _wire(value: Any) -> Any:
    # money arrives as Decimal; WHMCS hands amounts to hooks as strings
    return str(value) if isinstance(value, Decimal) else value


def _simple(*points: str, **names: str) -> Callable[[Mapping[str, Any]], Translation]:
    return lambda p: [(point, _pick(p, **names)) for point in points]


def _module(point: str, **names: str) -> Callable[[Mapping[str, Any]], Translation]:
    def translate(p: Mapping[str, Any]) -> Translation:
        params = _pick(p, serviceid="service_id", accountid="service_id", userid="client_id",
                       **names)
        return [(point, {"params": params})]
    return translate


def _registrar(point: str) -> Callable[[Mapping[str, Any]], Translation]:
    def translate(p: Mapping[str, Any]) -> Translation:
        params = _pick(p, domainid="domain_id", userid="client_id", domain="domain")
        sld, _, tld = str(p.get("domain", "")).partition(".")
        if tld:
            params.update(sld=sld, tld=tld)
        return [(point, {"params": params})]
    return translate


def _ticket_opened(p: Mapping[str, Any]) -> Translation:
    point = "TicketOpenAdmin" if p.get("author_type") == "admin" else "TicketOpen"
    return [(point, {**_pick(p, ticketid="ticket_id", ticketmask="number",
                             deptid="department_id"), "userid": p.get("client_id") or 0})]


def _ticket_replied(p: Mapping[str, Any]) -> Translation:
    hook_vars = _pick(p, ticketid="ticket_id", replyid="message_id")
    if "status" in p:
        hook_vars["status"] = TICKET_STATUSES.get(p["status"], p["status"])
    if p.get("author_type") == "admin":
        return [("TicketAdminReply", hook_vars)]
    if p.get("author_type") == "system":  # automatic messages: WHMCS has no hook for them
        return []
    return [("TicketUserReply", {**hook_vars, "userid": p.get("client_id") or 0})]


def _cancellation(p: Mapping[str, Any]) -> Translation:
    hook_vars = _pick(p, userid="client_id", relid="service_id", reason="reason")
    if "kind" in p:
        hook_vars["type"] = CANCELLATION_TYPES.get(p["kind"], p["kind"])
    return [("CancellationRequest", hook_vars)]


def _payment(p: Mapping[str, Any]) -> Translation:
    return [("AddInvoicePayment", _pick(p, invoiceid="invoice_id")),
            ("AddTransaction", _pick(p, id="transaction_id", userid="client_id",
                                     invoiceid="invoice_id", amountin="amount"))]


_ADDON = {"id": "service_addon_id", "userid": "client_id", "serviceid": "service_id",
          "addonid": "addon_id"}
TRANSLATORS: dict[str, Callable[[Mapping[str, Any]], Translation]] = {
    "client_added": _simple("ClientAdd", client_id="client_id", userid="client_id",
                            user_id="owner_user_id"),
    "client_updated": _simple("ClientEdit", userid="client_id"),
    "client_closed": _simple("ClientClose", userid="client_id"),
    "client_deleted": _simple("ClientDelete", userid="client_id"),
    "contact_added": _simple("ContactAdd", userid="client_id", contactid="contact_id"),
    "contact_updated": _simple("ContactEdit", userid="client_id", contactid="contact_id"),
    "contact_deleted": _simple("ContactDelete", userid="client_id", contactid="contact_id"),
    "user_added": _simple("UserAdd", user_id="user_id"),
    "user_password_changed": _simple("UserChangePassword", userid="user_id"),
    "admin_logged_in": _simple("AdminLogin", adminid="admin_id"),
    "order_placed": _simple("AfterShoppingCartCheckout", OrderID="order_id",
                            InvoiceID="invoice_id"),
    "order_accepted": _simple("AcceptOrder", orderid="order_id"),
    "order_cancelled": _simple("CancelOrder", orderid="order_id"),
    "order_fraud": _simple("FraudOrder", orderid="order_id"),
    "invoice_created": _simple("InvoiceCreation", "InvoiceCreationPreEmail", "InvoiceCreated",
                               invoiceid="invoice_id"),
    "invoice_paid": _simple("InvoicePaidPreEmail", "InvoicePaid", invoiceid="invoice_id"),
    "invoice_cancelled": _simple("InvoiceCancelled", invoiceid="invoice_id"),
    "invoice_refunded": _simple("InvoiceRefunded", invoiceid="invoice_id"),
    "payment_applied": _payment,
    "transaction_added": _simple("AddTransaction", id="transaction_id", userid="client_id",
                                 amountin="amount_in", amountout="amount_out"),
    "payment_refunded": _simple("AddTransaction", id="transaction_id", userid="client_id",
                                invoiceid="invoice_id", amountout="amount",
                                refundid="refund_of_id"),
    "service_provisioned": _module("AfterModuleCreate", serverid="server_id"),
    "service_suspended": _module("AfterModuleSuspend", suspendreason="reason"),
    "service_unsuspended": _module("AfterModuleUnsuspend"),
    "service_terminated": _module("AfterModuleTerminate"),
    "service_package_changed": _module("AfterModuleChangePackage", pid="new_product_id"),
    "service_updated": _simple("ServiceEdit", userid="client_id", serviceid="service_id"),
    "cancellation_requested": _cancellation,
    "addon_added": _simple("AddonAdd", **_ADDON),
    "addon_activated": _simple("AddonActivated", **_ADDON),
    "addon_suspended": _simple("AddonSuspended", **_ADDON),
    "addon_unsuspended": _simple("AddonUnsuspended", **_ADDON),
    "addon_terminated": _simple("AddonTerminated", **_ADDON),
    "addon_cancelled": _simple("AddonCancelled", **_ADDON),
    "domain_registered": _registrar("AfterRegistrarRegistration"),
    "domain_renewed": _registrar("AfterRegistrarRenewal"),
    "domain_transferred": _simple("DomainTransferCompleted", domainId="domain_id",
                                  domain="domain", expiryDate="expiry_date"),
    "domain_updated": _simple("DomainEdit", userid="client_id", domainid="domain_id"),
    "ticket_opened": _ticket_opened,
    "ticket_replied": _ticket_replied,
    "ticket_closed": _simple("TicketClose", ticketid="ticket_id"),
    "ticket_note_added": _simple("TicketAddNote", ticketid="ticket_id"),
    "ticket_merged": _simple("TicketMerge", masterTicketId="ticket_id",
                             mergedTicketIds="source_ids"),
    "ticket_deleted": _simple("TicketDelete", ticketId="ticket_id"),
    "daily_automation_finished": _simple("DailyCronJob"),
}
HOOK_POINTS: dict[str, tuple[str, ...]] = {
    "ticket_opened": ("TicketOpen", "TicketOpenAdmin"),
    "ticket_replied": ("TicketUserReply", "TicketAdminReply"),
    **{event: tuple(point for point, _ in fn({})) for event, fn in TRANSLATORS.items()
       if event not in ("ticket_opened", "ticket_replied")},
}
"""Core event -> the WHMCS hook points it may fire (the table in docs/legacy-modules.md)."""


def translate(name: str, payload: Mapping[str, Any]) -> Translation:
    """The (hook point, vars) pairs core event ``name`` fires, in order ([] if none)."""
    fn = TRANSLATORS.get(name)
    return fn(payload) if fn else []


def _merge(loaded: Mapping[str, Any], mapped: dict[str, Any]) -> dict[str, Any]:
    merged = {**loaded, **mapped}
    if isinstance(loaded.get("params"), Mapping) and "params" in mapped:
        merged["params"] = {**loaded["params"], **mapped["params"]}
    return merged


class WhmcsHooksPlugin:
    """Pluggy plugin calling WHMCS-style hook functions on core events.

    ``extra_vars(hook_point, event_name, payload)`` may return more ``vars`` (client profile
    fields for ``ClientAdd``, full module ``params`` ...); the mapped keys take precedence.
    """

    def __init__(self, registry: WhmcsHookRegistry, *,
                 extra_vars: VarsLoader | None = None) -> None:
        self.registry = registry
        self.extra_vars = extra_vars

    def fire(self, name: str, payload: Mapping[str, Any]) -> None:
        """Run the hook points of core event ``name``."""
        for point, hook_vars in translate(name, payload):
            if not self.registry.hooks(point):
                continue
            if self.extra_vars is not None:
                try:
                    hook_vars = _merge(self.extra_vars(point, name, payload), hook_vars)
                except Exception:
                    log.exception("extra_vars failed for WHMCS hook %s; using the ids only",
                                  point)
            self.registry.run(point, hook_vars)

    @hookimpl
    def bridge_event(self, name: str, payload: dict[str, Any]) -> None:
        """Every committed core event: fire its WHMCS hook points."""
        self.fire(name, payload)

    def _pre(self, point: str, params: dict[str, Any]) -> None:
        for result in self.registry.run(point, {"params": params}):
            if isinstance(result, Mapping) and result.get("abortcmd"):
                raise Abort(f"stopped by the WHMCS hook {point} (abortcmd)")

    @hookimpl
    def before_create_account(self, service_id: int, client_id: int, module: str) -> None:
        """``PreModuleCreate``; a hook returning ``{"abortcmd": True}`` stops the creation."""
        self._pre("PreModuleCreate", {"serviceid": service_id, "accountid": service_id,
                                      "userid": client_id, "moduletype": module})

    @hookimpl
    def before_suspend_account(self, service_id: int, client_id: int, reason: str) -> None:
        """``PreModuleSuspend`` (``abortcmd`` stops the suspension)."""
        self._pre("PreModuleSuspend", {"serviceid": service_id, "accountid": service_id,
                                       "userid": client_id, "suspendreason": reason})

    @hookimpl
    def before_terminate_account(self, service_id: int, client_id: int) -> None:
        """``PreModuleTerminate`` (``abortcmd`` stops the termination)."""
        self._pre("PreModuleTerminate", {"serviceid": service_id, "accountid": service_id,
                                         "userid": client_id})


def make_plugin(settings: Mapping[str, Any]) -> WhmcsHooksPlugin:
    """Build the plugin from its settings: ``hooks_files`` lists hooks files or folders."""
    registry = WhmcsHookRegistry()
    for path in settings.get("hooks_files", ()):
        load_whmcs_hooks(path, registry)
    return WhmcsHooksPlugin(registry)
