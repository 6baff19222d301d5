"""ModuleManager (``module_manager``), read from the plugin host; gateways and plugins are in
:mod:`.gateway_plugin_managers`.

hostbridge has no ``modules`` or ``plugins`` tables: a module is installed when a plugin
registers its class. Their Blesta ids are therefore derived from the name (a CRC-32, stable
across restarts and installs), so a caller may store them. Module rows are the core
``servers`` of that module, module groups the server groups holding them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from bridge.models import Server, ServerGroup
from bridge.plugins import PluginHost
from bridge.services.common import secret_box
from bridge.services.module_context import plugin_host
from compat.whmcs.api.params import as_bool

from ..args import id_or_none, integer, optional_integer
from ..registry import MethodCall, method

MODULE_TYPES = {"server": "generic", "registrar": "registrar"}


def stable_id(kind: str, name: str) -> int:
    """A positive int standing for ``kind:name`` (Blesta wants integer ids)."""
    return zlib.crc32(f"{kind}:{name}".encode()) & 0x7FFFFFFF


def module_names(session: Any, kinds: Iterable[str] = ("server", "registrar")) -> dict[int, str]:
    """Installed module id -> name, for the kinds asked."""
    host = plugin_host(session)
    return {stable_id("module", name): name for kind in kinds
            for name in host.modules.get(kind, {})}


def module_id_of(name: str) -> int | None:
    """The Blesta ``module_id`` of a core module name ("" -> None)."""
    return stable_id("module", name) if name else None


def _module_kind(host: PluginHost, name: str) -> str:
    return "server" if name in host.modules.get("server", {}) else "registrar"


def _find_module(call: MethodCall, module_id: Any) -> str | None:
    """A module named by id, or by its class name (hostbridge extension)."""
    names = module_names(call.session)
    text = str(module_id).strip()
    number = id_or_none(text)
    if number is not None and number in names:
        return names[number]
    return text if text in names.values() else None


# -- module rows (servers) -------------------------------------------------------------------

def row_object(call: MethodCall, server: Server) -> dict[str, Any]:
    """A module row: the server's settings as Blesta module row meta (secrets decrypted)."""
    box = secret_box(call.session)
    meta = {
        "server_name": server.name, "host_name": server.hostname,
        "ip_address": server.ip_address, "user_name": server.username,
        "password": box.decrypt(server.password_enc) if server.password_enc else "",
        "key": box.decrypt(server.access_hash_enc) if server.access_hash_enc else "",
        "use_ssl": "true" if server.secure else "false",
        "port": str(server.port) if server.port else "",
        "account_limit": str(server.max_accounts or ""),
        "name_servers": list(server.nameservers or []),
        **{str(k): v for k, v in (server.config or {}).items()},
    }
    return {"id": server.id, "module_id": module_id_of(server.module), "meta": meta}


def _servers(call: MethodCall, name: str, group_id: int | None = None) -> list[Server]:
    query = select(Server).where(Server.module == name).order_by(Server.id)
    if group_id is not None:
        query = query.where(Server.group_id == group_id)
    return list(call.session.scalars(query))


def _group_object(call: MethodCall, group: ServerGroup, name: str,
                  servers: list[Server]) -> dict[str, Any]:
    return {"id": group.id, "module_id": module_id_of(name), "name": group.name,
            "add_order": group.fill_type, "force_limits": 0,
            "rows": [row_object(call, s) for s in servers if s.group_id == group.id]}


def _groups(call: MethodCall, name: str, servers: list[Server]) -> list[dict[str, Any]]:
    ids = {s.group_id for s in servers if s.group_id is not None}
    if not ids:
        return []
    groups = call.session.scalars(select(ServerGroup).where(ServerGroup.id.in_(ids))
                                  .order_by(ServerGroup.id))
    return [_group_object(call, g, name, servers) for g in groups]


def module_object(call: MethodCall, name: str, *, rows: bool = False,
                  groups: bool = False) -> dict[str, Any]:
    """A ``modules`` row (plus ``rows``/``groups`` when asked)."""
    host = plugin_host(call.session)
    kind = _module_kind(host, name)
    cls = host.modules[kind][name]
    body: dict[str, Any] = {"id": stable_id("module", name), "company_id": call.company_id,
                            "name": getattr(cls, "label", "") or name, "class": name,
                            "version": str(getattr(cls, "version", "") or ""),
                            "type": MODULE_TYPES[kind]}
    if rows or groups:
        servers = _servers(call, name)
        if rows:
            body["rows"] = [row_object(call, s) for s in servers]
        if groups:
            body["groups"] = _groups(call, name, servers)
    return body


