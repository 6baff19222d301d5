"""Performance work that must stay correct: the 0004 indexes exist after migrating (SQLite
and MariaDB), a credential that has been used is refused on the very next call once it is
disabled or re-keyed (both doors), and the usage stamp is not rewritten on every call."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, update

from bridge.context import Actor
from bridge.db import make_engine
from bridge.migrations import upgrade
from bridge.models import ApiCredential
from bridge.security import hash_api_secret
from bridge.services.access import add_admin, add_api_credential
from bridge.testing import ensure_currency

INDEXES = {
    "clients": {"ix_clients_status", "ix_clients_first_name", "ix_clients_last_name",
                "ix_clients_company_name", "ix_clients_group_id", "ix_clients_created_at"},
    "invoices": {"ix_invoices_client_status", "ix_invoices_status_due", "ix_invoices_date"},
    "transactions": {"ix_transactions_date"},
    "tickets": {"ix_tickets_assigned_admin_id", "ix_tickets_last_reply_at"},
    "orders": {"ix_orders_status", "ix_orders_created_at"},
    "services": {"ix_services_domain", "ix_services_server_id"},
}
IDENT, SECRET = "perf-ident", "perf-secret-0123456789"


def _missing_indexes(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        found = inspect(engine)
        return {table: wanted - {ix["name"] for ix in found.get_indexes(table)}
                for table, wanted in INDEXES.items()
                if wanted - {ix["name"] for ix in found.get_indexes(table)}}
    finally:
        engine.dispose()


def test_filter_indexes_exist_after_migrating_sqlite(tmp_path: Any) -> None:
    assert _missing_indexes(f"sqlite:///{tmp_path / 'idx.db'}") == {}


@pytest.mark.mysql
def test_filter_indexes_exist_after_migrating_mariadb(mysql_url: str) -> None:
    import os

    from sqlalchemy import create_engine, text

    admin = os.environ.get("BRIDGE_TEST_MYSQL_ADMIN_URL", "")
    if not admin:
        pytest.skip("BRIDGE_TEST_MYSQL_ADMIN_URL is not set (CI sets it; see .ci/run)")
    engine = create_engine(admin)
    with engine.begin() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS tbench_indexes"))
        conn.execute(text("CREATE DATABASE tbench_indexes CHARACTER SET utf8mb4"))
    try:
        url = admin.rstrip("/") + "/tbench_indexes?charset=utf8mb4"
        assert _missing_indexes(url) == {}
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS tbench_indexes"))
        engine.dispose()


@pytest.fixture
def perf_app(app: Any) -> Any:
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        ensure_currency(session)
        admin = add_admin(session, "perfadmin", "admin-password-1")
        add_api_credential(session, IDENT, SECRET, admin_id=admin.id)
    return app


def _whmcs(web: Any, secret: str = SECRET) -> tuple[int, Any]:
    response = web.post("/includes/api.php", data={
        "action": "GetClients", "identifier": IDENT, "secret": secret, "responsetype": "json"})
    return response.status_code, response.get_json()


def _blesta(web: Any, secret: str = SECRET) -> int:
    response = web.get("/api/clients/getList.json",
                       headers={"BLESTA-API-USER": IDENT, "BLESTA-API-KEY": secret})
    return int(response.status_code)


def _change(app: Any, **values: Any) -> None:
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        session.execute(update(ApiCredential).where(ApiCredential.identifier == IDENT)
                        .values(**values))


def test_disabled_credential_is_refused_on_the_next_call(perf_app: Any) -> None:
    web = perf_app.test_client()
    for _ in range(3):  # used (and anything a worker keeps) before the change
        assert _whmcs(web)[1]["result"] == "success"
        assert _blesta(web) == 200
    _change(perf_app, disabled=True)
    status, body = _whmcs(web)
    assert (status, body["message"]) == (403, "Authentication Failed")
    assert _blesta(web) == 401
    _change(perf_app, disabled=False)
    assert _whmcs(web)[1]["result"] == "success"


def test_rekeyed_credential_refuses_the_old_secret_at_once(perf_app: Any) -> None:
    web = perf_app.test_client()
    assert _whmcs(web)[1]["result"] == "success" and _blesta(web) == 200
    new_secret = "perf-secret-rotated-0123"
    _change(perf_app, secret_hash=hash_api_secret(new_secret))
    assert _whmcs(web)[0] == 403 and _blesta(web) == 401
    assert _whmcs(web, new_secret)[1]["result"] == "success"
    assert _blesta(web, new_secret) == 200


def test_usage_stamp_is_not_rewritten_on_every_call(perf_app: Any) -> None:
    web = perf_app.test_client()

    def stamp() -> Any:
        with perf_app.extensions["bridge"].db.session() as session:
            cred = session.query(ApiCredential).filter_by(identifier=IDENT).one()
            return cred.last_used_at, cred.last_used_ip

    _whmcs(web)
    first = stamp()
    assert first[0] is not None and first[1] == "127.0.0.1"
    _whmcs(web)
    _blesta(web)
    assert stamp() == first  # within USAGE_STAMP_INTERVAL: no write
    web.post("/includes/api.php", environ_base={"REMOTE_ADDR": "::1"}, data={
        "action": "GetClients", "identifier": IDENT, "secret": SECRET})
    assert stamp()[1] == "::1"  # a new IP is recorded at once
