"""``bridge scheduler``: APScheduler with its job store in the app database.

The daily pass runs at ``automation.daily_time`` in the configured ``timezone``; jobs with
``every_minutes`` also run on their own interval (mail every 5 minutes, the module retry
queue hourly). Every call goes through :func:`bridge.jobs.runner.run_pass`, so the database
lock still guarantees one runner even if two schedulers were started by mistake: the second
one's calls exit as busy.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bridge.app import BridgeState
from bridge.errors import ConfigError
from bridge.services.automation.common import automation_setting

from .runner import CRON, LockBusy, job_table, run_pass

log = logging.getLogger(__name__)
JOBSTORE_TABLE = "automation_scheduler_jobs"
# the process's app while ``bridge scheduler`` runs; stored jobs reference functions by name
_current: dict[str, BridgeState] = {}


def scheduled_pass(job: str | None = None) -> None:
    """What the scheduler calls: one pass (or one job) for today in the config timezone; a
    busy lock is logged, not raised."""
    state = _current.get("state")
    if state is None:
        raise RuntimeError("scheduled_pass runs only inside `bridge scheduler`")
    try:
        today = datetime.now(ZoneInfo(state.settings.timezone)).date()
        result = run_pass(state, today, only=job)
    except LockBusy as busy:
        log.warning("%s", busy)
        return
    for name, error in result.failed.items():
        log.error("automation job %s failed: %s", name, error)


def _daily_time(state: BridgeState) -> tuple[int, int]:
    with state.transaction(CRON) as session:
        raw = automation_setting(session, "daily_time").strip()
    try:
        hour, minute = (int(part) for part in raw.split(":"))
    except ValueError as exc:
        raise ConfigError(f"automation.daily_time must be HH:MM, got {raw!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigError(f"automation.daily_time must be HH:MM, got {raw!r}")
    return hour, minute


def build_scheduler(state: BridgeState, scheduler_class: type[BaseScheduler] = BlockingScheduler,
                    **options: Any) -> BaseScheduler:
    """A scheduler with the persistent job store and the job table's timetable added."""
    _current["state"] = state
    store = SQLAlchemyJobStore(url=state.settings.database_url, tablename=JOBSTORE_TABLE)
    zone = ZoneInfo(state.settings.timezone)
    scheduler = scheduler_class(jobstores={"default": store}, timezone=zone, **options)
    hour, minute = _daily_time(state)
    common: dict[str, Any] = {"replace_existing": True, "coalesce": True,
                              "misfire_grace_time": 3600, "max_instances": 1}
    scheduler.add_job(f"{__name__}:scheduled_pass", "cron", hour=hour, minute=minute,
                      id="daily_pass", name="daily automation pass", **common)
    for job in job_table(state):
        if job.every_minutes > 0:
            scheduler.add_job(f"{__name__}:scheduled_pass", "interval",
                              minutes=job.every_minutes, kwargs={"job": job.name},
                              id=f"job:{job.name}", name=job.description or job.name, **common)
    return scheduler
