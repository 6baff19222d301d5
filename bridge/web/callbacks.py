"""``/gateways/<name>/callback``: where payment gateways send their notifications.

The gateway module verifies the request (signatures, shared secrets); the core applies the
payment once, however often the gateway repeats the notification.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from bridge.app import bridge_state
from bridge.context import Actor
from bridge.errors import BridgeError, ModuleError, NotFound, PermissionDenied
from hooks import CallbackRequest

blueprint = Blueprint("gateway_callbacks", __name__)


@blueprint.route("/gateways/<name>/callback", methods=["GET", "POST"])
def gateway_callback(name: str) -> Any:
    """Hand the raw notification to gateway ``name`` and answer as it asks."""
    from bridge.services.gateway_ops import handle_gateway_callback

    incoming = CallbackRequest(
        method=request.method,
        headers={k: v for k, v in request.headers.items()},
        query=request.args.to_dict(),
        form=request.form.to_dict() if request.mimetype != "application/json" else {},
        body=request.get_data(cache=True),
        remote_addr=request.remote_addr or "",
    )
    actor = Actor(kind="system", name=name, source=f"gateway:{name}",
                  ip_address=incoming.remote_addr)
    try:
        with bridge_state().transaction(actor) as session:
            result = handle_gateway_callback(session, name, incoming)
    except PermissionDenied as exc:
        return Response(exc.message, status=400, mimetype="text/plain")
    except (NotFound, ModuleError) as exc:
        return Response(exc.message, status=404, mimetype="text/plain")
    except BridgeError as exc:  # business refusal: tell the gateway not to retry forever
        return Response(exc.message, status=200, mimetype="text/plain")
    return Response(result.response, status=result.status_code, mimetype="text/plain")
