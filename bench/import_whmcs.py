"""Benchmark the WHMCS importer (not a unit test; prints figures).

Generates a WHMCS 8.4 database in MariaDB (scale 1.0 = 20,000 clients, 60,000 services,
200,000 invoices, 600,000 invoice items, 150,000 transactions) with INSERT ... SELECT over
MariaDB's sequence engine, then, each phase in its own process so peak RSS is its own:

1. raw copy baseline: the same source tables copied table-to-table (streamed SELECT *, batched
   executemany INSERT into look-alike tables, no mapping) into SQLite and into MariaDB;
2. the importer (``run_import``) into a fresh SQLite file and a fresh MariaDB database.

SQLite targets of both phases are in WAL mode, as ``bridge init`` leaves a SQLite install
(with the default rollback journal, every commit's fsyncs dominate both phases and the ratio
swings with the disk's latency rather than the work done).

Prints rows/second, peak RSS and the importer/raw-copy speed ratio (goals: >= 0.5, < 500 MB).

    BRIDGE_TEST_MYSQL_ADMIN_URL=mysql+pymysql://hbadmin:hbadmin@127.0.0.1:3306/ \\
        .venv/bin/python bench/import_whmcs.py --scale 0.1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, MetaData, Table, create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CC_HASH = "bench-cc-encryption-hash"
BIG_TABLES = ("tblclients", "tblhosting", "tblinvoices", "tblinvoiceitems", "tblaccounts")
SCHEMA = Path("/work/shared/fixtures/schemas/whmcs-8.4.sql")
PREFIX = "timp1_bench_"


def _legacy(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
    cur.close()


def make_db(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    admin.dispose()
    return make_url(admin_url).set(database=name, query={"charset": "utf8mb4"}).render_as_string(
        hide_password=False)


def drop_db(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


def generate(url: str, scale: float) -> dict[str, int]:
    """Load the schema and fill it; returns the row count per big table."""
    from bridge.security import whmcs_legacy_encrypt
    from tests.importers.conftest import schema_statements

    n = {"tblclients": int(20000 * scale), "tblhosting": int(60000 * scale),
         "tblinvoices": int(200000 * scale), "tblinvoiceitems": int(600000 * scale),
         "tblaccounts": int(150000 * scale)}
    engine = create_engine(url)
    event.listen(engine, "connect", _legacy)
    password = whmcs_legacy_encrypt("service-password", CC_HASH)
    with engine.begin() as conn:
        for statement in schema_statements(SCHEMA.read_text()):
            conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO tblconfiguration (setting, value) VALUES"
                          " ('Version', '8.4.0-release.1')"))
        conn.execute(text("INSERT INTO tblcurrencies (id, code, prefix, suffix, format, rate,"
                          " `default`) VALUES (1, 'USD', '$', ' USD', 1, 1, 1)"))
        conn.execute(text("INSERT INTO tblproductgroups (id, name) VALUES (1, 'Hosting')"))
        conn.execute(text("INSERT INTO tblproducts (id, type, gid, name, paytype, servertype)"
                          " VALUES (1, 'hostingaccount', 1, 'Starter', 'recurring', 'cpanel')"))
        conn.execute(text(
            f"INSERT INTO tblclients (id, firstname, lastname, email, country, currency,"
            f" datecreated, status, credit, created_at) SELECT seq, CONCAT('First', seq),"
            f" 'Bench', CONCAT('c', seq, '@bench.test'), 'US', 1, '2022-01-01', 'Active', 0,"
            f" '2022-01-01 10:00:00' FROM seq_1_to_{n['tblclients']}"))
        conn.execute(text(
            f"INSERT INTO tblhosting (id, userid, packageid, server, regdate, domain,"
            f" paymentmethod, qty, firstpaymentamount, amount, billingcycle, nextduedate,"
            f" domainstatus, username, password, created_at) SELECT seq,"
            f" 1 + (seq % {n['tblclients']}), 1, 0, '2023-01-01', CONCAT('s', seq, '.test'),"
            f" 'paypal', 1, 4.99, 4.99, 'Monthly', '2024-09-01', 'Active', CONCAT('u', seq),"
            f" '{password}', '2023-01-01 00:00:00' FROM seq_1_to_{n['tblhosting']}"))
        conn.execute(text(
            f"INSERT INTO tblinvoices (id, userid, date, duedate, subtotal, credit, tax, tax2,"
            f" total, status, paymentmethod, created_at) SELECT seq,"
            f" 1 + (seq % {n['tblclients']}), '2024-01-01', '2024-01-15', 10 + seq % 50, 0, 0,"
            f" 0, 10 + seq % 50, IF(seq <= {n['tblaccounts']}, 'Paid', 'Unpaid'), 'paypal',"
            f" '2024-01-01 00:00:00' FROM seq_1_to_{n['tblinvoices']}"))
        conn.execute(text(
            f"INSERT INTO tblinvoiceitems (id, invoiceid, userid, type, relid, description,"
            f" amount, taxed, duedate) SELECT seq, 1 + (seq - 1) DIV 3, 0, 'Hosting',"
            f" 1 + (seq % {n['tblhosting']}), 'line', 3.33, 1, '2024-01-15'"
            f" FROM seq_1_to_{n['tblinvoiceitems']}"))
        conn.execute(text(
            f"INSERT INTO tblaccounts (id, userid, currency, gateway, date, description,"
            f" amountin, fees, amountout, rate, transid, invoiceid, refundid) SELECT seq,"
            f" 1 + (seq % {n['tblclients']}), 0, 'paypal', '2024-01-02 12:00:00', 'payment',"
            f" 10 + seq % 50, 0.30, 0, 1, CONCAT('T', seq), seq, 0"
            f" FROM seq_1_to_{n['tblaccounts']}"))
    engine.dispose()
    return n


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _raw_type(kind: Any) -> Any:
    from sqlalchemy import Date, DateTime, Text

    generic = kind.as_generic()
    return Text() if isinstance(generic, (Date, DateTime)) else generic


def raw_copy(source_url: str, target_url: str, out: Any) -> None:
    """Baseline: stream the big tables and insert them unchanged into look-alike tables."""
    src = create_engine(source_url)
    dst = create_engine(target_url)
    reflected = MetaData()
    copies = MetaData()
    rows = 0
    start = time.perf_counter()
    with src.connect() as sconn, dst.connect() as dconn:
        for name in BIG_TABLES:
            table = Table(name, reflected, autoload_with=sconn)
            # no conversion at all: dates (zero dates included) travel as text
            copy = Table(f"raw_{name}", copies,
                         *[Column(c.name, _raw_type(c.type), primary_key=c.primary_key)
                           for c in table.columns])
            copy.create(dconn)
            dconn.commit()
            result = sconn.execution_options(yield_per=1000).execute(
                text(f"SELECT * FROM {name} ORDER BY id"))
            for part in result.mappings().partitions(1000):
                batch = [dict(r) for r in part]
                dconn.execute(copy.insert(), batch)
                dconn.commit()
                rows += len(batch)
    seconds = time.perf_counter() - start
    out.put({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb()})


def do_import(source_url: str, target_url: str, out: Any) -> None:
    """The importer, all entities, into a fresh core schema."""
    import bridge.models  # noqa: F401
    from bridge.db import Base, make_engine
    from bridge.security import SecretBox
    from importers._pipeline import RunOptions, run_import
    from importers.whmcs.importer import Importer

    engine = make_engine(target_url)
    Base.metadata.create_all(engine)
    start = time.perf_counter()
    report = run_import(Importer(key=CC_HASH, timezone="UTC"), source_url, engine,
                        SecretBox("bench-install-key"), RunOptions())
    seconds = time.perf_counter() - start
    rows = sum(e["read"] for e in report["entities"])
    out.put({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb(), "ok": report["ok"]})


def measure(func: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=func, args=(*args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except Exception:  # noqa: BLE001 - queue.Empty: is the child still alive?
            if not proc.is_alive():
                raise SystemExit(f"{func.__name__} failed (exit code {proc.exitcode})") from None
    proc.join()
    return dict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    admin_url = os.environ.get("BRIDGE_TEST_MYSQL_ADMIN_URL",
                               "mysql+pymysql://hbadmin:hbadmin@127.0.0.1:3306/")
    tag = secrets.token_hex(3)
    names = [f"{PREFIX}{tag}_src", f"{PREFIX}{tag}_raw", f"{PREFIX}{tag}_core"]
    tmp = Path(tempfile.mkdtemp(prefix="bench_import_"))
    try:
        t0 = time.perf_counter()
        source_url = make_db(admin_url, names[0])
        counts = generate(source_url, args.scale)
        total = sum(counts.values())
        print(f"generated {total:,} rows at scale {args.scale} in "
              f"{time.perf_counter() - t0:.1f}s: " + ", ".join(f"{k} {v:,}" for k, v in
                                                          counts.items()))
        for backend in ("sqlite", "mariadb"):
            if backend == "sqlite":
                raw_url = f"sqlite:///{tmp / 'raw.db'}"
                core_url = f"sqlite:///{tmp / 'core.db'}"
                for name in ("raw.db", "core.db"):  # both in WAL mode, as `bridge init` sets
                    with sqlite3.connect(tmp / name) as conn:
                        conn.execute("PRAGMA journal_mode=WAL")
            else:
                raw_url = make_db(admin_url, names[1])
                core_url = make_db(admin_url, names[2])
            raw = measure(raw_copy, source_url, raw_url)
            imp = measure(do_import, source_url, core_url)
            raw_rps = raw["rows"] / raw["seconds"]
            imp_rps = imp["rows"] / imp["seconds"]
            print(f"[{backend}] raw copy : {raw['rows']:>9,} rows {raw['seconds']:8.1f}s "
                  f"{raw_rps:10,.0f} rows/s  peak RSS {raw['peak_mb']:6.0f} MB")
            print(f"[{backend}] importer : {imp['rows']:>9,} rows {imp['seconds']:8.1f}s "
                  f"{imp_rps:10,.0f} rows/s  peak RSS {imp['peak_mb']:6.0f} MB  "
                  f"report ok={imp['ok']}")
            print(f"[{backend}] importer / raw copy speed ratio: {imp_rps / raw_rps:.2f} "
                  f"(goal >= 0.50); peak RSS goal < 500 MB: "
                  f"{'met' if imp['peak_mb'] < 500 else 'NOT met'}")
    finally:
        for name in names:
            drop_db(admin_url, name)


if __name__ == "__main__":
    main()
