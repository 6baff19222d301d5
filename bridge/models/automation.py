"""Automation aggregate: the runner lock, the record of each run, and per-item marks.

``job_locks`` holds one row per lock name; a runner claims it with a single conditional
UPDATE (or the first INSERT), so two processes can never both hold it, on SQLite and MariaDB
alike. ``automation_marks`` remembers one-off side effects that state alone can't tell apart
(a reminder was queued, a capture was attempted on a date), so a rerun never repeats them.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column


class JobLock(Base):
    """A named lock held by one runner until ``expires_at`` (stale locks may be taken over)."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), default="")
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class AutomationRun(Base):
    """One job run for one business date: running, finished or failed, with its counts."""

    __tablename__ = "automation_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    run_date: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    holder: Mapped[str] = mapped_column(String(128), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]


class AutomationMark(Base):
    """A side effect done once: ``kind`` (reminder, capture, ...) for a subject and ``tag``."""

    __tablename__ = "automation_marks"
    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    tag: Mapped[str] = mapped_column(String(64))
    run_date: Mapped[dt.date]
    created_at: Mapped[datetime] = created_column()
