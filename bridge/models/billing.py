"""Billing aggregate: tax rules, invoices and their lines, transactions, the credit ledger,
stored payment methods and billable items.

Invariants the services keep (and a property test checks):
- ``invoice.total == subtotal + tax1 + tax2`` (gross, before credit);
- ``invoice.balance == total - credit_applied - amount_paid`` and is never negative;
- ``client.credit_balance == sum(credit_entries.amount)`` and is never negative.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column, updated_column
from .enums import InvoiceItemType, InvoiceStatus, TransactionKind


class TaxRule(Base):
    """A tax rate for a level (1 or 2) and a country/state (empty = everywhere)."""

    __tablename__ = "tax_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    level: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(128))
    country: Mapped[str] = mapped_column(String(2), default="")
    state: Mapped[str] = mapped_column(String(128), default="")
    rate: Mapped[Decimal] = mapped_column(MONEY)  # percent
    # a level-2 compound tax is charged on (net + level-1 tax)
    compound: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


def invoice_balance(invoice: Any) -> Any:
    """What an invoice still owes: total less credit applied and net payments. Works on an
    :class:`Invoice`, on a plain row of its columns, and on the class itself (then it is the
    SQL expression, for sums and sorting)."""
    return invoice.total - invoice.credit_applied - invoice.amount_paid


class Invoice(Base):
    """An invoice: lines, taxes, credit applied and payments; amounts in one currency."""

    __tablename__ = "invoices"
    __table_args__ = (
        # a client's invoices by status; a status's invoices by due date (0004_performance)
        Index("ix_invoices_client_status", "client_id", "status"),
        Index("ix_invoices_status_due", "status", "due_date"),
        Index("ix_invoices_date", "date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = status_column(InvoiceStatus, InvoiceStatus.UNPAID, index=True)
    currency: Mapped[str] = currency_column()
    date: Mapped[dt.date]
    due_date: Mapped[dt.date] = mapped_column(index=True)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    last_capture_attempt: Mapped[datetime | None]
    tax_inclusive: Mapped[bool] = mapped_column(default=False)
    tax1_name: Mapped[str] = mapped_column(String(128), default="")
    tax1_rate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax2_name: Mapped[str] = mapped_column(String(128), default="")
    tax2_rate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax2_compound: Mapped[bool] = mapped_column(default=False)
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax1: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax2: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    credit_applied: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # refunds are tracked apart from payments so a partly refunded invoice stays settled
    amount_refunded: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    pay_method_id: Mapped[int | None] = mapped_column(ForeignKey("pay_methods.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    admin_notes: Mapped[str] = mapped_column(Text, default="")
    late_fee_charged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()

    items: Mapped[list[InvoiceItem]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceItem.sort_order"
    )

    @property
    def balance(self) -> Decimal:
        """What is still owed: total less credit applied and net payments."""
        return invoice_balance(self)  # type: ignore[no-any-return]


class InvoiceItem(Base):
    """One invoice line, typed and linked to the service, addon or domain it bills."""

    __tablename__ = "invoice_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = status_column(InvoiceItemType, InvoiceItemType.ITEM)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    service_addon_id: Mapped[int | None] = mapped_column(ForeignKey("service_addons.id"))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"), index=True)
    rel_id: Mapped[int | None]  # other links (billable item, invoice for mass pay, ...)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1))
    unit_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))  # line total
    taxed: Mapped[bool] = mapped_column(default=True)
    period_start: Mapped[dt.date | None]
    period_end: Mapped[dt.date | None]
    sort_order: Mapped[int] = mapped_column(default=0)

    invoice: Mapped[Invoice] = relationship(back_populates="items")


class Transaction(Base):
    """Money in (payment) or out (refund) through a gateway, optionally against an invoice."""

    __tablename__ = "transactions"
    __table_args__ = (
        # one gateway transaction id is never applied twice (NULL = none given)
        UniqueConstraint("gateway", "gateway_txn_id"),
        Index("ix_transactions_invoice", "invoice_id"),
        Index("ix_transactions_date", "date"),  # 0004_performance
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = status_column(TransactionKind, TransactionKind.PAYMENT)
    gateway: Mapped[str] = mapped_column(String(64), default="")
    gateway_txn_id: Mapped[str | None] = mapped_column(String(191))
    date: Mapped[datetime] = created_column()
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = currency_column()
    amount_in: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    amount_out: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    fees: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    exchange_rate: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1))
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    status: Mapped[str] = mapped_column(String(16), default="completed")
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_column()


class CreditEntry(Base):
    """One movement of client credit: positive adds, negative spends or removes."""

    __tablename__ = "credit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    date: Mapped[datetime] = created_column()
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = currency_column()
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))


class PayMethod(Base):
    """A stored way to pay (card, bank account or a gateway token), secrets encrypted."""

    __tablename__ = "pay_methods"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    gateway: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(32), default="remote_card")
    description: Mapped[str] = mapped_column(String(255), default="")
    token_enc: Mapped[str] = mapped_column(Text, default="")
    card_type: Mapped[str] = mapped_column(String(32), default="")
    last_four: Mapped[str] = mapped_column(String(4), default="")
    expiry: Mapped[str] = mapped_column(String(7), default="")  # MM/YYYY
    bank_name: Mapped[str] = mapped_column(String(128), default="")
    preference: Mapped[int] = mapped_column(default=0)  # lower is tried first
    failed_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_column()
    deleted_at: Mapped[datetime | None]


class BillableItem(Base):
    """A one-off or recurring charge waiting to be invoiced (WHMCS billable items)."""

    __tablename__ = "billable_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1))
    unit_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    currency: Mapped[str] = currency_column()
    invoice_action: Mapped[str] = mapped_column(String(16), default="none")
    due_date: Mapped[dt.date | None]
    recur_cycle: Mapped[str] = mapped_column(String(16), default="")
    recur_for: Mapped[int] = mapped_column(default=0)
    invoice_count: Mapped[int] = mapped_column(default=0)
    invoiced: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()
