"""Full daily passes over a small install: what each job does on which day, running a date
twice equals running it once, a crash half way then a rerun equals a clean run, and a paid
overdue invoice unsuspends its service at once through the server module."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bridge.jobs.runner import CRON, run_pass
from bridge.models import (
    ActivityLog,
    AutomationRun,
    Invoice,
    InvoiceItem,
    OutboxMessage,
    PayMethod,
    Service,
    Ticket,
)
from bridge.services.automation import renewals
from bridge.services.payments import apply_payment

SETTINGS = {"suspend_days": "3", "late_fee_amount": "5.00", "late_fee_days": "7",
            "reminder_days_before": "7", "overdue_reminder_days": "1,7",
            "capture_retry_days": "3", "ticket_close_hours": "48"}


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _invoice_of(db, service_id):
    return db.scalars(select(Invoice).join(InvoiceItem).where(
        InvoiceItem.service_id == service_id).order_by(Invoice.id)).first()


def test_a_month_of_passes_each_run_twice(db, world, run, configure, dump):
    configure(**SETTINGS)
    for day in _days(date(2028, 2, 14), date(2028, 3, 12)):
        run(day)
        once = dump()
        run(day)
        assert dump() == once, f"second run on {day} changed the database"

    db.expire_all()
    paying, declined = _invoice_of(db, world.paying.id), _invoice_of(db, world.declined.id)
    manual = _invoice_of(db, world.manual.id)
    assert (paying.date, paying.due_date, paying.status) == (date(2028, 2, 16),
                                                             date(2028, 3, 1), "paid")
    assert (manual.date, manual.status) == (date(2028, 2, 17), "unpaid")
    assert _invoice_of(db, world.leaving.id) is None  # cancelling at period end: no renewal
    # charged on the due date and once more on the retry day; never twice on a day
    assert world.pay.charges == [(paying.id, "ok"), (declined.id, "decline"),
                                 (declined.id, "decline")]
    declines = db.scalars(select(ActivityLog.subject_id).where(
        ActivityLog.action == "payment.declined")).all()
    assert declines == [declined.id, declined.id]
    assert db.scalar(select(PayMethod.failed_count).where(
        PayMethod.client_id == world.declined.client_id)) == 2
    statuses = {s.id: (s.status, s.suspend_reason) for s in db.scalars(select(Service))}
    assert statuses[world.declined.id] == ("suspended", "Overdue on payment")
    assert statuses[world.manual.id] == ("suspended", "Overdue on payment")
    assert statuses[world.paying.id][0] == "active"
    assert statuses[world.leaving.id][0] == "terminated"
    assert sorted(world.panel.calls) == sorted([
        ("suspend", world.declined.id), ("suspend", world.manual.id),
        ("terminate", world.leaving.id)])
    # one late fee, added 7 days after the due date
    fees = [i for i in declined.items if i.type == "late_fee"]
    assert [(f.amount, f.description) for f in fees] == [(Decimal("5.00"), "Late fee")]
    assert declined.total == Decimal("25.00") and declined.late_fee_charged
    subjects = sorted((m.related_id, m.subject.split(":")[0])
                      for m in db.scalars(select(OutboxMessage)))
    assert subjects == sorted([(paying.id, "Payment reminder"),
                               (declined.id, "Payment reminder"),
                               (manual.id, "Payment reminder"),
                               (declined.id, "Overdue notice"), (declined.id, "Overdue notice"),
                               (manual.id, "Overdue notice"), (manual.id, "Overdue notice")])
    assert db.get(Ticket, world.ticket_id).status == "closed"
    summaries = db.scalars(select(ActivityLog).where(
        ActivityLog.action == "automation.daily_summary")).all()
    assert len(summaries) == len(list(_days(date(2028, 2, 14), date(2028, 3, 12))))
    first_day = next(s for s in summaries if s.data["date"] == "2028-02-16")
    assert first_day.data["jobs"]["renewal_invoices"]["invoices"] == 2


def test_paying_an_overdue_invoice_unsuspends_at_once(db, world, run, configure, state):
    configure(**SETTINGS)
    for day in _days(date(2028, 2, 17), date(2028, 3, 5)):
        run(day, only="renewal_invoices")
        run(day, only="overdue_suspensions")
    db.expire_all()
    assert db.get(Service, world.manual.id).status == "suspended"
    invoice = _invoice_of(db, world.manual.id)
    world.panel.calls.clear()
    db.commit()  # end the read transaction: SQLite lets no writer commit under a reader
    with state.transaction(CRON) as session:
        apply_payment(session, invoice.id, invoice.balance, gateway="banktransfer",
                      gateway_txn_id="bt-1")
    db.expire_all()
    service = db.get(Service, world.manual.id)
    assert (service.status, service.suspend_reason) == ("active", "")
    assert world.panel.calls == [("unsuspend", world.manual.id)]


def test_payment_does_not_unsuspend_while_another_invoice_is_overdue(db, world, run, configure,
                                                                     state):
    configure(**SETTINGS)
    for day in _days(date(2028, 2, 17), date(2028, 3, 20)):
        run(day, only="renewal_invoices")
        run(day, only="overdue_suspensions")
    invoices = db.scalars(select(Invoice).join(InvoiceItem).where(
        InvoiceItem.service_id == world.manual.id).order_by(Invoice.due_date)).all()
    assert [i.due_date for i in invoices] == [date(2028, 3, 2), date(2028, 4, 2)]
    db.commit()
    with state.transaction(CRON) as session:
        # the business date the payment is judged on: April's invoice is overdue by then
        session.info["bridge.automation.today"] = date(2028, 4, 10)
        apply_payment(session, invoices[0].id, invoices[0].balance, gateway="banktransfer")
    db.expire_all()
    assert db.get(Service, world.manual.id).status == "suspended"


def _file(state) -> Path:
    return Path(state.db.engine.url.database)


def test_crash_half_way_then_rerun_equals_a_clean_run(db, world, state, configure, dump,
                                                      monkeypatch):
    configure(**SETTINGS)
    db.close()
    state.db.dispose()
    backup = _file(state).with_suffix(".backup")
    shutil.copyfile(_file(state), backup)
    days = list(_days(date(2028, 2, 15), date(2028, 3, 5)))

    for day in days:
        assert run_pass(state, day).ok
    clean = dump()
    charges = list(world.pay.charges)

    state.db.dispose()
    shutil.copyfile(backup, _file(state))
    world.pay.charges.clear()
    # one client per batch, and the second invoice of the crash day blows up
    monkeypatch.setitem(renewals.invoice_renewals.__kwdefaults__, "batch_size", 1)
    real, calls = renewals.create_invoice, []

    def flaky(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(renewals, "create_invoice", flaky)
    crashed = run_pass(state, date(2028, 2, 16))
    assert crashed.failed == {"renewal_invoices": "RuntimeError: power cut"}
    with state.transaction(CRON) as session:
        # the first client's batch was committed before the crash, the second was not
        assert session.scalar(select(Invoice.id).order_by(Invoice.id.desc())) is not None
        assert session.scalar(select(AutomationRun.status).where(
            AutomationRun.job == "renewal_invoices")) == "failed"
    for day in days:
        assert run_pass(state, day).ok
    assert dump() == clean
    assert world.pay.charges == charges
