"""The API benchmark's parts at a tiny scale: the core-DB generator, the load generator's
statistics against a real loopback server, and the baseline's replay of captured SQL.
(No timing assertions: figures come from ``python -m bench.api.run``.)"""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.api import capture as capture_mod
from bench.api.baseline_app import create_baseline
from bench.api.calls import Call, calls, unpaid_invoice
from bench.api.datagen import INSTALL_KEY, Sizes, build
from bench.api.loadgen import percentile, python_load, summarize, wrk_summary
from bridge import create_app
from bridge.models import Client, Invoice, InvoiceItem, Service, Ticket, TicketMessage, Transaction


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: Any) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'tiny.db'}"
    build(url, 0.001, progress=lambda _line: None)
    return url


def _app(url: str) -> Any:
    return create_app({"database_url": url, "secret_key": INSTALL_KEY, "log_level": "WARNING"})


def test_sizes_follow_the_scale() -> None:
    full, tenth = Sizes.for_scale(1), Sizes.for_scale(0.1)
    assert (full.clients, full.invoices, full.tickets) == (20_000, 200_000, 8_000)
    assert (tenth.clients, tenth.invoices) == (2_000, 20_000)
    with pytest.raises(ValueError):
        Sizes.for_scale(0)


def test_generator_builds_consistent_rows(tiny_db: str) -> None:
    app = _app(tiny_db)
    with app.extensions["bridge"].db.session() as session:
        def count(model: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

        assert [count(m) for m in (Client, Service, Invoice, InvoiceItem, Transaction, Ticket,
                                   TicketMessage)] == [20, 60, 200, 600, 150, 8, 24]
        # every invoice total is the sum of its lines; every paid invoice has its payment
        sums = dict(session.execute(select(InvoiceItem.invoice_id, func.sum(InvoiceItem.amount))
                                    .group_by(InvoiceItem.invoice_id)).all())
        for invoice in session.scalars(select(Invoice)):
            assert Decimal(str(sums[invoice.id])).quantize(Decimal("0.0001")) == invoice.total
            paid = session.scalar(select(func.sum(Transaction.amount_in))
                                  .where(Transaction.invoice_id == invoice.id))
            expected = invoice.total if invoice.status == "paid" else None
            assert (Decimal(str(paid)).quantize(Decimal("0.0001")) if paid else None) == expected
    app.extensions["bridge"].db.dispose()


def test_every_call_answers_on_the_generated_db(tiny_db: str) -> None:
    app = _app(tiny_db)
    for call in calls(20):
        cap = capture_mod.capture(app, call, 20, k=3, tag="answers")
        assert cap.status == 200, (call.name, cap.body[:200])
        if call.path.endswith("api.php"):  # WHMCS answers errors with HTTP 200
            assert json.loads(cap.body)["result"] == "success", (call.name, cap.body[:200])
        assert cap.sql_count > 0
    app.extensions["bridge"].db.dispose()


def test_baseline_replays_the_sql_and_answers_the_same_bytes(tiny_db: str,
                                                             tmp_path: Path) -> None:
    app = _app(tiny_db)
    chosen = {c.name: c for c in calls(20)}
    read, write = chosen["whmcs GetInvoice"], chosen["whmcs AddInvoicePayment"]
    caps = {c.name: capture_mod.capture(app, c, 20, tag="replay") for c in (read, write)}
    app.extensions["bridge"].db.dispose()
    path = tmp_path / "captures.pickle"
    capture_mod.save(caps, path)
    baseline = create_baseline(tiny_db, str(path)).test_client()
    before = _transactions(tiny_db)
    for call in (read, write, write):
        response = baseline.post("/x", headers={"X-Bench-Call": call.name})
        assert response.status_code == 200
        assert response.get_data() == caps[call.name].body
    # the write's INSERT ran twice more, each with its own unique gateway id
    assert _transactions(tiny_db) == before + 2


def test_the_baseline_writes_the_rows_each_request_names(tiny_db: str, tmp_path: Path) -> None:
    """Per-request ids: the baseline pays the invoice the request names and gives each new
    invoice its own lines, as the app does (replaying the captured ids sent every request to
    one row: on MariaDB one row lock for all, and deadlocks)."""
    app = _app(tiny_db)
    chosen = {c.name: c for c in calls(20)}
    pay, add = chosen["whmcs AddInvoicePayment"], chosen["blesta invoices/add"]
    caps = {}
    for call in (pay, add):
        for k in (1, 2):  # the steady state, as in the counting pass (credential cached)
            capture_mod.capture(app, call, 20, k=k, tag=f"warm{k}")
        caps[call.name] = first = capture_mod.capture(app, call, 20, k=0, tag="slots0")
        assert capture_mod.mark_slots(first, capture_mod.capture(app, call, 20, k=3,
                                                                 tag="slots3"))
        assert first.slots, call.name
    app.extensions["bridge"].db.dispose()
    path = tmp_path / "captures.pickle"
    capture_mod.save(caps, path)
    last_payment = _last_transaction(tiny_db)
    baseline = create_baseline(tiny_db, str(path)).test_client()
    named = unpaid_invoice(7, 20)
    assert named != caps[pay.name].unpaid
    path, body = pay.render("req", named)
    response = baseline.post(path, data=body, content_type="application/x-www-form-urlencoded",
                             headers={"X-Bench-Call": pay.name})
    assert response.status_code == 200
    for _ in range(2):
        path, body = add.render("req", 0)
        assert baseline.post(path, data=body, content_type="application/x-www-form-urlencoded",
                             headers={"X-Bench-Call": add.name}).status_code == 200
    db = _app(tiny_db).extensions["bridge"].db
    with db.session() as session:
        payments = session.scalars(select(Transaction.invoice_id).where(
            Transaction.id > last_payment)).all()
        newest = session.scalars(select(Invoice.id).order_by(Invoice.id.desc()).limit(2)).all()
        lines = {i: session.scalar(select(func.count()).select_from(InvoiceItem)
                                   .where(InvoiceItem.invoice_id == i)) for i in newest}
        numbers = session.scalars(select(Invoice.number).where(Invoice.id.in_(newest))).all()
    db.dispose()
    assert payments == [named]
    assert lines == {i: 1 for i in newest}
    assert sorted(numbers) == sorted(str(i) for i in newest)


def test_mark_slots_refuses_captures_of_other_statements() -> None:
    first = capture_mod.Capture("x", [("SELECT 1", (1,), False)], unpaid=9)
    second = capture_mod.Capture("x", [("SELECT 2", (39,), False)], unpaid=39)
    assert not capture_mod.mark_slots(first, second) and first.slots == {}
    same = capture_mod.Capture("x", [("SELECT 1", (39,), False)], unpaid=39)
    assert capture_mod.mark_slots(first, same) and first.slots == {}  # 1 is not the unpaid id


def test_wrk_throughput_counts_good_answers_only() -> None:
    out = ('Running 1s test\nWRKJSON {"requests": 100, "duration_us": 2000000, "errors": 30, '
           '"status_errors": 20, "p50_us": 1500, "p99_us": 9000}\n')
    result = wrk_summary(out)
    assert (result.requests, result.errors, result.rps) == (80, 30, 40.0)
    assert (result.p50_ms, result.p99_ms) == (1.5, 9.0)
    with pytest.raises(RuntimeError):
        wrk_summary("no summary")


def _last_transaction(url: str) -> int:
    db = _app(url).extensions["bridge"].db
    with db.session() as session:
        last = int(session.scalar(select(func.max(Transaction.id))) or 0)
    db.dispose()
    return last


def _transactions(url: str) -> int:
    app = _app(url)
    with app.extensions["bridge"].db.session() as session:
        n = int(session.scalar(select(func.count()).select_from(Transaction)) or 0)
    app.extensions["bridge"].db.dispose()
    return n


def test_percentile_and_summary() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 50) == 0.0
    with pytest.raises(ValueError):
        percentile(values, 0)
    result = summarize([0.003, 0.001, 0.002, 0.004], errors=1, seconds=2.0)
    assert (result.requests, result.errors, result.rps) == (4, 1, 2.0)
    assert (result.p50_ms, result.p99_ms) == (pytest.approx(2.0), pytest.approx(4.0))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generator expects
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(body.decode())
        status = 500 if self.path.startswith("/fail") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args: Any) -> None:
        pass


