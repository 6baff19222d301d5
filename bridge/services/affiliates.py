"""Affiliate accounts: a client's referral account with its visitors, balance and payouts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.models import Client
from bridge.models.affiliates import Affiliate

from .common import get_or_404, log_activity


def find_affiliate(session: Session, client_id: int) -> Affiliate | None:
    """The affiliate account of a client, or None when it never activated one."""
    return session.scalar(select(Affiliate).where(Affiliate.client_id == client_id))


def activate_affiliate(session: Session, client_id: int) -> Affiliate:
    """Open the affiliate account of a client (in the client's currency, default commission).

    Activating twice is harmless: the existing account is returned unchanged. Raises NotFound
    for an unknown client. Emits affiliate_activated the first time.
    """
    client = get_or_404(session, Client, client_id, "Client")
    existing = find_affiliate(session, client.id)
    if existing is not None:
        return existing
    affiliate = Affiliate(client_id=client.id, currency=client.currency)
    session.add(affiliate)
    session.flush()
    log_activity(session, "affiliate.activated", f"Affiliate account of client {client.id} "
                 "activated", client_id=client.id, subject=("affiliate", affiliate.id))
    emit(session, "affiliate_activated", affiliate_id=affiliate.id, client_id=client.id)
    return affiliate
