from __future__ import annotations

from bridge.app import bridge_state
from bridge.context import Actor, emit
from bridge.models import ActivityLog
from bridge.services.common import log_activity


def test_events_dispatch_only_after_commit(app):
    state = bridge_state(app)
    seen = []
    state.dispatch = lambda name, payload: seen.append((name, payload))
    with state.transaction(Actor(kind="admin", id=7, source="cli")) as session:
        emit(session, "thing_happened", thing_id=1)
        assert seen == []
    assert seen == [("thing_happened", {"thing_id": 1})]


def test_rolled_back_events_are_dropped(app):
    state = bridge_state(app)
    seen = []
    state.dispatch = lambda name, payload: seen.append(name)
    try:
        with state.transaction() as session:
            emit(session, "never")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with state.transaction() as session:
        emit(session, "later")
    assert seen == ["later"]


def test_failing_subscriber_does_not_undo_commit(app):
    state = bridge_state(app)

    def explode(name, payload):
        raise ValueError("subscriber bug")

    state.dispatch = explode
    with state.transaction(Actor(kind="admin", id=3, name="ann", source="api:whmcs")) as session:
        log_activity(session, "x.done", "did x", client_id=5)
        emit(session, "x_done")
    with state.transaction() as session:
        row = session.query(ActivityLog).one()
        assert (row.actor_type, row.actor_id, row.actor_name, row.source) == (
            "admin", 3, "ann", "api:whmcs")
        assert row.client_id == 5


def test_savepoints_keep_events_until_the_real_commit(app):
    state = bridge_state(app)
    seen = []
    state.dispatch = lambda name, payload: seen.append(name)
    with state.transaction() as session:
        emit(session, "before")
        with session.begin_nested():
            emit(session, "inside")
        assert seen == []
        nested = session.begin_nested()
        emit(session, "rolled")
        nested.rollback()
        assert seen == []
    assert seen == ["before", "inside"]


def test_sqlite_savepoint_release_does_not_commit(app):
    state = bridge_state(app)
    session = state.db.session()
    with session.begin_nested():
        log_activity(session, "x", "first write inside a savepoint")
    session.rollback()
    session.close()
    with state.transaction() as check:
        assert check.query(ActivityLog).count() == 0
