"""Banned IP addresses and blocked ticket senders.

These record the lists; the doors consult :func:`is_ip_banned` and mail import consults
:func:`is_sender_blocked`.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import UTCDateTime, utcnow
from bridge.errors import ValidationFailed
from bridge.models.blocklists import BannedIp, BlockedSender

from .common import log_activity


def ban_ip(session: Session, ip: str, reason: str, *,
           expires_at: datetime | None = None) -> BannedIp:
    """Ban ``ip`` until ``expires_at`` (aware UTC; None = permanently).

    Emits ``ip_banned``. Raises ValidationFailed for a malformed address or an expiry that
    is naive or already past.
    """
    try:
        address = str(ipaddress.ip_address(ip.strip()))
    except ValueError as exc:
        raise ValidationFailed.single("ip", "invalid", f"{ip!r} is not an IP address") from exc
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= utcnow()):
        raise ValidationFailed.single("expires_at", "range",
                                      "the ban must expire in the future (aware UTC)")
    ban = BannedIp(ip_address=address, reason=reason.strip(), expires_at=expires_at)
    session.add(ban)
    session.flush()
    log_activity(session, "ip.banned", f"IP {address} banned"
                 + (f" until {expires_at:%Y-%m-%d %H:%M}" if expires_at else ""),
                 subject=("banned_ip", ban.id), data={"ip": address})
    emit(session, "ip_banned", ban_id=ban.id, ip=address)
    return ban


# Built once: the API doors read this on every call, and building the statement cost more
# than running it. Parameters ``ban_ip`` (normalized address) and ``ban_now`` (aware UTC).
BAN_EXISTS = select(BannedIp.id).where(
    BannedIp.ip_address == bindparam("ban_ip"),
    or_(BannedIp.expires_at.is_(None),
        BannedIp.expires_at > bindparam("ban_now", type_=UTCDateTime()))).exists()
_IS_BANNED = select(BAN_EXISTS)


def ban_params(ip: str) -> dict[str, object] | None:
    """The parameters of :data:`BAN_EXISTS` for ``ip`` (None for a string that is no IP
    address, which no ban can name): lets a caller fold the ban check into a statement it
    runs anyway."""
    try:
        address = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None
    return {"ban_ip": address, "ban_now": utcnow()}


def is_ip_banned(session: Session, ip: str) -> bool:
    """True when an unexpired ban names ``ip``."""
    params = ban_params(ip)
    return params is not None and bool(session.scalar(_IS_BANNED, params))


def block_sender(session: Session, email: str, reason: str = "") -> BlockedSender:
    """Add ``email`` to the blocked ticket senders (idempotent: an existing entry is
    returned). Emits ``sender_blocked`` when added. ValidationFailed for a blank address."""
    address = email.strip().lower()
    if "@" not in address:
        raise ValidationFailed.single("email", "email", f"{email!r} is not an email address")
    existing = session.scalar(select(BlockedSender).where(BlockedSender.email == address))
    if existing is not None:
        return existing
    entry = BlockedSender(email=address, reason=reason)
    session.add(entry)
    session.flush()
    log_activity(session, "ticket_sender.blocked", f"Ticket sender {address} blocked",
                 subject=("blocked_sender", entry.id))
    emit(session, "sender_blocked", blocked_sender_id=entry.id, email=address)
    return entry


def is_sender_blocked(session: Session, email: str) -> bool:
    """True when ``email`` is on the blocked ticket senders list."""
    address = email.strip().lower()
    return session.scalar(select(BlockedSender.id).where(
        BlockedSender.email == address)) is not None
