"""Block lists: banned IP addresses and blocked ticket senders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column


class BannedIp(Base):
    """An IP address refused until ``expires_at`` (never, when None); the reason is for staff."""

    __tablename__ = "banned_ips"
    id: Mapped[int] = mapped_column(primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(45), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_column()


class BlockedSender(Base):
    """An email address whose mail must not become tickets (WHMCS ticket spam filter)."""

    __tablename__ = "blocked_senders"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
