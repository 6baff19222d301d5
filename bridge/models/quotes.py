"""Quotes aggregate: priced offers to a client or a prospect, turned into an invoice when
accepted (WHMCS ``tblquotes`` / ``tblquoteitems``).

Invariants the services keep (bridge.services.quotes):
- ``item.amount == line_total(unit_amount, quantity) - percent_of(that, discount_percent)``;
- ``quote.total == subtotal + tax1 + tax2`` with the tax rules that apply to the recipient;
- a quote is for a client (``client_id``) or for a prospect (the name/address columns);
- ``invoice_id`` is set once, when the quote is accepted.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column, updated_column


class QuoteStage(StrEnum):
    """Where a quote stands (WHMCS ``tblquotes.stage``)."""

    DRAFT = "draft"
    DELIVERED = "delivered"
    ON_HOLD = "on_hold"
    ACCEPTED = "accepted"
    LOST = "lost"
    DEAD = "dead"


class Quote(Base):
    """A quote: subject, stage, validity, recipient, lines and totals in one currency."""

    __tablename__ = "quotes"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    subject: Mapped[str] = mapped_column(String(255), default="")
    stage: Mapped[str] = status_column(QuoteStage, QuoteStage.DRAFT, index=True)
    valid_until: Mapped[dt.date]
    date_created: Mapped[dt.date]
    last_modified: Mapped[dt.date | None]
    date_sent: Mapped[dt.date | None]
    date_accepted: Mapped[dt.date | None]
    currency: Mapped[str] = currency_column()
    # the prospect's details (used when client_id is None; kept as given otherwise)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    company_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    address1: Mapped[str] = mapped_column(String(255), default="")
    address2: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(128), default="")
    postcode: Mapped[str] = mapped_column(String(32), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax1: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax2: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    proposal: Mapped[str] = mapped_column(Text, default="")
    customer_notes: Mapped[str] = mapped_column(Text, default="")
    admin_notes: Mapped[str] = mapped_column(Text, default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()

    items: Mapped[list[QuoteItem]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteItem.sort_order"
    )


class QuoteItem(Base):
    """One quote line: quantity times unit amount, less a percentage discount."""

    __tablename__ = "quote_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1))
    unit_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    discount_percent: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    taxed: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))  # line total
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()

    quote: Mapped[Quote] = relationship(back_populates="items")
