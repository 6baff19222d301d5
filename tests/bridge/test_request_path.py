"""The faster request path keeps its behaviour: the IP ban read in the credential's statement
still refuses at once, authentication's writes survive a failing action, the GetClients
search finds "first last" only when it can, and the statement counts stay as low as built."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bridge.context import Actor
from bridge.db import utcnow
from bridge.models import ActivityLog
from bridge.services.access import add_admin, add_api_credential
from bridge.services.blocklists import ban_ip
from bridge.testing import ensure_currency, make_client

IDENT, SECRET = "path-ident", "path-secret-0123456789"


@pytest.fixture
def path_app(app: Any) -> Any:
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        ensure_currency(session)
        admin = add_admin(session, "pathadmin", "admin-password-1")
        add_api_credential(session, IDENT, SECRET, admin_id=admin.id)
        make_client(session, first_name="Grace", last_name="Hopper", email="gh@example.org")
        make_client(session, first_name="Alan", last_name="Turing", email="at@example.org")
    return app


def _whmcs(web: Any, ip: str = "127.0.0.1", **params: Any) -> tuple[int, Any]:
    form = {"identifier": IDENT, "secret": SECRET, "responsetype": "json", **params}
    response = web.post("/includes/api.php", data=form, environ_base={"REMOTE_ADDR": ip})
    return response.status_code, response.get_json()


def _ban(app: Any, ip: str, *, expires: Any = None) -> None:
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        ban_ip(session, ip, "test", expires_at=expires)


def test_a_ban_refuses_the_next_call_with_a_good_or_unknown_credential(path_app: Any) -> None:
    web = path_app.test_client()
    assert _whmcs(web, action="GetClients")[1]["result"] == "success"
    _ban(path_app, "127.0.0.1")
    assert _whmcs(web, action="GetClients") == (
        403, {"result": "error", "message": "Invalid IP 127.0.0.1"})
    assert _whmcs(web, action="AddClient", identifier="nobody")[1]["message"] == (
        "Invalid IP 127.0.0.1")  # no credential row: the ban is read on its own
    assert _whmcs(web, "::1", action="GetClients")[1]["result"] == "success"  # only that IP


def test_an_expired_ban_no_longer_refuses(path_app: Any) -> None:
    web = path_app.test_client()
    _ban(path_app, "127.0.0.1", expires=utcnow() + timedelta(seconds=1))
    assert _whmcs(web, action="GetClients")[0] == 403
    with path_app.extensions["bridge"].transaction(Actor(source="test")) as session:
        from bridge.models.blocklists import BannedIp
        session.execute(BannedIp.__table__.update().values(
            expires_at=utcnow() - timedelta(seconds=1)))
    assert _whmcs(web, action="GetClients")[1]["result"] == "success"


def _used_entries(app: Any) -> int:
    with app.extensions["bridge"].db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ActivityLog).where(
            ActivityLog.action == "api_credential.used")) or 0)


def test_auth_writes_survive_a_failing_action(path_app: Any) -> None:
    """A read (deferred transaction) and a write from a new IP: the use is logged."""
    web = path_app.test_client()
    for ip, action in (("::1", "GetInvoice"), ("127.0.0.1", "UpdateInvoice")):
        before = _used_entries(path_app)
        body = _whmcs(web, ip, action=action, invoiceid="999999")[1]
        assert body["result"] == "error" and "Invoice" in body["message"]
        assert _used_entries(path_app) == before + 1


@pytest.mark.parametrize(("search", "found"), [
    ("Gra", ["Grace"]), ("grace h", ["Grace"]), ("Grace Hopper", ["Grace"]),
    ("Grace_Hop", ["Grace"]), ("%Turing", ["Alan"]), ("Hopper", ["Grace"]),
    ("gh@", ["Grace"]), ("Grace T", []),
])
def test_get_clients_search_keeps_whmcs_semantics(path_app: Any, search: str,
                                                  found: list[str]) -> None:
    body = _whmcs(path_app.test_client(), action="GetClients", search=search)[1]
    names = [row["firstname"] for row in body["clients"]["client"]] if body["numreturned"] \
        else []
    assert (names, body["totalresults"]) == (found, len(found))


def _statements(app: Any, **params: Any) -> list[str]:
    seen: list[str] = []
    engine = app.extensions["bridge"].db.engine
    app.extensions["bridge"].credential_cache.clear()  # count the credential statement too
    app.extensions["bridge"].count_cache.clear()  # and the row count

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _whmcs(app.test_client(), **params)[1]["result"] == "success"
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_list_reads_run_three_statements_without_a_full_name_term(path_app: Any) -> None:
    _statements(path_app, action="GetClients")  # the first use is logged; steady state next
    found = _statements(path_app, action="GetClients", search="Grace")
    assert len(found) == 3  # credential with roles and ban, count, page
    assert "banned_ips" in found[0] and "api_credentials" in found[0]
    assert "count(*)" in found[1] and "||" not in " ".join(found)
    assert "||" in " ".join(_statements(path_app, action="GetClients", search="Grace H"))
    invoices = _statements(path_app, action="GetInvoices", status="Unpaid")
    assert len(invoices) == 3 and "count(*) AS count_1 \nFROM invoices \nWHERE" in invoices[1]


def test_search_prefix_terms_use_indexes_on_migrated_sqlite(tmp_path: Any) -> None:
    """SQLite's case-insensitive LIKE needs NOCASE indexes (0004 builds them on SQLite)."""
    from bridge.db import make_engine
    from bridge.migrations import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'nocase.db'}")
    try:
        upgrade(engine)
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM clients WHERE email LIKE ? OR "
                "first_name LIKE ? OR last_name LIKE ? OR company_name LIKE ?",
                ("Gr%",) * 4))
    finally:
        engine.dispose()
    assert "MULTI-INDEX OR" in plan and "SCAN clients" not in plan
    for index in ("ix_clients_email", "ix_clients_first_name", "ix_clients_last_name",
                  "ix_clients_company_name"):
        assert index in plan