def test_python_load_generator_counts_requests_errors_and_fills_placeholders() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        ok = python_load("127.0.0.1", port, Call("ok", "POST", "/ok", "n={n}&i={unpaid}"),
                         connections=2, duration=0.5, clients=5, tag="t")
        bad = python_load("127.0.0.1", port, Call("bad", "POST", "/fail", "x"),
                          connections=2, duration=0.3, clients=5)
    finally:
        server.shutdown()
        server.server_close()
    assert ok.requests > 0 and ok.errors == 0 and ok.p50_ms > 0 and ok.p99_ms >= ok.p50_ms
    assert bad.requests == 0 and bad.errors > 0
    bodies = [b for b in _Handler.seen if b.startswith("n=")]
    assert len(set(bodies)) == len(bodies)  # {n} is unique per request
    assert all(b.startswith("n=t") and b.split("&i=")[1] in {"9", "19", "29", "39", "49"}
               for b in bodies)


def test_a_database_written_by_earlier_runs_is_told_apart(tmp_path: Path) -> None:
    from bench.api.run import earlier_writes

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    build(url, 0.001, progress=lambda _line: None)
    assert earlier_writes(url) == 0
    app = _app(url)
    add_client = next(c for c in calls(20) if c.name == "whmcs AddClient")
    assert capture_mod.capture(app, add_client, 20, k=1, tag="once").status == 200
    app.extensions["bridge"].db.dispose()
    assert earlier_writes(url) == 1


def test_the_median_round_keeps_its_own_figures() -> None:
    from bench.api.loadgen import LoadResult
    from bench.api.run import median_round

    def pair(app: int, base: int) -> tuple[LoadResult, LoadResult]:
        return (LoadResult(app, 0, 1.0, 1.0, 2.0, "python"),
                LoadResult(base, 0, 1.0, 0.5, 1.0, "python"))
    rounds = [pair(70, 100), pair(50, 100), pair(90, 100)]
    assert median_round(rounds) is rounds[0]  # ratios 0.5, 0.7, 0.9: the middle one
    assert median_round(rounds[:2]) is rounds[1]  # an even count takes the lower
    assert median_round([pair(10, 0)])[0].requests == 10  # a dead baseline does not crash
    with pytest.raises(ValueError):
        median_round([])
