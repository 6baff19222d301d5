"""Payments through gateways (``payments``): processPayment and refundPayment.

Mapping: ``processPayment`` charges a stored account (``account_id``, a core pay method kept
at its gateway) for exactly one invoice's balance with :func:`charge_invoice` and returns the
recorded transaction; ``options[invoices]`` names that invoice (``{invoice_id: amount}``).
Entering card details (``account_info``), paying several invoices at once, partial amounts,
authorize/capture and void are not supported. A declined or pending charge answers 400 with
the gateway's message (Blesta sets errors), so hostbridge keeps no record of that attempt.
``refundPayment`` refunds (part of) a payment at its gateway with
:func:`refund_through_gateway` and returns the refunded transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bridge.models import Invoice, PayMethod, Transaction
from bridge.services.gateway_ops import charge_invoice, refund_through_gateway
from hooks import PaymentStatus

from ..registry import MethodCall, invalid, method
from .billing_shared import amount, client_in_company, optional_int
from .transactions import render, scoped_transaction


def _invoice_amount(call: MethodCall) -> tuple[int, Any]:
    options = call.args.get("options")
    invoices = options.get("invoices") if isinstance(options, Mapping) else None
    if not isinstance(invoices, Mapping) or len(invoices) != 1:
        raise invalid("options", "invoices", "name exactly one invoice in options[invoices] "
                      "({invoice_id: amount}); hostbridge charges one invoice at a time")
    (invoice_id, value), = invoices.items()
    return int(optional_int(invoice_id, "invoice_id") or 0), value


@method("payments", "processPayment", status="partial",
        notes="a stored account_id and one invoice's whole balance only; no account_info, "
              "several invoices or partial amounts")
def process_payment(call: MethodCall) -> Any:
    """Charge a stored account for one invoice; returns the recorded transaction."""
    client = client_in_company(call, optional_int(call.arg("client_id"), "client_id"))
    if client is None:
        raise invalid("client_id", "exists", "Please specify a valid client.")
    account_id = optional_int(call.arg("account_id"), "account_id")
    if account_id is None:
        raise invalid("account_id", "exists", "hostbridge charges stored accounts only; "
                      "give account_id")
    stored = call.session.get(PayMethod, account_id)
    if stored is None or stored.client_id != client.id or stored.deleted_at is not None:
        raise invalid("account_id", "exists", f"account {account_id} is not client "
                      f"{client.id}'s")
    invoice_id, wanted = _invoice_amount(call)
    invoice = call.session.get(Invoice, invoice_id)
    if invoice is None or invoice.client_id != client.id:
        raise invalid("options", "invoices", f"invoice {invoice_id} is not client "
                      f"{client.id}'s")
    value = amount(call.arg("amount"), "amount")
    if value != invoice.balance or amount(wanted, "options[invoices]") != value:
        raise invalid("amount", "valid", f"hostbridge charges the whole balance: "
                      f"{invoice.balance} {invoice.currency} of invoice {invoice.id}")
    if str(call.arg("currency") or "").upper() != invoice.currency:
        raise invalid("currency", "valid", f"invoice {invoice.id} is in {invoice.currency}")
    result = charge_invoice(call.session, invoice.id, pay_method_id=stored.id)
    if result.status != PaymentStatus.PROCESSED:
        raise invalid("gateway", result.status.value,
                      result.message or f"the payment is {result.status.value}")
    txn = call.session.scalar(select(Transaction).where(
        Transaction.gateway == stored.gateway,
        Transaction.gateway_txn_id == (result.transaction_id or None)))
    return render(call, [txn])[0] if txn is not None else None


@method("payments", "refundPayment", status="partial", notes="options are ignored")
def refund_payment(call: MethodCall) -> Any:
    """Refund (part of) a payment at its gateway; returns the refunded transaction."""
    txn = scoped_transaction(call, call.arg("transaction_id"))
    client_id = optional_int(call.arg("client_id"), "client_id")
    if txn is None or txn.client_id != client_id:
        raise invalid("transaction_id", "exists", "Please specify a valid transaction.")
    raw = call.arg("amount")
    value = amount(raw, "amount") if raw not in (None, "") else None
    refund_through_gateway(call.session, txn.id, value)
    return render(call, [txn])[0]
