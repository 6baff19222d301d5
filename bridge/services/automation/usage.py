"""Disk and bandwidth usage from the panels (WHMCS "Update Disk & Bandwidth Usage", Blesta
has none built in): each active server whose module reports usage is asked once per run,
and the figures land on its services through ``lifecycle.set_usage``."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.models import Server, Service
from hooks import ServerModule

from ..common import log_activity
from ..lifecycle import set_usage
from ..module_context import plugin_host, server_info
from .common import Checkpoint, Counts, bump, no_checkpoint

log = logging.getLogger(__name__)
_LIVE = ("active", "suspended")


def import_server_usage(session: Session, today: date, *,
                        checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Ask every active server's module for its accounts' usage (``ServerModule.usage``) and
    store the figures on the live services of that server with the same username.

    Modules that do not report usage are skipped; a module that fails (unreachable panel,
    unknown module) is logged in the activity log and counted, and the other servers go on.
    Counts: servers asked, services updated, usernames reported that match no service.
    """
    counts: Counts = {"servers": 0, "updated": 0, "unmatched": 0, "failed": 0}
    host = plugin_host(session)
    servers = session.scalars(select(Server).where(
        Server.active.is_(True), Server.disabled.is_(False), Server.module != "")
        .order_by(Server.id)).all()
    for server in servers:
        try:
            module = host.server_module(server.module)
            if type(module).usage is ServerModule.usage:
                continue  # the module keeps the base class's "no figures"
            reports = module.usage(server_info(session, server))
        except Exception as exc:  # noqa: BLE001 - a module's failure must not stop the job
            log.warning("usage of server %s failed: %s", server.id, exc)
            bump(counts, "failed")
            log_activity(session, "automation.usage_failed",
                         f"Usage import from server {server.name} failed: {exc}",
                         subject=("server", server.id))
            continue
        bump(counts, "servers")
        by_username: dict[str, list[int]] = {}
        for service_id, username in session.execute(select(Service.id, Service.username).where(
                Service.server_id == server.id, Service.status.in_(_LIVE))):
            by_username.setdefault(username.lower(), []).append(service_id)
        for report in reports:
            matches = by_username.get(report.username.lower(), [])
            if not matches:
                bump(counts, "unmatched")
            for service_id in matches:
                set_usage(session, service_id, disk_usage_mb=report.disk_usage_mb,
                          disk_limit_mb=report.disk_limit_mb,
                          bandwidth_usage_mb=report.bandwidth_usage_mb,
                          bandwidth_limit_mb=report.bandwidth_limit_mb)
                bump(counts, "updated")
        checkpoint()
    return counts
