"""The API benchmark: the real app (``bridge serve``) against the baseline, call by call.

    python -m bench.api.run --url sqlite:////tmp/bench/s1.db [--build --scale 1]
        [--duration 10] [--connections 8] [--only GetClients] [--tool auto|wrk|python]

Steps: optionally build the database (:mod:`bench.api.datagen`); the counting pass
(:mod:`bench.api.capture`) records each call's SQL and answer in-process; then ``bridge serve``
and the baseline server (:mod:`bench.api.baseline_app`) run as separate gunicorn processes with
``workers = cores`` and each call is driven against both for a fixed duration from this
process (``wrk`` or the Python load generator). Prints requests/s, p50/p99 latency, the ratio
to the baseline and SQL statements per request; ``--json FILE`` keeps the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bridge import create_app
from bridge.db import make_engine

from . import capture as capture_mod
from .calls import Call, calls
from .datagen import INSTALL_KEY, build
from .loadgen import LoadResult, load

GOAL_READ, GOAL_WRITE, GOAL_P99_MS = 0.70, 0.50, 50.0


def _wait_up(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}; see its log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            return
        except OSError as exc:  # refused while starting; the baseline answers 4xx/5xx
            if getattr(exc, "code", None):
                return
            time.sleep(0.3)
    raise SystemExit(f"{what} did not answer on port {port} within 60 s")


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the group this script started: gunicorn + workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _clients_like(url: str, pattern: str) -> int:
    """How many clients of the database at ``url`` have an email LIKE ``pattern``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT COUNT(*) FROM clients WHERE email LIKE :pattern"),
                                 {"pattern": pattern}).scalar()
    finally:
        engine.dispose()
    return int(found or 0)


def generated_clients(url: str) -> int:
    """How many generated clients the database holds (ids 1..n)."""
    count = _clients_like(url, "%@example.com")
    if count == 0:
        raise SystemExit("no generated clients in that database; run with --build first")
    return count


def earlier_writes(url: str) -> int:
    """How many clients earlier benchmark runs added (``AddClient``'s ``load{n}@example.org``):
    a database that has them also holds their payments and the invoices ``invoices/add`` gave
    the middle client, so its reads no longer have the generated shape."""
    return _clients_like(url, "load%@example.org")


def counting_pass(url: str, chosen: list[Call], clients: int, tag: str) -> dict[str, Any]:
    """Capture every chosen call once in-process; refuse to go on if one fails."""
    app = create_app({"database_url": url, "secret_key": INSTALL_KEY, "log_level": "WARNING"})
    out: dict[str, Any] = {}
    for call in chosen:
        # the third pass is the steady state: the first may stamp the credential's use, the
        # second reads the credential into this worker's cache, the third is answered from it
        # (as every call of a running server is; the baseline then skips that statement too)
        capture_mod.capture(app, call, clients, k=1, tag=f"{tag}c1")
        capture_mod.capture(app, call, clients, k=2, tag=f"{tag}c2")
        cap = capture_mod.capture(app, call, clients, tag=f"{tag}c3")
        if call.write:  # a second steady-state capture shows which ids vary per request
            other = capture_mod.capture(app, call, clients, k=3, tag=f"{tag}c4")
            if not capture_mod.mark_slots(cap, other):
                print(f"warning: {call.name} ran other statements the next time; the "
                      "baseline replays the captured ids", file=sys.stderr)
        failed = cap.status != 200 or b'"result":"error"' in cap.body[:40]  # WHMCS: HTTP 200
        if failed:
            raise SystemExit(f"{call.name} failed in the counting pass: {cap.status} "
                             f"{cap.body[:300]!r}")
        out[call.name] = cap
    app.extensions["bridge"].db.dispose()
    return out


def _line(name: str, app: LoadResult, base: LoadResult | None, sql: int, write: bool) -> str:
    ratio = app.rps / base.rps if base and base.rps else 0.0
    goal = GOAL_WRITE if write else GOAL_READ
    ok = "ok" if base and ratio >= goal and (write or app.p99_ms < GOAL_P99_MS) else "MISS"
    errors = f"{app.errors}/{base.errors if base else 0}"  # app / baseline
    base_txt = f"{base.rps:8.0f} {base.p50_ms:6.1f} {base.p99_ms:6.1f}" if base else " " * 22
    return (f"{name:28s} {app.rps:8.0f} {app.p50_ms:6.1f} {app.p99_ms:6.1f}   {base_txt}  "
            f"{ratio:5.2f} {sql:4d} {errors:>9s}  "
            f"{'write' if write else 'read '} {ok}")


