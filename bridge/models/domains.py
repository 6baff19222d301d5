"""Domains aggregate: the TLD catalogue and the domains clients hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column, updated_column
from .enums import DomainStatus


class Tld(Base):
    """A sellable extension (``.com``); priced through ``Price(tld_register|transfer|renew)``."""

    __tablename__ = "tlds"
    id: Mapped[int] = mapped_column(primary_key=True)
    extension: Mapped[str] = mapped_column(String(64), unique=True)
    registrar: Mapped[str] = mapped_column(String(64), default="")
    epp_required: Mapped[bool] = mapped_column(default=True)
    dns_management: Mapped[bool] = mapped_column(default=False)
    email_forwarding: Mapped[bool] = mapped_column(default=False)
    id_protection: Mapped[bool] = mapped_column(default=False)
    grace_days: Mapped[int | None]
    redemption_days: Mapped[int | None]
    grace_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    redemption_fee: Mapped[Decimal | None] = mapped_column(MONEY)
    group: Mapped[str] = mapped_column(String(16), default="")
    sort_order: Mapped[int] = mapped_column(default=0)


class Domain(Base):
    """A domain a client holds (registered, transferred in, or pending)."""

    __tablename__ = "domains"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="register")  # register, transfer
    status: Mapped[str] = status_column(DomainStatus, DomainStatus.PENDING, index=True)
    registrar: Mapped[str] = mapped_column(String(64), default="")
    registration_period: Mapped[int] = mapped_column(default=1)  # years
    registration_date: Mapped[date | None]
    expiry_date: Mapped[date | None]
    next_due_date: Mapped[date | None] = mapped_column(index=True)
    next_invoice_date: Mapped[date | None]
    currency: Mapped[str] = currency_column()
    first_payment_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    recurring_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    nameservers: Mapped[list[str]] = mapped_column(default=list)
    epp_code_enc: Mapped[str] = mapped_column(Text, default="")
    locked: Mapped[bool] = mapped_column(default=True)
    id_protection: Mapped[bool] = mapped_column(default=False)
    dns_management: Mapped[bool] = mapped_column(default=False)
    email_forwarding: Mapped[bool] = mapped_column(default=False)
    do_not_renew: Mapped[bool] = mapped_column(default=False)
    is_premium: Mapped[bool] = mapped_column(default=False)
    contacts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # registrant/admin/tech/billing
    notes: Mapped[str] = mapped_column(Text, default="")
    registrar_error: Mapped[str] = mapped_column(Text, default="")
    synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()

    fields: Mapped[list[DomainField]] = relationship(cascade="all, delete-orphan")


class DomainField(Base):
    """A TLD-specific registrant field of a domain (WHMCS domain additional fields)."""

    __tablename__ = "domain_fields"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")
