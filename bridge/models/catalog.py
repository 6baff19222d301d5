"""Catalog aggregate: product groups, products, prices, configurable options, addons and
promotions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column
from .enums import PayType, ProductType, PromotionType


class ProductGroup(Base):
    """A group of products shown together on the order form."""

    __tablename__ = "product_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), default="")
    headline: Mapped[str] = mapped_column(Text, default="")
    tagline: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    products: Mapped[list[Product]] = relationship(back_populates="group")


class Product(Base):
    """Something that can be ordered; provisioned through its server module when it has one."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("product_groups.id"), index=True)
    type: Mapped[str] = status_column(ProductType, ProductType.OTHER)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    pay_type: Mapped[str] = status_column(PayType, PayType.RECURRING)
    hidden: Mapped[bool] = mapped_column(default=False)
    retired: Mapped[bool] = mapped_column(default=False)
    taxable: Mapped[bool] = mapped_column(default=True)
    requires_domain: Mapped[bool] = mapped_column(default=False)
    # "", "order", "payment", "manual" - when to provision automatically
    auto_setup: Mapped[str] = mapped_column(String(16), default="payment")
    module: Mapped[str] = mapped_column(String(64), default="")
    module_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    server_group_id: Mapped[int | None] = mapped_column(ForeignKey("server_groups.id"))
    stock_control: Mapped[bool] = mapped_column(default=False)
    stock_quantity: Mapped[int] = mapped_column(default=0)
    allow_quantity: Mapped[int] = mapped_column(default=0)  # 0 no, 1 separate, 3 scalable
    prorata_billing: Mapped[bool] = mapped_column(default=False)
    prorata_day: Mapped[int] = mapped_column(default=0)
    prorata_charge_next_month_day: Mapped[int] = mapped_column(default=0)
    recurring_cycles_limit: Mapped[int] = mapped_column(default=0)
    auto_terminate_days: Mapped[int] = mapped_column(default=0)
    welcome_email: Mapped[str] = mapped_column(String(128), default="")
    upgrade_product_ids: Mapped[list[int]] = mapped_column(default=list)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_column()

    group: Mapped[ProductGroup | None] = relationship(back_populates="products")


class Price(Base):
    """One price point: (what, currency, cycle) -> amount + setup fee.

    ``owner_type`` is ``product``, ``addon``, ``config_option_value``, ``tld_register``,
    ``tld_transfer`` or ``tld_renew``; for TLDs the cycle is the number of years (``2Y``).
    A cycle that exists but is not offered is kept with ``enabled = False``.
    """

    __tablename__ = "prices"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "currency", "cycle"),
        Index("ix_prices_owner", "owner_type", "owner_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[int]
    currency: Mapped[str] = currency_column()
    cycle: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    setup_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    enabled: Mapped[bool] = mapped_column(default=True)


config_group_products = Table(
    "config_group_products",
    Base.metadata,
    Column("group_id", ForeignKey("config_option_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class ConfigOptionGroup(Base):
    """A set of configurable options attached to products."""

    __tablename__ = "config_option_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")

    products: Mapped[list[Product]] = relationship(secondary=config_group_products)
    options: Mapped[list[ConfigOption]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="ConfigOption.sort_order"
    )


class ConfigOption(Base):
    """A configurable option: select, radio, yes/no, quantity or free text."""

    __tablename__ = "config_options"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("config_option_groups.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255), default="")
    option_type: Mapped[str] = mapped_column(String(16), default="select")
    qty_min: Mapped[int] = mapped_column(default=0)
    qty_max: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    group: Mapped[ConfigOptionGroup] = relationship(back_populates="options")
    values: Mapped[list[ConfigOptionValue]] = relationship(
        back_populates="option",
        cascade="all, delete-orphan",
        order_by="ConfigOptionValue.sort_order",
    )


class ConfigOptionValue(Base):
    """One choice of a configurable option; priced through ``Price(config_option_value)``."""

    __tablename__ = "config_option_values"
    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("config_options.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255), default="")
    hidden: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    option: Mapped[ConfigOption] = relationship(back_populates="values")


addon_products = Table(
    "addon_products",
    Base.metadata,
    Column("addon_id", ForeignKey("addons.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class Addon(Base):
    """A catalogue addon that can be ordered with (or for) a service of listed products."""

    __tablename__ = "addons"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    taxable: Mapped[bool] = mapped_column(default=True)
    show_on_order: Mapped[bool] = mapped_column(default=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    retired: Mapped[bool] = mapped_column(default=False)
    auto_activate: Mapped[bool] = mapped_column(default=True)
    suspend_parent: Mapped[bool] = mapped_column(default=False)
    module: Mapped[str] = mapped_column(String(64), default="")
    welcome_email: Mapped[str] = mapped_column(String(128), default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    products: Mapped[list[Product]] = relationship(secondary=addon_products)


class Promotion(Base):
    """A promotion code: percent, fixed amount, price override or free setup."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = status_column(PromotionType, PromotionType.PERCENT)
    value: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    # fixed/override promotions are in this currency; empty = any currency, same figure
    currency: Mapped[str | None] = currency_column(nullable=True)
    recurring: Mapped[bool] = mapped_column(default=False)
    recur_for: Mapped[int] = mapped_column(default=0)  # renewals it applies to, 0 = all
    cycles: Mapped[list[str]] = mapped_column(default=list)  # empty = all cycles
    product_ids: Mapped[list[int]] = mapped_column(default=list)  # empty = all products
    addon_ids: Mapped[list[int]] = mapped_column(default=list)
    tlds: Mapped[list[str]] = mapped_column(default=list)
    starts_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    max_uses: Mapped[int] = mapped_column(default=0)
    uses: Mapped[int] = mapped_column(default=0)
    apply_once: Mapped[bool] = mapped_column(default=False)
    once_per_client: Mapped[bool] = mapped_column(default=False)
    new_signups_only: Mapped[bool] = mapped_column(default=False)
    existing_clients_only: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
