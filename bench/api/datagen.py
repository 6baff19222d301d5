"""Build a core database of a realistic host's size for the API benchmarks.

    python -m bench.api.datagen --url sqlite:////tmp/bench.db --scale 1
    python -m bench.api.datagen --url mysql+pymysql://u:p@127.0.0.1/bench --scale 0.1 \
        --admin-url mysql+pymysql://root:pw@127.0.0.1/

At ``--scale 1``: 20,000 clients, 60,000 services, 200,000 invoices, 600,000 items,
150,000 transactions, 8,000 tickets with 3 messages each. The schema comes from the same
migrations as ``bridge init`` (:func:`bridge.bootstrap.initialize`); the bulk rows go in with
Core ``executemany`` batches (ids given, so no round trip per row) because running a million
rows through the per-row services would take hours. The rows keep the core's invariants
(invoice totals equal their items; a paid invoice has its payment transaction) so every API
call answers as it would on an imported install. One API credential usable by both doors is
created through :func:`bridge.services.access.add_api_credential`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, create_engine, insert, make_url, select, text

from bridge import create_app
from bridge.bootstrap import initialize
from bridge.context import Actor
from bridge.db import Base
from bridge.models import Currency
from bridge.services.access import add_admin, add_api_credential

IDENTIFIER = "bench-api-id"
SECRET = "bench-api-secret-0123456789"
INSTALL_KEY = "bench-install-key-0123456789abcdef"
BATCH = 5000
FIRST = ("Ada", "Alan", "Grace", "Linus", "Ken", "Dennis", "Barbara", "Edsger", "Donald",
         "Frances", "John", "Margaret", "Tim", "Radia", "Guido", "Anita", "Bjarne", "Niklaus")
LAST = ("Lovelace", "Turing", "Hopper", "Torvalds", "Thompson", "Ritchie", "Liskov", "Dijkstra",
        "Knuth", "Allen", "McCarthy", "Hamilton", "Berners-Lee", "Perlman", "Rossum", "Borg")
PRODUCTS = (("Starter hosting", "4.9500"), ("Business hosting", "12.9500"),
            ("Reseller", "29.0000"), ("VPS 2GB", "19.0000"), ("VPS 8GB", "49.0000"),
            ("Dedicated", "149.0000"), ("Email", "2.5000"), ("SSL", "9.9900"))


@dataclass(frozen=True)
class Sizes:
    """Row counts for one ``--scale``."""

    clients: int
    services_per_client: int = 3
    invoices_per_client: int = 10
    items_per_invoice: int = 3
    paid_share: float = 0.75  # each paid invoice has one payment transaction
    tickets: int = 0
    messages_per_ticket: int = 3

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        """Full size (scale 1) is 20,000 clients and 8,000 tickets; the rest follow."""
        if scale <= 0:
            raise ValueError(f"--scale must be positive, got {scale}")
        return cls(clients=max(1, round(20_000 * scale)), tickets=max(1, round(8_000 * scale)))

    @property
    def invoices(self) -> int:
        return self.clients * self.invoices_per_client


def _batched(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Generator:
    """Writes the bulk rows into an initialized database, deterministically from ``seed``."""

    def __init__(self, conn: Connection, sizes: Sizes, *, currency: str, seed: int = 8,
                 progress: Callable[[str], None] = print) -> None:
        self.conn = conn
        self.sizes = sizes
        self.currency = currency
        self.rnd = random.Random(seed)
        self.progress = progress
        self.now = datetime(2026, 11, 1, tzinfo=UTC)
        self.counts: dict[str, int] = {}

    def table(self, name: str) -> Table:
        return Base.metadata.tables[name]

    def put(self, name: str, rows: Iterator[dict[str, Any]]) -> None:
        started = time.perf_counter()
        count = 0
        for batch in _batched(rows):
            self.conn.execute(insert(self.table(name)), batch)
            count += len(batch)
        self.counts[name] = self.counts.get(name, 0) + count
        self.progress(f"  {name}: {count:,} rows in {time.perf_counter() - started:.1f}s")

    def run(self) -> dict[str, int]:
        """Insert every table's rows; return the row counts written."""
        self.put("product_groups", iter([{"id": 1, "name": "Hosting"}]))
        self.put("products", ({"id": i + 1, "group_id": 1, "name": name, "type": "hosting"}
                              for i, (name, _) in enumerate(PRODUCTS)))
        self.put("ticket_departments", iter([{"id": 1, "name": "Support", "company_id": 1}]))
        self.put("clients", self._clients())
        self.put("services", self._services())
        self.put("invoices", self._invoices())
        self.put("invoice_items", self._items())
        self.put("transactions", self._transactions())
        self.put("tickets", self._tickets())
        self.put("ticket_messages", self._messages())
        return self.counts

    def _stamp(self, days_back: int) -> datetime:
        return self.now - timedelta(days=days_back, seconds=self.rnd.randrange(86_400))

    def _clients(self) -> Iterator[dict[str, Any]]:
        for cid in range(1, self.sizes.clients + 1):
            first, last = FIRST[cid % len(FIRST)], LAST[(cid * 7) % len(LAST)]
            yield {"id": cid, "company_id": 1, "first_name": first, "last_name": last,
                   "email": f"{first.lower()}.{last.lower()}{cid}@example.com",
                   "company_name": f"{last} Webworks {cid}" if cid % 3 == 0 else "",
                   "address1": f"{cid} Main Street", "city": "Springfield", "state": "IL",
                   "postcode": f"{60000 + cid % 1000}", "country": "US",
                   "phone": f"+1.555{cid:07d}", "currency": self.currency,
                   "status": "active" if cid % 10 else "inactive",
                   "created_at": self._stamp(1800 - cid * 1800 // self.sizes.clients)}

    def _services(self) -> Iterator[dict[str, Any]]:
        sid = 0
        for cid in range(1, self.sizes.clients + 1):
            for n in range(self.sizes.services_per_client):
                sid += 1
                pid = (cid + n) % len(PRODUCTS)
                due = self.now.date() + timedelta(days=self.rnd.randrange(1, 30))
                yield {"id": sid, "client_id": cid, "product_id": pid + 1,
                       "status": "active" if sid % 7 else "terminated",
                       "currency": self.currency, "billing_cycle": "1M",
                       "first_payment_amount": Decimal(PRODUCTS[pid][1]),
                       "recurring_amount": Decimal(PRODUCTS[pid][1]),
                       "registration_date": due - timedelta(days=365),
                       "next_due_date": due, "next_invoice_date": due - timedelta(days=7),
                       "domain": f"site{sid}.example.net", "created_at": self._stamp(365)}

    def _invoice_plan(self, iid: int) -> tuple[int, str, date, Decimal]:
        """(client, status, date, line amount) of invoice ``iid``, derived from the id alone so
        the items and transactions passes agree with the invoices pass without keeping state."""
        per = self.sizes.invoices_per_client
        cid = (iid - 1) // per + 1
        nth = (iid - 1) % per
        exact = per * self.sizes.paid_share
        # every other client has one more paid invoice so the share holds for 7.5 of 10
        paid_cut = int(exact) + (1 if exact % 1 and cid % 2 == 0 else 0)
        status = "paid" if nth < paid_cut else ("unpaid" if nth < per - 1 or per < 3
                                                else "cancelled")
        day = self.now.date() - timedelta(days=30 * (per - nth) + cid % 28)
        pid = (cid + nth) % len(PRODUCTS)
        return cid, status, day, Decimal(PRODUCTS[pid][1])

    def _invoices(self) -> Iterator[dict[str, Any]]:
        items = self.sizes.items_per_invoice
        for iid in range(1, self.sizes.invoices + 1):
            cid, status, day, amount = self._invoice_plan(iid)
            total = amount * items
            paid = status == "paid"
            yield {"id": iid, "client_id": cid, "number": str(iid), "status": status,
                   "currency": self.currency, "date": day, "due_date": day + timedelta(days=14),
                   "paid_at": datetime.combine(day, datetime.min.time(), UTC)
                   + timedelta(days=3) if paid else None,
                   "cancelled_at": datetime.combine(day, datetime.min.time(), UTC)
                   if status == "cancelled" else None,
                   "subtotal": total, "total": total, "amount_paid": total if paid else Decimal(0),
                   "payment_method": "offline",
                   "created_at": datetime.combine(day, datetime.min.time(), UTC)}

    def _items(self) -> Iterator[dict[str, Any]]:
        per_client = self.sizes.services_per_client
        item_id = 0
        for iid in range(1, self.sizes.invoices + 1):
            cid, _status, day, amount = self._invoice_plan(iid)
            for n in range(self.sizes.items_per_invoice):
                item_id += 1
                sid = (cid - 1) * per_client + n % per_client + 1
                yield {"id": item_id, "invoice_id": iid, "type": "service", "service_id": sid,
                       "description": f"Service #{sid} ({day} - {day + timedelta(days=30)})",
                       "quantity": Decimal(1), "unit_amount": amount, "amount": amount,
                       "period_start": day, "period_end": day + timedelta(days=30),
                       "sort_order": n}

    def _transactions(self) -> Iterator[dict[str, Any]]:
        tid = 0
        items = self.sizes.items_per_invoice
        for iid in range(1, self.sizes.invoices + 1):
            cid, status, day, amount = self._invoice_plan(iid)
            if status != "paid":
                continue
            tid += 1
            when = datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=3)
            yield {"id": tid, "client_id": cid, "invoice_id": iid, "kind": "payment",
                   "gateway": "offline", "gateway_txn_id": f"BENCH-{iid}", "date": when,
                   "description": f"Invoice Payment #{iid}", "currency": self.currency,
                   "amount_in": amount * items, "created_at": when}

    def _tickets(self) -> Iterator[dict[str, Any]]:
        for tid in range(1, self.sizes.tickets + 1):
            cid = (tid * 13) % self.sizes.clients + 1
            opened = self._stamp(400 - tid * 400 // self.sizes.tickets)
            yield {"id": tid, "number": f"BEN-{tid:06d}", "department_id": 1, "client_id": cid,
                   "subject": f"Question {tid} about my service",
                   "status": ("open", "answered", "customer-reply", "closed")[tid % 4],
                   "created_at": opened, "last_reply_at": opened + timedelta(hours=2)}

    def _messages(self) -> Iterator[dict[str, Any]]:
        mid = 0
        for tid in range(1, self.sizes.tickets + 1):
            cid = (tid * 13) % self.sizes.clients + 1
            for n in range(self.sizes.messages_per_ticket):
                mid += 1
                yield {"id": mid, "ticket_id": tid,
                       "author_type": "client" if n % 2 == 0 else "admin",
                       "client_id": cid if n % 2 == 0 else None,
                       "body": f"Message {n} of ticket {tid}. " * 4,
                       "created_at": self._stamp(30)}


def ensure_mysql_database(url: str, admin_url: str) -> None:
    """Create the MariaDB database named in ``url`` (dropping an old one) with the admin URL."""
    target = make_url(url)
    name = target.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database name {name!r}: letters, digits and _ only")
    engine = create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                          "COLLATE utf8mb4_unicode_ci"))
        if target.username:
            for host in ("localhost", "127.0.0.1"):
                conn.execute(text(f"GRANT ALL PRIVILEGES ON `{name}`.* TO "
                                  f"'{target.username}'@'{host}'"))
    engine.dispose()


