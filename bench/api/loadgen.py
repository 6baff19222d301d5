"""Load generators: ``wrk`` when installed, otherwise a threaded Python one.

Both keep N connections busy for a fixed duration against a loopback server and report
requests/second and latency percentiles; the Python one records every request's latency.
``wrk`` spends far less CPU per request, which matters on a 2-core machine where the client
competes with the server, so it is preferred; CI machines without it still get figures.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .calls import Call, unpaid_invoice


@dataclass(frozen=True)
class LoadResult:
    """What one fixed-duration run measured."""

    requests: int  # answered 2xx (the throughput counts these only)
    errors: int  # non-2xx answers and failed connections
    seconds: float
    p50_ms: float
    p99_ms: float
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    rank = math.ceil(pct / 100 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


def summarize(latencies_s: Sequence[float], errors: int, seconds: float,
              tool: str = "python") -> LoadResult:
    """A :class:`LoadResult` from per-request latencies in seconds."""
    ordered = sorted(latencies_s)
    return LoadResult(requests=len(ordered), errors=errors, seconds=seconds,
                      p50_ms=percentile(ordered, 50) * 1000,
                      p99_ms=percentile(ordered, 99) * 1000, tool=tool)


def python_load(host: str, port: int, call: Call, *, connections: int, duration: float,
                clients: int, tag: str = "") -> LoadResult:
    """Drive ``call`` with ``connections`` threads (one keep-alive connection each; the
    client reconnects when the server closes) for ``duration`` seconds."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    counter = itertools.count()
    deadline = time.perf_counter() + duration
    start = threading.Barrier(connections + 1)

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine = latencies[slot]
        start.wait()
        while True:
            k = next(counter)
            path, body = call.render(f"{tag}{slot}x{k}", unpaid_invoice(k, clients))
            began = time.perf_counter()
            if began >= deadline:
                break
            try:
                conn.request(call.method, path, body=body or None, headers=call.headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            if ok:
                mine.append(time.perf_counter() - began)
            else:
                errors[slot] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True)
               for i in range(connections)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return summarize([x for per in latencies for x in per], sum(errors), elapsed)


_LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local n = TAG .. id .. "x" .. counter
  local k = counter * NTHREADS + id
  local unpaid = tostring((k % CLIENTS) * 10 + 9)
  local path = PATH:gsub("{n}", n):gsub("{unpaid}", unpaid)
  local body = BODY:gsub("{n}", n):gsub("{unpaid}", unpaid)
  if body == "" then body = nil end
  return wrk.format(METHOD, path, HEADERS, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  local errs = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, '
    .. '"status_errors": %d, "p50_us": %d, "p99_us": %d}\n', summary.requests,
    summary.duration, errs, e.status, latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def wrk_load(host: str, port: int, call: Call, *, connections: int, duration: float,
             clients: int, tag: str = "", threads: int = 2) -> LoadResult:
    """Drive ``call`` with ``wrk`` (a generated Lua script fills the placeholders)."""
    threads = max(1, min(threads, connections))
    headers = "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}"
                              for k, v in call.headers.items()) + "}"
    prelude = (f"TAG = {_lua_string(tag)}\nNTHREADS = {threads}\nCLIENTS = {clients}\n"
               f"PATH = {_lua_string(call.path)}\nBODY = {_lua_string(call.body)}\n"
               f"METHOD = {_lua_string(call.method)}\nHEADERS = {headers}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(prelude + _LUA)
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
             "--timeout", "30s", "-s", script.name, f"http://{host}:{port}/"],
            capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    finally:
        os.unlink(script.name)
    return wrk_summary(out)


def wrk_summary(out: str) -> LoadResult:
    """The :class:`LoadResult` in the summary line our Lua script makes wrk print."""
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["duration_us"] / 1e6
    # wrk counts a non-2xx answer as a request: only the good answers are the throughput
    # (a server failing fast, e.g. on deadlocks, must not look faster), as in python_load
    good = data["requests"] - data["status_errors"]
    return LoadResult(requests=good, errors=data["errors"], seconds=seconds,
                      p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000, tool="wrk")


def have_wrk() -> bool:
    """Whether ``wrk`` is on PATH."""
    return shutil.which("wrk") is not None


def load(host: str, port: int, call: Call, *, connections: int, duration: float, clients: int,
         tag: str = "", tool: str = "auto") -> LoadResult:
    """Run the preferred load generator (``tool``: auto, wrk or python)."""
    use_wrk = tool == "wrk" or (tool == "auto" and have_wrk())
    runner = wrk_load if use_wrk else python_load
    return runner(host, port, call, connections=connections, duration=duration,
                  clients=clients, tag=tag)
