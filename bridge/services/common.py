"""Helpers every service module uses: input validation, lookups, the activity log, secrets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import insert
from sqlalchemy.orm import Session

from bridge.context import get_actor
from bridge.db import utcnow
from bridge.errors import NotFound, ValidationFailed
from bridge.models import ActivityLog
from bridge.security import SecretBox

M = TypeVar("M")

_RULES = (
    ("Missing data for required field", "required"),
    ("Unknown field", "unknown"),
    ("may not be null", "null"),
    ("Length must be", "length"),
    ("Shorter than minimum length", "length"),
    ("Longer than maximum length", "length"),
    ("Must be greater", "range"),
    ("Must be less", "range"),
    ("Must be one of", "one_of"),
    ("Not a valid email", "email"),
)


def _rule_for(message: str) -> str:
    for needle, rule in _RULES:
        if needle in message:
            return rule
    return "invalid"


def _flatten(messages: Any, prefix: str = "") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = {_rule_for(m): m for m in messages}
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            out.update(_flatten(value, f"{prefix}.{index}"))
    else:
        out[prefix or "_schema"] = {"invalid": str(messages)}
    return out


@cache
def _schema_instance(schema_class: type[Schema]) -> Schema:
    # marshmallow deep-copies every declared field when a schema is instantiated, which cost
    # more than the load itself; the core's schemas keep no per-load state, so one instance
    # per class serves every call
    return schema_class()


def validate(schema: Schema | type[Schema], data: Mapping[str, Any], *,
             partial: bool = False) -> dict[str, Any]:
    """Load ``data`` through ``schema`` (an instance, or a class: one shared instance of it
    is used); raise ValidationFailed (field -> rule -> text)."""
    if isinstance(schema, type):
        schema = _schema_instance(schema)
    try:
        loaded = schema.load(dict(data), partial=partial)
    except MarshmallowError as exc:
        raise ValidationFailed(_flatten(exc.messages)) from exc
    assert isinstance(loaded, dict)
    return loaded


def get_or_404(session: Session, model: type[M], ident: int | None, entity: str) -> M:
    """Fetch ``model`` by primary key or raise NotFound naming ``entity``."""
    obj = session.get(model, ident) if ident is not None else None
    if obj is None:
        raise NotFound(entity, ident)
    return obj


# built once: nearly every write appends a row (a statement built per call pays SQLAlchemy's
# coercion and cache-key work each time)
_ACTIVITY_INSERT = insert(ActivityLog)


def log_activity(
    session: Session,
    action: str,
    description: str,
    *,
    client_id: int | None = None,
    subject: tuple[str, int | None] | None = None,
    data: Mapping[str, Any] | None = None,
) -> int:
    """Append one activity-log row stating the session's actor and source; returns its id.

    The row is append-only and nothing holds it as an object, so it is inserted at once on
    the session's connection (same transaction; no ORM object and no unit-of-work flush)."""
    actor = get_actor(session)
    result = session.connection().execute(_ACTIVITY_INSERT, {
        "actor_type": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "source": actor.source,
        "ip_address": actor.ip_address,
        "action": action,
        "description": description,
        "client_id": client_id,
        "subject_type": subject[0] if subject else "",
        "subject_id": subject[1] if subject else None,
        "data": dict(data or {}),
    })
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def transaction_memo(session: Session, key: str) -> set[Any]:
    """A set kept in ``session.info[key]`` for the session's current transaction only: a new
    transaction (another transaction object) starts it empty. With no transaction open it
    is an empty set that is not kept (call again once a statement has begun one)."""
    transaction = session.get_transaction()
    if transaction is None:
        return set()
    memo = session.info.get(key)
    if memo is None or memo[0] is not transaction:
        # the transaction object itself is the mark: a later transaction is another object
        memo = session.info[key] = (transaction, set())
    found: set[Any] = memo[1]
    return found


def secret_box(session: Session) -> SecretBox:
    """The install's SecretBox, stated on the session by the app (or a test fixture)."""
    box = session.info.get("bridge.secrets")
    if not isinstance(box, SecretBox):
        raise RuntimeError("no SecretBox on this session; open it with BridgeState.transaction()")
    return box


def apply_fields(obj: object, values: Mapping[str, Any], *, skip_none: bool = False
                 ) -> list[str]:
    """Set attributes from ``values``; return the names whose value actually changed.

    ``skip_none``: a None value means "not given" (partial edits) and leaves the attribute."""
    changed = []
    for key, value in values.items():
        if skip_none and value is None:
            continue
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


def check_reference(
    session: Session, model: type[Any], ident: int | None, field: str, label: str
) -> None:
    """Raise ValidationFailed on ``field`` when ``ident`` is given but names no ``model`` row."""
    if ident is not None and session.get(model, ident) is None:
        raise ValidationFailed.single(field, "invalid", f"{label} {ident} does not exist")


def non_negative_amount(value: object, field: str) -> Decimal:
    """Read a money value (never float) that must be 0 or more; ValidationFailed on ``field``."""
    from bridge.money import to_decimal

    try:
        amount = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.single(field, "invalid", str(exc)) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed.single(field, "range", f"{field} must be 0 or more, got {value}")
    return amount


# session.info key: the date an automation run works on (``bridge cron run --date``)
BUSINESS_DATE_KEY = "bridge.automation.today"


def business_date(session: Session) -> date:
    """The date automation works on for this session: the cron run's ``--date`` when a runner
    stated one, else today (UTC)."""
    stated = session.info.get(BUSINESS_DATE_KEY)
    return stated if isinstance(stated, date) else utcnow().date()


def business_now(session: Session) -> datetime:
    """The moment to stamp a status change with: now (UTC), moved to the business date when
    an automation run works on another day, so a replayed ``--date`` run stamps suspensions
    and terminations on the day it processed, not on the day it was run."""
    now = utcnow()
    day = business_date(session)
    return now if day == now.date() else datetime.combine(day, now.timetz())
