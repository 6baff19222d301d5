"""Fixtures for the Blesta API door: an app with an API key, and a `call` helper."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bridge.context import Actor
from bridge.services.access import add_api_credential
from bridge.testing import ensure_currency

USER = "blesta-test-user"
KEY = "blesta-test-key-0123456789"


@pytest.fixture
def blesta_app(app):
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        ensure_currency(session)
        add_api_credential(session, USER, KEY)
    return app


@pytest.fixture
def call(blesta_app):
    """``call(verb, "clients/get", fmt="json", auth="header"|"basic"|None, **params)``."""
    web = blesta_app.test_client()

    def do(verb: str, path: str, *, fmt: str = "json", auth: str | None = "header",
           user: str = USER, key: str = KEY, json_body: bool = False,
           params: dict[str, Any] | None = None, **more: Any):
        params = {**(params or {}), **more}  # params= carries names like "key" or "user"
        headers = {}
        if auth == "header":
            headers = {"BLESTA-API-USER": user, "BLESTA-API-KEY": key}
        elif auth == "basic":
            token = base64.b64encode(f"{user}:{key}".encode()).decode()
            headers = {"Authorization": f"Basic {token}"}
        url = f"/api/{path}.{fmt}"
        kwargs: dict[str, Any] = {"headers": headers}
        if verb in ("GET",):
            kwargs["query_string"] = params
        elif json_body:
            kwargs["json"] = params
        else:
            kwargs["data"] = params
        response = web.open(url, method=verb, **kwargs)
        if fmt == "json":
            return response.status_code, response.get_json()
        return response.status_code, response.get_data(as_text=True)

    return do
