"""System aggregate: companies, currencies, settings, custom fields, activity log, import
bookkeeping (id map and quarantine)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import RATE, Base

from ._columns import created_column


class Company(Base):
    """A selling entity; Blesta scopes data by company, WHMCS has exactly one."""

    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    hostname: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")


class Currency(Base):
    """A currency with its display format and exchange rate relative to the default one."""

    __tablename__ = "currencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), default="")
    suffix: Mapped[str] = mapped_column(String(16), default="")
    # WHMCS format number 1..4 (1234.56, 1,234.56, 1.234,56, 1,234)
    format: Mapped[int] = mapped_column(Integer, default=1)
    places: Mapped[int] = mapped_column(Integer, default=2)
    rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal(1))
    is_default: Mapped[bool] = mapped_column(default=False)
    rate_updated_at: Mapped[datetime | None]


class Setting(Base):
    """A runtime-editable setting (key -> text value), optionally per company."""

    __tablename__ = "settings"
    __table_args__ = (UniqueConstraint("company_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")


class CustomField(Base):
    """A custom field definition attached to clients, products, addons or ticket departments."""

    __tablename__ = "custom_fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))  # client, product, addon, support
    owner_id: Mapped[int | None] = mapped_column(index=True)  # product / department id
    name: Mapped[str] = mapped_column(String(255))
    field_type: Mapped[str] = mapped_column(String(16), default="text")
    description: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[list[str]] = mapped_column(default=list)
    regex: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    admin_only: Mapped[bool] = mapped_column(default=False)
    show_on_order: Mapped[bool] = mapped_column(default=False)
    show_on_invoice: Mapped[bool] = mapped_column(default=False)
    encrypted: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)


class CustomFieldValue(Base):
    """The value of one custom field for one entity (client, service, ticket...)."""

    __tablename__ = "custom_field_values"
    __table_args__ = (UniqueConstraint("field_id", "entity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(index=True)
    value: Mapped[str] = mapped_column(Text, default="")


class ActivityLog(Base):
    """Append-only record of every state change that matters, with actor and source."""

    __tablename__ = "activity_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = created_column()
    actor_type: Mapped[str] = mapped_column(String(16), default="system")
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    source: Mapped[str] = mapped_column(String(32), default="core")
    action: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[int | None] = mapped_column(index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IdMap(Base):
    """Importer bookkeeping: (source system, source table, source id) -> our id."""

    __tablename__ = "id_map"
    __table_args__ = (UniqueConstraint("source", "source_table", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_table: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64))
    target_table: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = created_column()


class QuarantinedRow(Base):
    """A source row an importer could not map, kept whole with the reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_table: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_column()


class ModuleSetting(Base):
    """The settings an operator saved for one gateway or registrar module.

    Values of fields the module declares ``secret`` are stored encrypted with the install key.
    """

    __tablename__ = "module_settings"
    __table_args__ = (UniqueConstraint("kind", "module"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # gateway, registrar
    module: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = created_column()


class TodoItem(Base):
    """A task for staff (a manual registrar operation, a failed module call to look at)."""

    __tablename__ = "todo_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, done
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))
    due_date: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_column()
    completed_at: Mapped[datetime | None]
