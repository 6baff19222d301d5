"""A loopback HTTP receiver for webhook tests.

Paths decide the answer: ``/ok`` 200; ``/flaky/<n>`` 500 for the first ``n`` requests, then
200; ``/down`` always 500; ``/bad`` 400; ``/limited`` 429 with ``Retry-After: 0`` once, then
200; ``/slow`` sleeps 0.3 s then 200. Every request is recorded with its arrival time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """The running receiver: its base URL and what it recorded."""

    base_url: str
    requests: list[Received] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                seen = receiver.counts.get(self.path, 0) + 1
                receiver.counts[self.path] = seen
            status, headers = self._answer(seen)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (timeout tests)

        def _answer(self, seen: int) -> tuple[int, dict[str, str]]:
            path = self.path
            if path.startswith("/flaky/"):
                return (500 if seen <= int(path.rsplit("/", 1)[1]) else 200), {}
            if path == "/down":
                return 500, {}
            if path == "/bad":
                return 400, {}
            if path == "/limited":
                return (429, {"Retry-After": "0"}) if seen == 1 else (200, {})
            if path == "/slow":
                time.sleep(0.3)
            return 200, {}

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 (free port), stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    state = Receiver(f"http://{host}:{port}")
    server.RequestHandlerClass = _handler(state)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hook"
