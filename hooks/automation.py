"""Automation hooks: plugins add their own jobs to the daily run and the scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .markers import hookspec

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy.orm import Session


class JobFunction(Protocol):
    """What a job runs: ``fn(session, today, checkpoint=...) -> counts``."""

    def __call__(self, session: Session, today: date, *,
                 checkpoint: Any = ...) -> dict[str, int]:
        """Do the job's work for business date ``today``; return counts of what it did."""
        ...


@dataclass(frozen=True)
class JobSpec:
    """One automation job.

    ``name`` is unique (``bridge cron run --job NAME``); ``function`` does the work and must be
    idempotent for a date. ``every_minutes`` = 0 runs it once a day in the daily pass (after
    the core jobs, before the summary); a positive value also schedules it that often under
    ``bridge scheduler``. ``description`` is shown by ``bridge cron list``.
    """

    name: str
    function: JobFunction
    description: str = ""
    every_minutes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@hookspec
def register_jobs() -> list[JobSpec]:  # type: ignore[empty-body]
    """Return :class:`JobSpec` objects for jobs this plugin adds to automation.

    Each job's ``function(session, today, checkpoint=...)`` receives a session inside the
    runner's transaction (the one place a plugin job touches the database: use the core
    services with it, never commit yourself), the business date ``today`` (``bridge cron run
    --date`` makes it explicit, so never read the clock for billing decisions) and a
    ``checkpoint()`` callable that commits the work done so far. Return a dict of counts; it
    is stored on the run record and added to the daily summary.

    Jobs must be idempotent: run twice for the same date, or rerun after a crash, they must
    not repeat a side effect (derive "done" from the data, or record a mark). A job name
    that clashes with a core job or another plugin's job stops the runner with an error
    naming both. Exceptions are caught per job: the run is recorded as failed and the other
    jobs still run.
    """
