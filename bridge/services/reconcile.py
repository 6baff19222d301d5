"""Reconciliation: check that the billing records agree with each other."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.models import Client, CreditEntry, Invoice, Transaction
from bridge.money import line_total

ZERO = Decimal(0)
SETTLED = ("paid", "refunded")


def audit_billing(session: Session) -> list[str]:
    """Check that invoices, payments, refunds and credit reconcile; one message per problem.

    Rules: lines are unit x quantity; total = subtotal + taxes (inclusive: = sum of lines);
    balances are never negative and settled invoices owe nothing; amount_paid equals the
    payments less what went to credit and less refunds taken off open invoices; credit applied
    matches the ledger; a client's credit balance equals its ledger and is never negative; no
    payment is refunded beyond what it brought in. An empty list means everything reconciles.
    """
    problems: list[str] = []
    session.flush()
    txns = session.scalars(select(Transaction)).all()
    entries = session.scalars(select(CreditEntry)).all()
    credit_of_txn: dict[int, Decimal] = defaultdict(Decimal)
    taken_back_by: dict[int, Decimal] = defaultdict(Decimal)  # negative entries of refunds
    for entry in entries:
        if entry.transaction_id is not None:
            credit_of_txn[entry.transaction_id] += entry.amount
            if entry.amount < 0:
                taken_back_by[entry.transaction_id] += -entry.amount
    refunds_of: dict[int, list[Transaction]] = defaultdict(list)
    for txn in txns:
        if txn.refund_of_id is not None:
            refunds_of[txn.refund_of_id].append(txn)

    for txn in txns:
        refunded = sum((r.amount_out for r in refunds_of[txn.id]), ZERO)
        if refunded > txn.amount_in:
            problems.append(f"transaction {txn.id}: refunds {refunded} > amount_in {txn.amount_in}")

    for inv in session.scalars(select(Invoice)).all():
        name = f"invoice {inv.id} ({inv.status})"
        lines = sum((item.amount for item in inv.items), ZERO)
        for item in inv.items:
            if item.amount != line_total(item.unit_amount, item.quantity):
                problems.append(f"{name}: line {item.id} amount {item.amount} is not unit x qty")
        if inv.total != inv.subtotal + inv.tax1 + inv.tax2:
            problems.append(f"{name}: total {inv.total} != subtotal + taxes")
        if inv.tax_inclusive and inv.total != lines:
            problems.append(f"{name}: inclusive total {inv.total} != sum of lines {lines}")
        if not inv.tax_inclusive and inv.subtotal != lines:
            problems.append(f"{name}: subtotal {inv.subtotal} != sum of lines {lines}")
        if inv.balance < 0:
            problems.append(f"{name}: negative balance {inv.balance}")
        if inv.status in SETTLED and inv.balance != 0:
            problems.append(f"{name}: settled with balance {inv.balance}")
        if inv.status in SETTLED and inv.paid_at is None:
            problems.append(f"{name}: settled without paid_at")
        if inv.status == "cancelled" and (inv.amount_paid != 0 or inv.credit_applied != 0):
            problems.append(f"{name}: cancelled but holds payments or credit")
        pays = [t for t in txns if t.invoice_id == inv.id and t.kind == "payment"]
        applied = sum((t.amount_in - credit_of_txn[t.id] for t in pays), ZERO)
        # the part of each refund that came off the invoice (not out of overpayment credit)
        off_invoice = sum((r.amount_out - taken_back_by[r.id]
                           for t in pays for r in refunds_of[t.id]), ZERO)
        # refunds while the invoice was open took the money off amount_paid again; the brief's
        # rule "amount_paid == payments - overpayment credit" is the case where there were none
        reopened = off_invoice - inv.amount_refunded
        if reopened < 0 or inv.amount_paid != applied - reopened:
            problems.append(f"{name}: amount_paid {inv.amount_paid} != payments {applied} - "
                            f"refunds on the open invoice {reopened}")
        if inv.amount_refunded > inv.amount_paid:
            problems.append(f"{name}: refunded {inv.amount_refunded} > paid {inv.amount_paid}")
        if inv.status == "refunded" and inv.amount_refunded != inv.amount_paid:
            problems.append(f"{name}: refunded status but {inv.amount_refunded} refunded")
        spent = sum((e.amount for e in entries
                     if e.invoice_id == inv.id and e.transaction_id is None), ZERO)
        if -spent != inv.credit_applied:
            problems.append(f"{name}: credit_applied {inv.credit_applied} != ledger {-spent}")

    for client in session.scalars(select(Client)).all():
        ledger = sum((e.amount for e in entries if e.client_id == client.id), ZERO)
        if client.credit_balance != ledger or ledger < 0:
            problems.append(f"client {client.id}: credit_balance {client.credit_balance}, "
                            f"ledger {ledger}")
    return problems
