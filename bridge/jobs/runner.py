"""Running jobs: one pass (``bridge cron run``) and the scheduler's calls into it.

A pass claims the automation lock (one runner at a time, across processes and hosts), then
runs each job in its own transaction with an :class:`~bridge.models.AutomationRun` record.
A job commits at its checkpoints; if it raises, its uncommitted work is rolled back, the run
is recorded as failed and the other jobs still run (a rerun picks up where it stopped). The
daily summary is written only by a full pass in which every job finished.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import date, timedelta

from bridge.app import BridgeState
from bridge.context import Actor
from bridge.errors import ConfigError
from bridge.services.automation.common import int_setting
from bridge.services.automation.runs import (
    LockBusy,
    acquire_lock,
    finish_run,
    raise_if_held,
    record_failed_run,
    refresh_lock,
    release_lock,
    start_run,
)
from bridge.services.common import BUSINESS_DATE_KEY
from hooks import JobSpec

from .schedule import SUMMARY, all_jobs

log = logging.getLogger(__name__)
CRON = Actor(kind="system", name="automation", source="cron")

__all__ = ["CRON", "LockBusy", "PassResult", "job_table", "run_pass"]


@dataclass
class PassResult:
    """What one pass did: counts per finished job and the error of each failed one."""

    today: date
    holder: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every job finished."""
        return not self.failed


def job_table(state: BridgeState) -> list[JobSpec]:
    """The core jobs plus those the app's plugins register, in run order."""
    return all_jobs(state.plugins.pm.hook.register_jobs())


def default_holder() -> str:
    """host:pid, so an operator can tell which process holds the lock."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _select(jobs: list[JobSpec], only: str | None) -> list[JobSpec]:
    if only is None:
        return jobs
    chosen = [job for job in jobs if job.name == only]
    if not chosen:
        names = ", ".join(job.name for job in jobs)
        raise ConfigError(f"no automation job named {only!r}; jobs: {names}")
    return chosen


def run_pass(state: BridgeState, today: date, *, only: str | None = None,
             holder: str | None = None) -> PassResult:
    """Run every job (or just ``only``) for business date ``today`` under the lock.

    Raises :class:`LockBusy` when another runner holds the lock (nothing is run) and
    ConfigError for an unknown job name.
    """
    jobs = _select(job_table(state), only)
    holder = holder or default_holder()
    # read-only (deferred on SQLite): a busy lock refuses this runner at once, without
    # waiting for the write lock a running pass's job transaction holds
    with state.transaction(CRON, write=False) as session:
        timeout = timedelta(minutes=max(1, int_setting(session, "lock_timeout_minutes")))
        raise_if_held(session, holder)
    # the claim is the first statement of its own transaction: on SQLite a read before it
    # would hold a shared lock that can deadlock with a running pass's commit
    with state.transaction(CRON) as session:
        acquire_lock(session, holder, timeout)
    result = PassResult(today, holder)
    try:
        for job in jobs:
            if job.name == SUMMARY and only is None and result.failed:
                log.warning("daily summary for %s skipped: jobs failed: %s", today,
                            ", ".join(result.failed))
                continue
            _run_job(state, job, today, holder, timeout, result)
    finally:
        with state.transaction(CRON) as session:
            release_lock(session, holder)
    return result


def _run_job(state: BridgeState, job: JobSpec, today: date, holder: str,
             timeout: timedelta, result: PassResult) -> None:
    # one transaction per job (plus the job's own checkpoints): the run record, the lock
    # refresh and the work commit together; a failure is recorded in a fresh transaction
    run_id: int | None = None
    try:
        with state.transaction(CRON) as session:
            if not refresh_lock(session, holder, timeout):
                raise LockBusy(f"the automation lock was taken over while {holder} was "
                               f"running (before job {job.name}); stopping this pass")
            run_id = start_run(session, job.name, today, holder).id
            session.info[BUSINESS_DATE_KEY] = today
            counts = job.function(session, today, checkpoint=session.commit)
            finish_run(session, run_id, counts)
    except LockBusy:
        raise
    except Exception as exc:  # one failing job must not stop the others; recorded below
        log.exception("automation job %s failed for %s", job.name, today)
        result.failed[job.name] = f"{type(exc).__name__}: {exc}"
        with state.transaction(CRON) as session:
            record_failed_run(session, job.name, today, holder, result.failed[job.name],
                              run_id=run_id)
        return
    result.counts[job.name] = dict(counts)
