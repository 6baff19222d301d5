"""What happens the moment an invoice is paid: overdue suspensions are lifted and paid
domain renewals are sent to the registrar (WHMCS AutoUnsuspend and domain auto-renew on
payment), in the same transaction as the payment, before it commits.

Core services mark an invoice paid in one place (``credit.settle_invoice``), which queues the
``invoice_paid`` event on the session. A ``before_commit`` listener picks those events up, so
every path to "paid" (gateway callback, API payment, credit, capture job) unsuspends at once
rather than at the next cron run. Plugins only see the event after commit and never touch the
session, which is why this lives in the service layer and not in a plugin.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bridge.context import pending_events
from bridge.errors import BridgeError
from bridge.models import Domain, InvoiceItem
from bridge.models.enums import InvoiceItemType

from ..common import business_date, log_activity
from ..registrar_ops import renew_at_registrar
from .overdue import unsuspend_paid_services

log = logging.getLogger(__name__)
_HANDLED_KEY = "bridge.automation.paid_handled"


def renew_paid_domains(session: Session, invoice_id: int) -> int:
    """Renew at the registrar every domain renewed by paid invoice ``invoice_id``; returns
    how many registrar renewals succeeded (failures are queued by ``registrar_ops``)."""
    rows = session.execute(
        select(InvoiceItem.domain_id, InvoiceItem.period_start, InvoiceItem.period_end)
        .where(InvoiceItem.invoice_id == invoice_id,
               InvoiceItem.type == InvoiceItemType.DOMAIN_RENEW.value,
               InvoiceItem.domain_id.is_not(None))).all()
    done = 0
    for domain_id, start, end in rows:
        domain = session.get(Domain, domain_id)
        if domain is None or not domain.registrar:
            continue
        years = max(1, round(((end - start).days + 1) / 365)) if start and end else 1
        if renew_at_registrar(session, domain.id, years).ok:
            done += 1
    return done


def handle_paid_invoices(session: Session) -> None:
    """Run the on-payment actions for every ``invoice_paid`` queued on ``session`` and not
    handled yet. Each invoice runs in a savepoint: a failure is logged and rolled back alone
    and never blocks the payment from committing."""
    handled: set[int] = session.info.setdefault(_HANDLED_KEY, set())
    today = business_date(session)
    for name, payload in pending_events(session):
        invoice_id = payload.get("invoice_id")
        if name != "invoice_paid" or not isinstance(invoice_id, int) or invoice_id in handled:
            continue
        handled.add(invoice_id)
        try:
            with session.begin_nested():
                unsuspend_paid_services(session, invoice_id, today)
                renew_paid_domains(session, invoice_id)
        except (BridgeError, RuntimeError) as exc:
            log.warning("on-payment actions for invoice %s failed: %s", invoice_id, exc)
            log_activity(session, "automation.on_paid_failed",
                         f"Actions after payment of invoice {invoice_id} failed: {exc}",
                         subject=("invoice", invoice_id))


def _before_commit(session: Session) -> None:
    # only sessions of an app (with its plugin host) can reach server and registrar modules
    if "bridge.plugins" not in session.info or session.in_nested_transaction():
        return
    if any(name == "invoice_paid" for name, _ in pending_events(session)):
        handle_paid_invoices(session)


def _forget_handled(session: Session, *_: Any) -> None:
    session.info.pop(_HANDLED_KEY, None)


def install_paid_listener() -> None:
    """Listen for paid invoices on every session (idempotent; ``create_app`` calls it)."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _forget_handled)
        event.listen(Session, "after_rollback", _forget_handled)
