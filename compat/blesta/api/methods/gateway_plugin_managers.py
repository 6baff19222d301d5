"""GatewayManager (``gateway_manager``) and PluginManager (``plugin_manager``).

Gateways are "installed" once configured (a ``module_settings`` row) and keep that row's id;
their classes come from the plugin host. Plugins are the host's records, with ids derived from
their names as module ids are (:func:`.managers.stable_id`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.errors import BridgeError
from bridge.models import Currency, ModuleSetting
from bridge.plugins import PluginRecord
from bridge.services.module_context import plugin_host
from bridge.services.modules import module_settings
from compat.whmcs.api.params import as_bool

from ..args import integer, optional_integer, optional_text
from ..registry import MethodCall, method
from .managers import stable_id

GATEWAY_TYPES = {"merchant": "merchant", "offsite": "nonmerchant", "hybrid": "hybrid"}


# -- gateways --------------------------------------------------------------------------------

def _gateway_rows(call: MethodCall) -> list[ModuleSetting]:
    return list(call.session.scalars(select(ModuleSetting).where(
        ModuleSetting.kind == "gateway", ModuleSetting.enabled.is_(True))
        .order_by(ModuleSetting.sort_order, ModuleSetting.module)))


def _gateway_currencies(call: MethodCall, cls: Any) -> list[str]:
    accepted = [str(c).upper() for c in getattr(cls, "currencies", ()) or ()]
    if accepted:
        return accepted
    return list(call.session.scalars(select(Currency.code).order_by(Currency.code)))


def gateway_object(call: MethodCall, row: ModuleSetting, *,
                   meta: bool = False) -> dict[str, Any]:
    """A ``gateways`` row with its ``currencies`` (and decrypted ``meta`` when asked)."""
    cls = plugin_host(call.session).modules["gateway"].get(row.module)
    body: dict[str, Any] = {
        "id": row.id, "company_id": call.company_id,
        "name": row.display_name or (getattr(cls, "label", "") if cls else "") or row.module,
        "class": row.module, "version": str(getattr(cls, "version", "") or "") if cls else "",
        "type": GATEWAY_TYPES.get(getattr(cls, "kind", "merchant"), "merchant"),
        "currencies": [{"gateway_id": row.id, "currency": c}
                       for c in (_gateway_currencies(call, cls) if cls else [])],
    }
    if meta:
        try:
            values = module_settings(call.session, "gateway", row.module)
        except BridgeError:  # the plugin that provided it is gone; show no settings
            values = {}
        # a field the module declares secret is never shown back (hooks.ConfigField)
        secret = {f.name for f in getattr(cls, "config_fields", ())
                  if getattr(f, "secret", False)}
        body["meta"] = {k: ("" if k in secret else v) for k, v in values.items()}
    return body


def _gateways(call: MethodCall, *, kind: str | None = None, currency: str | None = None
              ) -> list[dict[str, Any]]:
    found = [gateway_object(call, row) for row in _gateway_rows(call)]
    if kind:
        found = [g for g in found if g["type"] in (kind, "hybrid")]
    if currency:
        code = currency.upper()
        found = [g for g in found if any(c["currency"] == code for c in g["currencies"])]
    return found


@method("gateway_manager", "getAll", status="partial",
        notes="order, client_id and client_group_id are not honoured")
def gateways_get_all(call: MethodCall) -> Any:
    """Installed (configured and enabled) gateways, by type and currency."""
    return _gateways(call, kind=optional_text(call.arg("type"), "type"),
                     currency=optional_text(call.arg("currency"), "currency"))


@method("gateway_manager", "getInstalled")
def gateways_get_installed(call: MethodCall) -> Any:
    """Every installed gateway."""
    return _gateways(call)


@method("gateway_manager", "getAllInstalledNonmerchant")
def gateways_all_nonmerchant(call: MethodCall) -> Any:
    """Installed non-merchant (off-site) gateways, optionally for one currency."""
    return _gateways(call, kind="nonmerchant",
                     currency=optional_text(call.arg("currency"), "currency"))


@method("gateway_manager", "getInstalledNonmerchant")
def gateways_nonmerchant(call: MethodCall) -> Any:
    """Installed non-merchant gateways, by name, id and currency."""
    found = _gateways(call, kind="nonmerchant",
                      currency=optional_text(call.arg("currency"), "currency"))
    name = optional_text(call.arg("gateway_name"), "gateway_name")
    gateway_id = optional_integer(call.arg("gateway_id"), "gateway_id")
    if name:
        found = [g for g in found if name.lower() in (g["class"], str(g["name"]).lower())]
    if gateway_id:
        found = [g for g in found if g["id"] == gateway_id]
    return found


@method("gateway_manager", "getInstalledMerchant")
def gateways_merchant(call: MethodCall) -> Any:
    """The merchant gateway for a currency (the first installed one), or false."""
    found = _gateways(call, kind="merchant",
                      currency=optional_text(call.arg("currency"), "currency"))
    gateway_id = optional_integer(call.arg("gateway_id"), "gateway_id")
    if gateway_id:
        found = [g for g in found if g["id"] == gateway_id]
    return found[0] if found else False


@method("gateway_manager", "get")
def gateways_get(call: MethodCall) -> Any:
    """One installed gateway with its settings (``meta``), or false."""
    row = call.session.get(ModuleSetting, integer(call.arg("gateway_id"), "gateway_id"))
    if row is None or row.kind != "gateway":
        return False
    return gateway_object(call, row, meta=True)


@method("gateway_manager", "getByClass")
def gateways_get_by_class(call: MethodCall) -> Any:
    """The installed gateways of a class."""
    name = (optional_text(call.arg("class"), "class") or "").lower()
    return [g for g in _gateways(call) if g["class"].lower() == name]


@method("gateway_manager", "isInstalled")
def gateways_is_installed(call: MethodCall) -> Any:
    """Whether a gateway class of ``type`` is installed."""
    name = (optional_text(call.arg("class"), "class") or "").lower()
    kind = optional_text(call.arg("type"), "type")
    return any(g["class"].lower() == name for g in _gateways(call, kind=kind))


@method("gateway_manager", "getCurrencies")
def gateways_get_currencies(call: MethodCall) -> Any:
    """``{gateway_id, currency}`` for each currency a gateway accepts."""
    row = call.session.get(ModuleSetting, integer(call.arg("gateway_id"), "gateway_id"))
    if row is None or row.kind != "gateway":
        return []
    return gateway_object(call, row)["currencies"]


@method("gateway_manager", "getAvailable")
def gateways_get_available(call: MethodCall) -> Any:
    """Gateway modules plugins provide, installed or not."""
    kind = optional_text(call.arg("type"), "type")
    found = []
    for name, cls in sorted(plugin_host(call.session).modules["gateway"].items()):
        entry = {"class": name, "name": getattr(cls, "label", "") or name,
                 "version": str(getattr(cls, "version", "") or ""),
                 "type": GATEWAY_TYPES.get(getattr(cls, "kind", "merchant"), "merchant"),
                 "currencies": list(getattr(cls, "currencies", ()) or ())}
        if not kind or entry["type"] in (kind, "hybrid"):
            found.append(entry)
    return found


# -- plugins ---------------------------------------------------------------------------------

def plugin_object(call: MethodCall, record: PluginRecord, *,
                  detailed: bool = False) -> dict[str, Any]:
    """A ``plugins`` row from the host's record (``events`` etc. when ``detailed``)."""
    plugin_id = stable_id("plugin", record.name)
    body: dict[str, Any] = {"id": plugin_id, "dir": record.name, "company_id": call.company_id,
                            "name": record.name, "version": record.version,
                            "enabled": 1 if record.status == "active" else 0}
    if detailed:
        body.update(events=_events(plugin_id, record), actions=[], cards=[],
                    source=record.source, status=record.status, modules=list(record.modules))
    return body


