"""The runner's bookkeeping: the single-runner lock, run records and the daily summary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.models import AutomationRun, JobLock

from ..common import log_activity
from .common import Checkpoint, Counts, claim_mark, no_checkpoint

LOCK_NAME = "automation"


class LockBusy(Exception):
    """Another runner holds the automation lock; the message says who and until when."""


def acquire_lock(session: Session, holder: str, timeout: timedelta,
                 name: str = LOCK_NAME) -> None:
    """Claim lock ``name`` for ``holder`` until now + ``timeout``, atomically.

    One conditional UPDATE takes a free or stale lock (expired ``expires_at``); the first
    claim ever INSERTs the row, and the primary key makes a racing second INSERT fail. The
    caller commits at once. Raises :class:`LockBusy` naming the current holder.
    """
    now = utcnow()
    raise_if_held(session, holder, name)
    taken = session.execute(
        update(JobLock).where(JobLock.name == name,
                              or_(JobLock.holder == "", JobLock.expires_at.is_(None),
                                  JobLock.expires_at < now, JobLock.holder == holder))
        .values(holder=holder, acquired_at=now, expires_at=now + timeout)
        .execution_options(synchronize_session=False))
    if getattr(taken, "rowcount", 0) == 1:
        return
    row = session.get(JobLock, name, populate_existing=True)
    if row is None:
        try:
            with session.begin_nested():
                session.execute(insert(JobLock).values(name=name, holder=holder,
                                                       acquired_at=now,
                                                       expires_at=now + timeout))
            return
        except IntegrityError:
            row = session.get(JobLock, name, populate_existing=True)
    raise _busy(row)


def raise_if_held(session: Session, holder: str, name: str = LOCK_NAME) -> None:
    """Raise :class:`LockBusy` when a runner other than ``holder`` holds a live lock ``name``.

    A plain read: called in a read-only transaction before the claim, a second runner is
    refused at once instead of queueing for the database's write lock behind a running job.
    """
    current = session.get(JobLock, name)
    if (current is not None and current.holder not in ("", holder)
            and current.expires_at is not None and current.expires_at > utcnow()):
        raise _busy(current)


def _busy(row: JobLock | None) -> LockBusy:
    holder = row.holder if row is not None else "?"
    until = row.expires_at.isoformat(timespec="seconds") if row and row.expires_at else "?"
    return LockBusy(f"another automation runner ({holder}) holds the lock until {until}; "
                    "this run exits without doing anything. If that runner died, wait for "
                    "the lock to expire (automation.lock_timeout_minutes).")


def refresh_lock(session: Session, holder: str, timeout: timedelta,
                 name: str = LOCK_NAME) -> bool:
    """Extend the lock while a long run is still working; False when it was lost."""
    result = session.execute(
        update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
        .values(expires_at=utcnow() + timeout).execution_options(synchronize_session=False))
    return getattr(result, "rowcount", 0) == 1


def release_lock(session: Session, holder: str, name: str = LOCK_NAME) -> None:
    """Give the lock back (only when ``holder`` still holds it)."""
    session.execute(update(JobLock).where(JobLock.name == name, JobLock.holder == holder)
                    .values(holder="", expires_at=None)
                    .execution_options(synchronize_session=False))


def start_run(session: Session, job: str, today: date, holder: str) -> AutomationRun:
    """Record that ``job`` started for business date ``today``."""
    run = AutomationRun(job=job, run_date=today, holder=holder, status="running")
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, counts: dict[str, Any], error: str = "") -> None:
    """Close run ``run_id`` as finished (with its counts) or failed (with the error)."""
    run = session.get(AutomationRun, run_id)
    if run is None:
        return
    run.status = "failed" if error else "finished"
    run.counts = dict(counts)
    run.error = error
    run.finished_at = utcnow()


def record_failed_run(session: Session, job: str, today: date, holder: str, error: str, *,
                      run_id: int | None = None) -> AutomationRun:
    """Record that ``job`` failed for ``today`` with ``error`` (its work was rolled back to
    the last checkpoint). ``run_id`` is the run's record when a checkpoint committed it."""
    run = session.get(AutomationRun, run_id) if run_id is not None else None
    if run is None:
        run = start_run(session, job, today, holder)
    finish_run(session, run.id, {}, error)
    return run


def daily_summary(session: Session, today: date, *,
                  checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Write the day's summary (counts per job of the finished runs for ``today``, and the
    jobs that failed) to the activity log and emit ``daily_automation_finished`` - once per
    business date."""
    runs = session.scalars(select(AutomationRun).where(
        AutomationRun.run_date == today, AutomationRun.job != "daily_summary")
        .order_by(AutomationRun.id)).all()
    jobs: dict[str, dict[str, int]] = {}
    failed: list[str] = []
    for run in runs:
        if run.status == "failed":
            failed.append(run.job)
            continue
        totals = jobs.setdefault(run.job, {})
        for key, value in (run.counts or {}).items():
            if isinstance(value, int):
                totals[key] = totals.get(key, 0) + value
    if not claim_mark(session, "summary", ("date", today.toordinal()), "daily", today):
        return {"written": 0}
    summary = {"date": today.isoformat(), "jobs": jobs,
               "failed_jobs": sorted(set(failed) - set(jobs))}
    parts = [f"{job}: " + ", ".join(f"{k}={v}" for k, v in counts.items() if v)
             for job, counts in jobs.items() if any(counts.values())]
    log_activity(session, "automation.daily_summary",
                 f"Automation for {today}: " + ("; ".join(parts) or "nothing to do"),
                 data=summary)
    emit(session, "daily_automation_finished", summary=summary)
    checkpoint()
    return {"written": 1}
