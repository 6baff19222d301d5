"""Deep GetClients / GetInvoices pages start where an earlier page ended
(bridge.services.page_seek): every page equals the plain OFFSET page, before and after writes
through this app or another one on the same database, and the switch turns it off."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bridge import create_app
from bridge.context import Actor
from bridge.models import Client, Invoice
from bridge.services.access import add_api_credential
from bridge.services.page_seek import MIN_OFFSET
from bridge.testing import ensure_currency, make_client
from tests.bridge.whmcs_calls import whmcs_call

TODAY = date(2026, 11, 22)
ID, SECRET = "seek-id", "seek-secret-0123456789"
CLIENTS = MIN_OFFSET * 2


def _seed(app: Any) -> None:
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        ensure_currency(session)
        add_api_credential(session, ID, SECRET)
        for k in range(CLIENTS):
            client = make_client(session, status="inactive" if k % 3 == 0 else "active")
            session.add(Invoice(client_id=client.id, number="", status="unpaid"
                                if k % 2 else "paid", currency="USD", date=TODAY,
                                due_date=TODAY))


@pytest.fixture
def web(app: Any) -> Any:
    _seed(app)
    return app.test_client()


def call(web: Any, action: str, **params: Any) -> tuple[dict[str, Any], list[str]]:
    """The answer and the page statements the call ran (those with OFFSET)."""
    return whmcs_call(web, ID, SECRET, action,
                      lambda statement: "OFFSET" in statement.upper(), **params)


def _client_ids(web: Any, status: str | None = None, desc: bool = False) -> list[int]:
    """Every client id in the list's order, read straight from the database."""
    with web.application.extensions["bridge"].transaction() as session:
        query = select(Client.id).order_by(Client.id.desc() if desc else Client.id)
        if status:
            query = query.where(Client.status == status)
        return list(session.scalars(query))


def _page(web: Any, start: int, **params: Any) -> tuple[list[int], bool]:
    """GetClients at ``start`` (15 rows): the ids and whether it sought."""
    body, pages = call(web, "GetClients", limitstart=str(start), limitnum="15", **params)
    assert len(pages) == 1
    sought = ">=" in pages[0] or "<=" in pages[0]
    return [int(c["id"]) for c in body["clients"]["client"]], sought


@pytest.mark.parametrize("params,status,desc", [
    ({}, None, False), ({"status": "Active"}, "active", False),
    ({"sorting": "DESC"}, None, True),
])
def test_deep_pages_equal_offset_pages(web: Any, params: dict[str, str], status: str | None,
                                       desc: bool) -> None:
    ids = _client_ids(web, status, desc)
    first, sought = _page(web, MIN_OFFSET - 10, **params)
    assert first == ids[MIN_OFFSET - 10:MIN_OFFSET + 5] and not sought  # near the top: plain
    deep = MIN_OFFSET + 5
    rows, sought = _page(web, deep, **params)
    assert rows == ids[deep:deep + 15]
    # the same page again, the next pages, one in the middle of a served page, past the end
    for start in (deep, deep + 15, deep + 30, deep + 7, len(ids) - 3, len(ids) + 5):
        rows, sought = _page(web, start, **params)
        assert rows == ids[start:start + 15], start
        if start >= MIN_OFFSET and start <= len(ids):
            assert sought, start  # started from a mark: an earlier page ended at or before


def test_writes_drop_the_marks(web: Any, app_config: dict[str, Any]) -> None:
    start = MIN_OFFSET + 10
    _page(web, start)
    assert _page(web, start)[1]  # marked
    # a client below the page goes away (through this app): the page shifts by one
    with web.application.extensions["bridge"].transaction(Actor(source="test")) as session:
        victim = _client_ids(web)[5]
        session.execute(Invoice.__table__.delete().where(Invoice.client_id == victim))
        session.delete(session.get(Client, victim))
    rows, sought = _page(web, start)
    assert rows == _client_ids(web)[start:start + 15] and not sought
    assert _page(web, start)[1]
    # another app on the same database (another worker) adds clients before the page
    other = create_app(app_config)
    try:
        with other.extensions["bridge"].transaction(Actor(source="test")) as session:
            session.execute(Client.__table__.update().where(Client.id == _client_ids(web)[0])
                            .values(status="closed"))
            make_client(session)
    finally:
        other.extensions["bridge"].db.dispose()
    rows, sought = _page(web, start)
    assert rows == _client_ids(web)[start:start + 15] and not sought
    rows, _ = _page(web, start, status="Active")
    assert rows == _client_ids(web, "active")[start:start + 15]


def test_invoice_pages_seek_too(web: Any) -> None:
    with web.application.extensions["bridge"].transaction() as session:
        unpaid = list(session.scalars(select(Invoice.id).where(Invoice.status == "unpaid")
                                      .order_by(Invoice.id)))
        every = list(session.scalars(select(Invoice.id).order_by(Invoice.id)))
    for ids, params in ((every, {}), (unpaid, {"status": "Unpaid"})):
        start = min(MIN_OFFSET, len(ids) - 20)
        for attempt in range(2):
            body, pages = call(web, "GetInvoices", limitstart=str(start), limitnum="10",
                               **params)
            assert [int(i["id"]) for i in body["invoices"]["invoice"]] == \
                ids[start:start + 10]
            seeks = start >= MIN_OFFSET and attempt == 1
            assert (">=" in pages[0]) == seeks


def test_the_count_cache_switch_turns_seeking_off(app_config: dict[str, Any],
                                                  schema_template: Any) -> None:
    import shutil
    shutil.copyfile(schema_template, app_config["database_url"].removeprefix("sqlite:///"))
    off = create_app({**app_config, "api": {"count_cache": False}})
    try:
        _seed(off)
        web = off.test_client()
        start = MIN_OFFSET + 5
        for _ in range(2):
            rows, sought = _page(web, start)
            assert rows == _client_ids(web)[start:start + 15] and not sought
    finally:
        off.extensions["bridge"].db.dispose()


def test_a_transaction_older_than_the_marks_does_not_use_them(
        web: Any, app_config: dict[str, Any]) -> None:
    """Marks stored after a change are not used by a transaction that began before it (its
    snapshot may not hold the change)."""
    from sqlalchemy import literal

    from bridge.services.page_seek import seek_page

    state = web.application.extensions["bridge"]
    plain, seek = select(literal("plain")), select(literal("seek"))

    def ask(session: Any) -> str:
        conn = session.connection()
        return str(seek_page(session, conn, "clients", "probe", {}, MIN_OFFSET, 5,
                             page=plain, seek=seek, row_id=lambda row: 1)[0][0])

    with state.transaction(write=False) as session:
        assert ask(session) == "plain"  # no marks yet: stores one
    with state.transaction(write=False) as session:
        assert ask(session) == "seek"
    with state.transaction(write=False) as older:  # began before the write below
        other = create_app(app_config)
        try:
            with other.extensions["bridge"].transaction(Actor(source="test")) as session:
                make_client(session)
        finally:
            other.extensions["bridge"].db.dispose()
        with state.transaction(write=False) as newer:  # marks again, under the new counter
            assert ask(newer) == "plain"
        with state.transaction(write=False) as newer:
            assert ask(newer) == "seek"
        assert ask(older) == "plain"
