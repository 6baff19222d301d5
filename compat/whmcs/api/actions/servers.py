"""Servers group: GetServers, GetHealthStatus."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.errors import ModuleError
from bridge.models import Addon, ModuleQueueItem, Product, Server, Service, ServiceAddon
from bridge.services.module_context import plugin_host
from bridge.services.modules import check_server_connection

from ..registry import ApiError, ApiRequest, action
from .item_helpers import number, record

LIVE = ("active", "suspended")


def _module_filter(req: ApiRequest) -> str | None:
    """The module of ``serviceId`` / ``addonId`` (None: no filter)."""
    if number(req, "serviceId"):
        service = record(req, Service, req.text("serviceId"))
        product = req.session.get(Product, service.product_id) if service else None
        if product is None:
            raise ApiError("Service ID not found")
        return product.module
    if number(req, "addonId"):
        owned = record(req, ServiceAddon, req.text("addonId"))
        addon = req.session.get(Addon, owned.addon_id) if owned and owned.addon_id else None
        if owned is None:
            raise ApiError("Addon ID not found")
        return addon.module if addon else ""
    return None


def _reachable(req: ApiRequest, server: Server) -> bool:
    try:
        return check_server_connection(req.session, server.id).ok
    except ModuleError:
        return False


@action("GetServers", status="partial",
        notes="fetchStatus checks the panel connection (http); load and uptime stay null")
def get_servers(req: ApiRequest) -> dict[str, Any]:
    """Enabled servers with their load, optionally those a service's module can use."""
    query = select(Server).where(Server.disabled.is_(False))
    module = _module_filter(req)
    if module is not None:
        query = query.where(Server.module == module)
    servers = list(req.session.scalars(query.order_by(Server.name, Server.id)))
    counts = {server_id: count for server_id, count in req.session.execute(
        select(Service.server_id, func.count()).where(
            Service.status.in_(LIVE), Service.server_id.in_([s.id for s in servers]))
        .group_by(Service.server_id))}
    fetch = req.flag("fetchStatus")
    rows = []
    for server in servers:
        used = int(counts.get(server.id, 0))
        rows.append({
            "id": server.id, "name": server.name, "hostname": server.hostname,
            "ipaddress": server.ip_address, "active": server.active, "activeServices": used,
            "maxAllowedServices": server.max_accounts,
            "percentUsed": used * 100 // server.max_accounts if server.max_accounts else 0,
            "module": server.module,
            "status": {"http": _reachable(req, server) if fetch else None, "load": None,
                       "uptime": None},
        })
    return {"servers": rows, "fetchStatus": fetch}


@action("GetHealthStatus", status="partial",
        notes="reports hostbridge's own checks (plugins, server modules, module queue, "
              "server connections with fetchStatus), not WHMCS's list")
def get_health_status(req: ApiRequest) -> dict[str, Any]:
    """System health checks grouped by severity: success, warning, danger."""
    checks: dict[str, list[dict[str, str]]] = {"success": [], "warning": [], "danger": []}

    def add(level: str, name: str, body: str) -> None:
        checks[level].append({"name": name, "severityLevel": level, "body": body})

    host = plugin_host(req.session)
    failed = [p for p in host.plugins() if p.status.startswith("failed")]
    for plugin in failed:
        add("danger", "Plugin", f"Plugin {plugin.name} did not load: {plugin.status}")
    if not failed:
        add("success", "Plugins", f"{len(host.plugins())} plugins loaded")
    installed = host.modules.get("server", {})
    servers = list(req.session.scalars(select(Server).where(Server.disabled.is_(False))))
    for server in servers:
        if server.module and server.module not in installed:
            add("danger", "Server module",
                f"Server {server.name} uses module {server.module}, which is not installed")
        elif req.flag("fetchStatus") and server.module:
            level = "success" if _reachable(req, server) else "danger"
            add(level, "Server connection", f"Server {server.name}: "
                f"{'connected' if level == 'success' else 'connection failed'}")
    waiting = req.session.scalar(select(func.count()).select_from(ModuleQueueItem).where(
        ModuleQueueItem.completed_at.is_(None))) or 0
    if waiting:
        add("warning", "Module queue", f"{waiting} failed module actions wait for a retry")
    else:
        add("success", "Module queue", "No failed module actions are waiting")
    return {"checks": checks}
