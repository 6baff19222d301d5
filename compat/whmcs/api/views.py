"""``/includes/api.php``: parse, authenticate, dispatch, render."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, request

from bridge.app import bridge_state
from bridge.context import Actor, set_actor
from bridge.errors import BridgeError, ModuleError, NotFound, PermissionDenied, ValidationFailed
from bridge.web.form import request_pairs

from . import actions  # noqa: F401  (registers every action)
from .auth import FailureLimiter, authenticate, keep_auth_writes
from .params import parse_pairs
from .registry import ACTIONS, ApiError, ApiRequest
from .render import render

log = logging.getLogger(__name__)
blueprint = Blueprint("whmcs_api", __name__)
CREDENTIAL_KEYS = ("identifier", "secret", "username", "password", "accesskey", "action",
                   "responsetype")


def _limiter() -> FailureLimiter:
    limiter = current_app.extensions.setdefault("whmcs.failure_limiter", FailureLimiter())
    assert isinstance(limiter, FailureLimiter)
    return limiter


@blueprint.route("/includes/api.php", methods=["GET", "POST"])
def api() -> Response:
    """One WHMCS API call."""
    params = parse_pairs(request_pairs(request))  # body after query: the body wins
    fmt = "xml" if str(params.get("responsetype", "json")).lower() == "xml" else "json"
    name = str(params.get("action") or "")
    spec = ACTIONS.get(name.lower())
    ip = request.remote_addr or ""
    state = bridge_state()
    # Get* actions only read: on SQLite their transaction begins deferred (readers never
    # queue behind the write lock); every other action takes the write lock up front
    write = not name.lower().startswith("get")
    door = Actor(kind="api", source="api:whmcs", ip_address=ip)
    try:
        # one transaction for authentication and the action (the common case)
        with state.transaction(door, write=write) as session:
            caller = authenticate(session, params, name, ip, _limiter())
            if session.new or session.dirty:
                keep_auth_writes(session, write, lambda s: authenticate(
                    s, params, name, ip, _limiter()), door)
            if spec is None:
                raise ApiError("Command Not Found")
            set_actor(session, Actor(kind="admin" if caller.admin_id else "api",
                                     id=caller.admin_id, name=caller.name, source="api:whmcs",
                                     ip_address=ip))
            args = {k: v for k, v in params.items() if k not in CREDENTIAL_KEYS}
            body = spec.handler(ApiRequest(spec.name, args, session, ip=ip,
                                           admin_id=caller.admin_id))
    except ApiError as exc:
        return render(name, {"result": "error", "message": exc.message}, fmt, exc.status)
    except (ValidationFailed, NotFound, PermissionDenied, ModuleError, BridgeError) as exc:
        return render(name, {"result": "error", "message": exc.message}, fmt)
    except Exception:
        log.exception("WHMCS API action %s failed", name)
        return render(name, {"result": "error", "message": "An unexpected error occurred"}, fmt)
    return render(spec.name, {"result": "success", **body}, fmt)


def handler_for(name: str) -> Any:
    """The registered handler of an action (tests)."""
    return ACTIONS[name.lower()].handler
