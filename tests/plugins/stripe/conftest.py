"""Fixtures of the Stripe plugin tests: a real localstripe server, a webhook inbox, a
scripted Stripe stand-in for what localstripe lacks, and helpers to sign webhook bodies.

localstripe (https://github.com/adrienverge/localstripe, the ``test`` extra) is started once
per session in a subprocess that serves its aiohttp app on a socket this process bound to
127.0.0.1 port 0 and hands over (``pass_fds``), so there is no port race and nothing listens
beyond loopback. Its on-disk pickle (``/tmp/localstripe.pickle``) is disabled in the child.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from hooks import CallbackRequest, ClientInfo, PaymentContext
from plugins.stripe import StripeGateway

SECRET_KEY = "sk_test_hostbridge"
WEBHOOK_SECRET = "whsec_hostbridge_test"

LAUNCHER = """
import socket, sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
resources.store.dump_to_disk = lambda: None
web.run_app(app, sock=socket.socket(fileno=int(sys.argv[1])), print=None, access_log=None)
"""


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a localstripe server running for the whole test session."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    log_path: Path = tmp_path_factory.mktemp("localstripe") / "server.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(listener.fileno())],
            pass_fds=[listener.fileno()], stdout=log_file, stderr=subprocess.STDOUT,
        )
    listener.close()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_until_answering(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"localstripe exited with {proc.returncode}: {log_path.read_text()}")
        try:
            requests.get(f"{url}/v1/customers", timeout=2)
            return
        except requests.RequestException:  # not listening yet, or still importing (slow box)
            time.sleep(0.05)
    pytest.fail(f"localstripe did not answer within 30 s: {log_path.read_text()}")


@pytest.fixture
def config(localstripe_url: str) -> dict[str, str]:
    """Gateway settings pointing the SDK at localstripe."""
    return {"secret_key": SECRET_KEY, "api_base": localstripe_url,
            "webhook_secret": WEBHOOK_SECRET, "publishable_key": "pk_test_hostbridge"}


@pytest.fixture
def gateway() -> StripeGateway:
    """The module with bounded timeouts and no SDK retries (a failure shows at once)."""
    return StripeGateway({"timeout": 10, "max_network_retries": 0})


@pytest.fixture
def make_ctx(config: dict[str, str]) -> Callable[..., PaymentContext]:
    """``make_ctx(amount="12.34", **overrides)`` -> a PaymentContext on localstripe."""

    def build(amount: str = "12.34", **overrides: Any) -> PaymentContext:
        values: dict[str, Any] = {
            "invoice_id": 1001,
            "amount": Decimal(amount),
            "currency": "USD",
            "client": ClientInfo(7, first_name="Ada", last_name="Lovelace",
                                 email="ada@example.test"),
            "config": config,
        }
        values.update(overrides)
        return PaymentContext(**values)

    return build


@pytest.fixture
def sign() -> Callable[..., str]:
    """``sign(body, secret=..., timestamp=...)`` -> a ``Stripe-Signature`` header value,
    built as Stripe documents it: ``t=<ts>,v1=hex(HMAC-SHA256(secret, "<ts>.<body>"))``."""

    def build(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
        ts = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256)
        return f"t={ts},v1={digest.hexdigest()}"

    return build


@pytest.fixture
def callback() -> Callable[..., CallbackRequest]:
    """``callback(body, signature)`` -> the CallbackRequest the web layer would build."""

    def build(body: bytes, signature: str | None) -> CallbackRequest:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        return CallbackRequest("POST", headers, {}, {}, body, "127.0.0.1")

    return build


class _Recorder(ThreadingHTTPServer):
    """A loopback HTTP server that records requests and answers from a script."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.requests: queue.Queue[dict[str, Any]] = queue.Queue()
        self.script: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _Recorder

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        self.server.requests.put({
            "method": self.command, "path": path, "headers": dict(self.headers.items()),
            "body": body, "form": dict(parse_qsl(body.decode("utf-8", "replace"))),
        })
        status, answer = self.server.script.get((self.command, path), (200, {}))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    """A scripted loopback server: set ``recorder.script[(method, path)] = (status, json)``;
    read what arrived from ``recorder.requests``."""
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def webhook_inbox(localstripe_url: str, recorder: _Recorder) -> Iterator[_Recorder]:
    """localstripe told to deliver payment_intent events, signed with WEBHOOK_SECRET, to the
    recorder (localstripe's ``POST /_config/webhooks/<id>``); afterwards the same webhook
    is narrowed to an event type that never occurs (localstripe cannot delete one), so no
    late delivery reaches a later test's server on a reused port."""
    endpoint = f"{localstripe_url}/_config/webhooks/hostbridge"
    events = ["payment_intent.succeeded", "payment_intent.payment_failed"]
    answer = requests.post(endpoint, timeout=5, data={
        "url": f"{recorder.url}/stripe", "secret": WEBHOOK_SECRET, "events[]": events})
    assert answer.status_code == 200, answer.text
    yield recorder
    requests.post(endpoint, timeout=5, data={
        "url": f"{recorder.url}/stripe", "secret": WEBHOOK_SECRET,
        "events[]": ["hostbridge.never"]})
