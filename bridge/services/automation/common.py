"""Helpers the automation jobs share: settings, once-only marks and counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.errors import ConfigError
from bridge.models import AutomationMark, Setting

from ..settings import DEFAULTS

Checkpoint = Callable[[], None]
Counts = dict[str, int]
# the suspend reason automation writes; unsuspension on payment only lifts these
OVERDUE_REASON = "Overdue on payment"


def no_checkpoint() -> None:
    """The default checkpoint: do nothing (the caller commits once at the end)."""


def automation_setting(session: Session, name: str) -> str:
    """Setting ``automation.<name>``: the runtime value (settings table), else the
    ``[automation]`` table of the config file, else the shipped default."""
    key = f"automation.{name}"
    row = session.scalar(select(Setting.value).where(Setting.key == key,
                                                     Setting.company_id.is_(None)))
    if row is not None:
        return str(row)
    config: Any = session.info.get("bridge.settings")
    configured = getattr(config, "automation", None) or {}
    if name in configured:
        return str(configured[name])
    return DEFAULTS.get(key, "")


def int_setting(session: Session, name: str) -> int:
    """An integer automation setting; ConfigError naming the key when it is not a number."""
    raw = automation_setting(session, name).strip()
    try:
        return int(raw or "0")
    except ValueError as exc:
        raise ConfigError(f"setting automation.{name} must be a whole number, got {raw!r}"
                          ) from exc


def flag_setting(session: Session, name: str) -> bool:
    """A 0/1 automation setting."""
    return automation_setting(session, name).strip().lower() in ("1", "true", "yes", "on")


def days_setting(session: Session, name: str) -> list[int]:
    """A comma-separated list of day counts ("1,7,14"); empty means none."""
    raw = automation_setting(session, name)
    try:
        return sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError as exc:
        raise ConfigError(f"setting automation.{name} must list whole days like 1,7,14; "
                          f"got {raw!r}") from exc


def decimal_setting(session: Session, name: str) -> Decimal:
    """A money/percent automation setting as Decimal."""
    raw = automation_setting(session, name).strip() or "0"
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigError(f"setting automation.{name} must be a number, got {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise ConfigError(f"setting automation.{name} must be a positive number, got {raw!r}")
    return value


def claim_mark(session: Session, kind: str, subject: tuple[str, int], tag: str,
               today: date) -> bool:
    """Record that ``kind`` was done for ``subject`` with ``tag``; False when it already was.

    Claim the mark in the same transaction as the side effect so both land or neither does
    (or, for calls outside the database like a card charge, commit the mark first).
    """
    exists = session.scalar(select(AutomationMark.id).where(
        AutomationMark.kind == kind, AutomationMark.subject_type == subject[0],
        AutomationMark.subject_id == subject[1], AutomationMark.tag == tag))
    if exists is not None:
        return False
    session.add(AutomationMark(kind=kind, subject_type=subject[0], subject_id=subject[1],
                               tag=tag, run_date=today))
    session.flush()
    return True


def marked(session: Session, kind: str, subject_type: str, ids: list[int]) -> set[tuple[int, str]]:
    """(subject id, tag) of every mark of ``kind`` on the given subjects (one query)."""
    if not ids:
        return set()
    rows = session.execute(select(AutomationMark.subject_id, AutomationMark.tag).where(
        AutomationMark.kind == kind, AutomationMark.subject_type == subject_type,
        AutomationMark.subject_id.in_(ids)))
    return {(int(row[0]), str(row[1])) for row in rows}


def bump(counts: Counts, key: str, by: int = 1) -> None:
    """Add ``by`` to ``counts[key]``."""
    counts[key] = counts.get(key, 0) + by
