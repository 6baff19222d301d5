"""Client settings (``clients/getSettings`` ...): the Blesta keys the core keeps as client
columns. Other keys have nowhere to live and are refused with a 400 naming the known ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.models import Client
from bridge.services.clients import update_client

from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import flag, listed, require_client, text

Reader = Callable[[Client], str]
Writer = Callable[[str], tuple[str, Any]]


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


# Blesta client setting key -> (read from the client, core field and value to write)
SETTINGS: dict[str, tuple[Reader, Writer]] = {
    "default_currency": (lambda c: c.currency, lambda v: ("currency", v.upper())),
    "language": (lambda c: c.language or "en_us", lambda v: ("language", v)),
    "tax_id": (lambda c: c.tax_id, lambda v: ("tax_id", v)),
    "tax_exempt": (lambda c: _bool_text(c.tax_exempt), lambda v: ("tax_exempt", flag(v))),
    "autodebit": (lambda c: _bool_text(not c.disable_auto_charge),
                  lambda v: ("disable_auto_charge", not flag(v))),
    "receive_email_marketing": (lambda c: _bool_text(c.marketing_opt_in),
                                lambda v: ("marketing_opt_in", flag(v))),
}
NOTES = "only " + ", ".join(SETTINGS) + " (client columns in the core); values are never encrypted"


def settings_map(client: Client) -> dict[str, str]:
    """``{key: value}`` of every supported client setting."""
    return PhpArray((key, read(client)) for key, (read, _) in SETTINGS.items())


def _setting(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": value, "encrypted": 0}


def _core_values(pairs: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs.items():
        entry = SETTINGS.get(str(key))
        if entry is None:
            raise invalid(str(key), "supported", f"hostbridge keeps no client setting {key}; "
                          f"supported: {', '.join(SETTINGS)}")
        field, core = entry[1](text(value))
        data[field] = core
    return data


def _write(call: MethodCall, client: Client, pairs: dict[str, Any]) -> None:
    data = _core_values(pairs)
    if data:
        update_client(call.session, client.id, data)


@method("clients", "getSettings", status="partial", notes=NOTES)
def get_settings(call: MethodCall) -> Any:
    """Every supported setting of the client as ``{key, value, encrypted}`` objects."""
    client = require_client(call)
    return [_setting(key, value) for key, value in settings_map(client).items()]


@method("clients", "getSetting", status="partial", notes=NOTES)
def get_setting(call: MethodCall) -> Any:
    """One setting of the client, or false for a key the core does not keep."""
    client = require_client(call)
    key = text(call.arg("key"))
    values = settings_map(client)
    return _setting(key, values[key]) if key in values else False


@method("clients", "setSetting", status="partial", notes=NOTES)
def set_setting(call: MethodCall) -> Any:
    """Set one client setting."""
    client = require_client(call)
    if flag(call.arg("encrypted"), False):
        raise invalid("encrypted", "supported", "client settings are not stored encrypted")
    _write(call, client, {text(call.arg("key")): call.arg("value")})
    return None


@method("clients", "setSettings", status="partial", notes=NOTES)
def set_settings(call: MethodCall) -> Any:
    """Set several client settings (only those named in ``value_keys`` when given)."""
    client = require_client(call)
    pairs = call.vars()
    keys = [text(k) for k in listed(call.args.get("value_keys"))]
    if keys:
        pairs = {k: v for k, v in pairs.items() if k in keys}
    _write(call, client, pairs)
    return None


@method("clients", "setClientSettings", status="partial", notes=NOTES)
def set_client_settings(call: MethodCall) -> Any:
    """Set several client settings, validated."""
    client = require_client(call)
    _write(call, client, call.vars())
    return None


__all__ = ["SETTINGS", "settings_map"]
