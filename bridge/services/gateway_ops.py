"""Payments through gateway modules: stored methods, charges, refunds, payment links and
callbacks.

Money only moves in the books when the gateway says ``processed``, and always through
:func:`bridge.services.payments.apply_payment`, which refuses a gateway transaction id it has
seen: a replayed callback or a charge reported twice never pays twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import Client, Invoice, PayMethod, Transaction
from bridge.money import round_money
from hooks import (
    CallbackRequest,
    CallbackResult,
    GatewayModule,
    PaymentContext,
    PaymentLink,
    PaymentResult,
    PaymentStatus,
)

from . import payments
from .common import get_or_404, log_activity, secret_box
from .credit import PAYABLE_STATUSES, currency_places
from .module_context import client_info, plugin_host
from .modules import module_settings


def _gateway(session: Session, name: str) -> tuple[GatewayModule, dict[str, str]]:
    module = plugin_host(session).gateway_module(name)
    try:
        config = module_settings(session, "gateway", name)
    except NotFound:
        config = {}
    return module, config


def _context(session: Session, invoice: Invoice, config: dict[str, str],
             token: str = "", amount: Decimal | None = None) -> PaymentContext:
    client = session.get(Client, invoice.client_id)
    assert client is not None
    if amount is None:  # the balance at the currency's places (stored amounts carry 4)
        amount = round_money(invoice.balance, currency_places(session, invoice.currency))
    return PaymentContext(
        invoice_id=invoice.id, amount=amount,
        currency=invoice.currency, client=client_info(client),
        description=f"Invoice #{invoice.number or invoice.id}", token=token, config=config,
    )


def store_pay_method(
    session: Session, client_id: int, gateway: str, details: Mapping[str, str]
) -> PayMethod:
    """Save a payment method at ``gateway`` and keep its token (encrypted) for the client."""
    client = get_or_404(session, Client, client_id, "Client")
    module, config = _gateway(session, gateway)
    ctx = PaymentContext(invoice_id=0, amount=Decimal(0), currency=client.currency,
                         client=client_info(client), config=config)
    stored = module.store_method(ctx, details)
    if stored is None:
        raise Conflict(f"gateway {gateway} could not store the payment method")
    method = PayMethod(client_id=client.id, gateway=gateway, kind=stored.kind,
                       description=stored.description, card_type=stored.card_type,
                       last_four=stored.last_four, expiry=stored.expiry,
                       token_enc=secret_box(session).encrypt(stored.token))
    session.add(method)
    session.flush()
    log_activity(session, "pay_method.added", f"{gateway} payment method added",
                 client_id=client.id, subject=("pay_method", method.id))
    return method


def charge_invoice(
    session: Session, invoice_id: int, *, pay_method_id: int | None = None
) -> PaymentResult:
    """Charge the invoice balance to a stored payment method (the client's first by default).

    processed -> payment applied (idempotent on the gateway transaction id); declined ->
    recorded on the pay method and in the activity log, event ``payment_declined``; pending
    (3-D Secure) -> recorded, the callback completes it. Returns the gateway's result.
    """
    invoice = get_or_404(session, Invoice, invoice_id, "Invoice")
    if invoice.balance <= 0 or invoice.status not in PAYABLE_STATUSES:
        raise Conflict(f"invoice {invoice.id} is {invoice.status} with balance "
                       f"{invoice.balance}; nothing to charge")
    method = _pay_method(session, invoice, pay_method_id)
    module, config = _gateway(session, method.gateway)
    ctx = _context(session, invoice, config, secret_box(session).decrypt(method.token_enc))
    invoice.last_capture_attempt = utcnow()
    result = module.charge(ctx)
    _record_result(session, invoice, method.gateway, result, method)
    return result


def _pay_method(session: Session, invoice: Invoice, pay_method_id: int | None) -> PayMethod:
    query = select(PayMethod).where(PayMethod.client_id == invoice.client_id,
                                    PayMethod.deleted_at.is_(None))
    if pay_method_id is not None:
        query = query.where(PayMethod.id == pay_method_id)
    method = session.scalar(query.order_by(PayMethod.preference, PayMethod.id).limit(1))
    if method is None:
        raise ValidationFailed.single("pay_method_id", "invalid",
                                      f"client {invoice.client_id} has no such stored method")
    return method


def _record_result(session: Session, invoice: Invoice, gateway: str, result: PaymentResult,
                   method: PayMethod | None = None) -> None:
    if result.status == PaymentStatus.PROCESSED:
        _apply(session, invoice, gateway, result)
        if method is not None:
            method.failed_count = 0
        return
    if result.status == PaymentStatus.DECLINED and method is not None:
        method.failed_count += 1
    log_activity(session, f"payment.{result.status.value}",
                 f"{gateway} {result.status.value} invoice {invoice.id}: {result.message}",
                 client_id=invoice.client_id, subject=("invoice", invoice.id),
                 data={"gateway": gateway, "transaction_id": result.transaction_id})
    if result.status == PaymentStatus.DECLINED:
        emit(session, "payment_declined", invoice_id=invoice.id, client_id=invoice.client_id,
             gateway=gateway, message=result.message)


def _apply(session: Session, invoice: Invoice, gateway: str, result: PaymentResult) -> None:
    amount = result.amount if result.amount is not None else invoice.balance
    try:
        payments.apply_payment(session, invoice.id, amount, gateway=gateway,
                               gateway_txn_id=result.transaction_id or None, fees=result.fees)
    except payments.DuplicatePayment:
        log_activity(session, "payment.duplicate_ignored",
                     f"{gateway} transaction {result.transaction_id} was already applied",
                     client_id=invoice.client_id, subject=("invoice", invoice.id))


def refund_through_gateway(
    session: Session, transaction_id: int, amount: Decimal | None = None
) -> Transaction:
    """Refund (part of) a payment at its gateway, then record the refund in the books."""
    original = get_or_404(session, Transaction, transaction_id, "Transaction")
    if not original.gateway_txn_id or original.invoice_id is None:
        raise Conflict(f"transaction {original.id} has no gateway payment to refund")
    invoice = get_or_404(session, Invoice, original.invoice_id, "Invoice")
    module, config = _gateway(session, original.gateway)
    value = amount if amount is not None else original.amount_in
    result = module.refund(_context(session, invoice, config, amount=value),
                           original.gateway_txn_id, value)
    if result.status != PaymentStatus.PROCESSED:
        raise Conflict(f"{original.gateway} refused the refund of transaction {original.id}: "
                       f"{result.message or result.status.value}")
    return payments.refund_payment(session, original.id, value,
                                   gateway_txn_id=result.transaction_id or None)


def payment_link(session: Session, invoice_id: int, gateway: str) -> PaymentLink:
    """How the client pays ``invoice_id`` off-site with ``gateway`` (URL, form or text)."""
    invoice = get_or_404(session, Invoice, invoice_id, "Invoice")
    module, config = _gateway(session, gateway)
    return module.payment_link(_context(session, invoice, config))


def handle_gateway_callback(
    session: Session, gateway: str, request: CallbackRequest
) -> CallbackResult:
    """Verify and apply a gateway notification; PermissionDenied when it is not genuine.

    Payments are applied once however often the gateway repeats itself; refunds likewise by
    their refund id.
    """
    module, config = _gateway(session, gateway)
    result = module.verify_callback(request, config)
    if result is None:
        log_activity(session, "gateway.callback_rejected", f"{gateway} callback failed "
                     "verification", data={"remote_addr": request.remote_addr})
        raise PermissionDenied(f"{gateway} callback failed verification")
    if result.invoice_id is None:
        return result
    invoice = session.get(Invoice, result.invoice_id)
    if invoice is None:
        raise NotFound("Invoice", result.invoice_id)
    if result.kind == "refund":
        _callback_refund(session, gateway, result)
    elif result.payment.status == PaymentStatus.PROCESSED and invoice.status == "paid":
        _apply_or_ignore_paid(session, invoice, gateway, result.payment)
    else:
        _record_result(session, invoice, gateway, result.payment)
    return result


def _apply_or_ignore_paid(session: Session, invoice: Invoice, gateway: str,
                          payment: PaymentResult) -> None:
    # the invoice is settled: a repeat of the same transaction is ignored, new money is credit
    known = session.scalar(select(Transaction).where(
        Transaction.gateway == gateway, Transaction.gateway_txn_id == payment.transaction_id))
    if known is None and payment.amount:
        payments.add_transaction(session, invoice.client_id, amount_in=payment.amount,
                                 gateway=gateway, gateway_txn_id=payment.transaction_id,
                                 add_to_credit=True,
                                 description=f"Payment for settled invoice {invoice.id}")


def _callback_refund(session: Session, gateway: str, result: CallbackResult) -> None:
    refund_id = result.payment.transaction_id
    if refund_id and session.scalar(select(Transaction).where(
            Transaction.gateway == gateway, Transaction.gateway_txn_id == refund_id)):
        return  # already recorded
    original = session.scalar(select(Transaction).where(
        Transaction.gateway == gateway, Transaction.gateway_txn_id == result.refund_of))
    if original is None:
        raise NotFound("Transaction", result.refund_of, field="gateway_txn_id")
    payments.refund_payment(session, original.id, result.payment.amount,
                            gateway_txn_id=refund_id or None)
