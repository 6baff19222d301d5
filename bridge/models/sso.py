"""Access tokens and OAuth client credentials: single sign-on links, login session tokens,
password resets and client invites (WHMCS CreateSsoToken, ValidateLogin, ResetPassword,
CreateClientInvite, the OAuth credential actions).

Only a SHA-256 digest of every token or client secret is stored; the plain value is handed out
once when it is created.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base

from ._columns import created_column, updated_column


class AccessToken(Base):
    """A short-lived, single-use token proving who may do one thing.

    ``purpose`` is ``sso`` (sign in and land on ``destination``), ``login`` (a session token
    after a password check), ``reset`` (choose a new password) or ``invite`` (join
    ``client_id`` with ``permissions``; ``email`` names the invitee).
    """

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(255), default="")
    destination: Mapped[str] = mapped_column(String(64), default="")
    # service or domain id the destination points at
    target_id: Mapped[int | None]
    redirect_path: Mapped[str] = mapped_column(Text, default="")
    permissions: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthCredential(Base):
    """An OAuth client (WHMCS tbloauthserver_clients): identifier, hashed secret, grant type
    and scopes; a ``single_sign_on`` credential belongs to one service."""

    __tablename__ = "oauth_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    grant_type: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"))
    logo_uri: Mapped[str] = mapped_column(String(255), default="")
    redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime | None] = updated_column()