def median_round(rounds: list[tuple[LoadResult, LoadResult]]
                 ) -> tuple[LoadResult, LoadResult]:
    """The (app, baseline) round whose ratio is the median (the lower one of an even count):
    the figures printed for a call measured in several alternating rounds, kept together so
    its r/s and latencies come from the same round."""
    if not rounds:
        raise ValueError("no rounds measured")
    ordered = sorted(rounds, key=lambda pair: pair[0].rps / pair[1].rps if pair[1].rps else 0)
    return ordered[(len(ordered) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the benchmark database")
    parser.add_argument("--build", action="store_true", help="(re)build the database first")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--admin-url", default="", help="MariaDB admin URL for --build")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", default="", help="run only calls whose name contains this")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--json", default="", help="write the figures to this file")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure app and baseline this many times each, alternating, and "
                             "print the round with the median ratio (and the ratios' range)")
    parser.add_argument("--app-config", default="",
                        help="a TOML file for the app only (BRIDGE_CONFIG), e.g. to switch "
                             "api.reference_cache off; the baseline never reads one")
    args = parser.parse_args(argv)

    if args.build:
        build(args.url, args.scale, admin_url=args.admin_url)
    clients = generated_clients(args.url)
    written = earlier_writes(args.url)
    if written:
        print(f"warning: earlier runs wrote to this database ({written} clients added, with "
              "their payments and invoices); rebuild it (--build) before figures you compare",
              file=sys.stderr)
    chosen = [c for c in calls(clients) if args.only.lower() in c.name.lower()]
    tag = f"r{int(time.time()) % 1000000}"
    captures = counting_pass(args.url, chosen, clients, tag)
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    captures_file = workdir / "captures.pickle"
    capture_mod.save(captures, captures_file)

    env = {**os.environ, "BRIDGE_DATABASE_URL": args.url, "BRIDGE_SECRET_KEY": INSTALL_KEY,
           "BRIDGE_LOG_LEVEL": "WARNING"}
    env.pop("BRIDGE_CONFIG", None)
    bindir = Path(sys.executable).parent
    app_port, base_port = args.port, args.port + 1
    app_env = {**env, "BRIDGE_CONFIG": str(Path(args.app_config).resolve())} \
        if args.app_config else env
    app_proc = _start([str(bindir / "bridge"), "serve", "--port", str(app_port),
                       "--workers", str(args.workers)], app_env, workdir / "app.log")
    base_proc = _start([sys.executable, "-m", "bench.api.baseline_app", "--url", args.url,
                        "--captures", str(captures_file), "--port", str(base_port),
                        "--workers", str(args.workers)], env, workdir / "baseline.log")
    results: list[dict[str, Any]] = []
    try:
        _wait_up(app_port, app_proc, "bridge serve")
        _wait_up(base_port, base_proc, "baseline")
        print(f"{clients} clients; {args.connections} connections, {args.duration:.0f} s per "
              f"run, {args.workers} workers; url {args.url.split('@')[-1]}")
        print(f"{'call':28s} {'app r/s':>8s} {'p50':>6s} {'p99':>6s}   {'base r/s':>8s} "
              f"{'p50':>6s} {'p99':>6s}  {'ratio':>5s} {'sql':>4s} {'errs a/b':>9s}")
        for i, call in enumerate(chosen):
            tagged = Call(call.name, call.method, call.path, call.body,
                          {**call.headers, "X-Bench-Call": call.name}, call.write)
            common = {"connections": args.connections, "clients": clients, "tool": args.tool}
            rounds = []
            for r in range(max(args.rounds, 1)):  # alternating: drift hits both alike
                load("127.0.0.1", app_port, tagged, duration=1, tag=f"{tag}w{i}r{r}", **common)
                app_res = load("127.0.0.1", app_port, tagged, duration=args.duration,
                               tag=f"{tag}a{i}r{r}", **common)
                load("127.0.0.1", base_port, tagged, duration=1, tag=f"{tag}v{i}r{r}",
                     **common)
                base_res = load("127.0.0.1", base_port, tagged, duration=args.duration,
                                tag=f"{tag}b{i}r{r}", **common)
                rounds.append((app_res, base_res))
            app_res, base_res = median_round(rounds)
            sql = captures[call.name].sql_count
            ratios = sorted(a.rps / b.rps if b.rps else 0.0 for a, b in rounds)
            spread = f"  ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(rounds) > 1 else ""
            print(_line(call.name, app_res, base_res, sql, call.write) + spread, flush=True)
            results.append({"call": call.name, "write": call.write, "sql": sql,
                            "app": {**app_res.__dict__, "rps": app_res.rps},
                            "baseline": {**base_res.__dict__, "rps": base_res.rps},
                            "ratios": ratios})
    finally:
        _stop(app_proc)
        _stop(base_proc)
    if args.json:
        Path(args.json).write_text(json.dumps({"url": args.url.split("@")[-1],
                                               "clients": clients, "results": results},
                                              indent=1))
    print(f"tool: {results[0]['app']['tool'] if results else '-'}; logs in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
