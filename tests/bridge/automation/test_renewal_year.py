"""A year of renewal invoicing walked day by day (``bridge cron run --date`` per day) for a
mix of cycles, checking every invoice's dates, lines and amounts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from bridge.models import (
    ActivityLog,
    Domain,
    Invoice,
    Promotion,
    Service,
    ServiceAddon,
    TaxRule,
)

D = Decimal
START, END = date(2028, 1, 1), date(2028, 12, 31)  # 2028 is a leap year
LEAD = 14


def _walk(run):
    day = START
    while day <= END:
        run(day, only="renewal_invoices")
        day += timedelta(days=1)


def _svc(factories, client, product, amount, cycle, due, **kw):
    return factories.service(client, product, billing_cycle=cycle, recurring_amount=D(amount),
                             next_due_date=due, next_invoice_date=due, anchor_day=kw.pop(
                                 "anchor_day", due.day), **kw)


def test_a_year_of_renewals(db, factories, run, configure):
    configure(lead_days=str(LEAD))
    db.add(TaxRule(level=1, name="VAT", country="", rate=D("10")))
    alice = factories.client()
    bob = factories.client()
    plan = factories.product({"1M": "10.00", "3M": "25.00", "1Y": "100.00", "2Y": "180.00",
                              "3Y": "250.00"}, name="Plan")
    monthly = _svc(factories, alice, plan, "10.00", "1M", date(2028, 1, 31))
    quarterly = _svc(factories, alice, plan, "25.00", "3M", date(2028, 1, 15))
    quarterly2 = _svc(factories, alice, plan, "30.00", "3M", date(2028, 1, 15))
    leap = _svc(factories, bob, plan, "100.00", "1Y", date(2028, 2, 29))
    biennial = _svc(factories, bob, plan, "180.00", "2Y", date(2028, 6, 10))
    triennial = _svc(factories, bob, plan, "250.00", "3Y", date(2028, 3, 1))
    promo = Promotion(code="HALF2", type="fixed", value=D("2.00"), recurring=True, recur_for=2)
    db.add(promo)
    db.flush()
    promoted = _svc(factories, bob, plan, "8.00", "1M", date(2028, 10, 5),
                    promotion_id=promo.id)
    addon = ServiceAddon(service_id=quarterly.id, client_id=alice.id, currency="USD",
                         name="Backups", status="active", billing_cycle="1M",
                         recurring_amount=D("3.00"), next_due_date=date(2028, 11, 20),
                         next_invoice_date=date(2028, 11, 20), anchor_day=20, taxable=False)
    domain = Domain(client_id=bob.id, name="bob.test", status="active", currency="USD",
                    registration_period=1, recurring_amount=D("12.00"),
                    expiry_date=date(2028, 5, 5), next_due_date=date(2028, 5, 5),
                    next_invoice_date=date(2028, 5, 5))
    db.add_all([addon, domain])
    db.commit()

    _walk(run)

    month_ends = [date(2028, m, d) for m, d in ((1, 31), (2, 29), (3, 31), (4, 30), (5, 31),
                                                (6, 30), (7, 31), (8, 31), (9, 30), (10, 31),
                                                (11, 30), (12, 31))]
    quarters = [date(2028, 1, 15), date(2028, 4, 15), date(2028, 7, 15), date(2028, 10, 15)]
    expected: dict[tuple[int, date], list[tuple[int | None, str, Decimal, bool]]] = {}

    def add(client, due, sid, kind, amount, taxed=True):
        expected.setdefault((client.id, due), []).append((sid, kind, D(amount), taxed))

    for due in month_ends:
        add(alice, due, monthly.id, "service", "10.00")
    for due in quarters:
        add(alice, due, quarterly.id, "service", "25.00")
        add(alice, due, quarterly2.id, "service", "30.00")
    for due in (date(2028, 11, 20), date(2028, 12, 20)):
        add(alice, due, quarterly.id, "addon", "3.00", taxed=False)
    add(bob, date(2028, 2, 29), leap.id, "service", "100.00")
    add(bob, date(2028, 6, 10), biennial.id, "service", "180.00")
    add(bob, date(2028, 3, 1), triennial.id, "service", "250.00")
    add(bob, date(2028, 5, 5), None, "domain_renew", "12.00")
    # recur_for=2: two discounted renewals, then the catalogue price of the cycle
    for due, amount in ((date(2028, 10, 5), "8.00"), (date(2028, 11, 5), "8.00"),
                        (date(2028, 12, 5), "10.00"), (date(2029, 1, 5), "10.00")):
        add(bob, due, promoted.id, "service", amount)

    invoices = db.scalars(select(Invoice).order_by(Invoice.id)).all()
    got = {(inv.client_id, inv.due_date): inv for inv in invoices}
    assert len(invoices) == len(got), "two invoices for one client and due date"
    assert sorted(got) == sorted(expected)
    for key, lines in expected.items():
        invoice = got[key]
        due = key[1]
        # issued the day the due date came within the lead days (or on day one of the walk)
        assert invoice.date == max(START, due - timedelta(days=LEAD)), key
        assert sorted((i.service_id, i.type, i.amount, i.taxed) for i in invoice.items
                      ) == sorted(lines), key
        net = sum((amount for _, _, amount, _ in lines), D(0))
        tax = sum((amount for _, _, amount, taxed in lines if taxed), D(0)) * D("0.10")
        assert (invoice.subtotal, invoice.tax1, invoice.total) == (net, tax, net + tax), key
        for item in invoice.items:
            assert item.period_start == due

    db.expire_all()
    ends = {monthly.id: date(2029, 1, 31), quarterly.id: date(2029, 1, 15),
            leap.id: date(2029, 2, 28), biennial.id: date(2030, 6, 10),
            triennial.id: date(2031, 3, 1), promoted.id: date(2029, 2, 5)}
    for sid, end in ends.items():
        service = db.get(Service, sid)
        assert (service.next_due_date, service.next_invoice_date) == (end, end), sid
    assert db.get(Service, leap.id).anchor_day == 29
    assert db.get(Service, promoted.id).recurring_amount == D("10.00")
    assert db.get(Domain, domain.id).next_due_date == date(2029, 5, 5)
    assert db.get(ServiceAddon, addon.id).next_due_date == date(2029, 1, 20)
    leap_line = got[(bob.id, date(2028, 2, 29))].items[0]
    assert leap_line.period_end == date(2029, 2, 27)


def test_separate_invoices_and_catch_up(db, factories, run, configure):
    configure(lead_days="0")
    client = factories.client(separate_invoices=True)
    plan = factories.product()
    first = _svc(factories, client, plan, "10.00", "1M", date(2028, 1, 10))
    second = _svc(factories, client, plan, "20.00", "1M", date(2028, 1, 10))
    db.commit()
    # a cron stopped for three months: one invoice per missed period and service
    run(date(2028, 3, 15), only="renewal_invoices")
    rows = db.execute(select(Invoice.due_date, Invoice.date, Invoice.total)
                      .order_by(Invoice.due_date, Invoice.total)).all()
    assert rows == [(due, due, amount) for due in (date(2028, 1, 10), date(2028, 2, 10),
                                                   date(2028, 3, 10))
                    for amount in (D("10.00"), D("20.00"))]
    db.expire_all()
    assert db.get(Service, first.id).next_due_date == date(2028, 4, 10)
    assert db.get(Service, second.id).next_invoice_date == date(2028, 4, 10)


def test_a_broken_record_skips_only_its_client(db, factories, run, configure):
    configure(lead_days="0")
    plan = factories.product()
    broken = factories.client()
    good = factories.client()
    bad = _svc(factories, broken, plan, "10.00", "1M", date(2028, 1, 10))
    fine_of_broken = _svc(factories, broken, plan, "11.00", "1M", date(2028, 1, 10))
    bad.billing_cycle = "fortnightly"  # e.g. an import gone wrong
    fine = _svc(factories, good, plan, "12.00", "1M", date(2028, 1, 10))
    db.commit()
    result = run(date(2028, 1, 10), only="renewal_invoices")
    assert result.counts["renewal_invoices"]["errors"] == 1
    assert db.scalars(select(Invoice.client_id)).all() == [good.id]
    db.expire_all()
    # nothing of the broken client moved, not even its valid service
    assert db.get(Service, fine_of_broken.id).next_due_date == date(2028, 1, 10)
    assert db.get(Service, fine.id).next_due_date == date(2028, 2, 10)
    log = db.scalar(select(ActivityLog).where(ActivityLog.action == "automation.renewal_failed"))
    assert log.client_id == broken.id and "fortnightly" in log.description
