"""Clients aggregate: billing accounts, their groups, contacts and notes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column, updated_column
from .enums import ClientStatus


class PersonColumns:
    """Name, postal address, phone and tax id: shared by clients and their contacts."""

    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    address1: Mapped[str] = mapped_column(String(255), default="")
    address2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(128), default="")
    postcode: Mapped[str] = mapped_column(String(32), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")


class ClientGroup(Base):
    """A group of clients sharing a discount and billing exemptions."""

    __tablename__ = "client_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(16), default="")
    discount_percent: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    exempt_suspend_terminate: Mapped[bool] = mapped_column(default=False)
    separate_invoices: Mapped[bool] = mapped_column(default=False)


class Client(PersonColumns, Base):
    """A billing account: who is invoiced, owns services and domains, and holds credit."""

    __tablename__ = "clients"
    __table_args__ = (
        # the API filters and the WHMCS prefix search (0004_performance)
        Index("ix_clients_status", "status"),
        Index("ix_clients_first_name", "first_name"),
        Index("ix_clients_last_name", "last_name"),
        Index("ix_clients_company_name", "company_name"),
        Index("ix_clients_group_id", "group_id"),
        Index("ix_clients_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("client_groups.id"))
    id_code: Mapped[str] = mapped_column(String(64), default="")  # Blesta id_format result
    status: Mapped[str] = status_column(ClientStatus, ClientStatus.ACTIVE)
    company_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), index=True)
    currency: Mapped[str] = currency_column()
    language: Mapped[str] = mapped_column(String(32), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    default_gateway: Mapped[str] = mapped_column(String(64), default="")
    billing_contact_id: Mapped[int | None]
    tax_exempt: Mapped[bool] = mapped_column(default=False)
    late_fee_exempt: Mapped[bool] = mapped_column(default=False)
    overdue_notices_exempt: Mapped[bool] = mapped_column(default=False)
    separate_invoices: Mapped[bool] = mapped_column(default=False)
    auto_apply_credit: Mapped[bool] = mapped_column(default=True)
    disable_auto_charge: Mapped[bool] = mapped_column(default=False)
    email_opt_out: Mapped[bool] = mapped_column(default=False)
    marketing_opt_in: Mapped[bool] = mapped_column(default=False)
    email_verified: Mapped[bool] = mapped_column(default=False)
    # cached sum of credit_entries.amount; the services keep both in one transaction
    credit_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    email_preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_login_at: Mapped[datetime | None]
    last_login_ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()
    closed_at: Mapped[datetime | None]

    group: Mapped[ClientGroup | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.id"
    )

    @property
    def full_name(self) -> str:
        """First and last name joined."""
        return f"{self.first_name} {self.last_name}".strip()


class Contact(PersonColumns, Base):
    """An extra contact of a client (billing, technical, sub-account with its own login)."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="other")  # primary, billing, other
    title: Mapped[str] = mapped_column(String(64), default="")
    company_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    # which mails this contact receives: general, invoice, product, domain, support, affiliate
    email_preferences: Mapped[list[str]] = mapped_column(default=list)
    permissions: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = created_column()

    client: Mapped[Client] = relationship(back_populates="contacts")


class ClientNote(Base):
    """A staff note on a client."""

    __tablename__ = "client_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    sticky: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()
