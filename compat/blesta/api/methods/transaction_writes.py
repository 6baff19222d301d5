"""Transactions (``transactions``), writes: add, apply, applyFromCredits, edit.

Mapping (see ``transactions`` for the read side):
- ``add`` records the money with :func:`add_transaction` straight into client credit
  (``add_to_credit``): in Blesta an approved transaction nobody applied yet is exactly the
  client's credit. Only ``approved`` transactions in the client's currency can be recorded.
- ``apply`` spends that money on invoices with :func:`apply_credit`, at most what of the
  transaction is still unapplied, and logs each application against the transaction
  (``APPLIED_ACTION``). The core keeps one invoice per transaction and can't split one, and
  re-recording the money as new payments would count it twice in the books, so applying is
  a credit movement here; the invoices are paid all the same (``invoice_paid`` fires).
- ``applyFromCredits`` is :func:`apply_credit` itself.
- ``edit`` changes the gateway transaction id, message (description), date and gateway;
  status ``refunded``/``void`` refunds what is left with :func:`refund_payment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from bridge.models import CreditEntry, Invoice, ModuleSetting, Transaction
from bridge.services.common import log_activity
from bridge.services.credit import apply_credit
from bridge.services.payments import DuplicatePayment, add_transaction, refund_payment
from bridge.services.transaction_edits import update_transaction

from ..registry import MethodCall, invalid, method
from .billing_shared import (
    amount,
    client_in_company,
    items,
    optional_int,
    renamed_errors,
    when,
)
from .transactions import APPLIED_ACTION, TYPES, ledger_of, scoped_transaction

PAYMENT_TYPES = ("cc", "ach", "other")
NAMES = {"amount_in": "amount", "at": "date_added", "gateway_txn_id": "transaction_id",
         "gateway": "gateway_id", "date": "date_added", "description": "message"}


def _gateway(call: MethodCall, vars_: Mapping[str, Any]) -> str:
    """The core gateway name: the gateway module, else the transaction type's name."""
    gateway_id = optional_int(vars_.get("gateway_id"), "gateway_id")
    if gateway_id is not None:
        name = call.session.scalar(select(ModuleSetting.module).where(
            ModuleSetting.id == gateway_id, ModuleSetting.kind == "gateway"))
        if name is None:
            raise invalid("gateway_id", "exists", f"gateway {gateway_id} is not configured")
        return str(name)
    type_id = optional_int(vars_.get("transaction_type_id"), "transaction_type_id")
    if type_id is not None:
        if type_id not in TYPES:
            raise invalid("transaction_type_id", "exists",
                          f"transaction type {type_id} does not exist")
        return TYPES[type_id][0]
    return "manual"


@method("transactions", "add", status="partial",
        notes="approved transactions in the client's currency only; type, account_id, "
              "reference_id and parent_transaction_id are not stored; the money is client "
              "credit until applied")
def add(call: MethodCall) -> Any:
    """Record money received from a client; returns the new transaction id as a string."""
    vars_ = call.vars()
    client = client_in_company(call, optional_int(vars_.get("client_id"), "client_id"))
    if client is None:
        raise invalid("client_id", "exists", "Please specify a valid client.")
    value = amount(vars_.get("amount"), "amount")
    if value <= 0:
        raise invalid("amount", "format", "amount must be greater than 0")
    currency = str(vars_.get("currency") or client.currency).upper()
    if currency != client.currency:
        raise invalid("currency", "valid", f"client {client.id} holds money in "
                      f"{client.currency}; record the transaction in that currency")
    if str(vars_.get("type") or "other") not in PAYMENT_TYPES:
        raise invalid("type", "format", "type must be cc, ach or other")
    if str(vars_.get("status") or "approved") != "approved":
        raise invalid("status", "format", "hostbridge records approved transactions only")
    reference = str(vars_.get("transaction_id") or "").strip() or None
    try:
        with renamed_errors(NAMES):
            txn = add_transaction(
                call.session, client.id, amount_in=value, gateway=_gateway(call, vars_),
                gateway_txn_id=reference, description=str(vars_.get("message") or ""),
                add_to_credit=True, at=when(vars_.get("date_added"), "date_added"))
    except DuplicatePayment as exc:
        raise invalid("transaction_id", "unique", exc.message) from exc
    return str(txn.id)


def _amounts(raw: Any) -> list[tuple[int, Decimal]]:
    parsed = []
    for index, entry in enumerate(items(raw)):
        if not isinstance(entry, Mapping):
            raise invalid(f"amounts[{index}]", "format", "each amount is {invoice_id, amount}")
        invoice_id = optional_int(entry.get("invoice_id"), f"amounts[{index}][invoice_id]")
        if invoice_id is None:
            raise invalid(f"amounts[{index}][invoice_id]", "exists", "name the invoice")
        value = amount(entry.get("amount"), f"amounts[{index}][amount]")
        if value <= 0:
            raise invalid(f"amounts[{index}][amount]", "format", "amount must be over 0")
        parsed.append((invoice_id, value))
    if not parsed:
        raise invalid("amounts", "empty", "Please specify at least one invoice amount.")
    return parsed


