"""Small column helpers shared by the model modules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import UTCDateTime, utcnow


def status_column(enum: type[StrEnum], default: StrEnum, **kw: Any) -> Mapped[Any]:
    """A short string column holding a canonical status (validated in Python, not by the DB)."""
    return mapped_column(String(32), default=default.value, server_default=default.value, **kw)


def created_column() -> Mapped[datetime]:
    """A non-null creation timestamp defaulting to now (UTC)."""
    return mapped_column(UTCDateTime(), default=utcnow)


def updated_column() -> Mapped[datetime | None]:
    """A nullable last-update timestamp maintained on every ORM update."""
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=True)


def currency_column(**kw: Any) -> Mapped[str]:
    """An ISO currency code referencing ``currencies.code``."""
    from sqlalchemy import ForeignKey

    return mapped_column(String(3), ForeignKey("currencies.code"), **kw)
