"""Corrections to recorded ledger transactions (WHMCS UpdateTransaction).

Rules kept here:
- only the bookkeeping details of a transaction change: description, gateway, gateway
  transaction id, date, fees and exchange rate;
- the amounts, the client, the invoice and the refunded payment never change here: they moved
  money on invoices and credit (refund the transaction and record a new one instead);
- a (gateway, gateway transaction id) pair stays unique.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Transaction

from .common import apply_fields, log_activity
from .credit import currency_places, parse_amount

RATE_PLACES = 4  # transactions.exchange_rate is stored with 4 decimals


def update_transaction(
    session: Session,
    transaction_id: int,
    *,
    description: str | None = None,
    gateway: str | None = None,
    gateway_txn_id: str | None = None,
    date: datetime | None = None,
    fees: Decimal | str | None = None,
    exchange_rate: Decimal | str | None = None,
) -> Transaction:
    """Change the bookkeeping details of transaction ``transaction_id`` (None = unchanged;
    ``gateway_txn_id=""`` clears the reference).

    Raises NotFound, ValidationFailed (empty gateway, naive date, bad fee or rate), Conflict
    when the new (gateway, transaction id) pair is already recorded on another transaction.
    Emits transaction_updated.
    """
    txn = session.get(Transaction, transaction_id, with_for_update=True)
    if txn is None:
        raise NotFound("Transaction", transaction_id)
    values: dict[str, object] = {}
    if description is not None:
        values["description"] = description
    if gateway is not None:
        if not gateway.strip():
            raise ValidationFailed.single("gateway", "required", "gateway can't be emptied")
        values["gateway"] = gateway.strip()
    if gateway_txn_id is not None:
        values["gateway_txn_id"] = gateway_txn_id.strip() or None
    if date is not None:
        if date.tzinfo is None:
            raise ValidationFailed.single("date", "invalid", "date must be timezone-aware (UTC)")
        values["date"] = date
    if fees is not None:
        values["fees"] = parse_amount(fees, "fees", currency_places(session, txn.currency))
    if exchange_rate is not None:
        rate = parse_amount(exchange_rate, "exchange_rate", RATE_PLACES)
        if rate <= 0:
            raise ValidationFailed.single("exchange_rate", "range", "rate must be positive")
        values["exchange_rate"] = rate
    gateway_name = str(values.get("gateway", txn.gateway))
    ref = values.get("gateway_txn_id", txn.gateway_txn_id)
    if ref is not None and ("gateway" in values or "gateway_txn_id" in values):
        other = session.scalar(select(Transaction.id).where(
            Transaction.gateway == gateway_name, Transaction.gateway_txn_id == ref,
            Transaction.id != txn.id))
        if other is not None:
            raise Conflict(f"{gateway_name} transaction {ref} is already recorded as "
                           f"transaction {other}")
    changed = apply_fields(txn, values)
    if changed:
        session.flush()
        log_activity(session, "transaction.updated", f"Transaction {txn.id} updated: "
                     f"{', '.join(changed)}", client_id=txn.client_id,
                     subject=("transaction", txn.id), data={"fields": changed})
        emit(session, "transaction_updated", transaction_id=txn.id, client_id=txn.client_id,
             fields=changed)
    return txn