def _spend(call: MethodCall, client_id: int, index: int, invoice_id: int,
           value: Decimal) -> int:
    """Apply ``value`` of the client's credit to the invoice; the ledger entry's id."""
    owner = call.session.scalar(select(Invoice.client_id).where(Invoice.id == invoice_id))
    if owner != client_id:
        raise invalid(f"amounts[{index}][invoice_id]", "exists",
                      f"invoice {invoice_id} is not an invoice of client {client_id}")
    with renamed_errors({"amount": f"amounts[{index}][amount]"}):
        apply_credit(call.session, invoice_id, value)
    entry = call.session.scalar(select(func.max(CreditEntry.id)).where(
        CreditEntry.client_id == client_id, CreditEntry.invoice_id == invoice_id))
    return int(entry or 0)


@method("transactions", "apply", status="partial",
        notes="spends the transaction's unapplied money (client credit) on the invoices; "
              "vars[date] is not used")
def apply(call: MethodCall) -> Any:
    """Apply a transaction's unapplied money to invoices (``vars[amounts][]``)."""
    txn = scoped_transaction(call, call.arg("transaction_id"))
    if txn is None or txn.client_id is None:
        raise invalid("transaction_id", "exists", "Please specify a valid transaction.")
    amounts = _amounts(call.vars().get("amounts"))
    left = ledger_of(call, [txn.id]).unapplied(txn)
    total = sum((value for _, value in amounts), Decimal(0))
    if total > left:
        raise invalid("amounts", "overage", f"transaction {txn.id} has {left} "
                      f"{txn.currency} left to apply; {total} was asked for")
    for index, (invoice_id, value) in enumerate(amounts):
        entry_id = _spend(call, txn.client_id, index, invoice_id, value)
        log_activity(call.session, APPLIED_ACTION, f"Transaction {txn.id}: {value} "
                     f"{txn.currency} applied to invoice {invoice_id}", client_id=txn.client_id,
                     subject=("transaction", txn.id),
                     data={"invoice_id": invoice_id, "amount": str(value),
                           "credit_entry_id": entry_id})
    return None


@method("transactions", "applyFromCredits", status="partial",
        notes="credit is kept in the client's currency")
def apply_from_credits(call: MethodCall) -> Any:
    """Pay invoices from the client's credit (``amounts[]{invoice_id, amount}``)."""
    client = client_in_company(call, optional_int(call.arg("client_id"), "client_id"))
    if client is None:
        raise invalid("client_id", "exists", "Please specify a valid client.")
    currency = str(call.arg("currency") or client.currency).upper()
    if currency != client.currency:
        raise invalid("currency", "valid", f"client {client.id} holds credit in "
                      f"{client.currency} only")
    for index, (invoice_id, value) in enumerate(_amounts(call.arg("amounts"))):
        _spend(call, client.id, index, invoice_id, value)
    return None


def _unchanged(vars_: Mapping[str, Any], txn: Transaction) -> None:
    fixed = {"amount": txn.amount_in, "currency": txn.currency, "client_id": txn.client_id}
    for key, current in fixed.items():
        sent = vars_.get(key)
        if sent in (None, ""):
            continue
        value: Any = amount(sent, key) if key == "amount" else (
            str(sent).upper() if key == "currency" else optional_int(sent, key))
        if value != current:
            raise invalid(key, "valid", f"{key} of a recorded transaction can't change in "
                          "hostbridge; refund it and record a new one")


@method("transactions", "edit", status="partial",
        notes="transaction_id, message, date_added and gateway_id change; status "
              "refunded/void refunds what is left; amount, currency and client can't change")
def edit(call: MethodCall) -> Any:
    """Correct a transaction's details, or refund it (status refunded or void)."""
    txn = scoped_transaction(call, call.arg("transaction_id"))
    if txn is None:
        raise invalid("transaction_id", "exists", "Please specify a valid transaction.")
    vars_ = call.vars()
    _unchanged(vars_, txn)
    status = str(vars_.get("status") or "")
    if status and status not in ("approved", "refunded", "void"):
        raise invalid("status", "format", "status can become refunded or void only")
    with renamed_errors(NAMES):
        update_transaction(
            call.session, txn.id,
            gateway_txn_id=str(vars_["transaction_id"]) if "transaction_id" in vars_ else None,
            description=str(vars_["message"]) if "message" in vars_ else None,
            date=when(vars_.get("date_added"), "date_added"),
            gateway=_gateway(call, vars_) if vars_.get("gateway_id") else None)
        if status in ("refunded", "void") and ledger_of(call, [txn.id]).refunded[txn.id] \
                < txn.amount_in:
            refund_payment(call.session, txn.id, reason=f"{status} through the Blesta API")
    return None

