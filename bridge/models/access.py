"""Access aggregate: login users, staff admins and roles, API credentials and roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base

from ._columns import created_column


class User(Base):
    """A login identity (WHMCS 8 tblusers, Blesta users); may reach several clients."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str] = mapped_column(String(32), default="")
    two_factor: Mapped[str] = mapped_column(String(64), default="")
    two_factor_secret: Mapped[str] = mapped_column(Text, default="")  # encrypted
    email_verified_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    last_ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = created_column()

    links: Mapped[list[UserClient]] = relationship(back_populates="user", cascade="all")


class UserClient(Base):
    """Which clients a user may reach, with the owner flag and per-client permissions."""

    __tablename__ = "user_clients"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    is_owner: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[list[str]] = mapped_column(default=list)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="links")


class AdminRole(Base):
    """A staff role; ``permissions`` lists permission names (``*`` = everything)."""

    __tablename__ = "admin_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    permissions: Mapped[list[str]] = mapped_column(default=list)


class Admin(Base):
    """A staff member who can log in to the admin side."""

    __tablename__ = "admins"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("admin_roles.id"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(255), default="")
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # hash of md5(password): WHMCS's legacy API login sends the md5 of the admin password
    legacy_api_hash: Mapped[str] = mapped_column(String(255), default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(32), default="")
    support_department_ids: Mapped[list[int]] = mapped_column(default=list)
    disabled: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_column()

    role: Mapped[AdminRole | None] = relationship()

    @property
    def full_name(self) -> str:
        """First and last name, or the username when both are empty."""
        return f"{self.first_name} {self.last_name}".strip() or self.username


api_credential_roles = Table(
    "api_credential_roles",
    Base.metadata,
    Column("credential_id", ForeignKey("api_credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("api_roles.id", ondelete="CASCADE"), primary_key=True),
)


class ApiRole(Base):
    """A named set of API actions a credential may call (``*`` = all)."""

    __tablename__ = "api_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    allowed_actions: Mapped[list[str]] = mapped_column(default=list)


class ApiCredential(Base):
    """One API credential used by every facade (WHMCS identifier/secret = Blesta user/key)."""

    __tablename__ = "api_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id", ondelete="SET NULL"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    # IPs or CIDR blocks; empty means loopback only
    allowed_ips: Mapped[list[str]] = mapped_column(default=list)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str] = mapped_column(String(45), default="")

    roles: Mapped[list[ApiRole]] = relationship(secondary=api_credential_roles)
