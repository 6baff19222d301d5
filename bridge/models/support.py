"""Support aggregate: departments, ticket statuses, tickets, messages, notes, attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base

from ._columns import created_column, status_column
from .enums import AuthorType, TicketPriority


class TicketDepartment(Base):
    """A support department tickets are filed in."""

    __tablename__ = "ticket_departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    clients_only: Mapped[bool] = mapped_column(default=False)
    auto_close_hours: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)


class TicketStatus(Base):
    """A ticket status (the defaults plus any an install adds); ``key`` is stored on tickets."""

    __tablename__ = "ticket_statuses"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(16), default="")
    is_open: Mapped[bool] = mapped_column(default=True)  # counts as an active ticket
    awaiting_reply: Mapped[bool] = mapped_column(default=False)  # staff should answer
    auto_close: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)


class Ticket(Base):
    """A support ticket from a client, a contact or a guest submitter."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_assigned_admin_id", "assigned_admin_id"),  # 0004_performance
        Index("ix_tickets_last_reply_at", "last_reply_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # public id (WHMCS tid/mask)
    department_id: Mapped[int] = mapped_column(ForeignKey("ticket_departments.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), default="")  # guest submitter
    email: Mapped[str] = mapped_column(String(255), default="")
    cc: Mapped[list[str]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(64), default="open", index=True)
    priority: Mapped[str] = status_column(TicketPriority, TicketPriority.MEDIUM)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id", ondelete="SET NULL"))
    assigned_admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("admins.id", ondelete="SET NULL")
    )
    access_key: Mapped[str] = mapped_column(String(32), default="")  # guest link key
    opened_by_admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("admins.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = created_column()
    last_reply_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.id"
    )
    notes: Mapped[list[TicketNote]] = relationship(cascade="all, delete-orphan")


class TicketMessage(Base):
    """The opening message or a reply; the author is a client, contact, admin or guest."""

    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_type: Mapped[str] = status_column(AuthorType, AuthorType.CLIENT)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = created_column()

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class TicketNote(Base):
    """An internal staff note on a ticket, never shown to the client."""

    __tablename__ = "ticket_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()


class TicketAttachment(Base):
    """Metadata of a file attached to a ticket message or note (the bytes live in storage)."""

    __tablename__ = "ticket_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="CASCADE")
    )
    note_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_notes.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(128), default="")
    size: Mapped[int] = mapped_column(default=0)
    removed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()


DEFAULT_TICKET_STATUSES = (
    # key, title, color, is_open, awaiting_reply, auto_close
    ("open", "Open", "#779500", True, True, False),
    ("answered", "Answered", "#000000", True, False, True),
    ("customer_reply", "Customer-Reply", "#ff6600", True, True, True),
    ("on_hold", "On Hold", "#224488", True, False, False),
    ("in_progress", "In Progress", "#cc0000", True, False, False),
    ("closed", "Closed", "#888888", False, False, False),
)
