"""Import bookkeeping: one row per importer run (with its stored report) and per-entity
checkpoints, written in the same transaction as each batch so a killed run resumes exactly.

The id map and the quarantine live in :mod:`bridge.models.system` (``IdMap``,
``QuarantinedRow``) since revision 0001.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column


class ImportRun(Base):
    """One ``bridge import`` run: what was read, with which options, and its final report."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)  # whmcs, blesta, boxbilling
    source_version: Mapped[str] = mapped_column(String(64), default="")
    source_url: Mapped[str] = mapped_column(String(255), default="")  # password hidden
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, finished, failed
    dry_run: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]


class ImportCheckpoint(Base):
    """Progress of one entity in one run: the last committed source id and running counts."""

    __tablename__ = "import_checkpoints"
    __table_args__ = (UniqueConstraint("run_id", "entity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(64))
    last_source_id: Mapped[int] = mapped_column(default=0)
    done: Mapped[bool] = mapped_column(default=False)
    read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = created_column()
