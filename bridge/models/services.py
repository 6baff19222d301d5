"""Services aggregate: servers, the services clients own, their addons, options and
cancellation requests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import MONEY, Base

from ._columns import created_column, currency_column, status_column, updated_column
from .enums import ServiceStatus


class ServerGroup(Base):
    """Servers a product may be placed on; ``fill_type`` picks one (least used / fill first)."""

    __tablename__ = "server_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    fill_type: Mapped[str] = mapped_column(String(16), default="least_used")

    servers: Mapped[list[Server]] = relationship(back_populates="group")


class Server(Base):
    """A panel or host a server module talks to; credentials are encrypted at rest."""

    __tablename__ = "servers"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("server_groups.id"))
    name: Mapped[str] = mapped_column(String(128))
    module: Mapped[str] = mapped_column(String(64), default="")
    hostname: Mapped[str] = mapped_column(String(255), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    assigned_ips: Mapped[list[str]] = mapped_column(default=list)
    port: Mapped[int | None]
    secure: Mapped[bool] = mapped_column(default=True)
    username: Mapped[str] = mapped_column(String(128), default="")
    password_enc: Mapped[str] = mapped_column(Text, default="")
    access_hash_enc: Mapped[str] = mapped_column(Text, default="")
    nameservers: Mapped[list[str]] = mapped_column(default=list)
    max_accounts: Mapped[int] = mapped_column(default=0)
    status_url: Mapped[str] = mapped_column(String(255), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    disabled: Mapped[bool] = mapped_column(default=False)

    group: Mapped[ServerGroup | None] = relationship(back_populates="servers")


class Service(Base):
    """A product a client owns: status, cycle, amounts, dates and module account details."""

    __tablename__ = "services"
    __table_args__ = (
        Index("ix_services_domain", "domain"),  # 0004_performance
        Index("ix_services_server_id", "server_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    status: Mapped[str] = status_column(ServiceStatus, ServiceStatus.PENDING, index=True)
    billing_cycle: Mapped[str] = mapped_column(String(16), default="1M")
    currency: Mapped[str] = currency_column()
    quantity: Mapped[int] = mapped_column(default=1)
    first_payment_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    recurring_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    registration_date: Mapped[date | None]
    next_due_date: Mapped[date | None] = mapped_column(index=True)
    next_invoice_date: Mapped[date | None] = mapped_column(index=True)
    termination_date: Mapped[date | None]
    # day of month first billed; keeps month-end services on the 31st across short months
    anchor_day: Mapped[int | None]
    domain: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str] = mapped_column(String(128), default="")
    password_enc: Mapped[str] = mapped_column(Text, default="")
    dedicated_ip: Mapped[str] = mapped_column(String(45), default="")
    assigned_ips: Mapped[list[str]] = mapped_column(default=list)
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    promo_renewals_used: Mapped[int] = mapped_column(default=0)
    suspend_reason: Mapped[str] = mapped_column(Text, default="")
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")
    override_auto_suspend: Mapped[bool] = mapped_column(default=False)
    override_suspend_until: Mapped[date | None]
    override_auto_terminate: Mapped[bool] = mapped_column(default=False)
    module_error: Mapped[str] = mapped_column(Text, default="")
    module_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    disk_usage_mb: Mapped[int | None]
    disk_limit_mb: Mapped[int | None]
    bandwidth_usage_mb: Mapped[int | None]
    bandwidth_limit_mb: Mapped[int | None]
    usage_updated_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()
    suspended_at: Mapped[datetime | None]
    terminated_at: Mapped[datetime | None]

    addons: Mapped[list[ServiceAddon]] = relationship(back_populates="service", cascade="all")
    config_options: Mapped[list[ServiceConfigOption]] = relationship(cascade="all, delete-orphan")


class ServiceConfigOption(Base):
    """A service's choice for one configurable option (or its quantity)."""

    __tablename__ = "service_config_options"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("config_options.id"))
    value_id: Mapped[int | None] = mapped_column(ForeignKey("config_option_values.id"))
    quantity: Mapped[int] = mapped_column(default=0)
    text_value: Mapped[str] = mapped_column(Text, default="")


class ServiceAddon(Base):
    """An addon attached to a service, billed on its own cycle."""

    __tablename__ = "service_addons"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    addon_id: Mapped[int | None] = mapped_column(ForeignKey("addons.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id"))
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = status_column(ServiceStatus, ServiceStatus.PENDING)
    suspend_reason: Mapped[str] = mapped_column(Text, default="")
    billing_cycle: Mapped[str] = mapped_column(String(16), default="1M")
    currency: Mapped[str] = currency_column()
    quantity: Mapped[int] = mapped_column(default=1)
    setup_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    recurring_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    taxable: Mapped[bool] = mapped_column(default=True)
    registration_date: Mapped[date | None]
    next_due_date: Mapped[date | None]
    next_invoice_date: Mapped[date | None]
    termination_date: Mapped[date | None]
    anchor_day: Mapped[int | None]
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()

    service: Mapped[Service] = relationship(back_populates="addons")


class CancellationRequest(Base):
    """A client's request to cancel a service, now or at the end of its period."""

    __tablename__ = "cancellation_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="end_of_period")  # or immediate
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
    processed_at: Mapped[datetime | None]


class ModuleQueueItem(Base):
    """A module operation that failed and waits to be retried by automation."""

    __tablename__ = "module_queue"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # service, service_addon, domain
    subject_id: Mapped[int] = mapped_column(index=True)
    module: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # create, suspend, register, ...
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=1)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_column()
    last_attempt_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
