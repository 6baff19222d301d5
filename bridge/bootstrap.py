"""What ``bridge init`` does: migrate to head and seed the rows every install needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.app import BridgeState
from bridge.context import Actor
from bridge.migrations import current_revision, upgrade
from bridge.models import Company, Currency, TicketStatus

DEFAULT_TICKET_STATUSES = (
    # key, title, color, is_open, awaiting_reply, auto_close
    ("open", "Open", "#779500", True, True, False),
    ("answered", "Answered", "#000000", True, False, True),
    ("customer_reply", "Customer-Reply", "#ff6600", True, True, True),
    ("on_hold", "On Hold", "#224488", True, False, False),
    ("in_progress", "In Progress", "#cc0000", True, False, False),
    ("closed", "Closed", "#888888", False, False, False),
)


def initialize(state: BridgeState) -> dict[str, Any]:
    """Upgrade the schema to head and seed company, default currency and ticket statuses.

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
            session.add(Currency(code=code, prefix="$" if code == "USD" else "", is_default=True))
            seeded.append(f"default currency {code}")
        existing = set(session.scalars(select(TicketStatus.key)))
        for order, (key, title, color, is_open, awaiting, auto) in enumerate(
            DEFAULT_TICKET_STATUSES
        ):
            if key not in existing:
                session.add(
                    TicketStatus(
                        key=key,
                        title=title,
                        color=color,
                        is_open=is_open,
                        awaiting_reply=awaiting,
                        auto_close=auto,
                        sort_order=order,
                    )
                )
                seeded.append(f"ticket status {title}")
    return {"revision": current_revision(state.db.engine), "seeded": seeded}
