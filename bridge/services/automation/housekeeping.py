"""Housekeeping jobs: cancellation requests at period end, registrar expiry sync, the
module retry queue and closing inactive tickets (WHMCS "Cancellation Requests", "Domain Sync",
"Module Queue", "Close Inactive Tickets"; Blesta "Process Service Changes", "Domain
Synchronization", ticket auto-close)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bridge.errors import BridgeError
from bridge.models import CancellationRequest, Domain, Service, Ticket

from ..common import log_activity
from ..provisioning import retry_failed_operations, terminate_account
from ..registrar_ops import sync_domain
from ..tickets import close_ticket
from .common import (
    Checkpoint,
    Counts,
    automation_setting,
    bump,
    flag_setting,
    int_setting,
    no_checkpoint,
)


def process_cancellation_requests(session: Session, today: date, *,
                                  checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Terminate services with an open cancellation request: ``immediate`` ones at once,
    ``end_of_period`` ones once ``today`` reaches their next due date (renewal invoicing
    leaves such services alone, so that date is the end of the paid period).

    Termination goes through the server module and closes the request; a failure leaves the
    request open for the next run and queues a module retry. Off when
    ``automation.cancel_requests`` is 0.
    """
    counts: Counts = {"terminated": 0, "failed": 0, "vetoed": 0}
    if not flag_setting(session, "cancel_requests"):
        return counts
    rows = session.execute(
        select(CancellationRequest.id, Service.id).join(Service, Service.id ==
                                                        CancellationRequest.service_id)
        .where(CancellationRequest.processed_at.is_(None),
               Service.status.in_(("pending", "active", "suspended")),
               or_(CancellationRequest.kind == "immediate", Service.next_due_date <= today,
                   Service.next_due_date.is_(None)))
        .order_by(CancellationRequest.id)).all()
    for _request_id, service_id in rows:
        try:
            outcome = terminate_account(session, service_id)
        except BridgeError:
            bump(counts, "vetoed")
            continue
        bump(counts, "terminated" if outcome.ok else "failed")
        checkpoint()
    return counts


def sync_domain_expiry(session: Session, today: date, *,
                       checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Ask registrars for expiry and status of domains expiring within
    ``automation.domain_sync_days`` (or with no expiry), once per day each (``synced_at``).
    A registrar that can't be reached is logged and skipped."""
    counts: Counts = {"synced": 0, "failed": 0}
    horizon = today + timedelta(days=int_setting(session, "domain_sync_days"))
    start = datetime.combine(today, time.min, UTC)
    ids = session.scalars(
        select(Domain.id).where(
            Domain.status.in_(("active", "grace", "redemption", "pending_transfer")),
            Domain.registrar != "",
            or_(Domain.expiry_date.is_(None), Domain.expiry_date <= horizon),
            or_(Domain.synced_at.is_(None), Domain.synced_at < start))
        .order_by(Domain.id)).all()
    for domain_id in ids:
        try:
            sync_domain(session, domain_id)
        except BridgeError as exc:
            bump(counts, "failed")
            log_activity(session, "automation.domain_sync_failed",
                         f"Registrar sync of domain {domain_id} failed: {exc}",
                         subject=("domain", domain_id))
            continue
        bump(counts, "synced")
        checkpoint()
    return counts


def retry_module_queue(session: Session, today: date, *,
                       checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Retry failed server-module operations (``provisioning.retry_failed_operations``),
    leaving items that failed ``automation.retry_max_attempts`` times to staff."""
    counts = retry_failed_operations(session,
                                     max_attempts=int_setting(session, "retry_max_attempts"))
    checkpoint()
    return counts


def close_inactive_tickets(session: Session, today: date, *,
                           checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Close tickets in one of ``automation.ticket_close_statuses`` whose last reply is
    more than ``automation.ticket_close_hours`` before the start of ``today`` (0 = never)."""
    counts: Counts = {"closed": 0}
    hours = int_setting(session, "ticket_close_hours")
    if hours <= 0:
        return counts
    statuses = [s.strip() for s in automation_setting(session, "ticket_close_statuses").split(",")
                if s.strip()]
    cutoff = datetime.combine(today, time.min, UTC) - timedelta(hours=hours)
    ids = session.scalars(select(Ticket.id).where(
        Ticket.status.in_(statuses), Ticket.merged_into_id.is_(None),
        Ticket.last_reply_at.is_not(None), Ticket.last_reply_at <= cutoff)
        .order_by(Ticket.id)).all()
    for ticket_id in ids:
        close_ticket(session, ticket_id)
        bump(counts, "closed")
    checkpoint()
    return counts
