"""Module group: ActivateModule, DeactivateModule, GetModuleConfigurationParameters,
UpdateModuleConfiguration, GetModuleQueue.

Gateway and registrar modules keep operator settings (``module_settings``); server modules are
configured per product and server, so only their parameters can be listed.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from bridge.errors import ModuleError, NotFound, ValidationFailed
from bridge.models import ModuleQueueItem, ModuleSetting
from bridge.services.module_context import plugin_host
from bridge.services.modules import module_settings, save_module_settings

from ..format import ymd_his
from ..registry import ApiError, ApiRequest, action
from .item_helpers import number

SETTINGS_TYPES = ("gateway", "registrar")
KNOWN_TYPES = ("gateway", "registrar", "server", "addon", "fraud", "notification")
FIELD_TYPE = {"text": "text", "password": "password", "number": "text", "bool": "yesno",
              "select": "dropdown", "textarea": "textarea"}
# core queue action -> WHMCS module function name
QUEUE_ACTION = {"create": "CreateAccount", "suspend": "SuspendAccount",
                "unsuspend": "UnsuspendAccount", "terminate": "TerminateAccount",
                "change_package": "ChangePackage", "change_password": "ChangePassword",
                "renew": "Renew", "register": "RegisterDomain", "transfer": "TransferDomain"}
QUEUE_ACTION_IN = {word.lower(): core for core, word in QUEUE_ACTION.items()}
QUEUE_TYPE = {"service": "service", "service_addon": "addon", "domain": "domain"}
QUEUE_TYPE_IN = {word: core for core, word in QUEUE_TYPE.items()}


def _module_type(req: ApiRequest, allowed: tuple[str, ...], unsupported: str) -> str:
    kind = req.text("moduleType").lower()
    if kind not in KNOWN_TYPES:
        raise ApiError("Invalid module type provided. Supported module types include: "
                       + ", ".join(allowed))
    if kind not in allowed:
        raise ApiError(unsupported)
    return kind


def _module_class(req: ApiRequest, kind: str) -> tuple[str, type[Any]]:
    name = req.text("moduleName")
    try:
        return name, plugin_host(req.session).module_class(kind, name)
    except ModuleError:
        raise ApiError("Invalid module name provided.") from None


def _saved(req: ApiRequest, kind: str, name: str) -> tuple[ModuleSetting | None, dict[str, str]]:
    row = req.session.scalar(select(ModuleSetting).where(ModuleSetting.kind == kind,
                                                         ModuleSetting.module == name))
    if row is None:
        return None, {}
    try:
        return row, module_settings(req.session, kind, name)
    except NotFound:
        return None, {}


def _parameters(req: ApiRequest) -> tuple[dict[str, Any], str]:
    raw = req.params.get("parameters")
    values = {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    return values, str(values.pop("FriendlyName", "") or "")


def _store(req: ApiRequest, kind: str, name: str, *, enabled: bool | None,
           failure: str) -> None:
    row, current = _saved(req, kind, name)
    values, friendly = _parameters(req)
    try:
        save_module_settings(req.session, kind, name, {**current, **values},
                             enabled=(row.enabled if row is not None else True)
                             if enabled is None else enabled,
                             display_name=friendly or (row.display_name if row else ""))
    except ValidationFailed as exc:
        raise ApiError(f"{failure}: {exc.message}") from exc


@action("ActivateModule")
def activate_module(req: ApiRequest) -> dict[str, Any]:
    """Enable a gateway or registrar module with ``parameters[...]`` settings."""
    kind = _module_type(req, SETTINGS_TYPES, "Module activation not supported by module type.")
    name, _ = _module_class(req, kind)
    _store(req, kind, name, enabled=True, failure="Failed to activate")
    return {}


@action("DeactivateModule", status="partial",
        notes="newGateway is checked, but invoices and services keep their payment method")
def deactivate_module(req: ApiRequest) -> dict[str, Any]:
    """Disable a gateway or registrar module (its settings are kept)."""
    kind = _module_type(req, SETTINGS_TYPES, "Module deactivation not supported by module type.")
    name, _ = _module_class(req, kind)
    row, _ = _saved(req, kind, name)
    if row is None or not row.enabled:
        raise ApiError(f"Failed to deactivate: {name} is not active")
    replacement = req.text("newGateway")
    if kind == "gateway" and replacement:
        active = req.session.scalar(select(ModuleSetting.id).where(
            ModuleSetting.kind == "gateway", ModuleSetting.module == replacement,
            ModuleSetting.enabled.is_(True)))
        if active is None or replacement == name:
            raise ApiError(f"Failed to deactivate: {replacement} is not another active gateway")
    _store(req, kind, name, enabled=False, failure="Failed to deactivate")
    return {}


@action("UpdateModuleConfiguration")
def update_module_configuration(req: ApiRequest) -> dict[str, Any]:
    """Change the saved settings of a configured gateway or registrar module."""
    kind = _module_type(req, SETTINGS_TYPES, "Module activation not supported by module type.")
    name, _ = _module_class(req, kind)
    if _saved(req, kind, name)[0] is None:
        raise ApiError(f"Module Configuration Update Failed: {name} is not activated")
    _store(req, kind, name, enabled=None, failure="Module Configuration Update Failed")
    return {}


@action("GetModuleConfigurationParameters")
def get_module_configuration_parameters(req: ApiRequest) -> dict[str, Any]:
    """The settings a module declares: name, label and field type."""
    kind = _module_type(req, (*SETTINGS_TYPES, "server"),
                        "Get module configuration parameters not supported by module type.")
    _, cls = _module_class(req, kind)
    parameters = [{"name": "FriendlyName", "displayName": "FriendlyName",
                   "fieldType": "text"}] if kind == "gateway" else []
    parameters += [{"name": f.name, "displayName": f.label,
                    "fieldType": FIELD_TYPE.get(f.type, "text")} for f in cls.config_fields]
    return {"parameters": parameters}


@action("GetModuleQueue")
def get_module_queue(req: ApiRequest) -> dict[str, Any]:
    """Module operations that failed and wait to be retried."""
    query = select(ModuleQueueItem).where(ModuleQueueItem.completed_at.is_(None))
    kind = req.text("serviceType").lower()
    if kind:
        query = query.where(ModuleQueueItem.subject_type == QUEUE_TYPE_IN.get(kind, kind))
    if number(req, "relatedId"):
        query = query.where(ModuleQueueItem.subject_id == number(req, "relatedId"))
    if req.text("moduleName"):
        query = query.where(ModuleQueueItem.module == req.text("moduleName"))
    wanted = req.text("moduleAction")
    if wanted:
        query = query.where(ModuleQueueItem.action == QUEUE_ACTION_IN.get(wanted.lower(),
                                                                           wanted))
    since = req.date_value("since")
    if since is not None:
        query = query.where(ModuleQueueItem.created_at
                            >= datetime.combine(since, time.min, tzinfo=UTC))
    items = list(req.session.scalars(query.order_by(ModuleQueueItem.id)))
    queue = [{
        "id": item.id, "serviceType": QUEUE_TYPE.get(item.subject_type, item.subject_type),
        "serviceId": item.subject_id, "moduleName": item.module,
        "moduleAction": QUEUE_ACTION.get(item.action, item.action),
        "lastAttempt": ymd_his(item.last_attempt_at), "lastAttemptError": item.last_error,
        "numRetries": max(item.attempts - 1, 0), "completed": 0,
        "createdAt": ymd_his(item.created_at),
        "updatedAt": ymd_his(item.last_attempt_at or item.created_at),
    } for item in items]
    return {"count": len(queue), "queue": queue}