def build(url: str, scale: float, *, admin_url: str = "", seed: int = 8,
          progress: Callable[[str], None] = print) -> dict[str, int]:
    """Create (or recreate) the database at ``url`` at ``scale``; return rows per table."""
    if url.startswith("mysql"):
        if admin_url:
            ensure_mysql_database(url, admin_url)
    elif url.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_app({"database_url": url, "secret_key": INSTALL_KEY, "log_level": "WARNING"})
    state = app.extensions["bridge"]
    initialize(state)
    with state.transaction(Actor(kind="system", source="cli", name="bench")) as session:
        code = session.scalar(select(Currency.code).order_by(Currency.is_default.desc()))
        if code is None:
            raise SystemExit("bridge init seeded no currency")
        admin = add_admin(session, "benchadmin", "bench-admin-password", email="b@example.com")
        add_api_credential(session, IDENTIFIER, SECRET, admin_id=admin.id,
                           description="API benchmarks (both doors)")
    sizes = Sizes.for_scale(scale)
    started = time.perf_counter()
    with state.db.engine.begin() as conn:
        if conn.dialect.name == "mysql":
            conn.exec_driver_sql("SET foreign_key_checks=0, unique_checks=0")
        counts = Generator(conn, sizes, currency=code, seed=seed, progress=progress).run()
    if url.startswith("sqlite:///"):
        import sqlite3

        # WAL (persistent in the file): readers never wait for a writer, as a production
        # SQLite install should run; docs/performance.md says so
        raw = sqlite3.connect(url.removeprefix("sqlite:///"))
        raw.execute("PRAGMA journal_mode=WAL")
        raw.close()
    with state.db.engine.begin() as conn:
        # fresh statistics so the planner picks the new indexes at every size
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else
                             "ANALYZE TABLE clients, services, invoices, invoice_items, "
                             "transactions, tickets, ticket_messages")
    progress(f"{sum(counts.values()):,} rows in {time.perf_counter() - started:.1f}s")
    state.db.dispose()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the database to build")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 200,000 invoices; 0.1 = 20,000 (default 1)")
    parser.add_argument("--admin-url", default="",
                        help="MariaDB URL of an account that may drop/create the database")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    counts = build(args.url, args.scale, admin_url=args.admin_url, seed=args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    print(f"credential: identifier={IDENTIFIER} secret={SECRET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
