"""Affiliates: a client's referral account (WHMCS tblaffiliates)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, updated_column


class Affiliate(Base):
    """The affiliate account of one client: visitors referred, commission earned and paid out.

    ``commission_type`` is empty (the install's default rate), ``percentage`` or ``fixed``;
    ``commission_amount`` then overrides the default. Amounts are in ``currency`` (the
    client's currency when activated).
    """

    __tablename__ = "affiliates"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), unique=True)
    currency: Mapped[str] = currency_column()
    visitors: Mapped[int] = mapped_column(default=0)
    commission_type: Mapped[str] = mapped_column(String(16), default="")
    commission_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    one_time: Mapped[bool] = mapped_column(default=False)
    balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    withdrawn: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()
