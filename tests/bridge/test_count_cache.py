"""The per-worker row count cache of GetClients / GetInvoices: a repeated list call is
answered without its count(*); any write to the table through hostbridge, in this app or in
another one on the same database (another worker), shows in the very next count; it can be
switched off; SQL behind hostbridge's back is not seen (the documented limit)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bridge import create_app
from bridge.context import Actor
from bridge.services.access import add_api_credential
from bridge.testing import ensure_currency, make_client
from tests.bridge.whmcs_calls import whmcs_call

ID, SECRET = "count-id", "count-secret-0123456789"


@pytest.fixture
def web(app: Any) -> Any:
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        ensure_currency(session)
        add_api_credential(session, ID, SECRET)
        for _ in range(3):
            make_client(session)
    return app.test_client()


def call(web: Any, action: str, **params: str) -> tuple[dict[str, Any], list[str]]:
    """The JSON answer and the count(*) statements the call ran."""
    return whmcs_call(web, ID, SECRET, action,
                      lambda statement: "count(*)" in statement.lower(), **params)


def test_repeated_list_calls_skip_the_count_until_the_table_changes(web: Any) -> None:
    first, counted = call(web, "GetClients")
    assert first["totalresults"] == 3 and len(counted) == 1
    again, counted = call(web, "GetClients")
    assert again["totalresults"] == 3 and counted == []  # answered from the cache
    # a search is another count of its own
    _, counted = call(web, "GetClients", search="zzz")
    assert len(counted) == 1

    added, _ = call(web, "AddClient", firstname="New", lastname="Client",
                    email="new.client@example.test", address1="1 Road", city="Town",
                    state="State", postcode="12345", country="US", phonenumber="5550100",
                    password2="a-Password-123")
    assert added["clientid"]
    after, counted = call(web, "GetClients")
    assert after["totalresults"] == 4 and len(counted) == 1
    # invoices have a counter of their own: a client change does not drop invoice counts
    _, counted = call(web, "GetInvoices")
    assert len(counted) == 1
    _, counted = call(web, "GetInvoices")
    assert counted == []


def test_a_write_by_another_app_on_the_same_database_shows_at_once(
        web: Any, app_config: dict[str, Any]) -> None:
    assert call(web, "GetClients")[0]["totalresults"] == 3
    assert call(web, "GetClients")[1] == []  # cached
    other = create_app(app_config)  # another worker: its own engine, the same counter files
    with other.extensions["bridge"].transaction(Actor(source="test")) as session:
        make_client(session)
    body, counted = call(web, "GetClients")
    assert body["totalresults"] == 4 and len(counted) == 1
    other.extensions["bridge"].db.engine.dispose()


def test_sql_behind_hostbridges_back_is_not_seen_and_the_switch_turns_it_off(
        web: Any, app_config: dict[str, Any]) -> None:
    assert call(web, "GetClients")[0]["totalresults"] == 3
    path = app_config["database_url"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:  # a database console: no counter is bumped
        raw.execute("DELETE FROM clients WHERE id = 1")
    assert call(web, "GetClients", status="Active")[0]["totalresults"] == 2  # fresh count
    assert call(web, "GetClients")[0]["totalresults"] == 3  # the cached one is stale

    off = create_app({**app_config, "api": {"count_cache": False}})
    assert off.extensions["bridge"].count_cache is None
    web_off = off.test_client()
    for _ in range(2):
        body, counted = call(web_off, "GetClients")
        assert body["totalresults"] == 2 and len(counted) == 1
    off.extensions["bridge"].db.engine.dispose()
