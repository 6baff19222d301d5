"""Content aggregate: announcements and the predefined ticket replies staff pick from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column, updated_column


class Announcement(Base):
    """A news item shown to clients once ``published``; ``published_at`` is the date it
    carries (it may be set in the past or the future). Translations point at the original
    through ``parent_id`` and name their ``language``."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    published_at: Mapped[datetime] = created_column()
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()


class PredefinedReplyCategory(Base):
    """A folder of predefined ticket replies; folders nest through ``parent_id``."""

    __tablename__ = "predefined_reply_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("predefined_reply_categories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))


class PredefinedReply(Base):
    """A canned ticket reply text staff insert into a reply (``[NAME]``-style placeholders
    are kept as written)."""

    __tablename__ = "predefined_replies"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("predefined_reply_categories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