def _modules(call: MethodCall, filters: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = filters.get("type")
    names = sorted(module_names(call.session).values())
    found = [module_object(call, n) for n in names]
    return [m for m in found if not wanted or m["type"] == wanted]


@method("module_manager", "getAll", status="partial",
        notes="sort_by name or class only; modules are those plugins register")
def modules_get_all(call: MethodCall) -> Any:
    """Installed server and registrar modules."""
    found = _modules(call, call.vars("filters"))
    key = "class" if call.arg("sort_by") == "class" else "name"
    return sorted(found, key=lambda m: str(m[key]).lower(),
                  reverse=str(call.arg("order", "asc")).lower() == "desc")


@method("module_manager", "getInstalled")
def modules_get_installed(call: MethodCall) -> Any:
    """Installed modules (``filters[type]`` generic or registrar)."""
    return _modules(call, call.vars("filters"))


@method("module_manager", "getAvailable", notes="every registered module is installed")
def modules_get_available(call: MethodCall) -> Any:
    """Modules that can be used (the same as the installed ones here)."""
    return _modules(call, {"type": call.arg("type")})


@method("module_manager", "get")
def modules_get(call: MethodCall) -> Any:
    """One module with its rows (servers) and groups, or false."""
    name = _find_module(call, call.arg("module_id"))
    if name is None:
        return False
    return module_object(call, name, rows=as_bool(call.arg("rows"), True),
                         groups=as_bool(call.arg("groups"), True))


@method("module_manager", "getByClass")
def modules_get_by_class(call: MethodCall) -> Any:
    """The installed modules of a class (a list of zero or one)."""
    name = str(call.arg("class", "")).lower()
    return [module_object(call, n) for n in sorted(module_names(call.session).values())
            if n.lower() == name]


@method("module_manager", "isInstalled")
def modules_is_installed(call: MethodCall) -> Any:
    """Whether a module class is installed."""
    name = str(call.arg("class", "")).lower()
    return any(n.lower() == name for n in module_names(call.session).values())


@method("module_manager", "getRows")
def modules_get_rows(call: MethodCall) -> Any:
    """The module's rows (servers), optionally of one group."""
    name = _find_module(call, call.arg("module_id"))
    if name is None:
        return []
    group = optional_integer(call.arg("module_group_id"), "module_group_id")
    return [row_object(call, s) for s in _servers(call, name, group or None)]


@method("module_manager", "getRow")
def modules_get_row(call: MethodCall) -> Any:
    """One module row (server), or false."""
    server = call.session.get(Server, integer(call.arg("module_row_id"), "module_row_id"))
    return row_object(call, server) if server is not None and server.module else False


@method("module_manager", "getRowMeta")
def modules_get_row_meta(call: MethodCall) -> Any:
    """A row's meta as ``{module_row_id, key, value, serialized, encrypted}`` rows (one row,
    or false, when ``key`` is given)."""
    server = call.session.get(Server, integer(call.arg("module_row_id"), "module_row_id"))
    if server is None:
        return False
    secret = ("password", "key")
    rows = [{"module_row_id": server.id, "key": k, "value": v,
             "serialized": int(isinstance(v, list)), "encrypted": int(k in secret)}
            for k, v in row_object(call, server)["meta"].items()]
    key = call.arg("key")
    if key:
        return next((r for r in rows if r["key"] == key), False)
    return rows


@method("module_manager", "getGroups")
def modules_get_groups(call: MethodCall) -> Any:
    """The module's groups (server groups holding its servers) with their rows."""
    name = _find_module(call, call.arg("module_id"))
    return _groups(call, name, _servers(call, name)) if name else []


@method("module_manager", "getGroup")
def modules_get_group(call: MethodCall) -> Any:
    """One module group with its rows, or false."""
    group_id = integer(call.arg("module_group_id"), "module_group_id")
    group = call.session.get(ServerGroup, group_id)
    if group is None:
        return False
    servers = list(call.session.scalars(select(Server).where(Server.group_id == group.id)
                                        .order_by(Server.id)))
    name = next((s.module for s in servers if s.module), "")
    return _group_object(call, group, name, servers)


__all__ = ["module_id_of", "module_names", "module_object", "row_object", "stable_id"]
