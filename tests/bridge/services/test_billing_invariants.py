"""The billing invariants, checked after hand-written flows and random operation sequences.

``check_billing_invariants(session)`` is reusable: it returns one message per broken rule.
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
from bridge.models import Client, CreditEntry, Currency, Invoice, TaxRule, Transaction
from bridge.money import line_total
from bridge.services import credit, invoices, payments
from bridge.services.settings import set_setting

ZERO = Decimal(0)
SETTLED = ("paid", "refunded")


def check_billing_invariants(session: Session) -> list[str]:
    """Every broken billing rule, as readable messages (empty when all hold)."""
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

