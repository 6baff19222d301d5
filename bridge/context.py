"""Who is acting, and what happens after commit.

The caller of a service (a facade, the CLI, a job, an importer) states the actor once on the
session with :func:`set_actor`; services read it to write the activity log. Events a service
emits wait in the session and are handed to the dispatcher only after a successful commit, so a
subscriber never sees (or reacts to) a change that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_ACTOR_KEY = "bridge.actor"
_EVENTS_KEY = "bridge.events"
_DISPATCH_KEY = "bridge.dispatch"
_MARKS_KEY = "bridge.savepoint_marks"

EventDispatcher = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Actor:
    """Who caused a change: ``kind`` admin/client/user/system, with the door it came through."""

    kind: str = "system"
    id: int | None = None
    name: str = ""
    source: str = "core"  # api:whmcs, api:blesta, cron, import, cli, web
    ip_address: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SYSTEM = Actor()


def set_actor(session: Session, actor: Actor) -> None:
    """Record who is acting for every service call made with ``session``."""
    session.info[_ACTOR_KEY] = actor


def get_actor(session: Session) -> Actor:
    """The actor stated on ``session`` (the system actor when none was)."""
    actor = session.info.get(_ACTOR_KEY)
    return actor if isinstance(actor, Actor) else SYSTEM


def emit(session: Session, name: str, **payload: Any) -> None:
    """Queue event ``name`` to be dispatched after the session's next successful commit."""
    session.info.setdefault(_EVENTS_KEY, []).append((name, payload))


def pending_events(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """Events queued on ``session`` and not yet dispatched (for tests and debugging)."""
    return list(session.info.get(_EVENTS_KEY, []))


def bind_dispatcher(session: Session, dispatcher: EventDispatcher) -> None:
    """Route this session's committed events to ``dispatcher``."""
    session.info[_DISPATCH_KEY] = dispatcher


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    # a released SAVEPOINT fires after_commit too; only the outermost commit is real
    if session.in_nested_transaction():
        return
    queued = session.info.pop(_EVENTS_KEY, [])
    dispatcher = session.info.get(_DISPATCH_KEY)
    if dispatcher is None:
        return
    for name, payload in queued:
        try:
            dispatcher(name, payload)
        except Exception:  # a failing subscriber never undoes a committed change
            log.exception("event subscriber failed for %s", name)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    # rolling back a SAVEPOINT keeps the events of the work before it
    if session.in_nested_transaction():
        return
    session.info.pop(_EVENTS_KEY, None)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: Any) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS_KEY, {})
        marks[id(transaction)] = len(session.info.get(_EVENTS_KEY, []))


@event.listens_for(Session, "after_soft_rollback")
def _forget_savepoint_events(session: Session, previous_transaction: Any) -> None:
    # events emitted inside a rolled-back SAVEPOINT describe changes that never happened
    if not previous_transaction.nested:
        return
    mark = session.info.get(_MARKS_KEY, {}).pop(id(previous_transaction), None)
    queued = session.info.get(_EVENTS_KEY)
    if mark is not None and queued is not None:
        del queued[mark:]
