"""The runner lock and a renewal pass on MariaDB (skipped without BRIDGE_TEST_MYSQL_URL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.models import Invoice, JobLock, Service
from bridge.services.automation.renewals import invoice_renewals
from bridge.services.automation.runs import LockBusy, acquire_lock, release_lock
from bridge.testing import make_client, make_product, make_service

pytestmark = pytest.mark.mysql
HOUR = timedelta(hours=1)


def test_lock_on_mariadb(mysql_db):
    engine = mysql_db.get_bind()
    acquire_lock(mysql_db, "first", HOUR)
    mysql_db.commit()
    with Session(engine) as other:
        with pytest.raises(LockBusy, match=r"\(first\)"):
            acquire_lock(other, "second", HOUR)
        other.rollback()
        mysql_db.get(JobLock, "automation").expires_at = utcnow() - timedelta(seconds=1)
        mysql_db.commit()
        acquire_lock(other, "second", HOUR)
        other.commit()
        release_lock(mysql_db, "first")  # not the holder any more: no effect
        mysql_db.commit()
        assert other.get(JobLock, "automation", populate_existing=True).holder == "second"


def test_racing_first_claims_on_mariadb(mysql_db):
    engine = mysql_db.get_bind()
    mysql_db.close()
    barrier, outcomes = threading.Barrier(4), []

    def claim(name: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                acquire_lock(session, name, HOUR)
                session.commit()
                outcomes.append(name)
            except LockBusy:
                session.rollback()

    threads = [threading.Thread(target=claim, args=(f"r{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 1


def test_renewal_pass_twice_on_mariadb(mysql_db):
    client = make_client(mysql_db)
    product = make_product(mysql_db)
    for due in (date(2028, 1, 31), date(2028, 2, 29)):
        make_service(mysql_db, client, product, next_due_date=due, next_invoice_date=due,
                     anchor_day=due.day, recurring_amount=Decimal("7.50"))
    mysql_db.commit()
    for _ in range(2):
        counts = invoice_renewals(mysql_db, date(2028, 2, 20), checkpoint=mysql_db.commit)
        mysql_db.commit()
    assert counts == {"clients": 0, "invoices": 0, "lines": 0, "errors": 0}
    # lead 14 days -> horizon 5 March: Jan 31 (behind) and Feb 29 for the first service, Feb 29
    # for the second (one invoice per client and due date); each keeps its anchor day
    rows = mysql_db.execute(select(Invoice.due_date, Invoice.total).order_by(Invoice.due_date))
    assert rows.all() == [(date(2028, 1, 31), Decimal("7.50")),
                          (date(2028, 2, 29), Decimal("15.00"))]
    nexts = sorted(mysql_db.scalars(select(Service.next_due_date)))
    assert nexts == [date(2028, 3, 29), date(2028, 3, 31)]
