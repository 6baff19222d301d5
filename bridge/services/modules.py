"""Module settings and servers: what binds a module class to credentials in the database.

Gateway and registrar settings are validated against the fields the module declares and the
``secret`` ones are stored encrypted; server rows keep panel credentials encrypted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.errors import NotFound, ValidationFailed
from bridge.models import ModuleSetting, Server, ServerGroup
from hooks import ActionResult, validate_config

from .common import check_reference, get_or_404, log_activity, secret_box
from .module_context import plugin_host, server_info

SETTING_KINDS = ("gateway", "registrar")


def save_module_settings(
    session: Session,
    kind: str,
    module: str,
    values: Mapping[str, Any],
    *,
    enabled: bool = True,
    display_name: str = "",
) -> ModuleSetting:
    """Validate ``values`` against the module's config fields and store them (secrets encrypted).

    Raises ValidationFailed naming each bad field; ModuleError when no such module is installed.
    """
    if kind not in SETTING_KINDS:
        raise ValidationFailed.single("kind", "one_of", f"kind must be one of {SETTING_KINDS}")
    cls = plugin_host(session).module_class(kind, module)
    clean, errors = validate_config(cls.config_fields, values)
    if errors:
        raise ValidationFailed({name: {"invalid": text} for name, text in errors.items()})
    box = secret_box(session)
    secret = {f.name for f in cls.config_fields if f.secret}
    stored = {k: box.encrypt(v) if k in secret else v for k, v in clean.items()}
    row = session.scalar(select(ModuleSetting).where(ModuleSetting.kind == kind,
                                                     ModuleSetting.module == module))
    if row is None:
        row = ModuleSetting(kind=kind, module=module)
        session.add(row)
    row.values = stored
    row.enabled = enabled
    row.display_name = display_name or cls.label or module
    row.updated_at = utcnow()
    session.flush()
    log_activity(session, f"{kind}.configured", f"{kind} module {module} configured",
                 data={"fields": sorted(clean)})  # never the values
    return row


def module_settings(session: Session, kind: str, module: str) -> dict[str, str]:
    """The saved settings of a module, secrets decrypted; NotFound when never configured."""
    row = session.scalar(select(ModuleSetting).where(ModuleSetting.kind == kind,
                                                     ModuleSetting.module == module))
    if row is None:
        raise NotFound(f"{kind} settings", module, field="module")
    cls = plugin_host(session).module_class(kind, module)
    secret = {f.name for f in cls.config_fields if f.secret}
    box = secret_box(session)
    return {k: box.decrypt(v) if k in secret else str(v) for k, v in row.values.items()}


def enabled_gateways(session: Session) -> list[ModuleSetting]:
    """Gateways configured and enabled, in display order."""
    return list(session.scalars(select(ModuleSetting).where(
        ModuleSetting.kind == "gateway", ModuleSetting.enabled.is_(True))
        .order_by(ModuleSetting.sort_order, ModuleSetting.module)))


def add_server(session: Session, data: Mapping[str, Any]) -> Server:
    """Add a panel server for a module; ``password`` and ``access_hash`` are encrypted.

    Keys: name, module, hostname, ip_address, port, secure, username, password, access_hash,
    group_id, max_accounts, nameservers, assigned_ips, config, active.
    """
    values = dict(data)
    if not values.get("name"):
        raise ValidationFailed.single("name", "required", "a server needs a name")
    check_reference(session, ServerGroup, values.get("group_id"), "group_id", "server group")
    box = secret_box(session)
    password = str(values.pop("password", "") or "")
    access_hash = str(values.pop("access_hash", "") or "")
    try:
        server = Server(**values, password_enc=box.encrypt(password),
                        access_hash_enc=box.encrypt(access_hash))
    except TypeError as exc:
        raise ValidationFailed.single("_schema", "unknown", str(exc)) from exc
    session.add(server)
    session.flush()
    log_activity(session, "server.added", f"Server {server.name} ({server.module}) added",
                 subject=("server", server.id))
    return server


def add_server_group(session: Session, name: str, fill_type: str = "least_used") -> ServerGroup:
    """Add a group of servers products can be placed on."""
    group = ServerGroup(name=name, fill_type=fill_type)
    session.add(group)
    session.flush()
    return group


def check_server_connection(session: Session, server_id: int) -> ActionResult:
    """Ask the server's module whether the panel answers with the stored credentials."""
    server = get_or_404(session, Server, server_id, "Server")
    module = plugin_host(session).server_module(server.module)
    return module.test_connection(server_info(session, server))
