"""Fixtures for the WHMCS API door: an app with a credential, and a `call` helper."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.context import Actor
from bridge.services.access import add_admin, add_api_credential, add_api_role
from bridge.testing import ensure_currency

IDENTIFIER = "whmcs-test-id"
SECRET = "whmcs-test-secret-0123"


@pytest.fixture
def api_app(app):
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        ensure_currency(session)
        admin = add_admin(session, "apiadmin", "admin-password-1", email="admin@example.com")
        add_api_credential(session, IDENTIFIER, SECRET, admin_id=admin.id)
        add_api_role(session, "readonly", ["GetClients", "GetClientsDetails"])
        add_api_credential(session, "limited-id", "limited-secret-0123", roles=["readonly"])
        add_api_credential(session, "remote-id", "remote-secret-01234", allowed_ips=["10.9.8.7"])
    return app


@pytest.fixture
def call(api_app):
    """``call(action, **params)`` -> (HTTP status, parsed JSON body)."""
    web = api_app.test_client()

    def do(action: str, *, auth: dict[str, str] | None = None, fmt: str = "json",
           ip: str = "127.0.0.1", **params: Any):
        form = {"action": action, "responsetype": fmt,
                **(auth if auth is not None else {"identifier": IDENTIFIER, "secret": SECRET})}
        form.update({k: str(v) for k, v in params.items()})
        response = web.post("/includes/api.php", data=form, environ_base={"REMOTE_ADDR": ip})
        if fmt == "xml":
            return response.status_code, response.get_data(as_text=True)
        return response.status_code, response.get_json()

    return do
