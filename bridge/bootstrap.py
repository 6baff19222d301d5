"""What ``bridge init`` does: migrate to head and seed the rows every install needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

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
