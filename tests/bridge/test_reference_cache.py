"""The per-worker reference cache (settings, currencies, tax rules read by writes): a repeated
read runs no statement; a change through hostbridge, in this app or in another one on the same
database (another worker), shows in the very next read; a transaction always sees its own
uncommitted writes; a value read from an older snapshot is never answered; it can be switched
off."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from bridge import create_app
from bridge.app import BridgeState
from bridge.context import Actor
from bridge.models import Currency, TaxRule
from bridge.security.generation import Generation
from bridge.services.credit import currency_places
from bridge.services.reference_cache import ReferenceCache
from bridge.services.settings import default_currency_code, get_setting, set_setting
from bridge.services.taxes import taxes_for_client
from bridge.testing import ensure_currency, make_client

ACTOR = Actor(source="test")


@contextmanager
def reads(state: BridgeState, table: str) -> Iterator[list[str]]:
    """The statements reading ``table`` run inside the block."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(state.db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(state.db.engine, "before_cursor_execute", listen)


def _state(app: Any) -> BridgeState:
    state = app.extensions["bridge"]
    assert isinstance(state, BridgeState)
    return state


def test_repeated_reads_run_no_statement_until_the_table_changes(app: Any) -> None:
    state = _state(app)
    with state.transaction(ACTOR) as session:
        ensure_currency(session)
    with reads(state, "settings") as seen, state.transaction(ACTOR) as session:
        assert get_setting(session, "invoice.due_days") == "7"
        assert get_setting(session, "invoice.due_days") == "7"
    assert len(seen) == 1
    with reads(state, "settings") as seen, state.transaction(ACTOR) as session:
        assert get_setting(session, "invoice.due_days") == "7"  # another transaction: cached
    assert seen == []
    with reads(state, "currencies") as seen:
        for _ in range(2):
            with state.transaction(ACTOR) as session:
                assert currency_places(session, "USD") == 2
                assert default_currency_code(session) == "USD"
    assert len(seen) == 2  # one statement per question, once
    with state.transaction(ACTOR) as session:
        set_setting(session, "invoice.due_days", "10")
    with reads(state, "settings") as seen, state.transaction(ACTOR) as session:
        assert get_setting(session, "invoice.due_days") == "10"
    assert len(seen) == 1


def test_a_change_by_another_app_on_the_same_database_shows_at_once(
        app: Any, app_config: dict[str, Any]) -> None:
    state = _state(app)
    with state.transaction(ACTOR) as session:
        ensure_currency(session)
        client = make_client(session, country="US")
    for _ in range(2):  # the second read is the cached one
        with state.transaction(ACTOR) as session:
            assert get_setting(session, "tax.inclusive") == "0"
            assert currency_places(session, "USD") == 2
            assert taxes_for_client(session, session.get(type(client), client.id)) \
                == (None, None)
    other = create_app(app_config)  # another worker: its own engine, the same counter files
    try:
        with _state(other).transaction(ACTOR) as session:
            set_setting(session, "tax.inclusive", "1")
            session.query(Currency).filter_by(code="USD").update({"places": 3})
            session.add(TaxRule(level=1, name="US", country="US", rate=Decimal("7")))
    finally:
        _state(other).db.dispose()
    with state.transaction(ACTOR) as session:
        assert get_setting(session, "tax.inclusive") == "1"
        assert currency_places(session, "USD") == 3
        rule, _ = taxes_for_client(session, session.get(type(client), client.id))
        assert rule is not None and (rule.name, rule.rate) == ("US", Decimal("7"))


def test_a_transaction_sees_its_own_uncommitted_writes(app: Any) -> None:
    state = _state(app)
    with state.transaction(ACTOR) as session:
        ensure_currency(session)
    with state.transaction(ACTOR) as session:  # fill the cache
        assert get_setting(session, "tax.enabled") == "1"
        assert currency_places(session, "USD") == 2
    with reads(state, "settings") as seen, state.transaction(ACTOR) as session:
        assert get_setting(session, "tax.enabled") == "1"
        assert seen == []
        set_setting(session, "tax.enabled", "0")  # unflushed: an ORM change in the session
        assert get_setting(session, "tax.enabled") == "0"
        session.flush()  # now written on the connection, not committed
        assert get_setting(session, "tax.enabled") == "0"
        # both read the database (set_setting's own read of the row aside)
        assert len([s for s in seen if s.startswith("SELECT settings.value")]) == 2
        currency = session.query(Currency).filter_by(code="USD").one()
        currency.places = 0  # dirty, not flushed
        assert currency_places(session, "USD") == 0
        session.rollback()
        # the rollback ended the writes: back to the committed values
        assert get_setting(session, "tax.enabled") == "1"
        assert currency_places(session, "USD") == 2
    with state.transaction(ACTOR) as session:
        assert get_setting(session, "tax.enabled") == "1"
        assert currency_places(session, "USD") == 2


def test_a_value_read_from_an_older_snapshot_is_never_answered(tmp_path: Any) -> None:
    generation = Generation(tmp_path / "settings-counter")
    cache = ReferenceCache({"settings": generation})
    at_begin = cache.snapshot()["settings"]
    generation.bump()  # another process committed a change after the reader began
    cache.put("settings", "key", "old value", at_begin)
    assert cache.get("settings", "key") is not "old value"  # noqa: F632 - the sentinel
    cache.put("settings", "key", "new value", cache.snapshot()["settings"])
    assert cache.get("settings", "key") == "new value"
    generation.bump()
    assert cache.get("settings", "key") != "new value"  # dropped once the table changes


def test_the_switch_turns_it_off(app: Any, app_config: dict[str, Any]) -> None:
    with _state(app).transaction(ACTOR) as session:
        ensure_currency(session)
    off = create_app({**app_config, "api": {"reference_cache": False}})
    state = _state(off)
    try:
        assert state.reference_cache is None
        with reads(state, "settings") as seen:
            for _ in range(2):
                with state.transaction(ACTOR) as session:
                    assert get_setting(session, "invoice.due_days") == "7"
        assert len(seen) == 2
    finally:
        state.db.dispose()
