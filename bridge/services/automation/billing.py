"""Collecting money: automatic capture through stored pay methods, credit applied to open
invoices, and late fees (WHMCS "Credit Card Charging", "Late Fees"; Blesta "Auto Debit
Invoices", "Apply Credits", late fees)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.errors import Conflict, ModuleError, NotFound, ValidationFailed
from bridge.models import Client, Invoice, PayMethod
from bridge.models.enums import InvoiceItemType
from bridge.money import round_money
from hooks import PaymentStatus

from ..common import log_activity
from ..credit import PAYABLE_STATUSES, apply_credit, currency_places
from ..gateway_ops import charge_invoice
from ..invoices import add_invoice_item
from .common import (
    Checkpoint,
    Counts,
    automation_setting,
    bump,
    claim_mark,
    days_setting,
    decimal_setting,
    flag_setting,
    int_setting,
    no_checkpoint,
)


def capture_due_invoices(session: Session, today: date, *,
                         checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Charge open invoices through the client's stored pay method (first by preference).

    An invoice is charged when its due date is ``automation.capture_days_before`` days from
    ``today``, and again on each of ``automation.capture_retry_days`` days after that.
    Clients with auto-charge disabled or no stored method are skipped. Each attempt is marked
    and committed (``checkpoint``) *before* the gateway is asked, so neither a rerun nor a
    crash after the charge can charge the same invoice twice on one day. Declines are
    recorded by the gateway layer (pay method failure count, activity log, event).
    """
    counts: Counts = {"charged": 0, "declined": 0, "pending": 0, "errors": 0}
    if not flag_setting(session, "capture_enabled"):
        return counts
    first = today + timedelta(days=int_setting(session, "capture_days_before"))
    retries = days_setting(session, "capture_retry_days")
    days = {first} | {first - timedelta(days=n) for n in retries}
    rows = session.execute(
        select(Invoice.id, Invoice.due_date).join(Client, Client.id == Invoice.client_id)
        .where(Invoice.status.in_(PAYABLE_STATUSES), Invoice.due_date.in_(days),
               Client.disable_auto_charge.is_(False),
               select(PayMethod.id).where(PayMethod.client_id == Invoice.client_id,
                                          PayMethod.deleted_at.is_(None)).exists())
        .order_by(Invoice.id)).all()
    for invoice_id, _due in rows:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.balance <= 0:
            continue
        if not claim_mark(session, "capture", ("invoice", invoice_id), today.isoformat(), today):
            continue
        checkpoint()
        try:
            result = charge_invoice(session, invoice_id)
        except (Conflict, ModuleError, NotFound, ValidationFailed) as exc:
            bump(counts, "errors")
            log_activity(session, "automation.capture_failed",
                         f"Automatic capture of invoice {invoice_id} could not run: {exc}",
                         client_id=invoice.client_id, subject=("invoice", invoice_id))
        else:
            key = {PaymentStatus.PROCESSED: "charged",
                   PaymentStatus.DECLINED: "declined"}.get(result.status, "pending")
            bump(counts, key)
        checkpoint()
    return counts


def apply_credit_to_invoices(session: Session, today: date, *,
                             checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Apply available client credit to open invoices (oldest due first) of clients who
    allow it, when ``automation.credit_auto_apply`` is on. Idempotent: applied credit is
    gone from the balance, so a rerun finds nothing to apply."""
    counts: Counts = {"invoices": 0}
    if not flag_setting(session, "credit_auto_apply"):
        return counts
    rows = session.scalars(
        select(Invoice.id).join(Client, Client.id == Invoice.client_id)
        .where(Invoice.status.in_(PAYABLE_STATUSES), Client.credit_balance > 0,
               Client.auto_apply_credit.is_(True), Invoice.currency == Client.currency,
               Invoice.date <= today)
        .order_by(Invoice.client_id, Invoice.due_date, Invoice.id)).all()
    for invoice_id in rows:
        if apply_credit(session, invoice_id) > 0:
            bump(counts, "invoices")
    checkpoint()
    return counts


def _fee(session: Session, invoice: Invoice) -> Decimal:
    amount = decimal_setting(session, "late_fee_amount")
    if automation_setting(session, "late_fee_type").strip().lower() == "percent":
        amount = invoice.total * amount / Decimal(100)
    return round_money(amount, currency_places(session, invoice.currency))


def add_late_fees(session: Session, today: date, *,
                  checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Add one late fee line to each unpaid invoice overdue by ``automation.late_fee_days``.

    The fee is ``automation.late_fee_amount``, fixed or (``late_fee_type`` = percent) a share
    of the invoice total. ``invoice.late_fee_charged`` makes it once per invoice; clients
    exempt from late fees and invoices with payments on them (lines can't change) are skipped.
    """
    counts: Counts = {"fees": 0, "skipped": 0}
    if decimal_setting(session, "late_fee_amount") == 0:
        return counts
    cutoff = today - timedelta(days=int_setting(session, "late_fee_days"))
    rows = session.scalars(
        select(Invoice).join(Client, Client.id == Invoice.client_id)
        .where(Invoice.status == "unpaid", Invoice.due_date <= cutoff,
               Invoice.late_fee_charged.is_(False), Client.late_fee_exempt.is_(False))
        .order_by(Invoice.id)).all()
    for invoice in rows:
        fee = _fee(session, invoice)
        if invoice.amount_paid > 0 or fee <= 0:
            bump(counts, "skipped")
            continue
        add_invoice_item(session, invoice.id, {
            "type": InvoiceItemType.LATE_FEE.value, "description": "Late fee",
            "unit_amount": fee, "taxed": False})
        invoice.late_fee_charged = True
        bump(counts, "fees")
    checkpoint()
    return counts
