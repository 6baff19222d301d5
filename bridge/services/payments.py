"""Payments, ledger transactions and refunds (WHMCS AddInvoicePayment/AddTransaction, the
``tblaccounts`` ledger; Blesta ``Transactions::add/apply``).

Rules kept here:
- one (gateway, gateway transaction id) is recorded once: checked before the insert and backed by
  the unique constraint (a concurrent duplicate fails inside a savepoint -> DuplicatePayment);
- money beyond an invoice's balance goes to client credit, linked to the payment transaction;
- ``invoice.amount_paid`` holds what payments put on the invoice; refunds of a settled invoice
  are counted in ``amount_refunded`` (it stays paid until every payment is refunded), refunds
  while it is still open take the money off ``amount_paid`` again (the client owes it again);
- a refund first takes back the part of the payment that went to credit (if the client still
  has it), then the part applied to the invoice, so no money is refunded twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from bridge.context import emit
from bridge.db import insert_persistent, update_persistent, utcnow
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Client, CreditEntry, Invoice, Transaction
from bridge.models.enums import InvoiceStatus, TransactionKind
from bridge.money import ZERO

from .common import get_or_404, log_activity, transaction_memo
from .credit import (
    PAYABLE_STATUSES,
    add_credit,
    currency_places,
    lock_client,
    lock_invoice,
    parse_amount,
    record_credit_movement,
    settle_invoice,
)

# backends where a duplicate-key error undoes only the failing statement, not the transaction
_STATEMENT_ROLLBACK = frozenset({"sqlite", "mysql", "mariadb"})


class DuplicatePayment(Conflict):
    """The gateway transaction id was already recorded; ``transaction_id`` is that record."""

    def __init__(self, message: str, transaction_id: int | None) -> None:
        super().__init__(message)
        self.transaction_id = transaction_id


@dataclass
class PaymentResult:
    """What a payment did: the transaction, the invoice, what went to credit, and whether the
    invoice became paid by it."""

    transaction: Transaction
    invoice: Invoice | None
    credited: Decimal
    paid_now: bool


def _txn_ref(gateway_txn_id: str | None) -> str | None:
    # "" is "no id": it must not collide with every other payment that has none
    ref = (gateway_txn_id or "").strip()
    return ref or None


# built once: every payment runs it (building the statement cost more than running it);
# the id alone, so the usual answer (none) costs no ORM query
_RECORDED = select(Transaction.id).where(Transaction.gateway == bindparam("gateway"),
                                         Transaction.gateway_txn_id == bindparam("ref"))
# (gateway, reference) pairs found unrecorded in the session's current transaction
_ABSENT_REFS = "bridge.payments.absent_refs"


def _recorded(session: Session, gateway: str, ref: str) -> Transaction | None:
    session.flush()  # as an ORM query autoflushes (a Core read does not); free when clean
    ident = session.connection().execute(_RECORDED, {"gateway": gateway, "ref": ref}).scalar()
    return None if ident is None else session.get(Transaction, ident)


def recorded_payment(session: Session, gateway: str, ref: str) -> Transaction | None:
    """The transaction that recorded gateway reference ``ref`` of ``gateway``, or None.

    A miss is remembered for the next check of the same pair in the same transaction (then
    forgotten; any insert by this module forgets it too), so a facade that checks the
    reference just before calling :func:`apply_payment` costs no second statement. The
    unique constraint still backs every check (see :func:`_insert`)."""
    absent = transaction_memo(session, _ABSENT_REFS)
    if (gateway, ref) in absent:
        absent.discard((gateway, ref))
        return None
    found = _recorded(session, gateway, ref)
    if found is None:  # asked again: the SELECT began the transaction if none was open
        transaction_memo(session, _ABSENT_REFS).add((gateway, ref))
    return found


def _existing(session: Session, gateway: str, ref: str) -> Transaction | None:
    """The pre-insert duplicate check (the unique constraint backs it up under races)."""
    return recorded_payment(session, gateway, ref)


def _duplicate(gateway: str, ref: str, existing: Transaction | None) -> DuplicatePayment:
    where = (f" (invoice {existing.invoice_id})" if existing is not None
             and existing.invoice_id is not None else "")
    ident = existing.id if existing is not None else None
    return DuplicatePayment(f"{gateway} transaction {ref} is already recorded as transaction "
                            f"{ident}{where}; it was not applied again", ident)


def _insert(session: Session, *, checked: bool = False, **values: Any) -> Transaction:
    """Insert a transaction row, turning a unique-constraint race into DuplicatePayment.

    ``checked``: the caller looked for a recorded (gateway, reference) in this transaction
    just before, so the pre-insert check is not repeated (the constraint still backs it up).

    The row goes in through Core on the session's connection, so a duplicate-key failure
    does not poison the ORM session. SQLite and MySQL/InnoDB undo only the failing statement;
    other backends abort the transaction on an error, so there the insert runs in a
    savepoint. (A Session-level savepoint is avoided on purpose: its commit and rollback fire
    the session events that release or drop the queued domain events.)
    """
    ref = values.get("gateway_txn_id")
    if ref is not None and not checked:
        existing = _existing(session, values["gateway"], ref)
        if existing is not None:
            raise _duplicate(values["gateway"], ref, existing)
    session.info.pop(_ABSENT_REFS, None)  # a remembered miss may be recorded from now on
    conn = session.connection()
    savepoint = None if conn.dialect.name in _STATEMENT_ROLLBACK else conn.begin_nested()
    try:
        txn: Transaction = insert_persistent(session, Transaction, values)
    except IntegrityError as exc:
        if savepoint is not None:
            savepoint.rollback()
        existing = _recorded(session, values["gateway"], ref) if ref is not None else None
        if existing is None:
            raise
        raise _duplicate(values["gateway"], ref or "", existing) from exc
    if savepoint is not None:
        savepoint.commit()
    return txn


def _check_time(value: datetime | None, field: str) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise ValidationFailed.single(field, "invalid", f"{field} must be timezone-aware (UTC)")
    return value


def _gateway(gateway: str) -> str:
    name = gateway.strip()
    if not name:
        raise ValidationFailed.single("gateway", "required", "a payment gateway is required")
    return name


def apply_payment(
    session: Session,
    invoice_id: int,
    amount: Decimal | str | int,
    *,
    gateway: str,
    gateway_txn_id: str | None = None,
    fees: Decimal | str | int = Decimal(0),
    paid_at: datetime | None = None,
    description: str = "",
) -> PaymentResult:
    """Record a payment of ``amount`` (> 0, invoice currency) against an open invoice.

    A partial payment leaves the invoice unpaid; when the balance reaches 0 it becomes paid
    (invoice_paid); money beyond the balance goes to client credit. Emits payment_applied.
    Raises NotFound, ValidationFailed (amount, gateway, naive time), Conflict for a draft,
    paid, cancelled or refunded invoice or one with nothing left to pay, DuplicatePayment when
    (gateway, gateway_txn_id) was already recorded.
    """
    invoice = lock_invoice(session, invoice_id)
    places = currency_places(session, invoice.currency)
    value = parse_amount(amount, "amount", places)
    fee = parse_amount(fees, "fees", places)
    name, when = _gateway(gateway), _check_time(paid_at, "paid_at")
    if value <= 0:
        raise ValidationFailed.single("amount", "range", "payment amount must be greater than 0")
    ref = _txn_ref(gateway_txn_id)
    existing = _existing(session, name, ref) if ref is not None else None
    if ref is not None and existing is not None:
        # before the status check: a retried gateway callback learns it was already recorded
        raise _duplicate(name, ref, existing)
    if invoice.status not in PAYABLE_STATUSES:
        hint = "publish it first" if invoice.status == InvoiceStatus.DRAFT else "record it as "\
            "a transaction with add_to_credit if the money is to be kept"
        raise Conflict(f"invoice {invoice.id} is {invoice.status}; a payment can't be added "
                       f"to it ({hint})")
    balance = invoice.balance
    if balance <= 0:
        raise Conflict(f"invoice {invoice.id} has nothing left to pay")
    txn = _insert(
        session, checked=True,
        client_id=invoice.client_id, invoice_id=invoice.id, kind=TransactionKind.PAYMENT.value,
        gateway=name, gateway_txn_id=ref, date=when,
        description=description or f"Invoice Payment (#{invoice.number or invoice.id})",
        currency=invoice.currency, amount_in=value, fees=fee)
    applied = min(value, balance)
    # written at once (one prebuilt UPDATE) rather than flushed with the unit of work
    update_persistent(session, invoice, {"amount_paid": invoice.amount_paid + applied})
    credited = value - applied
    if credited > 0:
        add_credit(session, invoice.client_id, credited,
                   f"Overpayment of invoice #{invoice.number or invoice.id}",
                   transaction_id=txn.id, invoice_id=invoice.id)
    paid_now = invoice.balance <= 0
    if paid_now:
        settle_invoice(session, invoice, when)
    log_activity(session, "payment.applied", f"Payment {value} {invoice.currency} via {name} "
                 f"applied to invoice {invoice.id}", client_id=invoice.client_id,
                 subject=("transaction", txn.id),
                 data={"invoice_id": invoice.id, "amount": str(value), "credited": str(credited),
                       "gateway_txn_id": txn.gateway_txn_id})
    emit(session, "payment_applied", transaction_id=txn.id, invoice_id=invoice.id,
         client_id=invoice.client_id, amount=value, credited=credited, paid=paid_now)
    return PaymentResult(txn, invoice, credited, paid_now)


def add_transaction(
    session: Session,
    client_id: int,
    *,
    amount_in: Decimal | str | int = Decimal(0),
    amount_out: Decimal | str | int = Decimal(0),
    fees: Decimal | str | int = Decimal(0),
    gateway: str,
    gateway_txn_id: str | None = None,
    description: str = "",
    invoice_id: int | None = None,
    add_to_credit: bool = False,
    at: datetime | None = None,
) -> Transaction:
    """Record a ledger transaction for a client (WHMCS AddTransaction).

    With ``invoice_id`` it is :func:`apply_payment` (the invoice must be the client's and only
    ``amount_in`` may be given). With ``add_to_credit`` the ``amount_in`` becomes client credit.
    Money in and money out are separate transactions. Raises NotFound, ValidationFailed,
    Conflict, DuplicatePayment.
    """
    # not locked here: apply_payment locks the invoice first, add_credit the client after it
    client = get_or_404(session, Client, client_id, "Client")
    places = currency_places(session, client.currency)
    money_in = parse_amount(amount_in, "amount_in", places)
    money_out = parse_amount(amount_out, "amount_out", places)
    fee = parse_amount(fees, "fees", places)
    name, when = _gateway(gateway), _check_time(at, "at")
    if money_in < 0 or money_out < 0:
        raise ValidationFailed.single("amount_in", "range", "amounts must not be negative")
    if (money_in > 0) == (money_out > 0):
        raise ValidationFailed.single(
            "amount_in", "invalid", "give either amount_in or amount_out (one transaction each)")
    if invoice_id is not None:
        invoice = lock_invoice(session, invoice_id)
        if invoice.client_id != client.id:
            raise ValidationFailed.single(
                "invoice_id", "invalid", f"invoice {invoice_id} is not client {client.id}'s")
        if money_out > 0 or add_to_credit:
            raise ValidationFailed.single("invoice_id", "invalid", "a transaction on an invoice "
                                          "is a payment: amount_in only, not added to credit")
        return apply_payment(session, invoice_id, money_in, gateway=name,
                             gateway_txn_id=gateway_txn_id, fees=fee, paid_at=when,
                             description=description).transaction
    if add_to_credit and money_in <= 0:
        raise ValidationFailed.single("add_to_credit", "invalid",
                                      "only money in (amount_in) can be added to credit")
    kind = TransactionKind.PAYMENT if money_in > 0 else TransactionKind.REFUND
    txn = _insert(
        session,
        client_id=client.id, kind=kind.value, gateway=name, gateway_txn_id=_txn_ref(gateway_txn_id),
        date=when, description=description, currency=client.currency, amount_in=money_in,
        amount_out=money_out, fees=fee)
    if add_to_credit:
        add_credit(session, client.id, money_in, description or f"Funds added via {name}",
                   transaction_id=txn.id)
    log_activity(session, "transaction.added", f"Transaction {txn.id} recorded (in {money_in}, "
                 f"out {money_out} {client.currency})", client_id=client.id,
                 subject=("transaction", txn.id), data={"add_to_credit": add_to_credit})
    emit(session, "transaction_added", transaction_id=txn.id, client_id=client.id,
         amount_in=money_in, amount_out=money_out, add_to_credit=add_to_credit)
    return txn


def _sum(session: Session, column: InstrumentedAttribute[Decimal],
         *where: ColumnElement[bool]) -> Decimal:
    # summed in Python: SQLite would add the amounts as floats
    return sum(session.scalars(select(column).where(*where)), ZERO)


@dataclass(frozen=True)
class _Refundable:
    total: Decimal  # what is left of the payment overall
    credit: Decimal  # of that, what went to client credit (overpayment, added funds)
    invoice: Decimal  # of that, the rest: applied to the invoice (or kept as plain money in)


def _refundable(session: Session, txn: Transaction) -> _Refundable:
    refund_ids = select(Transaction.id).where(Transaction.refund_of_id == txn.id)
    refunded = _sum(session, Transaction.amount_out, Transaction.refund_of_id == txn.id)
    to_credit = _sum(session, CreditEntry.amount, CreditEntry.transaction_id == txn.id)
    # negative entries on refunds of this payment = credit taken back by earlier refunds
    taken_back = -_sum(session, CreditEntry.amount, CreditEntry.transaction_id.in_(refund_ids),
                       CreditEntry.amount < 0)
    credit_left = to_credit - taken_back
    invoice_left = (txn.amount_in - to_credit) - (refunded - taken_back)
    return _Refundable(txn.amount_in - refunded, credit_left, invoice_left)


def refund_payment(
    session: Session,
    transaction_id: int,
    amount: Decimal | str | None = None,
    *,
    to_credit: bool = False,
    gateway_txn_id: str | None = None,
    reason: str = "",
) -> Transaction:
    """Refund (part of) payment ``transaction_id``; returns the refund transaction.

    Refunds at most what is left of the payment (default: all of it). The part of the payment
    that went to credit is taken back from the client's credit first (as far as the client
    still has it), then the part applied to the invoice. A fully refunded paid invoice becomes
    refunded (invoice_refunded); a partly refunded one stays paid; a refund on a still open
    invoice raises its balance again. ``to_credit`` puts the money in client credit instead
    of paying it out (only the invoice part can go there). Emits payment_refunded. Raises
    NotFound, ValidationFailed, Conflict (not a payment, too much), DuplicatePayment.
    """
    original = session.get(Transaction, transaction_id, with_for_update=True)
    if original is None:
        raise NotFound("Transaction", transaction_id)
    if original.kind != TransactionKind.PAYMENT.value or original.amount_in <= 0:
        raise Conflict(f"transaction {transaction_id} is not a payment that can be refunded")
    left = _refundable(session, original)
    places = currency_places(session, original.currency)
    value = left.total if amount is None else parse_amount(amount, "amount", places)
    if value <= 0:
        raise (Conflict(f"transaction {original.id} is already fully refunded") if amount is None
               else ValidationFailed.single("amount", "range", "refund must be greater than 0"))
    if value > left.total:
        raise Conflict(f"only {left.total} of transaction {original.id} is left to refund")
    invoice = lock_invoice(session, original.invoice_id) if original.invoice_id else None
    client = lock_client(session, original.client_id) if original.client_id else None
    if to_credit and client is None:
        raise ValidationFailed.single("to_credit", "invalid",
                                      f"transaction {original.id} belongs to no client")
    from_credit = ZERO
    if not to_credit and client is not None:
        from_credit = min(value, left.credit, max(client.credit_balance, ZERO))
    from_invoice = value - from_credit
    if from_invoice > left.invoice:
        if to_credit:
            raise Conflict(f"at most {left.invoice} of transaction {original.id} can be refunded "
                           f"to credit; {left.credit} of it already is client credit")
        raise Conflict(f"at most {left.invoice + from_credit} of transaction {original.id} can be "
                       f"refunded: {left.credit - from_credit} of it went to client credit and "
                       "the client has spent it")
    refund = _insert(
        session,
        client_id=original.client_id, invoice_id=original.invoice_id,
        kind=TransactionKind.REFUND.value, gateway=original.gateway,
        gateway_txn_id=_txn_ref(gateway_txn_id), date=utcnow(), currency=original.currency,
        description=reason or f"Refund of transaction #{original.id}", amount_out=value,
        refund_of_id=original.id)
    if client is not None and from_credit > 0:
        record_credit_movement(session, client, -from_credit,
                               f"Refund of transaction #{original.id} (credit taken back)",
                               invoice_id=original.invoice_id, transaction_id=refund.id)
    if client is not None and to_credit:
        add_credit(session, client.id, value, f"Refund of transaction #{original.id} to credit",
                   transaction_id=refund.id, invoice_id=original.invoice_id)
    if invoice is not None and from_invoice > 0:
        _refund_on_invoice(session, invoice, from_invoice)
    log_activity(session, "payment.refunded", f"Refunded {value} {original.currency} of "
                 f"transaction {original.id}" + (" to credit" if to_credit else ""),
                 client_id=original.client_id, subject=("transaction", refund.id),
                 data={"refund_of_id": original.id, "reason": reason, "to_credit": to_credit,
                       "from_credit": str(from_credit), "from_invoice": str(from_invoice)})
    emit(session, "payment_refunded", transaction_id=refund.id, refund_of_id=original.id,
         invoice_id=original.invoice_id, client_id=original.client_id, amount=value,
         to_credit=to_credit)
    return refund


def _refund_on_invoice(session: Session, invoice: Invoice, amount: Decimal) -> None:
    if invoice.status in PAYABLE_STATUSES or invoice.status == InvoiceStatus.DRAFT.value:
        # not settled yet: the money is simply no longer paid, the client owes it again
        invoice.amount_paid = invoice.amount_paid - amount
        return
    invoice.amount_refunded = invoice.amount_refunded + amount
    if invoice.status == InvoiceStatus.PAID.value \
            and invoice.amount_refunded >= invoice.amount_paid:
        invoice.status = InvoiceStatus.REFUNDED.value
        invoice.refunded_at = utcnow()
        log_activity(session, "invoice.refunded", f"Invoice {invoice.id} fully refunded",
                     client_id=invoice.client_id, subject=("invoice", invoice.id))
        emit(session, "invoice_refunded", invoice_id=invoice.id, client_id=invoice.client_id)

