"""Mail aggregate: email templates and the outbox automation sends from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column, updated_column


class EmailTemplate(Base):
    """A named message with ``{$variable}`` merge fields.

    ``kind`` says what the related record is: general (a client), product (a service),
    domain, invoice, support (a ticket), affiliate, or admin (staff notifications).
    ``language`` "" is the default translation; ``custom`` marks templates an operator added.
    """

    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(32), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    plain_text: Mapped[bool] = mapped_column(default=False)
    from_name: Mapped[str] = mapped_column(String(128), default="")
    from_email: Mapped[str] = mapped_column(String(255), default="")
    copy_to: Mapped[list[str]] = mapped_column(default=list)
    blind_copy_to: Mapped[list[str]] = mapped_column(default=list)
    disabled: Mapped[bool] = mapped_column(default=False)
    custom: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()


class OutboxMessage(Base):
    """One email waiting to be sent (``queued``), ``sent`` or ``failed`` after ``attempts``.

    Subject and body are stored merged, so sending needs nothing but this row; the related
    record (``related_type``/``related_id``) and the client say what the mail was about.
    """

    __tablename__ = "outbox_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL")
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    related_type: Mapped[str] = mapped_column(String(16), default="")
    related_id: Mapped[int | None]
    recipients: Mapped[list[str]] = mapped_column(default=list)
    cc: Mapped[list[str]] = mapped_column(default=list)
    bcc: Mapped[list[str]] = mapped_column(default=list)
    from_name: Mapped[str] = mapped_column(String(128), default="")
    from_email: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    plain_text: Mapped[bool] = mapped_column(default=False)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
    sent_at: Mapped[datetime | None]
