"""What ``bridge init`` does: migrate to head and seed the rows every install needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from bridge.app import BridgeState
from bridge.context import Actor
from bridge.migrations import current_revision, upgrade
from bridge.models import Company, Currency
from bridge.services.settings import add_currency, seed_counters
from bridge.services.tickets import seed_ticket_statuses


def initialize(state: BridgeState) -> dict[str, Any]:
    """Upgrade the schema to head and seed company, default currency, counters and ticket statuses.

    Safe to run any number of times: existing rows are left as they are.
    """
    upgrade(state.db.engine)
    seeded: list[str] = []
    if use_wal(state.db.engine):
        seeded.append("SQLite journal in WAL mode")
    with state.transaction(Actor(kind="system", source="cli", name="bridge init")) as session:
        if session.scalar(select(Company).limit(1)) is None:
            session.add(Company(id=1, name=state.settings.company_name))
            seeded.append(f"company {state.settings.company_name!r}")
        if session.scalar(select(Currency).limit(1)) is None:
            code = state.settings.default_currency.upper()
            add_currency(session, code, prefix="$" if code == "USD" else "", is_default=True)
            seeded.append(f"default currency {code}")
        if seed_counters(session):
            seeded.append("numbering counters")
        added = seed_ticket_statuses(session)
        if added:
            seeded.append(f"{added} ticket statuses")
    return {"revision": current_revision(state.db.engine), "seeded": seeded}


def use_wal(engine: Engine) -> bool:
    """Put a SQLite database file in WAL mode (persistent; True when it changed now).

    Served by several gunicorn workers, a SQLite install must let readers go on while one
    worker writes, and a commit should cost one append to the log rather than rewriting a
    rollback journal: WAL gives both. The API benchmarks and the importer benchmark measure
    SQLite in this mode."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return False
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        before = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        after = str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        cursor.close()
    finally:
        raw.close()
    return before != "wal" and after == "wal"
