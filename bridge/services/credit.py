"""Client credit: the ledger (``credit_entries``), its cached balance and applying it to invoices.

Every movement is one :class:`~bridge.models.CreditEntry` (positive adds, negative spends or
removes) and ``Client.credit_balance`` is changed in the same call, so the cached balance always
equals the ledger sum and never drops below zero (WHMCS ``tblcredit`` / ``tblclients.credit``).

This module also holds the few helpers the other billing modules share (amount parsing, row
locks, settling an invoice), because it is the one they all import.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Client, CreditEntry, Currency, Invoice
from bridge.models.enums import InvoiceStatus
from bridge.money import ZERO, round_money, to_decimal

from .common import log_activity, transaction_memo
from .reference_cache import cached_read

# invoices that can still take money (drafts are not shown to the client, so they can't)
PAYABLE_STATUSES = frozenset(
    {InvoiceStatus.UNPAID.value, InvoiceStatus.COLLECTIONS.value,
     InvoiceStatus.PAYMENT_PENDING.value}
)


# built once: every payment and credit movement reads it
_PLACES = select(Currency.places).where(Currency.code == bindparam("code"))


def currency_places(session: Session, code: str) -> int:
    """Decimal places of currency ``code`` (2 when the currency row is missing; read through
    the worker's reference cache)."""
    places = cached_read(session, "currencies", ("places", code),
                         lambda: session.scalar(_PLACES, {"code": code}))
    return 2 if places is None else int(places)


def parse_amount(value: object, field: str, places: int = 2) -> Decimal:
    """Read a money amount for ``field``; ValidationFailed when it is not a finite number with
    at most ``places`` decimals (floats are refused)."""
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.single(field, "invalid", f"{field} is not an amount: {value!r}"
                                      ) from exc
    if not amount.is_finite():
        raise ValidationFailed.single(field, "invalid", f"{field} is not an amount: {value!r}")
    if round_money(amount, places) != amount:
        raise ValidationFailed.single(
            field, "invalid", f"{field} {amount} has more than {places} decimal places")
    return amount


def lock_client(session: Session, client_id: int) -> Client:
    """Load client ``client_id`` with a row lock (FOR UPDATE where supported); NotFound."""
    client = session.get(Client, client_id, with_for_update=True)
    if client is None:
        raise NotFound("Client", client_id)
    return client


_LOCKED_INVOICES = "bridge.locked_invoices"
# built once: Session.get(..., with_for_update=True) builds and cache-keys a new statement on
# every call (a third of the lock's cost); populate_existing refreshes an invoice already in
# the identity map, as get() does when it locks
_LOCK_INVOICE = (select(Invoice).where(Invoice.id == bindparam("invoice_id")).with_for_update()
                 .execution_options(populate_existing=True))


def lock_invoice(session: Session, invoice_id: int) -> Invoice:
    """Load invoice ``invoice_id`` with a row lock (FOR UPDATE where supported); NotFound.

    A second call for the same invoice in the same transaction returns the object already
    loaded and locked without another statement (a facade that locks the invoice to check
    it, then a service that locks it again, run one SELECT inside the write transaction)."""
    if invoice_id in transaction_memo(session, _LOCKED_INVOICES):
        held = session.get(Invoice, invoice_id)  # the identity map: no statement
        if held is not None:
            return held
    invoice = session.scalars(_LOCK_INVOICE, {"invoice_id": invoice_id}).one_or_none()
    if invoice is None:
        raise NotFound("Invoice", invoice_id)
    # asked again: the SELECT began the transaction if none was open before
    transaction_memo(session, _LOCKED_INVOICES).add(invoice_id)
    return invoice


def settle_invoice(session: Session, invoice: Invoice, paid_at: datetime | None = None) -> None:
    """Mark ``invoice`` paid (its balance is 0), stamp ``paid_at`` and emit invoice_paid."""
    invoice.status = InvoiceStatus.PAID.value
    invoice.paid_at = paid_at or utcnow()
    log_activity(session, "invoice.paid", f"Invoice {invoice.id} paid",
                 client_id=invoice.client_id, subject=("invoice", invoice.id))
    emit(session, "invoice_paid", invoice_id=invoice.id, client_id=invoice.client_id)


def record_credit_movement(
    session: Session,
    client: Client,
    amount: Decimal,
    description: str,
    *,
    admin_id: int | None = None,
    invoice_id: int | None = None,
    transaction_id: int | None = None,
) -> CreditEntry:
    """Write one ledger entry of signed ``amount`` and move the cached balance with it.

    The building block of every credit change; callers check the business rule first. Raises
    Conflict when the balance would go below zero.
    """
    if client.credit_balance + amount < 0:
        raise Conflict(
            f"client {client.id} has {client.credit_balance} credit; cannot take {-amount}")
    entry = CreditEntry(client_id=client.id, amount=amount, description=description,
                        currency=client.currency, admin_id=admin_id, invoice_id=invoice_id,
                        transaction_id=transaction_id, date=utcnow())
    session.add(entry)
    client.credit_balance = client.credit_balance + amount
    session.flush()
    return entry


def add_credit(
    session: Session,
    client_id: int,
    amount: Decimal | str | int,
    description: str,
    *,
    admin_id: int | None = None,
    transaction_id: int | None = None,
    invoice_id: int | None = None,
) -> CreditEntry:
    """Add ``amount`` (> 0, client currency) to the client's credit (WHMCS AddCredit).

    Raises NotFound for an unknown client and ValidationFailed for an amount that is not
    positive or has too many decimals.
    """
    client = lock_client(session, client_id)
    value = parse_amount(amount, "amount", currency_places(session, client.currency))
    if value <= 0:
        raise ValidationFailed.single("amount", "range", "credit to add must be greater than 0")
    entry = record_credit_movement(session, client, value, description, admin_id=admin_id,
                                   invoice_id=invoice_id, transaction_id=transaction_id)
    log_activity(session, "credit.added", f"Added {value} {client.currency} credit: {description}",
                 client_id=client.id, subject=("credit_entry", entry.id),
                 data={"amount": str(value), "invoice_id": invoice_id,
                       "transaction_id": transaction_id})
    emit(session, "credit_added", client_id=client.id, credit_entry_id=entry.id, amount=value,
         invoice_id=invoice_id, transaction_id=transaction_id)
    return entry


def remove_credit(
    session: Session,
    client_id: int,
    amount: Decimal | str | int,
    description: str,
    *,
    admin_id: int | None = None,
) -> CreditEntry:
    """Take ``amount`` (> 0) off the client's credit (AddCredit type=remove).

    Raises ValidationFailed for a non-positive amount and Conflict when the client has less
    credit than ``amount`` (credit never goes below zero).
    """
    client = lock_client(session, client_id)
    value = parse_amount(amount, "amount", currency_places(session, client.currency))
    if value <= 0:
        raise ValidationFailed.single("amount", "range", "credit to remove must be greater than 0")
    if value > client.credit_balance:
        raise Conflict(f"client {client.id} has only {client.credit_balance} "
                       f"{client.currency} credit; cannot remove {value}")
    entry = record_credit_movement(session, client, -value, description, admin_id=admin_id)
    log_activity(session, "credit.removed",
                 f"Removed {value} {client.currency} credit: {description}",
                 client_id=client.id, subject=("credit_entry", entry.id),
                 data={"amount": str(value)})
    emit(session, "credit_removed", client_id=client.id, credit_entry_id=entry.id, amount=value)
    return entry


def apply_credit(session: Session, invoice_id: int, amount: Decimal | str | None = None) -> Decimal:
    """Pay (part of) an invoice from the client's credit; returns the amount applied.

    Without ``amount`` applies as much as both the credit and the balance allow (0 when there
    is nothing to apply). When the credit covers the balance the invoice becomes paid and
    invoice_paid is emitted. Raises NotFound, Conflict for an invoice that is not open
    (paid, cancelled, refunded, draft) or in another currency than the client, ValidationFailed
    for an amount <= 0, above the client's credit or above the invoice balance.
    """
    invoice = lock_invoice(session, invoice_id)
    if invoice.status not in PAYABLE_STATUSES:
        raise Conflict(f"invoice {invoice.id} is {invoice.status}; credit can only be applied "
                       "to an unpaid invoice")
    client = lock_client(session, invoice.client_id)
    if client.currency != invoice.currency:
        raise Conflict(f"invoice {invoice.id} is in {invoice.currency} but client {client.id} "
                       f"holds credit in {client.currency}")
    balance, available = invoice.balance, client.credit_balance
    if amount is None:
        value = min(balance, available)
        if value <= 0:
            return ZERO
    else:
        value = parse_amount(amount, "amount", currency_places(session, invoice.currency))
        if value <= 0:
            raise ValidationFailed.single("amount", "range",
                                          "credit amount to apply must be greater than 0")
        if value > available:
            raise ValidationFailed.single(
                "amount", "range", f"{value} exceeds client {client.id}'s credit of {available}")
        if value > balance:
            raise ValidationFailed.single(
                "amount", "range", f"{value} exceeds the balance {balance} of invoice {invoice.id}")
    entry = record_credit_movement(session, client, -value, f"Credit applied to invoice "
                                   f"#{invoice.number or invoice.id}", invoice_id=invoice.id)
    invoice.credit_applied = invoice.credit_applied + value
    log_activity(session, "credit.applied", f"Applied {value} credit to invoice {invoice.id}",
                 client_id=client.id, subject=("invoice", invoice.id),
                 data={"amount": str(value), "credit_entry_id": entry.id})
    emit(session, "credit_applied", invoice_id=invoice.id, client_id=client.id, amount=value,
         credit_entry_id=entry.id)
    if invoice.balance <= 0:
        settle_invoice(session, invoice)
    return value


def ledger_balance(session: Session, client_id: int) -> Decimal:
    """Sum of the client's credit ledger (to reconcile against ``Client.credit_balance``)."""
    # summed in Python: SQLite would add the amounts as floats
    amounts = session.scalars(
        select(CreditEntry.amount).where(CreditEntry.client_id == client_id))
    return sum(amounts, ZERO)
