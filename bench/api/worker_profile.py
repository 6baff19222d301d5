"""Profile a served gunicorn worker (not the test client): where a served request's time goes.

    python -m bench.api.worker_profile --url sqlite:////tmp/bench/s01.db --only "GetClients" \
        [--target app|baseline] [--duration 5] [--top 30] [--sort tottime]

Starts one sync gunicorn worker (the real ``create_app()`` or the baseline) with cProfile
switched on in the worker itself from ``post_worker_init`` to ``worker_exit``, so the listing
covers everything the worker does for a request: accepting the connection, gunicorn's HTTP
parsing, WSGI, Flask dispatch, the app, the response write and the access log. ``wrk`` (or
the Python load generator) drives the chosen call for ``--duration`` seconds; the worker's
statistics are then printed per request (total CPU seconds divided by requests served).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from . import capture as capture_mod
from .calls import Call, calls
from .datagen import INSTALL_KEY
from .loadgen import load
from .run import _wait_up, counting_pass, generated_clients

_PROFILER: list[cProfile.Profile] = []


_SERVED = [0]
WARMUP_REQUESTS = 300  # first-call work (mapper configuration, caches) is not steady state


def _profiled(app: Any) -> Any:
    """Switch the worker's profiler on at the request after the warm-up; it then covers
    everything the worker does (gunicorn included) until the worker exits."""
    def wsgi(environ: Any, start_response: Any) -> Any:
        _SERVED[0] += 1
        if _SERVED[0] == WARMUP_REQUESTS + 1:
            profiler = cProfile.Profile()
            _PROFILER.append(profiler)
            profiler.enable()
        return app(environ, start_response)
    return wsgi


def _worker_exit(server: Any, worker: Any) -> None:
    if _PROFILER:
        _PROFILER[0].disable()
        _PROFILER[0].dump_stats(os.environ["BENCH_PROFILE_OUT"])
        Path(os.environ["BENCH_PROFILE_OUT"] + ".count").write_text(
            str(_SERVED[0] - WARMUP_REQUESTS))


class _Profiled(BaseApplication):  # type: ignore[misc]
    def __init__(self, target: str, url: str, captures: str, options: dict[str, Any]) -> None:
        self.target, self.url, self.captures, self.options = target, url, captures, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        if self.target == "baseline":
            from .baseline_app import create_baseline

            return _profiled(create_baseline(self.url, self.captures))
        from bridge.app import create_app

        return _profiled(create_app())


def serve(target: str, url: str, captures: str, port: int) -> None:
    """Run one profiled worker (this process becomes the gunicorn master)."""
    _Profiled(target, url, captures, {
        "bind": f"127.0.0.1:{port}", "workers": 1, "accesslog": "-", "errorlog": "-",
        "timeout": 120, "worker_exit": _worker_exit,
    }).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--only", required=True, help="the call whose name contains this")
    parser.add_argument("--target", choices=("app", "baseline"), default="app")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:  # the child: become the profiled gunicorn
        serve(args.target, args.url, args.serve, args.port)
        return 0
    clients = generated_clients(args.url)
    chosen = [c for c in calls(clients) if args.only.lower() in c.name.lower()][:1]
    if not chosen:
        raise SystemExit(f"no call matches {args.only!r}")
    call = chosen[0]
    tag = f"p{int(time.time()) % 1000000}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-prof-"))
    captures_file = workdir / "captures.pickle"
    capture_mod.save(counting_pass(args.url, [call], clients, tag), captures_file)
    out = workdir / "worker.pstats"
    env = {**os.environ, "BRIDGE_DATABASE_URL": args.url, "BRIDGE_SECRET_KEY": INSTALL_KEY,
           "BRIDGE_LOG_LEVEL": "WARNING", "BENCH_PROFILE_OUT": str(out)}
    env.pop("BRIDGE_CONFIG", None)
    log = (workdir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.api.worker_profile", "--url", args.url, "--only",
         args.only, "--target", args.target, "--port", str(args.port), "--serve",
         str(captures_file)], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait_up(args.port, proc, "profiled server")
        tagged = Call(call.name, call.method, call.path, call.body,
                      {**call.headers, "X-Bench-Call": call.name}, call.write)
        result = load("127.0.0.1", args.port, tagged, connections=args.connections,
                      duration=args.duration, clients=clients, tag=f"{tag}x")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    stats = pstats.Stats(str(out))
    served = int(Path(str(out) + ".count").read_text())
    total = stats.total_tt  # type: ignore[attr-defined]
    per_request = total / max(served, 1) * 1000
    print(f"== {args.target} {call.name}: {result.requests} requests, {result.rps:.0f} r/s "
          f"(profiled, 1 worker); after {WARMUP_REQUESTS} unprofiled, worker time under the "
          f"profiler {per_request:.3f} ms per request; stats in {out}")
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
