"""Orders aggregate: what a client asked for in one checkout."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column
from .enums import OrderStatus


class Order(Base):
    """One checkout: the services, addons and domains it created and its first invoice."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_status", "status"),  # 0004_performance
        Index("ix_orders_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = status_column(OrderStatus, OrderStatus.PENDING)
    currency: Mapped[str] = currency_column()
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    promo_code: Mapped[str] = mapped_column(String(64), default="")
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    fraud_module: Mapped[str] = mapped_column(String(64), default="")
    fraud_output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_column()
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
