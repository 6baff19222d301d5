"""The same core flows on MariaDB: exact Decimals, aware UTC datetimes, unique constraints."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.models import Client, CreditEntry, Invoice, Transaction
from bridge.services.credit import add_credit, ledger_balance
from bridge.services.orders import place_order
from bridge.services.payments import DuplicatePayment, apply_payment, refund_payment
from bridge.testing import make_client, make_product

pytestmark = pytest.mark.mysql


def test_order_payment_refund_roundtrip(mysql_db):
    db = mysql_db
    client = make_client(db)
    product = make_product(db, prices={"1M": "19.99"})
    result = place_order(db, client.id, {"products": [{"product_id": product.id}]},
                         today=date(2026, 3, 31))
    invoice_id = result.invoice.id
    payment = apply_payment(db, invoice_id, Decimal("5.01"), gateway="stripe",
                            gateway_txn_id="ch_1")
    apply_payment(db, invoice_id, Decimal("20.00"), gateway="stripe", gateway_txn_id="ch_2")
    db.commit()
    with pytest.raises(DuplicatePayment):
        apply_payment(db, invoice_id, Decimal("1.00"), gateway="stripe", gateway_txn_id="ch_1")
    db.rollback()
    refund_payment(db, payment.transaction.id, Decimal("5.01"))
    db.commit()
    db.expire_all()

    invoice = db.get(Invoice, invoice_id)
    assert invoice.total == Decimal("19.99")
    assert invoice.amount_paid == Decimal("19.99")
    assert invoice.status == "paid"
    assert invoice.paid_at is not None and invoice.paid_at.tzinfo == UTC
    # 5.01 + 20.00 - 19.99 = 5.02 overpaid into credit
    assert db.get(Client, client.id).credit_balance == Decimal("5.02")
    assert ledger_balance(db, client.id) == Decimal("5.02")
    refunds = db.scalars(select(Transaction).where(Transaction.kind == "refund")).all()
    assert [r.amount_out for r in refunds] == [Decimal("5.01")]


def test_large_and_fractional_amounts_are_exact(mysql_db):
    db = mysql_db
    client = make_client(db)
    add_credit(db, client.id, Decimal("123456789012345.67"), "big")
    add_credit(db, client.id, Decimal("0.01"), "tiny")
    db.commit()
    db.expire_all()
    amounts = sorted(db.scalars(select(CreditEntry.amount)))
    assert amounts == [Decimal("0.01"), Decimal("123456789012345.67")]
    assert db.get(Client, client.id).credit_balance == Decimal("123456789012345.68")
