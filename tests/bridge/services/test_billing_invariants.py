"""The billing invariants, checked after hand-written flows and random operation sequences.

The checker is the reconciliation service ``bridge.services.reconcile.audit_billing``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select
from sqlalchemy.orm import Session

import bridge.models  # noqa: F401  (registers every table)
from bridge.context import Actor, set_actor
from bridge.db import Base, make_engine
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Client, Currency, Invoice, TaxRule, Transaction
from bridge.services import credit, invoices, payments
from bridge.services.reconcile import audit_billing as check_billing_invariants
from bridge.services.settings import set_setting

ZERO = Decimal(0)
SETTLED = ("paid", "refunded")




# --- hand-written flows ------------------------------------------------------------------


def test_mixed_flow_keeps_invariants(db, factories) -> None:
    db.add(TaxRule(level=1, name="VAT", country="US", rate=Decimal(20)))
    db.add(TaxRule(level=2, name="L2", country="US", rate=Decimal(5), compound=True))
    client = factories.client(country="US")
    inv = invoices.create_invoice(db, client.id, [{"unit_amount": "10.00"},
                                                  {"unit_amount": "5.55"}])
    assert inv.total == Decimal("19.59")
    credit.add_credit(db, client.id, "4.00", "x")
    credit.apply_credit(db, inv.id)
    part = payments.apply_payment(db, inv.id, "5.00", gateway="g", gateway_txn_id="1")
    payments.refund_payment(db, part.transaction.id, "2.00")  # while still open
    over = payments.apply_payment(db, inv.id, "20.00", gateway="g", gateway_txn_id="2")
    # owed 19.59 - 4.00 - 3.00 = 12.59; 20.00 - 12.59 = 7.41 to credit
    assert over.credited == Decimal("7.41") and inv.status == "paid"
    payments.refund_payment(db, over.transaction.id, "10.00", to_credit=True)
    payments.refund_payment(db, over.transaction.id)
    assert check_billing_invariants(db) == []
    db.commit()
    assert check_billing_invariants(db) == []


def test_checker_reports_broken_rules(db, factories) -> None:
    client = factories.client()
    inv = invoices.create_invoice(db, client.id, [{"unit_amount": "10.00"}])
    payments.apply_payment(db, inv.id, "4.00", gateway="g")
    assert check_billing_invariants(db) == []
    client.credit_balance = Decimal("1.00")
    inv.amount_paid = Decimal("11.00")
    problems = check_billing_invariants(db)
    assert any(p.startswith(f"client {client.id}") for p in problems)
    assert any("negative balance" in p for p in problems)
    assert any("amount_paid 11.00" in p for p in problems)


# --- random sequences --------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=40_000).map(lambda c: Decimal(c) / 100)
line = st.fixed_dictionaries({
    "unit_amount": st.integers(min_value=0, max_value=20_000).map(lambda c: Decimal(c) / 100),
    "quantity": st.integers(min_value=1, max_value=3),
    "taxed": st.booleans(),
})
pick = st.integers(min_value=0, max_value=10_000)
# mostly fresh ids (None), sometimes one of a few ids that repeat -> DuplicatePayment
txn_ids = st.sampled_from([None, None, None, "t1", "t2", "t3"])


class BillingMachine(RuleBasedStateMachine):
    """Random billing operations on an in-memory database; invariants after every step."""

    @initialize(compound=st.booleans(), inclusive=st.booleans(),
                rate1=st.sampled_from([0, 7, 20, 19.6]), rate2=st.sampled_from([0, 5, 8.5]))
    def setup(self, compound: bool, inclusive: bool, rate1: float, rate2: float) -> None:
        self.engine = make_engine("sqlite://")
        Base.metadata.create_all(self.engine)
        self.db = Session(self.engine, expire_on_commit=False)
        set_actor(self.db, Actor(kind="system", name="hypothesis", source="test"))
        self.db.add(Currency(code="USD", is_default=True))
        self.db.flush()  # no relationship orders the inserts, the FK needs the currency first
        self.db.add_all([
            TaxRule(level=1, name="T1", country="US", rate=Decimal(str(rate1))),
            TaxRule(level=2, name="T2", country="US", rate=Decimal(str(rate2)), compound=compound),
        ])
        if inclusive:
            set_setting(self.db, "tax.inclusive", "1")
        self.clients = [Client(email="us@example.com", country="US", currency="USD"),
                        Client(email="de@example.com", country="DE", currency="USD")]
        self.db.add_all(self.clients)
        self.db.commit()
        self.invoice_ids: list[int] = []
        self.payment_ids: list[int] = []
        self.ok = 0

    def teardown(self) -> None:
        if hasattr(self, "db"):
            self.db.close()
            self.engine.dispose()

    def _run(self, fn, *args, **kwargs):
        try:
            result = fn(self.db, *args, **kwargs)
        except (Conflict, ValidationFailed):
            self.db.rollback()
            return None
        self.db.commit()
        self.ok += 1
        return result

    def _invoice(self, index: int, *, open_only: bool = False) -> int | None:
        ids = self.invoice_ids
        if open_only:  # most steps should hit an invoice they can act on
            ids = [i for i in ids if self.db.get(Invoice, i).status in ("unpaid", "draft")] or ids
        return ids[index % len(ids)] if ids else None

    @rule(who=st.integers(0, 1), lines=st.lists(line, max_size=4), draft=st.booleans(),
          use_credit=st.booleans())
    def create(self, who, lines, draft, use_credit) -> None:
        inv = self._run(invoices.create_invoice, self.clients[who].id, lines,
                        status="draft" if draft else "unpaid", apply_credit=use_credit)
        if inv is not None:
            self.invoice_ids.append(inv.id)

    @rule(index=pick, amount=cents, txn=txn_ids, mode=st.sampled_from(["given", "exact", "over"]))
    def pay(self, index, amount, txn, mode) -> None:
        invoice_id = self._invoice(index, open_only=True)
        if invoice_id is None:
            return
        balance = self.db.get(Invoice, invoice_id).balance
        if mode == "exact" and balance > 0:
            amount = balance
        elif mode == "over":
            amount = balance + amount
        result = self._run(payments.apply_payment, invoice_id, amount, gateway="gw",
                           gateway_txn_id=txn)
        if result is not None:
            self.payment_ids.append(result.transaction.id)

    @rule(index=pick, amount=cents, back=st.none() | cents, to_credit=st.booleans())
    def pay_then_refund(self, index, amount, back, to_credit) -> None:
        """A payment refunded at once: exercises refunds on open and on settled invoices."""
        invoice_id = self._invoice(index, open_only=True)
        if invoice_id is None:
            return
        result = self._run(payments.apply_payment, invoice_id, amount, gateway="gw")
        if result is not None:
            self.payment_ids.append(result.transaction.id)
            assert check_billing_invariants(self.db) == []
            self._run(payments.refund_payment, result.transaction.id, back, to_credit=to_credit)

    @rule(who=st.integers(0, 1), amount=cents, txn=txn_ids)
    def add_funds(self, who, amount, txn) -> None:
        txn_row = self._run(payments.add_transaction, self.clients[who].id, amount_in=amount,
                            gateway="gw", gateway_txn_id=txn, add_to_credit=True)
        if txn_row is not None:
            self.payment_ids.append(txn_row.id)

    @rule(who=st.integers(0, 1), amount=cents, remove=st.booleans())
    def move_credit(self, who, amount, remove) -> None:
        fn = credit.remove_credit if remove else credit.add_credit
        self._run(fn, self.clients[who].id, amount, "random")

    @rule(index=pick, amount=st.none() | cents)
    def use_credit(self, index, amount) -> None:
        invoice_id = self._invoice(index, open_only=True)
        if invoice_id is not None:
            self._run(credit.apply_credit, invoice_id, amount)

    @rule(index=pick, amount=st.none() | st.none() | cents, to_credit=st.booleans())
    def refund(self, index, amount, to_credit) -> None:
        refunded: dict[int, Decimal] = defaultdict(Decimal)
        refunds = select(Transaction).where(Transaction.refund_of_id.is_not(None))
        for txn in self.db.scalars(refunds):
            refunded[txn.refund_of_id] += txn.amount_out
        live = [i for i in self.payment_ids
                if self.db.get(Transaction, i).amount_in > refunded[i]] or self.payment_ids
        if live:
            self._run(payments.refund_payment, live[index % len(live)], amount,
                      to_credit=to_credit)

    @rule(index=pick)
    def cancel(self, index) -> None:
        invoice_id = self._invoice(index)
        if invoice_id is not None:
            self._run(invoices.cancel_invoice, invoice_id, reason="random")

    @rule(index=pick)
    def publish(self, index) -> None:
        invoice_id = self._invoice(index, open_only=True)
        if invoice_id is not None:
            self._run(invoices.publish_invoice, invoice_id)

    @rule(index=pick, item=line)
    def add_item(self, index, item) -> None:
        invoice_id = self._invoice(index, open_only=True)
        if invoice_id is not None:
            self._run(invoices.add_invoice_item, invoice_id, item)

    @rule(index=pick, which=pick, item=line)
    def change_item(self, index, which, item) -> None:
        invoice_id = self._invoice(index, open_only=True)
        items = self.db.get(Invoice, invoice_id).items if invoice_id is not None else []
        if items:
            target = items[which % len(items)].id
            self._run(invoices.update_invoice_item, target, {"unit_amount": item["unit_amount"]})

    @rule(index=pick, which=pick)
    def remove_item(self, index, which) -> None:
        invoice_id = self._invoice(index, open_only=True)
        items = self.db.get(Invoice, invoice_id).items if invoice_id is not None else []
        if items:
            self._run(invoices.remove_invoice_item, items[which % len(items)].id)

    @invariant()
    def billing_invariants_hold(self) -> None:
        if hasattr(self, "db"):
            assert check_billing_invariants(self.db) == []


TestBillingMachine = BillingMachine.TestCase
TestBillingMachine.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

