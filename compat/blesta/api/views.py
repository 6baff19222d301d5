"""``/api/<model>/<method>.<format>``: route, authenticate, bind by name, call, render."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, request

from bridge.app import bridge_state
from bridge.context import Actor, set_actor
from bridge.errors import (
    BridgeError,
    Conflict,
    ModuleError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from bridge.services.access import check_api_credential, verify_api_credential
from bridge.web.form import request_pairs
from compat.whmcs.api.auth import keep_auth_writes
from compat.whmcs.api.params import parse_pairs

from . import methods  # noqa: F401  (registers every implemented method)
from .registry import BlestaError, MethodCall, MethodSpec, lookup, register_fallbacks
from .render import render

log = logging.getLogger(__name__)
blueprint = Blueprint("blesta_api", __name__)
register_fallbacks()

MESSAGES = {
    400: "The request cannot be fulfilled due to bad syntax.",
    401: "The authorization details given appear to be invalid.",
    403: "The requested resource is not accessible.",
    404: "The requested resource does not exist.",
    415: "The format requested is not supported by the server.",
    500: "An unexpected error occured.",  # Blesta's own spelling
}
FORMATS = ("json", "xml", "php")


def _error(model: str, fmt: str, status: int, errors: Any = None,
           response: Any = None) -> Response:
    body: dict[str, Any] = {"message": MESSAGES[status]}
    if errors:
        body["errors"] = errors
    body["response"] = response
    return render(model, body, fmt if fmt in FORMATS else "json", status)


@blueprint.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def api(rest: str) -> Response:
    """One Blesta API call."""
    model, _, last = rest.rstrip("/").rpartition("/")
    if not model or not last:
        return _error(model or rest, "json", 404)
    name, dot, fmt = last.partition(".")
    fmt = fmt.lower()
    if not dot or fmt not in FORMATS:
        return _error(model, "json", 415)
    spec = lookup(model, name)
    if spec is None:
        return _error(model, fmt, 404)
    user, key = _credentials()
    ip = request.remote_addr or ""
    state = bridge_state()
    # GET reads only: on SQLite it begins deferred (readers never queue behind the write
    # lock); POST, PUT and DELETE take the write lock up front
    write = request.method != "GET"
    door = Actor(kind="api", source="api:blesta", ip_address=ip)
    try:
        # one transaction for authentication and the method (the common case)
        with state.transaction(door, write=write) as session:
            try:
                # a banned IP is refused like one outside the allow-list (same statement)
                credential = check_api_credential(session, user, key, ip, refuse_banned=True)
            except PermissionDenied as exc:
                if exc.message.startswith("Invalid IP"):
                    return _error(model, fmt, 403, {"ip": {"allowed": exc.message}})
                return _error(model, fmt, 401, {"user": {"valid": (
                    "The API user or key appears to be invalid.")}})
            company_id, cred_name = credential.company_id or 1, credential.identifier
            if session.new or session.dirty:
                keep_auth_writes(session, write, lambda s: verify_api_credential(
                    s, user, key, ip, refuse_banned=True), door)
            args = _bind(spec, _params())
            set_actor(session, Actor(kind="api", name=cred_name, source="api:blesta",
                                     ip_address=ip))
            result = spec.handler(MethodCall(model, spec.name, args, session, company_id))
    except BlestaError as exc:
        status = exc.status if exc.status in MESSAGES else 400
        response = exc.message if status == 500 else None
        return _error(model, fmt, status, exc.errors, response)
    except ValidationFailed as exc:
        return _error(model, fmt, 400, exc.errors)
    except NotFound as exc:
        return _error(model, fmt, 400, {exc.field: {"exists": exc.message}})
    except (Conflict, ModuleError) as exc:
        return _error(model, fmt, 400, {"_": {"conflict": exc.message}})
    except PermissionDenied as exc:
        return _error(model, fmt, 403, {"_": {"permission": exc.message}})
    except BridgeError as exc:
        return _error(model, fmt, 400, {"_": {"error": exc.message}})
    except Exception:
        log.exception("Blesta API %s/%s failed", model, name)
        return _error(model, fmt, 500)
    return render(model, {"response": result}, fmt, 200)


def _credentials() -> tuple[str, str]:
    user = request.headers.get("BLESTA-API-USER", "")
    key = request.headers.get("BLESTA-API-KEY", "")
    if user or key:
        return user, key
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username or "", auth.password or ""
    return "", ""


def _params() -> dict[str, Any]:
    if request.method != "GET" and request.is_json:
        body = request.get_json(silent=True)
        merged = parse_pairs(request_pairs(request, body=False))
        if isinstance(body, dict):
            merged.update(body)
        return merged
    return parse_pairs(request_pairs(request))


_LITERAL = re.compile(r"^-?\d+$")


def _php_default(text: str) -> Any:
    lowered = text.lower()
    if lowered == "null":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _LITERAL.match(text):
        return int(text)
    if text.startswith(("'", '"')):
        return text[1:-1]
    if text.startswith("["):
        inner = text[1:-1].strip()
        if not inner:
            return {}
        pairs = re.findall(r"'([^']*)'\s*=>\s*'([^']*)'", inner)
        return dict(pairs) if pairs else [s.strip(" '\"") for s in inner.split(",")]
    return text


def _bind(spec: MethodSpec, params: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, default in spec.params:
        if params.get(name) is not None:
            args[name] = params[name]
        elif default is not None:
            args[name] = _php_default(default)
        else:  # PHP Reflection cannot find a default for a required parameter
            raise BlestaError(500, None, "Failed to retrieve the default value")
    return args
