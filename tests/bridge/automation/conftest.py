"""Fixtures for automation tests: the app state, a runner per date, settings and table dumps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from bridge.app import BridgeState
from bridge.jobs.runner import PassResult, run_pass
from bridge.services.settings import set_setting

# wall-clock columns (when a row was written) differ between any two runs; business dates,
# amounts, statuses and links are what must be identical
CLOCK_COLUMNS = {"created_at", "updated_at", "paid_at", "suspended_at", "terminated_at",
                 "last_attempt_at", "last_capture_attempt", "closed_at", "synced_at",
                 "sent_at", "processed_at", "acquired_at", "expires_at", "started_at",
                 "finished_at", "usage_updated_at"}
# tables whose "date" column is the wall-clock time of a payment or credit movement
CLOCK_DATE_TABLES = {"transactions", "credit_entries"}
# the runner's own log: one row per job per pass, so two passes always differ
RUN_LOG = {"automation_runs", "job_locks"}


@pytest.fixture
def state(app: Any) -> BridgeState:
    """The app's BridgeState."""
    bridge: BridgeState = app.extensions["bridge"]
    return bridge


@pytest.fixture
def run(state: BridgeState) -> Callable[..., PassResult]:
    """``run(day, only=None)``: one ``bridge cron run --date day [--job only]``; must succeed."""

    def go(day: date, only: str | None = None) -> PassResult:
        result = run_pass(state, day, only=only)
        assert result.ok, result.failed
        return result

    return go


@pytest.fixture
def configure(db: Session) -> Callable[..., None]:
    """``configure(lead_days="14", ...)``: set automation.* settings and commit."""

    def go(**values: str) -> None:
        for key, value in values.items():
            set_setting(db, f"automation.{key}", value)
        db.commit()

    return go


def _dump(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    tables: dict[str, list[tuple[str, ...]]] = {}
    inspector = inspect(engine)
    with engine.connect() as conn:
        for name in sorted(set(inspector.get_table_names()) - RUN_LOG):
            columns = [c["name"] for c in inspector.get_columns(name)
                       if c["name"] not in CLOCK_COLUMNS
                       and not (name in CLOCK_DATE_TABLES and c["name"] == "date")]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = [tuple(str(v) for v in row)
                    for row in conn.execute(text(f'SELECT {quoted} FROM "{name}"'))]
            if name == "activity_log":
                # the summary text counts what each pass did, which differs by design
                rows = [r for r in rows if "automation.daily_summary" not in r]
            tables[name] = sorted(rows)
    return tables


@pytest.fixture
def dump(state: BridgeState) -> Callable[[], dict[str, list[tuple[str, ...]]]]:
    """``dump()``: every table's rows (clock columns and the run log left out), sorted."""
    return lambda: _dump(state.db.engine)