def _events(plugin_id: int, record: PluginRecord) -> list[dict[str, Any]]:
    return [{"plugin_id": plugin_id, "event": e, "callback": e,
             "enabled": 1 if record.status == "active" else 0} for e in record.events]


def _records(call: MethodCall) -> list[PluginRecord]:
    return plugin_host(call.session).plugins()


def _record(call: MethodCall, plugin_id: Any) -> PluginRecord | None:
    text = str(plugin_id).strip()
    return next((r for r in _records(call)
                 if str(stable_id("plugin", r.name)) == text or r.name == text), None)


@method("plugin_manager", "getAll", status="partial", notes="ordered by name only")
def plugins_get_all(call: MethodCall) -> Any:
    """Every plugin the host knows (blocked and failed ones disabled)."""
    return [plugin_object(call, r) for r in _records(call)]


@method("plugin_manager", "getInstalled")
def plugins_get_installed(call: MethodCall) -> Any:
    """Every plugin the host knows."""
    return [plugin_object(call, r) for r in _records(call)]


@method("plugin_manager", "getAvailable", notes="every loaded plugin is installed")
def plugins_get_available(call: MethodCall) -> Any:
    """Plugins that can be used (the same as the installed ones here)."""
    return [plugin_object(call, r) for r in _records(call)]


@method("plugin_manager", "get")
def plugins_get(call: MethodCall) -> Any:
    """One plugin (by id or dir), or false."""
    record = _record(call, call.arg("plugin_id"))
    if record is None:
        return False
    return plugin_object(call, record, detailed=as_bool(call.arg("detailed"), False))


@method("plugin_manager", "getByDir")
def plugins_get_by_dir(call: MethodCall) -> Any:
    """The plugins installed from a directory (by name here)."""
    name = str(call.arg("plugin_dir", ""))
    return [plugin_object(call, r) for r in _records(call) if r.name == name]


@method("plugin_manager", "isInstalled")
def plugins_is_installed(call: MethodCall) -> Any:
    """Whether a plugin is loaded and active."""
    name = str(call.arg("dir", ""))
    return any(r.name == name and r.status == "active" for r in _records(call))


@method("plugin_manager", "getAllEvents")
def plugins_get_all_events(call: MethodCall) -> Any:
    """The event hooks a plugin implements."""
    record = _record(call, call.arg("plugin_id"))
    return _events(stable_id("plugin", record.name), record) if record else []


@method("plugin_manager", "getEvents", status="partial",
        notes="events are hostbridge hook names, not Blesta event names")
def plugins_get_events(call: MethodCall) -> Any:
    """Every plugin's registration for one event (hook) name."""
    event = str(call.arg("event", ""))
    return [e for r in _records(call) for e in _events(stable_id("plugin", r.name), r)
            if e["event"] == event]


__all__ = ["gateway_object", "plugin_object"]
