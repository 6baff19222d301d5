"""Benchmark: one renewal-invoicing pass over many active services (not a unit test).

Builds N active monthly services (10 per client) of which N/10 are due within the lead days,
with bulk inserts, then times ``bridge cron run --job renewal_invoices`` for one date and
prints services/second, SQL statements per due service (counted with the engine's
``before_cursor_execute`` event) and the time ratio of the larger scale over the smaller.

    python bench/automation_run.py                  # 10,000/1,000 and 100,000/10,000 on SQLite
    python bench/automation_run.py --scales 2000 20000 --url mysql+pymysql://...
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from bridge import create_app
from bridge.app import BridgeState
from bridge.db import Base, utcnow
from bridge.jobs.runner import run_pass
from bridge.models import Client, Currency, Invoice, Product, ProductGroup, Service

TODAY = date(2028, 3, 1)
PER_CLIENT = 10


def build(state: BridgeState, services: int) -> int:
    """Insert ``services`` active services, every PER_CLIENT-th one due; return how many due."""
    engine = state.db.engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    now = utcnow()
    clients = services // PER_CLIENT
    with engine.begin() as conn:
        conn.execute(insert(Currency).values(code="USD", prefix="$", rate=Decimal(1),
                                             is_default=True))
        conn.execute(insert(ProductGroup).values(id=1, name="Hosting"))
        conn.execute(insert(Product).values(id=1, group_id=1, name="Plan", type="hosting"))
        conn.execute(insert(Client), [
            {"id": n, "first_name": "Bench", "last_name": str(n), "email": f"c{n}@bench.test",
             "currency": "USD", "country": "US", "created_at": now}
            for n in range(1, clients + 1)])
        rows: list[dict[str, Any]] = []
        due = 0
        for n in range(services):
            is_due = n % PER_CLIENT == 0
            due += is_due
            next_due = TODAY + timedelta(days=5 if is_due else 40 + n % 200)
            rows.append({"client_id": n // PER_CLIENT + 1, "product_id": 1, "status": "active",
                         "billing_cycle": "1M", "currency": "USD",
                         "recurring_amount": Decimal("9.95"), "next_due_date": next_due,
                         "next_invoice_date": next_due, "anchor_day": next_due.day,
                         "created_at": now})
            if len(rows) == 10_000:
                conn.execute(insert(Service), rows)
                rows = []
        if rows:
            conn.execute(insert(Service), rows)
    return due


def measure(url: str, services: int) -> dict[str, float]:
    """Build, then time one renewal pass; return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        db_url = url or f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app({"database_url": db_url, "instance_path": folder,
                          "secret_key": "bench-install-key-0123456789"})
        state: BridgeState = app.extensions["bridge"]
        due = build(state, services)
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        event.listen(state.db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        result = run_pass(state, TODAY, only="renewal_invoices")
        elapsed = time.perf_counter() - started
        event.remove(state.db.engine, "before_cursor_execute", count)
        assert result.ok, result.failed
        with state.db.engine.connect() as conn:
            invoices = conn.scalar(select(func.count()).select_from(Invoice))
        assert invoices == due, f"expected {due} invoices, got {invoices}"
        state.db.dispose()
    return {"services": services, "due": due, "seconds": elapsed,
            "per_second": due / elapsed, "statements": statements[0],
            "per_due": statements[0] / due}


def main() -> None:
    """Run the scales given and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000],
                        help="total services per run (a tenth are due)")
    parser.add_argument("--url", default="", help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    figures = [measure(args.url, scale) for scale in args.scales]
    for f in figures:
        print(f"{f['services']:>8,.0f} services, {f['due']:>7,.0f} due: "
              f"{f['seconds']:8.2f} s  {f['per_second']:8.1f} due services/s  "
              f"{f['statements']:>8,.0f} SQL statements = {f['per_due']:.2f} per due service")
    for small, large in zip(figures, figures[1:], strict=False):
        ratio = large["seconds"] / small["seconds"]
        scale = large["services"] / small["services"]
        print(f"time ratio {large['services']:,.0f} / {small['services']:,.0f} services "
              f"({scale:.0f}x scale): {ratio:.2f}x (goal < {scale * 1.1:.0f}x)")


if __name__ == "__main__":
    main()
